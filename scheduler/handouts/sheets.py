"""Tables to CSV and Excel, with a totals row, written atomically.

``write_tables(folder, name, sheets)`` writes ``name.csv`` (the first sheet; UTF-8 with BOM,
which Excel opens with Chinese intact) and ``name.xlsx`` (every sheet: frozen header, column
widths from the content, a bold totals row; A4, landscape when wide, fit to the page
width, the header repeated on every printed page, page breaks per group or day; nothing
printed under 9 points: a table wider than the page wraps its widest columns, and no page
is scaled below ``MIN_PERCENT``).
A sheet is (title, rows, columns, totals[, layout]): ``totals`` names the columns summed in
the last row; money columns are strings with two decimals and are summed exactly as
``Decimal``; ``layout`` (optional) asks for page breaks (``break_on``, ``pack``), a page
title, a cover, or the whole sheet on one page (``one_page``). ``sheet_layout`` decides every print setting once; ``save_workbook`` writes
it with XlsxWriter (``xlsx.py``; what ``write_tables`` and every command use) and
``workbook`` builds the same as an openpyxl ``Workbook``: the reference the XlsxWriter files
are compared with in ``tests/test_xlsx.py``.
Every text cell, headers included, passes ``safe.neutralise`` on its way into a CSV or XLSX
file (no formula reaches a spreadsheet); sheet titles pass ``safe.sheet_title``.
"""
from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from afterschool.scheduler.handouts.output import write_atomic, write_text
from afterschool.scheduler.handouts.safe import neutralise, sheet_title

Sheet = tuple  # (title, rows, columns, totals[, layout])


def with_totals(rows: list[dict], columns: list[str], totals: list[str],
                label: str = "total") -> list[dict]:
    """``rows`` plus a totals row summing ``totals`` (ints, or two-decimal money strings)."""
    if not totals:
        return list(rows)
    total: dict = {columns[0]: label}
    for col in totals:
        values = [r.get(col) for r in rows if r.get(col) not in (None, "")]
        if values and all(isinstance(v, int) for v in values):
            total[col] = sum(values)
        else:
            total[col] = str(sum((Decimal(str(v)) for v in values), Decimal("0.00")))
    return list(rows) + [total]


def _cell(value):
    if isinstance(value, str):
        if "." in value and value.count(".") == 1 and len(value.split(".")[1]) == 2:
            try:
                return float(Decimal(value))  # money shows as a number in Excel
            except ArithmeticError:
                pass
        return neutralise(value)
    if isinstance(value, (dict, list, tuple)):
        return neutralise(" ".join(f"{k}:{v}" for k, v in value.items())
                          if isinstance(value, dict) else " ".join(map(str, value)))
    return neutralise(value)


def csv_text(rows: list[dict], columns: list[str], headers: list[str] | None = None) -> str:
    """``rows`` as CSV text under ``headers`` (default: the column names)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(c) for c in headers or columns])
    w.writerows([_cell(v) if isinstance(v, (dict, list)) else neutralise(v)
                 for v in (r.get(c, "") for c in columns)] for r in rows)
    return buf.getvalue()


def sheet_csv(sheet: Sheet, header_words: dict[str, str] | None = None,
              total_label: str = "total") -> str:
    """One table as CSV text: its rows, the totals row, headers translated by
    ``header_words``."""
    _, rows, columns, totals = sheet[:4]
    rows = with_totals(rows, columns, totals, total_label)
    heads = [header_words.get(c, c) for c in columns] if header_words else None
    return csv_text(rows, columns, heads)


def _sheets_to_lay_out(sheets: list[Sheet], header_words: dict[str, str] | None):
    """Each sheet as (title unique in the workbook, rows, columns, totals, headers,
    layout), with the page-number footer from ``header_words``."""
    taken: set[str] = set()
    for sheet in sheets:
        title, rows, columns, totals = sheet[:4]
        layout = dict(sheet[4]) if len(sheet) > 4 else {}
        if header_words and "page" in header_words:
            layout.setdefault("page", header_words["page"])
        headers = [header_words.get(c, c) for c in columns] if header_words else None
        yield sheet_title(title, taken), rows, columns, totals, headers, layout


def write_tables(folder: Path, name: str, sheets: list[Sheet],
                 formats: tuple[str, ...] = ("csv", "xlsx"),
                 header_words: dict[str, str] | None = None,
                 total_label: str = "total") -> list[Path]:
    """Write ``name.csv`` (first sheet) and/or ``name.xlsx`` (all sheets) into ``folder``;
    ``header_words`` translates the header row of both."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    if "csv" in formats:
        out.append(write_text(folder / f"{name}.csv",
                              "\ufeff" + sheet_csv(sheets[0], header_words, total_label)))
    if "xlsx" in formats:
        out.append(write_atomic(folder / f"{name}.xlsx",
                                lambda p: save_workbook(sheets, p, header_words, total_label)))
    return out


