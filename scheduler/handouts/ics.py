"""Phone calendars (.ics) of a person's duties over every version of the plan (SPEC §9).

Design, for calendars that update cleanly when a school re-imports or re-subscribes:
- **One event per continuous duty.** A teacher's slots of one group and session that follow
  each other (the noon block's 准备, 午餐, 作业辅导, 午休) are one event 11:20–13:30; its
  slots are listed in the description. A manager's duty window is one event.
- **Weekly recurrence with EXDATE, never RDATE.** Each duty is one series
  ``RRULE:FREQ=WEEKLY;UNTIL=…`` over its regular dates; holidays and dates covered by a
  substitute are ``EXDATE``. A make-up working day (调休: a Saturday that follows Friday's
  timetable) is its own single event, not an ``RDATE``: Outlook ignores RDATE and Google
  Calendar drops it on import, while RRULE+EXDATE is exact in every client we know.
- **Stable UID per duty**: person, weekday, session (or window), group and start time. A duty
  that continues into a later plan version keeps its UID.
- **SEQUENCE and DTSTAMP from the plan, never the clock**: SEQUENCE counts the changes the
  duty went through (a new end time or slot list in a later version, a date given to a
  substitute); DTSTAMP is the date of the latest change (midnight Asia/Shanghai, in UTC)
  plus SEQUENCE seconds, so the same plan always gives the same bytes and a changed duty
  always a newer stamp.
- **Removed duties** (in an earlier version, gone from the current one) are published with
  their old UID and ``STATUS:CANCELLED``, so a client deletes them rather than keeping ghosts.
- **Substitutions** (``plan.exceptions``): the absent person's date is an EXDATE of their
  series (what they still do that day stays as a single event); the substitute gets a
  single event for that date. A chain (B covers A, then B is absent that date too and C,
  or nobody, covers) takes back from B what B held as a substitute: B's substitute event
  shrinks or is CANCELLED, never B's own series, exactly as pay (``dated_minutes``) does.
- **The whole history counts.** SEQUENCE and DTSTAMP are derived from every version and
  every exception ever recorded, including those a re-plan dropped (the re-plan lists them
  in ``extra["replan"]["dropped_exceptions"]``, each with ``dropped_from`` and
  ``dropped_by_version``): a date given back to a series by a re-plan counts as a change
  (taken, then restored); a substitute or leftover event that existed and no longer does
  is published ``STATUS:CANCELLED`` with its old UID and a higher SEQUENCE; a duty that
  comes back after a version without it counts two changes. So from one plan to the next
  no UID vanishes and no SEQUENCE or DTSTAMP goes back.
- **No METHOD**: a roster is a snapshot of the person's duties, not a scheduling message
  (RFC 5545 §3.7.2). ``METHOD:PUBLISH`` made it an iTIP message, which requires an
  ORGANIZER in every event (RFC 5546 §3.2.1; libical's restriction check reported it) that
  a school has no honest value for, and with a METHOD, DTSTAMP means when the file was
  made, not when the duty last changed (RFC 5545 §3.8.7.2). Outlook imports a calendar
  without METHOD as PUBLISH; Evolution, Google and Apple need none.
- A ``VALARM`` ``alarm`` minutes before each event (default 15; 0 for none).
- The Asia/Shanghai ``VTIMEZONE`` is built once per process from the tz database (without
  the COMMENT icalendar adds: RFC 5545 allows none there).
- **Checked in a real client**: tests/test_ics_client.py reads every roster of a plan, a
  substituted plan and a re-plan with libical (GNOME Evolution's engine): no error, and
  the expanded instances are the pay, date by date.

A series' dates are those of the latest run of versions in which the duty looked as it does
now; the dates of an older shape of a changed duty, and every date a removed duty was in
force, stay in the file as single events (own UIDs), so the expanded calendar is exactly
what the person is paid for.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.labels import (group_label, session_label, slot_label,
                                                   window_label, words)
from afterschool.scheduler.handouts.rooms import place_text

TZID = "Asia/Shanghai"
TZ = ZoneInfo(TZID)
PRODID = "-//afterschool//roster//EN"


@lru_cache(maxsize=1)
def vtimezone() -> str:
    """The Asia/Shanghai VTIMEZONE block, built once from the tz database."""
    from icalendar import Timezone
    zone = Timezone.from_tzinfo(TZ, tzid=TZID, first_date=date(2000, 1, 1))
    zone.pop("COMMENT", None)  # RFC 5545 has no COMMENT in VTIMEZONE (libical rejects it)
    text = zone.to_ical().decode()
    return text.replace("\r\n", "\n").strip()


def _esc(text: str) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545 folding: lines of at most 75 octets, continued with a leading space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > (75 if not parts else 74):
            parts.append(cur)
            cur, size = "", 0
        cur += ch
        size += n
    parts.append(cur)
    return "\r\n ".join(parts)


def _local(d: date, hhmm: str) -> str:
    return f"{d:%Y%m%d}T{hhmm.replace(':', '')}00"


def _utc(d: date, hhmm: str) -> str:
    t = datetime.combine(d, time.fromisoformat(hhmm), TZ).astimezone(timezone.utc)
    return f"{t:%Y%m%dT%H%M%SZ}"


@dataclass
class Block:
    """A continuous duty of one person on one weekday (or on one date, for a substitute)."""

    staff: str
    day: str
    role: str
    session: str | None
    window: str | None
    group: str | None
    start: str
    end: str
    slots: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def uid(self) -> str:
        place = self.session or self.window or "x"
        return (f"{self.staff}-{self.day}-{place}-{self.group or self.role}-"
                f"{self.start.replace(':', '')}@afterschool")

    @property
    def shape(self) -> tuple:
        return (self.end, tuple(self.slots))


def merge(items) -> list[Block]:
    """Duties (objects or dicts with day/start/end/…) merged into continuous blocks."""
    def get(x, k):
        return x.get(k) if isinstance(x, dict) else getattr(x, k)

    def key(x):
        return (get(x, "staff"), get(x, "day"), get(x, "role"), get(x, "session") or "",
                get(x, "window") or "", get(x, "group") or "", get(x, "start"))
    blocks: list[Block] = []
    for x in sorted(items, key=key):
        b = blocks[-1] if blocks else None
        same = b is not None and (b.staff, b.day, b.role, b.session or "", b.window or "",
                                  b.group or "") == key(x)[:6]
        if same and b.end == get(x, "start"):
            b.end = get(x, "end")
            b.slots.append((get(x, "start"), get(x, "end"), get(x, "slot") or ""))
        else:
            blocks.append(Block(get(x, "staff"), get(x, "day"), get(x, "role"),
                                get(x, "session"), get(x, "window"), get(x, "group"),
                                get(x, "start"), get(x, "end"),
                                [(get(x, "start"), get(x, "end"), get(x, "slot") or "")]))
    return blocks


@dataclass
class Series:
    block: Block
    dates: list[date]
    sequence: int
    changed: date
    cancelled: bool = False
    # dates of an older shape of the duty, or every date of a removed one: single events
    past: list[tuple[Block, list[date]]] = field(default_factory=list)


def _version_dates(plan: Plan, versions: list) -> list[tuple[date, date]]:
    start = date.fromisoformat(plan.extra["term"]["start"])
    end = date.fromisoformat(plan.extra["term"]["end"])
    return [(date.fromisoformat(v.valid_from) if v.valid_from else start,
             date.fromisoformat(v.valid_to) if v.valid_to else end) for v in versions]


def person_series(plan: Plan, staff: str, versions: list) -> list[Series]:
    """Every duty series of ``staff`` over ``versions`` (``plan.versions()``, built once
    for all the rosters of a plan), with SEQUENCE and cancellation."""
    calendar = {d: [date.fromisoformat(x) for x in xs]
                for d, xs in plan.extra.get("calendar", {}).items()}
    spans = _version_dates(plan, versions)
    seen: dict[str, list] = defaultdict(list)  # uid -> [(version index, block)]
    for i, v in enumerate(versions):
        for b in merge(d for d in v.duties if d.staff == staff):
            seen[b.uid].append((i, b))
    last = len(versions) - 1
    out = []
    for uid, runs in seen.items():
        def dates_of(i, block):
            return [x for x in calendar.get(block.day, []) if spans[i][0] <= x <= spans[i][1]]
        seq, run_start = 0, 0
        for k in range(1, len(runs)):
            gap = runs[k][0] != runs[k - 1][0] + 1
            if runs[k][1].shape != runs[k - 1][1].shape or gap:
                # a duty that comes back after a version without it was CANCELLED (one
                # change) in between, then restored (another): SEQUENCE never goes back
                seq += 2 if gap else 1
                run_start = k
        i_last, block = runs[-1]
        dates = [x for i, _ in runs[run_start:] for x in dates_of(i, block)]
        past = [(b, dates_of(i, b)) for i, b in runs[:run_start]]
        changed = spans[runs[run_start][0]][0]
        cancelled = i_last != last
        if cancelled:
            seq += 1
            changed = spans[i_last + 1][0]
            past += [(b, dates_of(i, b)) for i, b in runs[run_start:]]
        out.append(Series(block, dates, seq, changed, cancelled,
                          [(b, xs) for b, xs in past if xs]))
    return out


def _key(e: dict) -> tuple:
    """The post and time of an exception: what a later exception takes back from its staff."""
    return (e.get("day"), e.get("role"), e.get("session") or None, e.get("window") or None,
            e.get("group") or None, e["start"], e["end"])


def _dropped(plan: Plan) -> list[dict]:
    """Substitutions that re-plans dropped (``extra["replan"]["dropped_exceptions"]``), oldest
    first, each with the ``dropped_from`` date of the re-plan that dropped it."""
    replan = plan.extra.get("replan")
    return list(replan.get("dropped_exceptions", [])) if isinstance(replan, dict) else []


def calendar_people(plan: Plan) -> list[str]:
    """Everyone who needs a calendar: a duty in any version, a substitution, or a
    substitution a re-plan dropped (their calendar cancels its event), a club they run."""
    from afterschool.scheduler.clubs.meetings import instructors
    return sorted({d.staff for v in plan.versions() for d in v.duties} | instructors(plan)
                  | {e["staff"] for e in plan.exceptions + _dropped(plan) if e.get("staff")})


def _epoch(e: dict) -> tuple:
    """Which re-plan dropped ``e``: the index of the version it made, and its date."""
    return (e.get("dropped_by_version", -1), e.get("dropped_from") or "")


def _exceptions(plan: Plan, staff: str):
    """(exceptions taking a duty of this person's own series, per (weekday, date); the
    substitute items this person still holds, per date).

    A chain (A absent, B covers; then B absent that date, C or nobody covers): the later
    exception takes back from B what B held as a substitute, so it is no EXDATE of B's own
    series and B's substitute items lose it, as ``dated_minutes`` (pay) does."""
    taken: dict[tuple[str, date], list[dict]] = defaultdict(list)
    held: dict[date, list[dict]] = defaultdict(list)
    for e in plan.exceptions:
        d = date.fromisoformat(e["date"])
        if e.get("replaces") == staff:
            mine = next((i for i, h in enumerate(held[d]) if _key(h) == _key(e)), None)
            if mine is not None:
                held[d].pop(mine)
            else:
                taken[e["day"], d].append(e)
        if e.get("staff") == staff:
            held[d].append(e)
    return taken, {d: xs for d, xs in held.items() if xs}


