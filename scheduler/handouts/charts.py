"""Schedule charts (matplotlib), from ``plan.json`` alone.

- ``gantt``: the week's duties, one panel per weekday, people x time, coloured by session
  (managers grey), shortages in red on their own row; the five panels are drawn side by
  side in one axes (``_day_panels``: frames, titles, hour ticks and lines as one artist
  each), as five axes drew them but without five axes' ticks, spines and titles;
- ``load``: each person's weekly service minutes against their weekly limit;
- ``staffing``: per session and weekday, the standard T(n) beside the groups formed;
- ``sizes``: each group's headcount per day against the cap (groups by number, each session named
  once under its groups).
Each returns the figure and the number of bars drawn (tests count them). Chinese labels need
a CJK font: ``cjk_font()`` takes a system one when present (WenQuanYi, Noto CJK, …) and
otherwise the OFL Noto Sans SC that the ``zhplot`` dependency ships (registered with
matplotlib's font manager, never by importing ``zhplot``, which would change global rc
settings); only without both do labels fall back to English with a one-line warning.
Drawing never lets matplotlib's glyph warnings reach the terminal. Layout uses fixed
margins (``subplots_adjust``) sized from the labels, not ``tight_layout``, which measures
every text twice and was a third of the hand-out time on a 200-staff school. What a
200-person chart costs is its text: names and group numbers are one ``Text`` drawn at every
place (``_Labels``, not a Tick or a Text per person), titles sit at a given height (no
measuring of every tick label to look for room above the axes), glyphs are drawn unhinted
and bars are one ``PolyCollection`` per chart (the Gantt's week included). A PNG holds the
pixels ``savefig`` renders, encoded here (``png_bytes``: PNG's "Up" filter in numpy, then
zlib) rather than by Pillow, whose choice of a filter for every row cost more than the
deflating.
Every string from the plan or the command line (school, people's and session names, group
numbers, scenario and instance names) goes through ``plain``: drawn as the literal text,
never as matplotlib mathtext (a teacher named ``$\\undefinedcmd$`` is drawn as typed).
"""
from __future__ import annotations

import importlib.util
import struct
import warnings
import zlib
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib import rcParams  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import TICKDOWN, Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import ScaledTranslation  # noqa: E402

from afterschool.models.plan import Plan  # noqa: E402
from afterschool.models.school import WEEKDAYS, parse_time  # noqa: E402
from afterschool.scheduler.handouts.labels import (day_name, group_number,  # noqa: E402
                                                   session_label, words)
from afterschool.scheduler.say import table  # noqa: E402

CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
             "Source Han Sans SC", "SimHei", "Microsoft YaHei", "PingFang SC")
KINDS = ("gantt", "load", "staffing", "sizes")
COLOURS = ["#4C72B0", "#55A868", "#8172B2", "#CCB974", "#64B5CD", "#DD8452"]


_BUNDLED: list[str | None] = []


def bundled_font() -> Path | None:
    """The Noto Sans SC file of the ``zhplot`` package, found without importing it."""
    spec = importlib.util.find_spec("zhplot")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "NotoSansSC-Regular.ttf"
    return path if path.is_file() else None


def _register_bundled() -> str | None:
    if not _BUNDLED:
        path = bundled_font()
        name = None
        if path is not None:
            try:
                font_manager.fontManager.addfont(str(path))
                name = font_manager.FontProperties(fname=str(path)).get_name()
            except (OSError, RuntimeError):
                name = None
        _BUNDLED.append(name)
    return _BUNDLED[0]


def cjk_font() -> str | None:
    """A font with Chinese glyphs: a system one if installed, else the bundled Noto Sans SC."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((n for n in CJK_FONTS if n in names), None)
    return found or _register_bundled()


@contextmanager
def quiet():
    """Matplotlib's per-glyph and layout warnings stay off the terminal."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing")
        warnings.filterwarnings("ignore", message=r".*(tight_layout|constrained).*")
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
        yield


def _margins(fig, left_labels: list[str] = (), fontsize: float = 7, bottom: float = 0.6,
             top: float = 0.5, right: float = 0.2) -> None:
    """Fixed margins (inches) from the longest y label: cheap, unlike ``tight_layout``."""
    w, h = fig.get_size_inches()
    longest = max((sum(2 if ord(c) > 0x2E7F else 1 for c in str(x)) for x in left_labels),
                  default=4)
    left = 0.25 + longest * fontsize * 0.55 / 72
    fig.subplots_adjust(left=min(left / w, 0.4), right=1 - right / w,
                        bottom=min(bottom / h, 0.45), top=1 - top / h)