def text_width(value) -> int:
    """Printed width of a cell in Excel's character units: a CJK character counts double."""
    return _width(f"{value:.2f}" if isinstance(value, float) else str(value))


@functools.lru_cache(maxsize=1 << 16)  # a roster repeats its names, days and groups
def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    # UTF-8 spends 3 bytes on a CJK character, 1 on ASCII: (bytes - chars) / 2 + chars
    return len(text) + (len(text.encode()) - len(text)) // 2


# What A4 holds at 100 % with the margins below: Excel width units across, 15-point rows down
PORTRAIT_UNITS, LANDSCAPE_UNITS = 95, 138
PORTRAIT_ROWS, LANDSCAPE_ROWS = 46, 31
MARGIN_SIDE, MARGIN_TOP = 0.4, 0.6  # inches
# Nothing prints under 9 points: the body is 11-point Calibri, so no page is scaled below
# 83 %. A table wider than the page wraps its widest columns until it fits at full size
# (each kept at least WRAP_MIN units wide); one still too wide is fitted to the page width
# down to 83 %, and below that prints at 83 % over more than one page across.
MIN_PERCENT = 83
WRAP_MIN = 12


def table_widths(rows: list[dict], columns: list[str],
                 headers: list[str] | None = None) -> list[float]:
    """Each column's width in Excel units: its widest text (header included; a CJK
    character counts double) plus 2, between 6 and 60."""
    headers = headers or columns
    sample = rows if len(rows) <= 3000 else rows[:3000]
    return [min(max(max([text_width(headers[i])] +
                        [text_width(_cell(r.get(c, ""))) for r in sample]) + 2, 6), 60)
            for i, c in enumerate(columns)]


def fits_portrait(rows: list[dict], columns: list[str],
                  headers: list[str] | None = None) -> bool:
    """Whether the table prints across an A4 portrait page at full size."""
    return sum(table_widths(rows, columns, headers)) <= PORTRAIT_UNITS


def _wrap_to_fit(widths: list[float], units: float) -> list[int]:
    """Narrow the widest columns (in place) until the table fits ``units`` at full size,
    none below ``WRAP_MIN``; the columns narrowed, which then wrap their text."""
    if sum(widths) <= units:
        return []
    cap = max(widths)
    while cap > WRAP_MIN and sum(min(w, cap) for w in widths) > units:
        cap -= 1
    wrapped = [i for i, w in enumerate(widths) if w > cap]
    for i in wrapped:
        widths[i] = cap
    return wrapped


def _blocks(rows: list[dict], key: str | None, columns: list[str],
            heights: list[int] | None = None) -> list[int]:
    """Lines of the runs of equal ``key`` values (a group's roster, a day of a grid); a
    row counts ``heights[i]`` lines (1 each unless given)."""
    if not key or key not in columns or not rows:
        return []
    heights = heights or [1] * len(rows)
    out = [heights[0]]
    for i, (prev, cur) in enumerate(zip(rows, rows[1:]), start=1):
        if cur.get(key) == prev.get(key):
            out[-1] += heights[i]
        else:
            out.append(heights[i])
    return out


@dataclass
class Layout:
    """How one table prints: cell values, widths, A4 orientation, scale, page breaks."""

    title: str
    header: list
    body: list[list]
    bold_last: bool
    widths: list[float]
    landscape: bool
    scale: int | None  # None: fit to the page width
    breaks: list[int]  # sheet rows after which a page ends
    head_text: str
    foot_text: str
    pages_tall: int = 0  # with the page width fitted: 0 as many pages as it takes, 1 one page
    wrap: list[int] = field(default_factory=list)  # columns whose text wraps in the cell