def _sub_history(plan: Plan, staff: str) -> dict[date, list[dict]]:
    """Per date, the log of that date's exceptions touching ``staff`` as substitute events
    saw it: the dropped ones of each re-plan (then ``None``: the re-plan dropped them all),
    then the current ones, in the order they were recorded."""
    log: dict[date, list] = defaultdict(list)
    epochs: dict[date, tuple | None] = {}
    for e in _dropped(plan) + [None] + list(plan.exceptions):
        if e is None:  # the current exceptions follow: close every dropped epoch
            for d, epoch in epochs.items():
                if epoch is not None:
                    log[d].append(None)
            epochs = {d: None for d in epochs}
            continue
        d = date.fromisoformat(e["date"])
        epoch = _epoch(e)
        if d in epochs and epochs[d] is not None and epochs[d] != epoch:
            log[d].append(None)  # an earlier re-plan dropped what came before
        epochs[d] = epoch
        log[d].append(e)
    return {d: xs for d, xs in log.items()
            if any(x is not None and staff in (x.get("staff"), x.get("replaces")) for x in xs)}


@dataclass
class SubEvent:
    block: Block
    absent: str
    sequence: int
    cancelled: bool


def substitute_events(plan: Plan, staff: str) -> dict[date, dict[str, SubEvent]]:
    """Every substitute event ``staff`` ever had, per date and UID, over the whole log of
    exceptions (current and dropped by re-plans): SEQUENCE counts the changes of the event
    (0 when it first appeared); an event gone from the current plan (taken back by a later
    exception, or dropped by a re-plan) is cancelled. Steps of the log are runs of
    exceptions for the same absent person (one ``substitute`` run), so the SEQUENCE of a
    UID never decreases as the plan grows."""
    out: dict[date, dict[str, SubEvent]] = {}
    for d, log in _sub_history(plan, staff).items():
        steps: list[list | None] = []
        for e in log:
            if e is None:
                steps.append(None)
            elif steps and steps[-1] is not None and steps[-1][-1].get("replaces") == \
                    e.get("replaces"):
                steps[-1].append(e)
            else:
                steps.append([e])
        held: list[dict] = []
        now: dict[str, tuple] = {}
        seen: dict[str, SubEvent] = {}
        for step in steps:
            if step is None:
                held = []
            else:
                for e in step:
                    if e.get("replaces") == staff:
                        i = next((i for i, h in enumerate(held) if _key(h) == _key(e)), None)
                        if i is not None:
                            held.pop(i)
                    if e.get("staff") == staff:
                        held.append(e)
            state = {}
            for blk in merge([dict(e, staff=staff) for e in held]):
                absent = next((e.get("replaces") for e in held if _covers(blk, e)), "") or ""
                uid = "sub-" + blk.uid.replace("@", f"-{d:%Y%m%d}@")
                state[uid] = (blk, absent)
            for uid in sorted(set(now) | set(state)):
                was, new = now.get(uid), state.get(uid)
                if was is not None and new is not None and \
                        (was[0].shape, was[1]) == (new[0].shape, new[1]):
                    continue
                if uid not in seen:
                    seen[uid] = SubEvent(new[0], new[1], 0, False)
                    continue
                ev = seen[uid]
                ev.sequence += 1
                ev.cancelled = new is None
                if new is not None:
                    ev.block, ev.absent = new
            now = state
        if seen:
            out[d] = seen
    return out


