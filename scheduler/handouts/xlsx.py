"""The hand-outs' tables (``sheets.Layout``) as .xlsx, written by XlsxWriter.

XlsxWriter writes the same cells, widths and print settings as ``sheets.fill_sheet`` gives
an openpyxl worksheet (and the same default row height, 15 points, which the page
arithmetic of ``sheets`` assumes). Through its own ``write_*`` calls that costs about 4.5 µs
a cell against openpyxl's 19 (0.55 s against 2.3 s CPU for the 120,000 cells of
``bench/handouts.py``'s workbook and notices); with the bulk rows below, 2.4 µs (0.29 s).

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

What a cell costs is XlsxWriter's per-cell Python, twice: ``write_string`` (argument
conversion, a bounds check, the shared-string index, a tuple) and then, on closing, one
``<c>`` element written by a chain of small calls. The sheets here (``_Sheet``, a subclass
given to ``add_worksheet``) keep XlsxWriter's cell table, shared strings and every other
part of the file, and do both in bulk: ``put_row`` stores a row's ordinary cells (text that
needs no work-around, finite numbers, formatted blanks) as ``write_string``,
``write_number`` and ``write_blank`` store them, anything else through those calls;
``_write_rows`` writes the ``<row>``/``<c>`` XML of such cells in one pass and hands any
other cell, or a sheet with row settings or comments, to XlsxWriter's own code. This leans
on XlsxWriter's internals (its cell tuples, shared-string table and ``_write_rows``), so
the file is checked to be byte for byte what XlsxWriter's own calls write
(``save_xlsx(..., plain=True)``) in ``tests/test_xlsx.py`` (every odd cell) and
``tests/test_publish.py`` (a planned school's workbook): an XlsxWriter that changes them
shows there; one without the cell records (``BULK`` false) writes every sheet plainly.
"""
from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

try:  # XlsxWriter's cell records: an XlsxWriter without them writes every cell its own way
    from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple
    BULK = True
except ImportError:  # pragma: no cover - depends on the installed XlsxWriter
    BULK = False

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


