"""The Document as a 16:9 PowerPoint deck (python-pptx) with CSDesk's clean theme.

Layout is computed here, not left to PowerPoint's autofit (which LibreOffice
ignores): every block's height is estimated from its text, font size and box
width, and a section that does not fit continues on a new slide ("(cont.)"),
lists and tables split between items / rows, table headers repeated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from csdesk.documents.model import (
    FONT,
    PALETTE,
    BulletList,
    Document,
    Heading,
    Image,
    KpiRow,
    Paragraph,
    Section,
    Table,
    column_widths,
    plain,
    spans,
)
from csdesk.i18n import tr

BRAND = RGBColor.from_string(PALETTE["brand"])
BRAND_LIGHT = RGBColor.from_string(PALETTE["brand_light"])
ACCENT = RGBColor(0xF2, 0xA5, 0x41)
INK = RGBColor.from_string(PALETTE["ink"])
GREY = RGBColor.from_string(PALETTE["grey"])
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
ROW_ALT = RGBColor(0xF5, 0xF7, 0xF8)

SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.6
TITLE_BAR = 1.05
TOP = TITLE_BAR + 0.3
BOTTOM = SLIDE_H - 0.55
CONTENT_W = SLIDE_W - 2 * MARGIN
GAP = 0.14
CHAR_EM = 0.52  # mean glyph width of Arial in ems; a little generous on purpose


def _lines(text: str, size_pt: float, width_in: float) -> int:
    per_line = max(8, int(width_in * 72 / (size_pt * CHAR_EM)))
    total = 0
    for part in plain(text).split("\n"):
        words, line, count = part.split(), 0, 1
        for word in words:
            need = len(word) + (1 if line else 0)
            if line + need > per_line and line:
                count += 1 + (len(word) - 1) // per_line
                line = len(word) % per_line
            else:
                line += need
        total += count
    return total


def _text_height(text: str, size_pt: float, width_in: float, spacing: float = 1.2) -> float:
    return _lines(text, size_pt, width_in) * size_pt * spacing / 72 + 0.12


# Pieces: what a section becomes before it is packed into slides ----------------


@dataclass
class _Piece:
    kind: str  # para | quote | heading | bullet | table | kpis | image
    height: float
    data: object
    level: int = 0
    ordered_index: int = 0


BULLET_SIZES = (18, 16, 14)
TABLE_SIZE = 13
PARA_SIZE = 17


def _table_widths(table: Table, width: float, size: float = TABLE_SIZE) -> list[float]:
    return column_widths(table, width, size * 0.6 / 72, 0.3)


def _row_height(cells: list[str], widths: list[float], size: float = TABLE_SIZE) -> float:
    return max(_lines(c, size, w - 0.2) for c, w in zip(cells, widths, strict=True)) * size * 1.2 / 72 + 0.16


def _pieces(blocks: list, width: float) -> list[_Piece]:
    out: list[_Piece] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            size = 19 if block.quote else PARA_SIZE
            w = width - (0.35 if block.quote else 0)
            out.append(
                _Piece("quote" if block.quote else "para", _text_height(block.text, size, w, 1.25), block)
            )
        elif isinstance(block, Heading):
            out.append(_Piece("heading", _text_height(block.text, 19, width) + 0.04, block))
        elif isinstance(block, BulletList):
            n = 0
            for level, text in block.items:
                n = n + 1 if level == 0 else n
                size = BULLET_SIZES[level]
                w = width - 0.4 - 0.4 * level
                out.append(
                    _Piece(
                        "bullet", _text_height(text, size, w, 1.18) - 0.04, (text, block.ordered), level, n
                    )
                )
        elif isinstance(block, Table):
            # Short tables read better a little larger; long ones stay compact to fit more rows.
            size = 15 if len(block.rows) <= 8 else TABLE_SIZE
            widths = _table_widths(block, width, size)
            header = _row_height(block.header, widths, size)
            out.append(_Piece("table_head", header, (block, widths, size)))
            for row in block.rows:
                out.append(_Piece("table_row", _row_height(row, widths, size), (block, widths, row)))
        elif isinstance(block, KpiRow):
            per_row = 4 if len(block.items) != 5 else 5
            for i in range(0, len(block.items), per_row):
                out.append(_Piece("kpis", 1.5, block.items[i : i + per_row]))
        elif isinstance(block, Image):
            out.append(_Piece("image", 0, block))
    return out


# Drawing helpers ---------------------------------------------------------------------------


def _font(run, size: float, *, bold: bool = False, colour: RGBColor = INK, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.color.rgb = colour


def _textbox(slide, x: float, y: float, w: float, h: float, *, anchor=MSO_ANCHOR.TOP, margin: float = 0.0):
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = None
    frame.vertical_anchor = anchor
    for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(frame, side, Inches(margin))
    return frame


def _write(
    paragraph, text: str, size: float, colour: RGBColor = INK, *, bold: bool = False, italic: bool = False
) -> None:
    for chunk, strong in spans(text):
        run = paragraph.add_run()
        run.text = chunk
        _font(run, size, bold=bold or strong, colour=colour, italic=italic)


def _rect(slide, x: float, y: float, w: float, h: float, fill: RGBColor, shape=MSO_SHAPE.RECTANGLE):
    rect = slide.shapes.add_shape(shape, Inches(x), Inches(y), Inches(w), Inches(h))
    rect.fill.solid()
    rect.fill.fore_color.rgb = fill
    rect.line.fill.background()
    rect.shadow.inherit = False
    return rect


class _Deck:
    def __init__(self, doc: Document):
        self.doc = doc
        self.prs = Presentation()
        self.prs.slide_width = Inches(SLIDE_W)
        self.prs.slide_height = Inches(SLIDE_H)
        self.blank = self.prs.slide_layouts[6]
        self.number = 0

    def title_slide(self) -> None:
        slide = self.prs.slides.add_slide(self.blank)
        self.number += 1
        _rect(slide, 0, 0, SLIDE_W, SLIDE_H, BRAND)
        _rect(slide, MARGIN, 4.15, 1.6, 0.08, ACCENT)
        frame = _textbox(slide, MARGIN, 1.6, SLIDE_W - 2 * MARGIN, 2.4, anchor=MSO_ANCHOR.BOTTOM)
        size = 44 if len(self.doc.title) <= 40 else 34
        _write(frame.paragraphs[0], self.doc.title, size, WHITE, bold=True)
        if self.doc.subtitle:
            frame = _textbox(slide, MARGIN, 4.45, SLIDE_W - 2 * MARGIN, 2.3)
            for i, line in enumerate(self.doc.subtitle[:5]):
                p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                p.space_after = Pt(6)
                _write(p, line, 20 if i == 0 else 16, WHITE if i == 0 else BRAND_LIGHT)

    def content_slide(self, title: str):
        slide = self.prs.slides.add_slide(self.blank)
        self.number += 1
        _rect(slide, 0, 0, SLIDE_W, TITLE_BAR, BRAND)
        _rect(slide, 0, TITLE_BAR, SLIDE_W, 0.05, ACCENT)
        frame = _textbox(
            slide, MARGIN, 0.1, SLIDE_W - 2 * MARGIN - 1.0, TITLE_BAR - 0.2, anchor=MSO_ANCHOR.MIDDLE
        )
        _write(frame.paragraphs[0], title, 28 if len(title) < 50 else 24, WHITE, bold=True)
        footer = _textbox(slide, MARGIN, SLIDE_H - 0.42, 9.0, 0.3, anchor=MSO_ANCHOR.MIDDLE)
        _write(footer.paragraphs[0], self.doc.title, 10, GREY)
        num = _textbox(slide, SLIDE_W - MARGIN - 1.0, SLIDE_H - 0.42, 1.0, 0.3, anchor=MSO_ANCHOR.MIDDLE)
        num.paragraphs[0].alignment = PP_ALIGN.RIGHT
        _write(num.paragraphs[0], str(self.number), 10, GREY)
        return slide

    # Pieces ----------------------------------------------------------------------------

    def draw(self, slide, piece: _Piece, x: float, y: float, width: float) -> None:
        kind = piece.kind
        if kind in ("para", "heading"):
            frame = _textbox(slide, x, y, width, piece.height)
            if kind == "heading":
                _write(frame.paragraphs[0], piece.data.text, 19, BRAND, bold=True)
            else:
                frame.paragraphs[0].line_spacing = 1.1
                _write(frame.paragraphs[0], piece.data.text, PARA_SIZE)
        elif kind == "quote":
            _rect(slide, x, y + 0.05, 0.07, piece.height - 0.12, ACCENT)
            frame = _textbox(slide, x + 0.3, y, width - 0.35, piece.height)
            frame.paragraphs[0].line_spacing = 1.1
            _write(frame.paragraphs[0], piece.data.text, 19, INK, italic=True)
        elif kind == "bullet":
            text, ordered = piece.data
            indent = 0.4 * piece.level
            size = BULLET_SIZES[piece.level]
            marker = (
                f"{piece.ordered_index}."
                if ordered and piece.level == 0
                else ("•" if piece.level == 0 else "–")
            )
            mark = _textbox(slide, x + indent, y, 0.4, piece.height)
            _write(mark.paragraphs[0], marker, size, BRAND if piece.level == 0 else GREY, bold=ordered)
            frame = _textbox(slide, x + indent + 0.4, y, width - indent - 0.4, piece.height)
            frame.paragraphs[0].line_spacing = 1.05
            _write(frame.paragraphs[0], text, size, INK if piece.level == 0 else GREY)
        elif kind == "kpis":
            self._kpis(slide, piece.data, x, y, width)

    def _kpis(self, slide, items, x: float, y: float, width: float) -> None:
        gap = 0.25
        w = (width - gap * (len(items) - 1)) / len(items)
        for i, kpi in enumerate(items):
            left = x + i * (w + gap)
            _rect(slide, left, y, w, 1.4, BRAND_LIGHT, MSO_SHAPE.ROUNDED_RECTANGLE).adjustments[0] = 0.08
            _rect(slide, left, y + 0.2, 0.06, 1.0, BRAND)
            inner = w - 0.4
            # The biggest size at which the value fits on one line.
            value_size = max(14, min(30, int(inner * 72 / (max(1, len(kpi.value)) * 0.62))))
            frame = _textbox(slide, left + 0.25, y + 0.08, inner, 0.62, anchor=MSO_ANCHOR.MIDDLE)
            _write(frame.paragraphs[0], kpi.value, value_size, BRAND, bold=True)
            label_size = 13 if _lines(kpi.label, 13, inner) == 1 else 11
            frame = _textbox(slide, left + 0.25, y + 0.7, inner, 0.62)
            _write(frame.paragraphs[0], kpi.label, label_size, INK, bold=True)
            if kpi.note:
                p = frame.add_paragraph()
                _write(p, kpi.note, 11, GREY)

    def table(self, slide, head: _Piece, rows: list[_Piece], x: float, y: float) -> float:
        table_block, widths, size = head.data
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(widths),
            Inches(x),
            Inches(y),
            Inches(sum(widths)),
            Inches(head.height + sum(r.height for r in rows)),
        )
        table = shape.table
        # The built-in style id draws its own banding; ours is explicit fills.
        table.first_row = True
        table.horz_banding = False
        for i, w in enumerate(widths):
            table.columns[i].width = Inches(w)
        all_rows = [(table_block.header, head.height)] + [(r.data[2], r.height) for r in rows]
        for r, (cells, height) in enumerate(all_rows):
            table.rows[r].height = Inches(height)
            for c, text in enumerate(cells):
                cell = table.cell(r, c)
                cell.fill.solid()
                cell.fill.fore_color.rgb = BRAND if r == 0 else (ROW_ALT if r % 2 == 0 else WHITE)
                cell.margin_left = cell.margin_right = Inches(0.1)
                cell.margin_top = cell.margin_bottom = Inches(0.05)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                frame = cell.text_frame
                frame.word_wrap = True
                _write(frame.paragraphs[0], text, size, WHITE if r == 0 else INK, bold=r == 0)
        return head.height + sum(r.height for r in rows)

    def image(self, slide, image: Image, x: float, y: float, w: float, h: float) -> None:
        if not image.png:
            return
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(image.png)) as pic:
            pw, ph = pic.size
        caption_h = 0.35 if image.caption else 0
        scale = min(w / pw, (h - caption_h) / ph)
        iw, ih = pw * scale, ph * scale
        left = x + (w - iw) / 2
        slide.shapes.add_picture(
            io.BytesIO(image.png), Emu(Inches(left)), Emu(Inches(y)), Emu(Inches(iw)), Emu(Inches(ih))
        )
        if image.caption:
            frame = _textbox(slide, x, y + ih + 0.02, w, 0.32)
            frame.paragraphs[0].alignment = PP_ALIGN.CENTER
            _write(frame.paragraphs[0], image.caption, 12, GREY)

    # Sections --------------------------------------------------------------------------

    def section(self, section: Section) -> None:
        images = [b for b in section.blocks if isinstance(b, Image) and b.png]
        text_blocks = [b for b in section.blocks if not isinstance(b, Image)]
        if len(images) >= 2 and text_blocks:
            # Charts side by side across the top, the text below them.
            slide = self.content_slide(section.title)
            pair = images[:2]
            w = (CONTENT_W - 0.3) / 2
            for j, image in enumerate(pair):
                self.image(slide, image, MARGIN + j * (w + 0.3), TOP - 0.05, w, 3.35)
            self._flow(
                section.title, _pieces(text_blocks, CONTENT_W), MARGIN, CONTENT_W, slide=slide, top=TOP + 3.4
            )
        elif images and text_blocks:
            text_w = CONTENT_W * 0.42
            self._flow(section.title, _pieces(text_blocks, text_w), MARGIN, text_w, side_images=images)
        elif images:
            for i in range(0, len(images), 2):
                pair = images[i : i + 2]
                slide = self.content_slide(section.title if i == 0 else self._cont(section.title))
                w = (CONTENT_W - GAP * 2 * (len(pair) - 1)) / len(pair)
                for j, image in enumerate(pair):
                    self.image(slide, image, MARGIN + j * (w + GAP * 2), TOP + 0.1, w, BOTTOM - TOP - 0.1)
        else:
            self._flow(section.title, _pieces(text_blocks, CONTENT_W), MARGIN, CONTENT_W)

    def _cont(self, title: str) -> str:
        return tr("{title} (cont.)", self.doc.language, title=title)

    def _flow(
        self,
        title: str,
        pieces: list[_Piece],
        x: float,
        width: float,
        side_images=None,
        slide=None,
        top: float = TOP,
    ) -> None:
        slide = slide or self.content_slide(title)
        if side_images:
            img_x = MARGIN + CONTENT_W * 0.46
            img_w = CONTENT_W * 0.54
            avail = BOTTOM - TOP
            h = avail / len(side_images[:2])
            for k, image in enumerate(side_images[:2]):
                self.image(slide, image, img_x, TOP + k * h, img_w, h - 0.1)
        y = top
        i = 0
        first_on_slide = top == TOP
        while i < len(pieces):
            piece = pieces[i]
            if piece.kind == "table_head":
                j = i + 1
                while j < len(pieces) and pieces[j].kind == "table_row":
                    j += 1
                rows_all, k = pieces[i + 1 : j], 0
                while True:
                    used, chunk = piece.height, []
                    while k < len(rows_all) and (
                        y + used + rows_all[k].height <= BOTTOM or (not chunk and first_on_slide)
                    ):
                        used += rows_all[k].height
                        chunk.append(rows_all[k])
                        k += 1
                    if not chunk and k < len(rows_all):
                        slide, y, first_on_slide = self.content_slide(self._cont(title)), TOP, True
                        continue
                    y += self.table(slide, piece, chunk, x, y) + GAP
                    first_on_slide = False
                    if k >= len(rows_all):
                        break
                    slide, y, first_on_slide = self.content_slide(self._cont(title)), TOP, True
                i = j
                continue
            height = piece.height
            if y + height > BOTTOM and not first_on_slide:
                slide, y, first_on_slide = self.content_slide(self._cont(title)), TOP, True
                continue
            # A heading never ends a slide alone.
            if (
                piece.kind == "heading"
                and i + 1 < len(pieces)
                and y + height + pieces[i + 1].height > BOTTOM
                and not first_on_slide
            ):
                slide, y, first_on_slide = self.content_slide(self._cont(title)), TOP, True
                continue
            self.draw(slide, piece, x, y, width)
            y += height + (GAP if piece.kind != "bullet" else 0.06)
            first_on_slide = False
            i += 1

    def build(self) -> Presentation:
        self.title_slide()
        for section in self.doc.sections:
            self.section(section)
        return self.prs


def write_pptx(doc: Document, path: Path) -> Path:
    prs = _Deck(doc).build()
    prs.core_properties.title = plain(doc.title)
    prs.core_properties.author = "CSDesk"
    prs.save(str(path))
    return path