def _leftovers(block: Block, x: date, hits: list[dict]) -> list[Block]:
    """What ``block``'s person still does on ``x`` once ``hits`` took some of its slots."""
    gone = {e["start"] for e in hits}
    return merge({"staff": block.staff, "day": block.day, "role": block.role,
                  "session": block.session, "window": block.window, "group": block.group,
                  "start": a, "end": z, "slot": sl} for a, z, sl in block.slots if a not in gone)


def dropped_leftovers(plan: Plan, staff: str, versions: list
                      ) -> dict[str, tuple[int, date, Block]]:
    """Leftover events (what ``staff`` still did on a date part of whose duty a substitute
    took) of substitutions a re-plan dropped: UID -> (how many re-plans dropped it, date,
    block), over ``versions`` (``plan.versions()``). Their duty was that of the version in
    force before the re-plan."""
    out: dict[str, tuple[int, date, Block]] = {}
    by_replan: dict[tuple, list[dict]] = defaultdict(list)
    for e in _dropped(plan):
        if e.get("replaces") == staff:
            by_replan[_epoch(e)].append(e)
    for (j, start), xs in by_replan.items():
        if j < 0:  # an older record without the version: the one that starts then
            j = max((i for i, v in enumerate(versions) if v.valid_from == start), default=0)
        if not 0 < j < len(versions):
            continue
        seen = set()
        for x in sorted({date.fromisoformat(e["date"]) for e in xs}):
            for b in merge(d for d in versions[j - 1].duties if d.staff == staff):
                hits = [e for e in xs if e["date"] == x.isoformat() and e["day"] == b.day
                        and _covers(b, e)]
                if not hits:
                    continue
                for blk in _leftovers(b, x, hits):
                    uid = blk.uid.replace("@", f"-{x:%Y%m%d}@")
                    if uid not in seen:
                        seen.add(uid)
                        out[uid] = (out.get(uid, (0,))[0] + 1, x, blk)
    return out