class _Sheet(Worksheet):
    """XlsxWriter's worksheet with a row's ordinary cells stored in bulk (``put_row``) and
    the sheet's rows written in one pass (``_write_rows``): the same table, the same XML."""

    def put_row(self, row: int, values: list, fmt, start: int = 0) -> None:
        """What ``_write_row(self, row, values, fmt, start)`` stores, without a call per
        cell for text that needs no work-around, finite numbers and formatted blanks."""
        if self.constant_memory or row >= self.xls_rowmax or len(values) > self.xls_colmax:
            _write_row(self, row, values, fmt, start)  # streamed, or refused: XlsxWriter's
            return
        cells = self.table[row]
        strings = self.str_table  # what _get_shared_string_index does, inline
        known = strings.string_table
        used = 0
        longest = self.xls_strmax // 2  # longer text: XlsxWriter checks its UTF-16 length
        new = tuple.__new__  # the namedtuple without its Python-level __new__
        lo = hi = None
        for col in range(start, len(values)):
            v = values[col]
            kind = type(v)
            if kind is str:
                if not v:
                    if not fmt:
                        continue  # an empty cell is left out
                    cells[col] = new(CellBlankTuple, (fmt,))
                elif v.isprintable() and not v.startswith("<r>") and len(v) <= longest:
                    i = known.get(v)
                    if i is None:
                        i = known[v] = strings.unique_count
                        strings.unique_count += 1
                    used += 1
                    cells[col] = new(CellStringTuple, (i, fmt))
                else:
                    _write_row(self, row, values[:col + 1], fmt, col)
                    continue
            elif (kind is int or kind is float) and math.isfinite(v):
                cells[col] = new(CellNumberTuple, (v, fmt))
            elif v is None:
                if not fmt:
                    continue
                cells[col] = new(CellBlankTuple, (fmt,))
            else:
                _write_row(self, row, values[:col + 1], fmt, col)
                continue
            if lo is None:
                lo = col
            hi = col
        strings.count += used
        if lo is not None:  # what _check_dimensions records for each cell
            self._check_dimensions(row, lo)
            self._check_dimensions(row, hi)

    def _write_rows(self) -> None:
        """``Worksheet._write_rows`` for a sheet without row settings or comments: each row
        with cells as ``<row r spans>``, its cells in column order, string, number and blank
        cells written here, any other cell by ``_write_cell``."""
        if (self.row_info or self.comments or self.excel_version != 2007
                or self.default_row_height != self.original_row_height
                or any(c.column_format is not None for c in self.col_info.values())):
            super()._write_rows()
            return
        rows = sorted(r for r, cells in self.table.items() if cells)
        spans: dict[int, tuple[int, int]] = {}  # a span for each block of 16 rows
        for r in rows:
            cells = self.table[r]
            lo, hi = min(cells), max(cells)
            old = spans.get(r // 16)
            spans[r // 16] = (lo, hi) if old is None else (min(lo, old[0]), max(hi, old[1]))
        self.row_spans = {k: f"{lo + 1}:{hi + 1}" for k, (lo, hi) in spans.items()}
        names: dict[int, str] = {}
        styles: dict = {None: ""}
        out: list[str] = []
        write = self.fh.write
        for r in rows:
            n = r + 1
            out.append(f'<row r="{n}" spans="{self.row_spans[r // 16]}">')
            cells = self.table[r]
            for col in sorted(cells):
                cell = cells[col]
                ref = names.get(col) or names.setdefault(col, xl_col_to_name(col))
                fmt = cell.format
                s = styles.get(fmt)
                if s is None:
                    s = styles[fmt] = f' s="{fmt._get_xf_index()}"'
                kind = type(cell)
                if kind is CellStringTuple:
                    out.append(f'<c r="{ref}{n}"{s} t="s"><v>{cell.string}</v></c>')
                elif kind is CellNumberTuple:
                    out.append(f'<c r="{ref}{n}"{s}><v>{cell.number:.16G}</v></c>')
                elif kind is CellBlankTuple:
                    out.append(f'<c r="{ref}{n}"{s}/>')
                else:
                    write("".join(out))
                    out.clear()
                    self._write_cell(r, col, cell)
            out.append("</row>")
        write("".join(out))


def save_xlsx(path: Path, layouts: list, covers: list[bool] | None = None,
              side: float = 0.4, top: float = 0.6, plain: bool = False) -> None:
    """Write ``layouts`` (``sheets.Layout``, titles already unique and valid) as ``path``;
    ``plain``: every cell through XlsxWriter's own calls (the reference for ``_Sheet``, and
    the way when this XlsxWriter lacks the records ``_Sheet`` stores)."""
    plain = plain or not BULK
    covers = covers or [False] * len(layouts)
    # in_memory: the parts are assembled in memory, not in temporary files (15 % faster
    # here); constant_memory (rows streamed as inline strings) measured 25 % slower
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True,
                                         "strings_to_formulas": False,
                                         "strings_to_numbers": False,
                                         "strings_to_urls": False,
                                         "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bold_wrap = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for lay, cover in zip(layouts, covers):
        ws = wb.add_worksheet(lay.title, None if plain else _Sheet)
        put = (lambda *a, ws=ws: _write_row(ws, *a)) if plain else ws.put_row
        put(0, lay.header, bold)
        for i in lay.wrap:  # a narrowed column's header wraps too
            _write_row(ws, 0, lay.header[:i + 1], bold_wrap, i)
        last = len(lay.body)
        for n, values in enumerate(lay.body, start=1):
            if lay.bold_last and n == last:
                put(n, values, bold)
            elif cover and values:  # the cover's item names in bold
                put(n, values[:1], bold)
                put(n, values, None, 1)
            else:
                put(n, values, None)
        ws.freeze_panes(1, 0)
        for i, width in enumerate(lay.widths):
            # the stored width is exactly ``width``, as openpyxl stores it; a narrowed
            # column wraps its text (the column's format, which its cells take)
            ws.set_column_pixels(i, i, round(width * PIXELS_PER_UNIT),
                                 wrap if i in lay.wrap else None)
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