def setup_language(lang: str) -> tuple[str, str | None]:
    """The language charts can be drawn in, and a warning when Chinese had to give way.
    English labels still fall back to the CJK font glyph by glyph: people's and the
    school's names are Chinese whatever the labels' language."""
    font = cjk_font()
    if lang != "zh":
        # a list of families (not the generic "sans-serif", which resolves to one font)
        plt.rcParams["font.family"] = ["DejaVu Sans"] + ([font] if font else [])
        return lang, None
    if font is None:
        return "en", ("no Chinese font found (reinstall afterschool, which brings zhplot's "
                      "Noto Sans SC); chart labels are in English")
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return "zh", None


def _rects(ax, x0, x1, y0, y1, colours, edge="white"):
    """Rectangles as one PolyCollection: a thousand bars cost one artist, not a thousand
    patches each updating the axes' limits."""
    x0, x1, y0, y1 = (np.asarray(v, dtype=float) for v in (x0, x1, y0, y1))
    # an (n, 4, 2) array takes PolyCollection's fast path: one Path code list for all
    verts = np.stack([np.stack([x0, x0, x1, x1], axis=-1),
                      np.stack([y0, y1, y1, y0], axis=-1)], axis=-1)
    ax.add_collection(PolyCollection(verts, facecolors=colours, edgecolors=edge,
                                     linewidths=0.5))
    return len(verts)


class _Labels(Text):
    """One ``Text`` drawn at many places: each label is laid out and drawn by matplotlib's own
    ``Text.draw`` (pixel for pixel what a ``Text`` per label draws) without building a
    ``Text`` per label, which for a 200-person chart cost more than drawing it."""

    def __init__(self, places: list[tuple[float, float, str]], **kwargs):
        super().__init__(0, 0, "", clip_on=False, **kwargs)
        self._places = places

    def draw(self, renderer):
        for x, y, text in self._places:
            self.set_position((x, y))
            self.set_text(text)
            super().draw(renderer)


def _row_labels(ax, labels: list[str], fontsize: float = 7, axis: str = "y",
                at: float = -0.01) -> None:
    """Row (or column) names beside the axis (``at``: how far left, a share of the axes'
    width): a Tick per person is the dearest artist."""
    if axis == "y":
        ax.set_yticks([])
        ax.add_artist(_Labels([(at, i, t) for i, t in enumerate(labels)],
                              transform=ax.get_yaxis_transform(), ha="right", va="center",
                              fontsize=fontsize))
    else:
        ax.set_xticks([])
        ax.add_artist(_Labels([(i, -0.02, t) for i, t in enumerate(labels)],
                              transform=ax.get_xaxis_transform(), ha="center", va="top",
                              fontsize=fontsize))


def plain(text) -> str:
    """``text`` as matplotlib draws it literally: every ``$`` escaped, so no pair of them
    starts mathtext (a backslash, ``_``, ``^`` or ``{`` outside mathtext is plain text)."""
    return str(text).replace("$", r"\$")


def _name(plan: Plan, sid: str) -> str:
    return plain(plan.extra.get("people", {}).get("staff", {}).get(sid, {}).get("name", sid))


def _session(plan: Plan, sid: str, lang: str) -> str:
    return plain(session_label(plan, sid, lang))


def _school(plan: Plan) -> str:
    return plain(plan.extra.get("school", ""))


DAY_START, DAY_END = 11 * 60, 17 * 60 + 30  # the minutes each weekday's panel shows
PANEL_GAP = 0.05  # between two panels, a share of a panel's width


