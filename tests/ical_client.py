"""Read .ics files with libical (the calendar engine of GNOME Evolution), print JSON.

Run by tests/test_ics_client.py with the *system* Python (``/usr/bin/python3``), which has
``python3-gi`` and ``gir1.2-ical-3.0``; the test venv cannot import ``gi``. Imports nothing
of afterschool: what it prints is what libical makes of the files.

    /usr/bin/python3 ical_client.py FROM TO FILE...    (FROM, TO: UTC, 20260801T000000Z)

Prints {file: {"errors": [...], "restrictions": [...], "events": [...]}}:
- ``errors``: the X-LIC-ERROR properties libical adds while parsing (RFC 5545 syntax and
  values), and events whose DTSTART zone the file does not define;
- ``restrictions``: what ``icalrestriction_check`` adds: which properties a component
  must or may not have (RFC 5545, and RFC 5546 for the file's METHOD if it has one).
- per VEVENT: uid, status (libical's enum nick), sequence, the TZID of DTSTART and whether
  the file's VTIMEZONE defines it, and its instances twice over, each as
  [local start "YYYY-MM-DDTHH:MM", local end, UTC epoch start, UTC epoch end], local being
  the DTSTART zone as libical read it from the file's VTIMEZONE:
  ``instances`` by ``icalcomponent_foreach_recurrence`` (RRULE, RDATE, EXDATE together),
  ``iterated`` by ``icalrecur_iterator`` over the RRULE, then RDATE added and EXDATE
  removed by comparing times, as Evolution's data server expands a series.
"""
import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I  # noqa: E402


def children(comp, kind=I.ComponentKind.ANY_COMPONENT):
    c = comp.get_first_component(kind)
    while c is not None:
        yield c
        c = comp.get_next_component(kind)


def props(comp, kind):
    p = comp.get_first_property(kind)
    while p is not None:
        yield p
        p = comp.get_next_property(kind)


def lic_errors(comp):
    out = [f"{I.Component.kind_to_string(comp.isa())}: {p.get_xlicerror()}"
           for p in props(comp, I.PropertyKind.XLICERROR_PROPERTY)]
    for c in children(comp):
        out += lic_errors(c)
    return out


def wall(t):
    """"YYYY-MM-DDTHH:MM" of an ICalTime's own fields."""
    return (f"{t.get_year():04d}-{t.get_month():02d}-{t.get_day():02d}"
            f"T{t.get_hour():02d}:{t.get_minute():02d}")


def by_foreach(ev, start, end, tz):
    """[local start, local end, UTC epoch start, UTC epoch end] of each instance by
    icalcomponent_foreach_recurrence (its spans are UTC epochs); local in ``tz``."""
    utc, out = I.Timezone.get_utc_timezone(), []

    def local(epoch):
        t = I.Time.new_from_timet_with_zone(epoch, 0, utc)
        t.convert_timezone(utc, tz)
        return wall(t)

    def one(_comp, span, _data):
        out.append([local(span.get_start()), local(span.get_end()), span.get_start(),
                    span.get_end()])
    ev.foreach_recurrence(start, end, one, None)
    return out


def by_iterator(ev, tz):
    """[local start, local end, UTC epoch start, UTC epoch end] of each instance: the RRULE
    by icalrecur_iterator, RDATEs added, EXDATEs removed (icaltime_compare, zone-aware);
    local in ``tz`` (the file's VTIMEZONE), epochs by icaltime_as_timet_with_zone."""
    start, end = ev.get_dtstart(), ev.get_dtend()
    length = end.as_timet_with_zone(end.get_timezone()) - \
        start.as_timet_with_zone(start.get_timezone())
    times = []
    rules = list(props(ev, I.PropertyKind.RRULE_PROPERTY))
    for p in rules:
        it = I.RecurIterator.new(p.get_rrule(), start)
        t = it.next()
        while t is not None and not t.is_null_time():
            times.append(t)
            t = it.next()
    if not rules:
        times.append(start)
    times += [p.get_rdate().get_time() for p in props(ev, I.PropertyKind.RDATE_PROPERTY)]
    exdates = [p.get_exdate() for p in props(ev, I.PropertyKind.EXDATE_PROPERTY)]
    out = []
    for t in times:
        if any(t.compare(x) == 0 for x in exdates):
            continue
        zone = t.get_timezone() or start.get_timezone()
        local = t.clone()
        local.convert_timezone(zone, tz)
        epoch = t.as_timet_with_zone(zone)
        local_end = local.clone()
        local_end.adjust(0, 0, 0, length)
        out.append([wall(local), wall(local_end), epoch, epoch + length])
    return out


def read(path, start, end):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    I.error_clear_errno()
    cal = I.Component.new_from_string(text)
    if cal is None:
        return {"errors": [f"not parsed: {I.error_strerror(I.errno_return())}"],
                "restrictions": [], "events": []}
    errors = lic_errors(cal)
    probe = cal.clone()
    probe.strip_errors()
    probe.check_restrictions()
    restrictions = lic_errors(probe)
    zones = {z.get_first_property(I.PropertyKind.TZID_PROPERTY).get_tzid()
             for z in children(cal, I.ComponentKind.VTIMEZONE_COMPONENT)}
    events = []
    for ev in children(cal, I.ComponentKind.VEVENT_COMPONENT):
        dtstart = ev.get_dtstart()
        tzid = dtstart.get_tzid()
        tz = cal.get_timezone(tzid) if tzid else None
        if tz is None:
            errors.append(f"{ev.get_uid()}: DTSTART zone {tzid!r} not in the file")
            continue
        events.append({
            "uid": ev.get_uid(), "status": ev.get_status().value_nick,
            "sequence": ev.get_sequence(), "tzid": tzid, "zone_in_file": tzid in zones,
            "instances": by_foreach(ev, start, end, tz), "iterated": by_iterator(ev, tz)})
    return {"errors": errors, "restrictions": restrictions, "events": events}


def main(argv):
    start, end = I.Time.new_from_string(argv[1]), I.Time.new_from_string(argv[2])
    json.dump({path: read(path, start, end) for path in argv[3:]}, sys.stdout,
              ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv)