def _dropped_dates(plan: Plan, staff: str, block: Block) -> list[tuple[tuple, str]]:
    """(re-plan, date) pairs a re-plan gave back to ``block``'s series: each date once
    taken by a substitute (an EXDATE) and then restored; one pair per re-plan and date."""
    return sorted({(_epoch(e), e["date"]) for e in _dropped(plan)
                   if e.get("replaces") == staff and _covers(block, e)})


def _covers(block: Block, e: dict) -> bool:
    return (block.role == e.get("role") and block.day == e.get("day")
            and (block.session or None) == (e.get("session") or None)
            and (block.window or None) == (e.get("window") or None)
            and (block.group or None) == (e.get("group") or None)
            and block.start <= e["start"] < block.end)


def _event(lines: list[str], uid: str, seq: int, stamp: datetime, first: date,
           block: Block, summary: str, location: str, description: str, *,
           rule_until: date | None = None, exdates: list[date] = (), cancelled=False,
           alarm: int = 15, alarm_text: str = "") -> None:
    lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
              f"SEQUENCE:{seq}", f"DTSTART;TZID={TZID}:{_local(first, block.start)}",
              f"DTEND;TZID={TZID}:{_local(first, block.end)}"]
    if rule_until is not None:
        lines.append(f"RRULE:FREQ=WEEKLY;UNTIL={_utc(rule_until, block.start)}")
        if exdates:
            lines.append(f"EXDATE;TZID={TZID}:" + ",".join(_local(x, block.start)
                                                           for x in exdates))
    lines += [f"SUMMARY:{_esc(summary)}", f"LOCATION:{_esc(location)}",
              f"DESCRIPTION:{_esc(description)}",
              "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
              "TRANSP:OPAQUE"]
    if alarm and not cancelled:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"TRIGGER:-PT{int(alarm)}M",
                  f"DESCRIPTION:{_esc(alarm_text or summary)}", "END:VALARM"]
    lines.append("END:VEVENT")