def _day_panels(ax, titles: list[str], start: int, end: int, hours: range) -> list[float]:
    """Side-by-side panels in one axes, one per title, each ``start``..``end`` minutes wide:
    as five axes draw them (a frame, the title above, hour ticks and labels below, light
    hour lines), but from one artist each rather than five axes' ticks, spines and
    titles. Returns where each panel's minute 0 lies on the x axis."""
    span = end - start
    step = span * (1 + PANEL_GAP)
    offsets = [k * step - start for k in range(len(titles))]
    ax.set_xlim(0, step * (len(titles) - 1) + span)
    ax.set_axis_off()  # no axis, ticks or frame of its own: the panels draw theirs
    lo, hi = ax.get_ylim()
    frames = [[(o + start, lo), (o + start, hi), (o + end, hi), (o + end, lo),
               (o + start, lo)] for o in offsets]
    ax.add_collection(LineCollection(frames, colors=rcParams["axes.edgecolor"],
                                     linewidths=rcParams["axes.linewidth"], zorder=2.5,
                                     capstyle="projecting", joinstyle="miter",
                                     clip_on=False))  # on the axes' edge: not cut in half
    xs = [o + t for o in offsets for t in hours]
    ax.add_collection(LineCollection([[(x, lo), (x, hi)] for x in xs], zorder=1.5,
                                     colors=rcParams["grid.color"], alpha=0.3,
                                     linewidths=rcParams["grid.linewidth"]))
    below = ax.get_xaxis_transform()  # x in minutes, y a share of the axes' height
    ax.add_line(Line2D(xs, [0] * len(xs), transform=below, linestyle="none",
                       marker=TICKDOWN, markersize=rcParams["xtick.major.size"],
                       markeredgewidth=rcParams["xtick.major.width"],
                       color=rcParams["xtick.color"], clip_on=False, zorder=1.5))
    pad = rcParams["xtick.major.size"] + rcParams["xtick.major.pad"]
    fig = ax.figure
    ax.add_artist(_Labels([(o + t, 0, f"{t // 60}:00") for o in offsets for t in hours],
                          transform=below + ScaledTranslation(0, -pad / 72,
                                                              fig.dpi_scale_trans),
                          ha="center", va="top", fontsize=7))
    ax.add_artist(_Labels([(o + (start + end) / 2, 1, t) for o, t in zip(offsets, titles)],
                          transform=below + ScaledTranslation(
                              0, rcParams["axes.titlepad"] / 72, fig.dpi_scale_trans),
                          ha="center", va="baseline", fontsize=rcParams["axes.titlesize"]))
    return offsets


def gantt(plan: Plan, lang: str):
    w = words(lang)
    sessions = list(plan.extra.get("sessions", {}))
    colour = {s: COLOURS[i % len(COLOURS)] for i, s in enumerate(sessions)}
    people = sorted({d.staff for d in plan.duties})
    rows = people + ([w["shortage"]] if plan.shortages else [])
    # One axes for the week, the weekdays side by side: five axes cost five sets of ticks,
    # spines and titles, and a shared y axis would copy every person's tick into each.
    fig, ax = plt.subplots(figsize=(17, max(4, 0.17 * len(rows) + 1.6)))
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    offsets = _day_panels(ax, [day_name(day, lang) for day in WEEKDAYS], DAY_START, DAY_END,
                          range(11 * 60, 18 * 60, 60))
    at = dict(zip(WEEKDAYS, offsets))
    index = {r: i for i, r in enumerate(rows)}
    ys, days, starts, ends, colours = [], [], [], [], []
    for d in plan.duties:
        if d.day in at:
            ys.append(index[d.staff])
            days.append(at[d.day])
            starts.append(parse_time(d.start))
            ends.append(starts[-1] + d.minutes)
            colours.append(colour.get(d.session, "#999999") if d.role == "teacher"
                           else "#999999")
    for s in plan.shortages:
        if s.day in at:
            ys.append(len(rows) - 1)
            days.append(at[s.day])
            starts.append(parse_time(s.start))
            ends.append(parse_time(s.end))
            colours.append("#D62728")
    # one PolyCollection for the week; each bar cut to its day's panel, as that day's own
    # axes cut it
    days = np.asarray(days, dtype=float)
    bars = _rects(ax, days + np.clip(starts, DAY_START, DAY_END),
                  days + np.clip(ends, DAY_START, DAY_END), [y - 0.4 for y in ys],
                  [y + 0.4 for y in ys], colours)
    span = DAY_END - DAY_START
    _row_labels(ax, [_name(plan, r) if r in people else r for r in rows],
                at=-0.01 * span / ax.get_xlim()[1])  # as far left as from one day's panel
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[s]) for s in sessions]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="#999999"))
    labels = [_session(plan, s, lang) for s in sessions]
    labels.append(w["manager"])
    if plan.shortages:
        handles.append(plt.Rectangle((0, 0), 1, 1, color="#D62728"))
        labels.append(w["shortage"])
    fig.legend(handles, labels, loc="lower center", ncol=len(labels))
    fig.suptitle(f"{_school(plan)} {w['gantt_title']}")
    _margins(fig, [_name(plan, r) if r in people else r for r in rows], bottom=0.9, top=0.9)
    fig._suptitle.set_y(1 - 0.2 / fig.get_size_inches()[1])
    return fig, bars


