"""The hand-outs' tables (``sheets.Layout``) as .xlsx, written by XlsxWriter.

XlsxWriter writes the same cells, widths and print settings as ``sheets.fill_sheet`` gives
an openpyxl worksheet (and the same default row height, 15 points, which the page
arithmetic of ``sheets`` assumes), at about 4.5 µs a cell (layout included) against
openpyxl's 19: 0.55 s against 2.3 s CPU for the 120,000 cells of ``bench/handouts.py``'s
workbook and notices.

Every cell is written by type, never by guessing: text with ``write_string`` (the workbook
turns off XlsxWriter's ``strings_to_formulas``/``_numbers``/``_urls``), numbers with
``write_number``, so nothing becomes a formula. Two XlsxWriter behaviours are worked
around here (printable text that does not begin with ``<r>``, nearly every cell, needs
neither and goes straight to ``write_string``):

- a text that begins with ``<r>`` and ends with ``</r>`` is taken by XlsxWriter for
  pre-built rich-text XML and copied into the file unescaped (hostile text could add cells,
  formulas included); such a text is written with ``write_rich_string`` as three plain
  fragments, which XlsxWriter escapes, and reads back as the same text;
- ``set_header`` drops a header longer than 255 UTF-16 units or containing ``&G`` (its
  picture code) with a warning: the page title is cut to fit, and ``&G`` in it is written
  ``＆G``.
"""
from __future__ import annotations

import numbers
import re
from decimal import Decimal
from pathlib import Path

import xlsxwriter

_NONCHAR = re.compile("[\ufffe\uffff]")  # XLSX cannot hold them (controls: safe.neutralise)
HEADER_MAX = 255  # UTF-16 units, Excel's limit for a header or footer
PIXELS_PER_UNIT = 7  # Calibri 11: a width unit is 7 pixels, as XlsxWriter counts


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def page_header(text: str) -> str:
    """``text`` centred as an Excel page header: ``&`` doubled (a literal ampersand), cut to
    Excel's 255 units, and never holding ``&G`` (XlsxWriter would drop the header)."""
    text = text.replace("&G", "\uff06G")
    while _utf16("&C" + text.replace("&", "&&")) > HEADER_MAX:
        text = text[:-1]
    return "&C" + text.replace("&", "&&")


def _write_text(ws, row: int, col: int, text: str, fmt) -> None:
    if "\ufffe" in text or "\uffff" in text:
        text = _NONCHAR.sub("", text)
    if text.startswith("<r>") and text.endswith("</r>"):
        parts = [text[:1], text[1:2], text[2:]]  # plain fragments, escaped by XlsxWriter
        tokens = [t for p in parts for t in ((fmt, p) if fmt else (p,))]
        ws.write_rich_string(row, col, *tokens, *((fmt,) if fmt else ()))
    else:
        ws.write_string(row, col, text, fmt)


def _write_row(ws, row: int, values: list, fmt, start: int = 0) -> None:
    """``values[start:]`` into ``row`` from column ``start``, every cell in ``fmt`` (None:
    plain); an empty cell is left out unless it carries a format."""
    write_string = ws.write_string
    for col in range(start, len(values)):
        v = values[col]
        if type(v) is str:
            if not v:
                if fmt:
                    ws.write_blank(row, col, None, fmt)  # bold like the rest of its row
            elif v.isprintable() and not v.startswith("<r>"):
                write_string(row, col, v, fmt)  # the common case: nothing to work around
            else:
                _write_text(ws, row, col, v, fmt)
        elif v is None:
            if fmt:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(v, bool):
            ws.write_boolean(row, col, v, fmt)
        elif isinstance(v, (numbers.Real, Decimal)):
            ws.write_number(row, col, v, fmt)
        else:
            _write_text(ws, row, col, str(v), fmt)


def save_xlsx(path: Path, layouts: list, covers: list[bool] | None = None,
              side: float = 0.4, top: float = 0.6) -> None:
    """Write ``layouts`` (``sheets.Layout``, titles already unique and valid) as ``path``."""
    covers = covers or [False] * len(layouts)
    # in_memory: the parts are assembled in memory, not in temporary files (15 % faster
    # here); constant_memory (rows streamed as inline strings) measured 25 % slower
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True,
                                         "strings_to_formulas": False,
                                         "strings_to_numbers": False,
                                         "strings_to_urls": False,
                                         "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    for lay, cover in zip(layouts, covers):
        ws = wb.add_worksheet(lay.title)
        _write_row(ws, 0, lay.header, bold)
        last = len(lay.body)
        for n, values in enumerate(lay.body, start=1):
            if lay.bold_last and n == last:
                _write_row(ws, n, values, bold)
            elif cover and values:  # the cover's item names in bold
                _write_row(ws, n, values[:1], bold)
                _write_row(ws, n, values, None, start=1)
            else:
                _write_row(ws, n, values, None)
        ws.freeze_panes(1, 0)
        for i, width in enumerate(lay.widths):
            # the stored width is exactly ``width``, as openpyxl stores it
            ws.set_column_pixels(i, i, round(width * PIXELS_PER_UNIT))
        ws.set_paper(9)  # A4
        if lay.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        if lay.scale:
            ws.set_print_scale(lay.scale)
        else:
            ws.fit_to_pages(1, lay.pages_tall)  # the page width; pages down: 0 = as needed
        if lay.breaks:
            ws.set_h_pagebreaks(lay.breaks)
        ws.center_horizontally()
        ws.hide_gridlines(0)  # gridlines on screen and on paper
        ws.set_margins(left=side, right=side, top=top, bottom=top)
        if len(lay.body) > 1:
            ws.repeat_rows(0)
        ws.set_header(page_header(lay.head_text), margin=0.3)
        ws.set_footer("&C" + lay.foot_text, margin=0.3)
    wb.close()