def _stamp(d: date, seq: int) -> datetime:
    return (datetime.combine(d, time(0), TZ).astimezone(timezone.utc)
            + timedelta(seconds=seq))


class _Texts:
    """Summary, location and description of a block, in the plan's language."""

    def __init__(self, plan: Plan, lang: str, classes: dict[str, list[str]]):
        self.plan, self.lang, self.w, self.classes = plan, lang, words(lang), classes
        self.school = plan.extra.get("school", "")

    def __call__(self, b: Block, substitute_for: str | None = None):
        w = self.w
        if b.role == "teacher":
            what = f"{group_label(self.plan, b.group, self.lang, b.session)} {w['role_teacher']}"
            where = " ".join(self.classes.get(b.group, []))
            place = place_text(self.plan, b.group, b.day, [x for _, _, x in b.slots],
                               self.lang)  # SPEC §12: the room, else the classes
        else:
            what = f"{w['manager']} {window_label(b.window, self.lang)}"
            where = window_label(b.window, self.lang)
        if substitute_for:
            what = f"{what} ({w['substitute']}: {substitute_for})"
        slots = "\n".join(f"{a}-{z} {slot_label(s, self.lang)}".strip()
                          for a, z, s in b.slots)
        desc = (f"{w['role']}: {what}\n{w['session']}: "
                f"{session_label(self.plan, b.session, self.lang) or where}\n"
                f"{w['class']}: {where}\n{w['slots']}:\n{slots}")
        if b.role == "teacher" and place:
            desc += f"\n{w['venue']}: {place}"
            where = place
        return f"{self.school} {what}".strip(), where, desc


def _service_off(off: set[tuple[str, str | None]], x: date, b) -> bool:
    """Whether a cancellation (SPEC §11) takes ``b`` away on ``x``: the whole day, or the
    block's own session (a manager's window only with the whole day)."""
    day = x.isoformat()
    return (day, None) in off or (b.session is not None and (day, b.session) in off)