def load(plan: Plan, lang: str):
    w = words(lang)
    minutes = Counter()
    for d in plan.duties:
        minutes[d.staff] += d.minutes
    people = sorted(minutes, key=lambda s: (-minutes[s], s))
    limits = plan.extra.get("weekly_limits", {})
    fig, ax = plt.subplots(figsize=(8, max(3, 0.17 * len(people) + 1)))
    n = len(people)
    _rects(ax, [0] * n, [minutes[p] for p in people], [i - 0.4 for i in range(n)],
           [i + 0.4 for i in range(n)], COLOURS[0])
    marks = [[(limits[p], i - 0.4), (limits[p], i + 0.4)] for i, p in enumerate(people)
             if p in limits]
    if marks:
        ax.add_collection(LineCollection(marks, colors="#D62728", label=w["limit"]))
    top = max([minutes[p] for p in people] + [limits.get(p, 0) for p in people] + [1])
    ax.set_xlim(0, top * 1.05)
    ax.set_ylim(max(n, 1) - 0.5, -0.5)
    _row_labels(ax, [_name(plan, p) for p in people])
    ax.set_xlabel(w["load"])
    if marks:
        ax.legend(loc="lower right")
    ax.set_title(f"{_school(plan)} {w['load_title']}", y=1)
    _margins(fig, [_name(plan, p) for p in people], bottom=0.6)
    return fig, len(people)


def staffing(plan: Plan, lang: str):
    w = words(lang)
    rows = plan.staffing
    fig, ax = plt.subplots(figsize=(max(6, 0.85 * len(rows) + 2), 4))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["standard_teachers"] for r in rows], width=0.4,
           color=COLOURS[1], label=w["standard"])
    ax.bar([i + 0.2 for i in x], [r["groups"] for r in rows], width=0.4, color=COLOURS[0],
           label=w["formed"])
    names = {sid: _session(plan, sid, lang) for sid in plan.extra.get("sessions", {})}
    ax.set_xticks(list(x), [f"{names.get(r['session'], plain(r['session']))}\n"
                            f"{day_name(r['day'], lang)}" for r in rows], fontsize=7)
    ax.legend()
    ax.set_title(f"{_school(plan)} {w['staffing_title']}", y=1)
    _margins(fig, ["100"], bottom=0.8)
    return fig, 2 * len(rows)


def sizes(plan: Plan, lang: str):
    w = words(lang)
    people = plan.extra.get("people", {}).get("students", {})
    sessions = plan.extra.get("sessions", {})
    cap = plan.extra.get("group_cap", 45)
    present = defaultdict(dict)
    for g in plan.groups:
        signup = sessions.get(g.session, {}).get("signup")
        for day in sessions.get(g.session, {}).get("days", WEEKDAYS):
            n = sum(1 for s in g.students if day in people.get(s, {}).get(signup, []))
            if n:  # a bar for each group-day, none for days the group does not meet
                present[g.id][day] = n
    groups = [g.id for g in plan.groups]
    fig, ax = plt.subplots(figsize=(max(8, 0.35 * len(groups) * 5 / 4), 4))
    width = 0.8 / 5
    bars = 0
    handles = []
    for k, day in enumerate(WEEKDAYS):
        xs = [i + (k - 2.5) * width for i, g in enumerate(groups) if day in present[g]]
        ys = [present[g][day] for g in groups if day in present[g]]
        colour = COLOURS[k % len(COLOURS)]
        bars += _rects(ax, xs, [x + width for x in xs], [0] * len(ys), ys, colour, "none")
        handles.append(plt.Rectangle((0, 0), 1, 1, color=colour, label=day_name(day, lang)))
    ax.set_xlim(-0.6, len(groups) - 0.4)
    handles.append(ax.axhline(cap, color="#D62728", linestyle="--",
                              label=f"{w['cap']} {cap}"))
    # each group by its number, each session's name once under its groups: short upright
    # labels read better than 100 rotated "晚托(中高年级)10组" and draw in a fraction of the time
    _row_labels(ax, [str(group_number(plan, g)) for g in groups], axis="x")
    of = [g.session for g in plan.groups]
    tr = ax.get_xaxis_transform()
    start = 0
    for i in range(1, len(of) + 1):
        if i == len(of) or of[i] != of[start]:
            ax.text((start + i - 1) / 2, -0.12, _session(plan, of[start], lang),
                    transform=tr, ha="center", va="top", fontsize=8)
            if i < len(of):
                ax.axvline(i - 0.5, color="#888888", linewidth=0.8)
            start = i
    ax.set_ylabel(w["present"])
    ax.set_ylim(0, cap * 1.35)
    ax.legend(handles=handles, ncol=6, fontsize=7, loc="upper center")
    ax.set_title(f"{_school(plan)} {w['sizes_title']}", y=1)
    _margins(fig, ["100000"], bottom=0.7)
    return fig, bars