def sheet_layout(title: str, rows: list[dict], columns: list[str], totals: list[str],
                 headers: list[str] | None = None, total_label: str = "total",
                 layout: dict | None = None) -> Layout:
    """Header (bold, frozen, repeated on every printed page), rows, a bold totals row,
    widths from the content (a CJK character counts double), A4 (landscape when wide) fit to
    the page width, a page break where ``layout["break_on"]`` changes (``pack``: only where
    the next block would not fit), the title and page numbers in header and footer."""
    layout = layout or {}
    headers = headers or columns
    body = [[_cell(r.get(c, "")) for c in columns]
            for r in with_totals(rows, columns, totals, total_label)]
    widths = []
    sample = body if len(body) <= 3000 else body[:3000]
    for i in range(len(columns)):
        width = max([text_width(headers[i])] + [text_width(r[i]) for r in sample])
        widths.append(min(max(width + 2, 6), 60))
    if layout.get("cover"):
        widths[-1] = max(widths[-1], 40)
    landscape = sum(widths) > PORTRAIT_UNITS
    units, lines = (LANDSCAPE_UNITS, LANDSCAPE_ROWS) if landscape else (PORTRAIT_UNITS,
                                                                         PORTRAIT_ROWS)
    wrap = _wrap_to_fit(widths, units)  # wider than the page: wrap the widest columns
    heights = [max([1] + [-(-text_width(r[i]) // max(widths[i] - 2, 1)) for i in wrap])
               for r in body[:len(rows)]] if wrap else None
    fit = min(1.0, units / sum(widths))  # what fitting to the page width will do
    least = MIN_PERCENT / 100
    wide = fit < least  # too wide even wrapped: 83 %, over pages across
    scale = max(fit, least)
    blocks = _blocks(rows, layout.get("break_on"), columns, heights)
    if blocks and max(blocks) + 1 > lines / scale:
        # a group (or day) should fit one page: shrink until the longest does, but never
        # below 9 points (a longer one runs on to the next page)
        scale = max(least, (lines - 1) / (max(blocks) + 1))
    # Each block (a group's roster, a day of the grid) on one page: with ``pack``, break
    # only before a block that would not fit in what is left of the page (small days share
    # a page); without it, every block starts a page (a roster to hand to each group).
    per_page = int(lines / scale) - 1  # the repeated header takes a line
    pack = layout.get("pack", False)
    breaks, used, row = [], 0, 2
    runs = _blocks(rows, layout.get("break_on"), columns)  # rows of each block
    for n, run in zip(blocks, runs):
        if used and (not pack or used + n > per_page):
            breaks.append(row - 1)  # after the previous block
            used = 0
        used += n
        row += run
    percent = None
    if wide or scale < fit - 1e-9:
        percent = max(MIN_PERCENT, int(scale * 100))
    return Layout(title=title, header=[neutralise(h) for h in headers], body=body,
                  bold_last=bool(totals and rows), widths=widths, landscape=landscape,
                  scale=percent, breaks=breaks,
                  head_text=f"{layout.get('title') or title} {title}",
                  foot_text=layout.get("page", "&P / &N"),
                  pages_tall=1 if layout.get("one_page") else 0, wrap=wrap)


def fill_sheet(ws, rows: list[dict], columns: list[str], totals: list[str],
               headers: list[str] | None = None, total_label: str = "total",
               layout: dict | None = None) -> None:
    """``sheet_layout`` applied to an openpyxl worksheet."""
    lay = sheet_layout(ws.title, rows, columns, totals, headers, total_label, layout)
    ws.append(lay.header)
    for r in lay.body:
        ws.append(r)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    if lay.bold_last:
        for cell in ws[ws.max_row]:
            cell.font = bold
    if (layout or {}).get("cover"):
        for row in ws.iter_rows(min_row=2):
            row[0].font = bold
    ws.freeze_panes = "A2"
    for i, width in enumerate(lay.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for i in lay.wrap:
        for row in ws.iter_rows(min_col=i + 1, max_col=i + 1):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if lay.landscape else "portrait"
    if lay.scale is not None:
        ws.page_setup.scale = lay.scale
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    else:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = lay.pages_tall
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    for row in lay.breaks:
        ws.row_breaks.append(Break(id=row))
    ws.print_options.horizontalCentered = True
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_TOP
    if len(lay.body) > 1:
        ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = lay.head_text.replace("&", "&&")
    ws.oddFooter.center.text = lay.foot_text


def workbook(sheets: list[Sheet], header_words: dict[str, str] | None = None,
             total_label: str = "total") -> Workbook:
    """One sheet per table; ``header_words`` translates column names for the header row
    and gives the page-number footer. A sheet may carry a fifth item, its layout
    (``break_on``: a page per value of that column, ``pack`` to let small ones share a
    page; ``title``; ``cover``; ``one_page``)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, columns, totals, headers, layout in _sheets_to_lay_out(sheets,
                                                                            header_words):
        fill_sheet(wb.create_sheet(title), rows, columns, totals, headers, total_label,
                   layout)
    return wb


def save_workbook(sheets: list[Sheet], path: Path, header_words: dict[str, str] | None = None,
                  total_label: str = "total") -> None:
    """What ``workbook(...).save(path)`` writes, written by XlsxWriter (``xlsx.py``): the
    same cells, widths and print settings in a fraction of openpyxl's time."""
    from afterschool.scheduler.handouts.xlsx import save_xlsx
    layouts, covers = [], []
    for name, rows, columns, totals, headers, layout in _sheets_to_lay_out(sheets,
                                                                           header_words):
        layouts.append(sheet_layout(name, rows, columns, totals, headers, total_label,
                                    layout))
        covers.append(bool(layout.get("cover")))
    save_xlsx(path, layouts, covers, MARGIN_SIDE, MARGIN_TOP)
