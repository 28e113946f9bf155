"""Tables to CSV and Excel, with a totals row, written atomically.

``write_tables(folder, name, sheets)`` writes ``name.csv`` (the first sheet; UTF-8 with BOM,
which Excel opens with Chinese intact) and ``name.xlsx`` (every sheet: frozen header, column
widths, a bold totals row, landscape fit to width for printing).
A sheet is (title, rows, columns, totals): ``totals`` names the columns summed in the last
row; money columns are strings with two decimals and are summed exactly as ``Decimal``.
Every text cell, headers included, passes ``safe.neutralise`` on its way into a CSV or XLSX
file (no formula reaches a spreadsheet); sheet titles pass ``safe.sheet_title``.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from afterschool.scheduler.handouts.output import write_atomic, write_text
from afterschool.scheduler.handouts.safe import neutralise, sheet_title

Sheet = tuple[str, list[dict], list[str], list[str]]


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
        try:
            if value.count(".") == 1 and len(value.split(".")[1]) == 2:
                return float(Decimal(value))  # money shows as a number in Excel
        except ArithmeticError:
            pass
    if isinstance(value, (dict, list, tuple)):
        return neutralise(" ".join(f"{k}:{v}" for k, v in value.items())
                          if isinstance(value, dict) else " ".join(map(str, value)))
    return neutralise(value)


def csv_text(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(c) for c in columns])
    for r in rows:
        w.writerow([_cell(r.get(c, "")) if isinstance(r.get(c), (dict, list)) else
                    neutralise(r.get(c, "")) for c in columns])
    return buf.getvalue()


def write_tables(folder: Path, name: str, sheets: list[Sheet],
                 formats: tuple[str, ...] = ("csv", "xlsx")) -> list[Path]:
    """Write ``name.csv`` (first sheet) and/or ``name.xlsx`` (all sheets) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    if "csv" in formats:
        title, rows, columns, totals = sheets[0]
        out.append(write_text(folder / f"{name}.csv",
                              "\ufeff" + csv_text(with_totals(rows, columns, totals), columns)))
    if "xlsx" in formats:
        wb = workbook(sheets)
        out.append(write_atomic(folder / f"{name}.xlsx", lambda p: wb.save(p)))
    return out


def fill_sheet(ws, rows: list[dict], columns: list[str], totals: list[str],
               headers: list[str] | None = None, total_label: str = "total") -> None:
    """Header (bold, frozen), rows, a bold totals row, widths, landscape fit to width."""
    ws.append([neutralise(h) for h in headers or columns])
    for r in with_totals(rows, columns, totals, total_label):
        ws.append([_cell(r.get(c, "")) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    if totals and rows:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, col in enumerate(columns, start=1):
        width = max([len(str((headers or columns)[i - 1])) * 2] +
                    [len(str(r.get(col, ""))) for r in rows[:200]])
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(max(width + 2, 8), 60)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def workbook(sheets: list[Sheet], header_words: dict[str, str] | None = None,
             total_label: str = "total") -> Workbook:
    """One sheet per table; ``header_words`` translates column names for the header row."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for title, rows, columns, totals in sheets:
        headers = [header_words.get(c, c) for c in columns] if header_words else None
        fill_sheet(wb.create_sheet(sheet_title(title, taken)), rows, columns, totals, headers,
                   total_label)
    return wb