def roster_calendar(plan: Plan, staff: str, lang: str = "zh", *, alarm: int = 15,
                    classes: dict[str, list[str]] | None = None,
                    names: dict[str, str] | None = None, versions: list | None = None
                    ) -> bytes:
    """The person's calendar (RFC 5545 text) over every plan version (``versions``: the
    plan's, built once by a caller writing many rosters); see the module doc."""
    versions = plan.versions() if versions is None else versions
    classes = classes or {}
    names = names or {}
    texts = _Texts(plan, lang, classes)
    taken, _ = _exceptions(plan, staff)
    off = {(c["date"], c.get("session")) for c in
           plan.extra.get("happened", {}).get("cancelled", [])}
    left_before = dropped_leftovers(plan, staff, versions)
    person = names.get(staff, staff)
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_esc((texts.school + ' ' + person).strip())}",
             f"X-WR-TIMEZONE:{TZID}", vtimezone()]
    series = sorted(person_series(plan, staff, versions),
                    key=lambda s: (WEEKDAYS.index(s.block.day) if s.block.day in WEEKDAYS
                                   else 9, s.block.start, s.block.uid))
    for s in series:
        b = s.block
        summary, where, desc = texts(b)
        excluded: list[date] = []
        leftovers: list[tuple[date, dict]] = []
        if not s.cancelled:
            for x in s.dates:
                if _service_off(off, x, b):  # the service did not run: no duty that date
                    excluded.append(x)
                    continue
                hits = [e for e in taken.get((b.day, x), []) if _covers(b, e)]
                if hits:
                    excluded.append(x)
                    gone = {e["start"] for e in hits}
                    leftovers += [(x, {"staff": staff, "day": b.day, "role": b.role,
                                       "session": b.session, "window": b.window,
                                       "group": b.group, "start": a, "end": z, "slot": sl})
                                  for a, z, sl in b.slots if a not in gone]
        # a date a re-plan gave back counts twice (taken, then restored), so SEQUENCE
        # never decreases from one plan version to the next (nor does DTSTAMP)
        restored = [date.fromisoformat(x) for _, x in _dropped_dates(plan, staff, b)]
        seq = s.sequence + len(excluded) + 2 * len(restored)
        changed = max([s.changed] + excluded + restored)
        stamp = _stamp(changed, seq)
        wd = WEEKDAYS.index(b.day) if b.day in WEEKDAYS else None
        regular = [x for x in s.dates if x.weekday() == wd]
        odd = [x for x in s.dates if x.weekday() != wd]
        if regular:
            keep = set(regular) - set(excluded)
            weekly, x = [], regular[0]
            while x <= regular[-1]:
                weekly.append(x)
                x += timedelta(days=7)
            exdates = [x for x in weekly if x not in keep]
            if len(regular) == 1:
                _event(lines, b.uid, seq, stamp, regular[0], b, summary, where, desc,
                       cancelled=s.cancelled or not keep, alarm=alarm)
            else:
                _event(lines, b.uid, seq, stamp, regular[0], b, summary, where, desc,
                       rule_until=regular[-1], exdates=exdates,
                       cancelled=s.cancelled or not keep, alarm=alarm)
        for x in odd:  # make-up working days: their own events (no RDATE, see above)
            _event(lines, b.uid.replace("@", f"-{x:%Y%m%d}@"), seq, stamp, x, b, summary,
                   where, desc, cancelled=s.cancelled or x in excluded, alarm=alarm)
        for old, xs in s.past:  # dates worked in an older shape: kept, one event each
            su, wh, de = texts(old)
            for x in xs:
                hits = [e for e in taken.get((old.day, x), []) if _covers(old, e)]
                if not hits:
                    _event(lines, old.uid.replace("@", f"-{x:%Y%m%d}-v@"), 0, _stamp(x, 0),
                           x, old, su, wh, de, alarm=alarm)
                for blk in (_leftovers(old, x, hits) if hits else []):  # what they kept
                    su2, wh2, de2 = texts(blk)
                    _event(lines, blk.uid.replace("@", f"-{x:%Y%m%d}-v@"), 0,
                           _stamp(x, 0), x, blk, su2, wh2, de2, alarm=alarm)
        for x, blk in ((x, blk) for x in sorted({d for d, _ in leftovers})
                       for blk in merge(i for d, i in leftovers if d == x)):
            su, wh, de = texts(blk)
            uid = blk.uid.replace("@", f"-{x:%Y%m%d}@")
            # a leftover a re-plan once dropped (then CANCELLED) and now back: 2 changes each
            n = 2 * left_before.pop(uid, (0,))[0]
            _event(lines, uid, n, _stamp(x, n), x, blk, su, wh, de, alarm=alarm)
    # leftovers of dropped substitutions that did not come back: CANCELLED
    for uid, (n, x, blk) in sorted(left_before.items(), key=lambda kv: kv[0]):
        su, wh, de = texts(blk)
        _event(lines, uid, 2 * n - 1, _stamp(x, 2 * n - 1), x, blk, su, wh, de,
               cancelled=True, alarm=alarm)
    for x, evs in sorted(substitute_events(plan, staff).items()):
        for uid, ev in sorted(evs.items(), key=lambda kv: (kv[1].block.start, kv[0])):
            su, wh, de = texts(ev.block, names.get(ev.absent, ev.absent))
            _event(lines, uid, ev.sequence, _stamp(x, ev.sequence), x, ev.block, su, wh, de,
                   cancelled=ev.cancelled, alarm=alarm)
    from afterschool.scheduler.clubs.meetings import calendar_lines
    lines += calendar_lines(plan, staff, lang, alarm, person)  # a staff instructor's clubs
    lines.append("END:VCALENDAR")
    out = []
    for line in lines:
        out.extend(_fold(part) for part in line.split("\n"))
    return ("\r\n".join(out) + "\r\n").encode()