def draw(plan: Plan, kind: str, lang: str):
    """(figure, bars drawn, warning or None) for one chart kind."""
    lang, warning = setup_language(lang)
    with quiet():
        fig, bars = {"gantt": gantt, "load": load, "staffing": staffing, "sizes": sizes}[kind](
            plan, lang)
    return fig, bars, warning


class _Pixels:
    """A file for ``savefig(..., format="rgba")`` that keeps what is written, the
    renderer's own buffer (rows x columns x RGBA), rather than copying 20 MB into bytes."""

    def __init__(self):
        self.parts: list = []

    def write(self, data) -> int:
        self.parts.append(data)
        return len(data)

    def seek(self, *args) -> int:  # savefig takes a file-like object by its seek
        return 0

    def rgba(self, fig) -> np.ndarray:
        if len(self.parts) == 1 and np.ndim(self.parts[0]) == 3:
            return np.asarray(self.parts[0])
        # written some other way: the bytes, in the shape of the renderer that drew them
        shape = np.asarray(fig.canvas.renderer.buffer_rgba()).shape
        return np.frombuffer(b"".join(bytes(p) for p in self.parts),
                             dtype=np.uint8).reshape(shape)


def png_bytes(rgba: np.ndarray, dpi: float) -> bytes:
    """``rgba`` (rows x columns x 4 bytes) as a PNG, with the chunks matplotlib's PNG carries
    (its ``Software`` text, the dpi): each row stored less the row above it (PNG's "Up"
    filter, one numpy subtraction) and deflated at level 3. Pillow tries all five filters
    on every row to pick one, which took 0.1 s of a 200-staff school's four charts; "Up"
    packs these charts (long runs of white, bars and lines running down) as small."""
    h, w, _ = rgba.shape
    rows = rgba.reshape(h, w * 4)
    data = np.empty((h, w * 4 + 1), dtype=np.uint8)
    data[:, 0] = 2  # "Up"; the first row's "above" is zeros
    data[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=data[1:, 1:])  # modulo 256, as PNG wants

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    per_metre = int(dpi / 0.0254 + 0.5)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)),  # 8-bit RGBA
        chunk(b"tEXt", b"Software\0" + f"Matplotlib version{matplotlib.__version__}, "
                                        f"https://matplotlib.org/".encode("latin-1")),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        chunk(b"IDAT", zlib.compress(data, 3)),
        chunk(b"IEND", b"")])


def dpi_for(fig) -> int:
    """A big school's chart is thousands of pixels along its long side: 100 dpi keeps
    7-point names legible (about 10 px) and saves a third of the rasterising."""
    return 100 if max(fig.get_size_inches()) > 20 else 120


def save(fig, path) -> None:
    """Save by the file's extension (.png, .svg, .pdf), then free the figure. A PNG holds
    the pixels ``savefig`` renders, encoded by ``png_bytes``."""
    fmt = str(path).rsplit(".", 1)[-1].lower()
    dpi = dpi_for(fig)
    # glyphs unhinted: FreeType's auto-hinter ran on every glyph three times (to measure, to
    # shape, to draw), a tenth of the charts' time; anti-aliased 10-px names read the same
    with quiet(), plt.rc_context({"text.hinting": "no_hinting"}):
        if fmt == "png":
            sink = _Pixels()
            fig.savefig(sink, dpi=dpi, format="rgba")  # the pixels savefig's PNG would hold
            Path(path).write_bytes(png_bytes(sink.rgba(fig), dpi))
        else:
            fig.savefig(path, dpi=dpi, format=fmt)
    plt.close(fig)


SCENARIO_WORDS = table("scenario_chart")  # words: scheduler/say_zh.py, say_en.py


def scenario_chart(rows: list[dict], lang: str = "en"):
    """Group-days and shortages per scenario, side by side, in ``lang`` (a CJK font for
    Chinese names, as the plan's charts)."""
    lang, _ = setup_language(lang)
    w = SCENARIO_WORDS["zh" if lang == "zh" else "en"]
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(rows) + 2), 4))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["group_days"] for r in rows], width=0.4,
           color=COLOURS[0], label=w["group_days"])
    ax.bar([i + 0.2 for i in x], [r["shortages"] for r in rows], width=0.4, color="#D62728",
           label=w["shortages"])
    ax.set_xticks(list(x), [plain(f"{r['instance']}\n{r['scenario']}") for r in rows], fontsize=7,
                  rotation=20)
    ax.legend()
    ax.set_title(w["title"])
    _margins(fig, ["100"], bottom=1.0)
    return fig
