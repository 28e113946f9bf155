"""A small, fast .xlsx writer for the hand-outs' tables (``sheets.Layout``).

openpyxl builds a Python object per cell and spent ~10 µs on each: two seconds for the
100,000 cells of a 4,000-pupil school's workbook and notices. The hand-outs need only text
and numbers, a bold header and totals row, a frozen header, column widths and the print
settings, so this writer emits that SpreadsheetML directly (inline strings, one shared
style sheet). Files open in Excel, LibreOffice and WPS, and read back with openpyxl.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>")
SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
              'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>")


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _text(value) -> str:
    text = _ILLEGAL.sub("", str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<t{space}>{escape(text)}</t>"


def _row(n: int, values: list, letters: list[str], bold: bool, first_bold: bool = False) -> str:
    cells = []
    for k, (letter, v) in enumerate(zip(letters, values)):
        if v is None or v == "":
            continue
        style = ' s="1"' if bold or (first_bold and k == 0) else ""
        ref = f"{letter}{n}"
        if isinstance(v, bool):
            cells.append(f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, (int, float)):
            cells.append(f'<c r="{ref}"{style}><v>{v!r}</v></c>')
        else:
            cells.append(f'<c r="{ref}"{style} t="inlineStr"><is>{_text(v)}</is></c>')
    return f'<row r="{n}">{"".join(cells)}</row>'


def _sheet(lay, cover: bool, side: float, top: float) -> str:
    letters = [_col(i) for i in range(len(lay.header))]
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
           f'<sheetPr><pageSetUpPr fitToPage="{0 if lay.scale else 1}"/></sheetPr>',
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
           'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
           'activeCell="A2" sqref="A2"/></sheetView></sheetViews><cols>']
    out += [f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(lay.widths, start=1)]
    out.append("</cols><sheetData>")
    out.append(_row(1, lay.header, letters, True))
    last = len(lay.body) + 1
    for n, values in enumerate(lay.body, start=2):
        out.append(_row(n, values, letters, lay.bold_last and n == last, cover))
    out.append("</sheetData>")
    out.append('<printOptions horizontalCentered="1" gridLines="1"/>'
               f'<pageMargins left="{side}" right="{side}" top="{top}" bottom="{top}" '
               'header="0.3" footer="0.3"/>')
    fit = (f'scale="{lay.scale}"' if lay.scale else 'fitToWidth="1" fitToHeight="0"')
    out.append(f'<pageSetup paperSize="9" {fit} orientation='
               f'"{"landscape" if lay.landscape else "portrait"}"/>')
    out.append(f"<headerFooter><oddHeader>{escape('&C' + lay.head_text.replace('&', '&&'))}"
               f"</oddHeader><oddFooter>{escape('&C' + lay.foot_text)}</oddFooter>"
               "</headerFooter>")
    if lay.breaks:
        out.append(f'<rowBreaks count="{len(lay.breaks)}" manualBreakCount='
                   f'"{len(lay.breaks)}">' + "".join(f'<brk id="{b}" max="16383" man="1"/>'
                                                     for b in lay.breaks) + "</rowBreaks>")
    out.append("</worksheet>")
    return "".join(out)


def save_xlsx(path: Path, layouts: list, covers: list[bool] | None = None,
              side: float = 0.4, top: float = 0.6) -> None:
    """Write ``layouts`` (``sheets.Layout``, titles already unique and valid) as ``path``."""
    covers = covers or [False] * len(layouts)
    sheets = "".join(f'<sheet name={quoteattr(lay.title)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, lay in enumerate(layouts, start=1))
    names = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{escape(quote_sheet(lay.title))}!$1:$1</definedName>"
        for i, lay in enumerate(layouts) if len(lay.body) > 1)
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>"
                + (f"<definedNames>{names}</definedNames>" if names else "")
                + "</workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                      f'officeDocument/2006/relationships/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(layouts) + 1))
            + f'<Relationship Id="rId{len(layouts) + 1}" Type="http://schemas.openxmlformats'
            '.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>")
    types = CONTENT_TYPES.format(sheets="".join(SHEET_TYPE.format(n=i)
                                                for i in range(1, len(layouts) + 1)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/styles.xml", STYLES)
        for i, (lay, cover) in enumerate(zip(layouts, covers), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(lay, cover, side, top))


def quote_sheet(title: str) -> str:
    """A sheet name as a formula reference: always quoted, quotes doubled."""
    return "'" + title.replace("'", "''") + "'"
