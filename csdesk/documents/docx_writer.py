"""The Document as a Word file (python-docx): headings, lists, tables, KPI cards, charts."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from csdesk.documents.model import (
    FONT,
    PALETTE,
    BulletList,
    Document,
    Heading,
    Image,
    KpiRow,
    Paragraph,
    Table,
    column_widths,
    plain,
    spans,
)

BRAND = RGBColor.from_string(PALETTE["brand"])
GREY = RGBColor.from_string(PALETTE["grey"])
INK = RGBColor.from_string(PALETTE["ink"])


def _shade(cell, hex_fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_fill)
    props.append(shading)


def _runs(
    paragraph,
    text: str,
    *,
    size: float | None = None,
    colour: RGBColor | None = None,
    bold: bool = False,
    italic: bool = False,
) -> None:
    for chunk, strong in spans(text):
        run = paragraph.add_run(chunk)
        run.bold = bold or strong
        run.italic = italic
        if size:
            run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = colour


# Arial's mean glyph width at the 10 pt of table cells, in cm: what the column
# layout reserves per character so names and e-mail addresses stay whole.
CELL_CHAR_CM = 10 * 0.55 * 2.54 / 72


def _setup(word) -> None:
    normal = word.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.font.color.rgb = INK
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 13)):
        style = word.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = BRAND
    for section in word.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.2)
        section.top_margin = section.bottom_margin = Cm(2.0)


def write_docx(doc: Document, path: Path) -> Path:
    word = WordDocument()
    _setup(word)
    word.core_properties.title = plain(doc.title)
    word.core_properties.author = "CSDesk"
    title = word.add_paragraph(style="Title")
    _runs(title, doc.title)
    for line in doc.subtitle:
        p = word.add_paragraph()
        _runs(p, line, colour=GREY, size=12)
    footer = word.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _runs(footer, plain(doc.title), size=8, colour=GREY)
    text_width = Cm(21.0 - 4.4)
    for section in doc.sections:
        if section.title:
            word.add_heading(plain(section.title), level=1).paragraph_format.keep_with_next = True
        for block in section.blocks:
            if isinstance(block, Paragraph):
                p = word.add_paragraph(style="Intense Quote" if block.quote else None)
                _runs(p, block.text, italic=block.quote)
            elif isinstance(block, Heading):
                word.add_heading(plain(block.text), level=2).paragraph_format.keep_with_next = True
            elif isinstance(block, BulletList):
                for n, (level, text) in enumerate(block.items):
                    base = "List Number" if block.ordered and level == 0 else "List Bullet"
                    style = base if level == 0 else f"{base} {min(level + 1, 3)}"
                    item = word.add_paragraph(style=style)
                    _runs(item, text)
                    # Short lists stay on one page with their heading.
                    item.paragraph_format.keep_with_next = len(block.items) <= 8 and n < len(block.items) - 1
            elif isinstance(block, Table):
                table = word.add_table(rows=1 + len(block.rows), cols=len(block.header))
                table.style = "Table Grid"
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
                table.autofit = False
                widths = column_widths(block, 16.6, CELL_CHAR_CM, 0.4)
                for c, w in enumerate(widths):
                    table.columns[c].width = Cm(w)
                    for cell in table.columns[c].cells:
                        cell.width = Cm(w)
                for c, text in enumerate(block.header):
                    cell = table.cell(0, c)
                    _shade(cell, PALETTE["brand"])
                    _runs(cell.paragraphs[0], text, bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF), size=10)
                for r, row in enumerate(block.rows, start=1):
                    for c, text in enumerate(row):
                        cell = table.cell(r, c)
                        if r % 2 == 0:
                            _shade(cell, "F5F7F8")
                        _runs(cell.paragraphs[0], text, size=10)
                word.add_paragraph()
            elif isinstance(block, KpiRow):
                table = word.add_table(rows=2, cols=len(block.items))
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
                for c, kpi in enumerate(block.items):
                    top, bottom = table.cell(0, c), table.cell(1, c)
                    for cell in (top, bottom):
                        _shade(cell, PALETTE["brand_light"])
                    _runs(top.paragraphs[0], kpi.value, bold=True, size=16, colour=BRAND)
                    _runs(bottom.paragraphs[0], kpi.label, bold=True, size=9)
                    if kpi.note:
                        _runs(bottom.add_paragraph(), kpi.note, size=8, colour=GREY)
                word.add_paragraph()
            elif isinstance(block, Image) and block.png:
                word.add_picture(io.BytesIO(block.png), width=min(text_width, Cm(15)))
                word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                if block.caption:
                    p = word.add_paragraph()
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    _runs(p, block.caption, size=9, colour=GREY, italic=True)
    word.save(str(path))
    return path
