"""The Document as an A4 PDF (reportlab platypus), with DejaVu fonts for every accent."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image as PdfImage,
)
from reportlab.platypus import (
    ListFlowable,
    ListItem,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import (
    Paragraph as PdfParagraph,
)
from reportlab.platypus import (
    Table as PdfTable,
)

from csdesk.documents.model import (
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

BRAND = colors.HexColor("#" + PALETTE["brand"])
GREY = colors.HexColor("#" + PALETTE["grey"])
INK = colors.HexColor("#" + PALETTE["ink"])
LIGHT = colors.HexColor("#" + PALETTE["brand_light"])
ALT = colors.HexColor("#F5F7F8")


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib) covers pt-BR and symbols; Helvetica otherwise."""
    try:
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
        from reportlab.pdfbase.pdfmetrics import registerFontFamily

        registerFontFamily(
            "DejaVuSans",
            normal="DejaVuSans",
            bold="DejaVuSans-Bold",
            italic="DejaVuSans",
            boldItalic="DejaVuSans-Bold",
        )
        return "DejaVuSans", "DejaVuSans-Bold"
    except Exception:  # a missing font file is no reason to fail a document
        return "Helvetica", "Helvetica-Bold"


def _markup(text: str) -> str:
    return "".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in spans(text))


def write_pdf(doc: Document, path: Path) -> Path:
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10.5, leading=14.5, textColor=INK, spaceAfter=5)
    styles = {
        "title": ParagraphStyle(
            "title", parent=base, fontName=bold, fontSize=22, leading=27, textColor=BRAND, spaceAfter=8
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, textColor=GREY, fontSize=11),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=bold,
            fontSize=15,
            leading=19,
            textColor=BRAND,
            spaceBefore=12,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12, leading=15, spaceBefore=6),
        "quote": ParagraphStyle(
            "quote",
            parent=base,
            leftIndent=14,
            textColor=BRAND,
            fontSize=11.5,
            leading=16,
            borderPadding=(4, 4, 4, 8),
            backColor=LIGHT,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11.5, spaceAfter=0),
        "head": ParagraphStyle(
            "head", parent=base, fontName=bold, fontSize=9, leading=11.5, spaceAfter=0, textColor=colors.white
        ),
        "kpi": ParagraphStyle(
            "kpi", parent=base, fontName=bold, fontSize=15, leading=18, textColor=BRAND, spaceAfter=0
        ),
        "kpilabel": ParagraphStyle("kpilabel", parent=base, fontSize=8.5, leading=11, spaceAfter=0),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8.5, textColor=GREY, alignment=TA_CENTER),
    }
    width = A4[0] - 4.4 * cm
    story: list = [PdfParagraph(_markup(doc.title), styles["title"])]
    story += [PdfParagraph(_markup(line), styles["subtitle"]) for line in doc.subtitle]
    for section in doc.sections:
        if section.title:
            story.append(PdfParagraph(_markup(section.title), styles["h1"]))
        for block in section.blocks:
            if isinstance(block, Paragraph):
                story.append(PdfParagraph(_markup(block.text), styles["quote"] if block.quote else base))
            elif isinstance(block, Heading):
                story.append(PdfParagraph(_markup(block.text), styles["h2"]))
            elif isinstance(block, BulletList):
                story.append(_list(block, base))
            elif isinstance(block, Table):
                data = [[PdfParagraph(_markup(c), styles["head"]) for c in block.header]]
                data += [[PdfParagraph(_markup(c), styles["cell"]) for c in row] for row in block.rows]
                widths = column_widths(block, width, 9 * 0.7, 16)
                table = PdfTable(data, colWidths=widths, repeatRows=1)
                commands = [
                    ("BACKGROUND", (0, 0), (-1, 0), BRAND),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#D5DBDF")),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
                commands += [("BACKGROUND", (0, r), (-1, r), ALT) for r in range(2, len(data), 2)]
                table.setStyle(TableStyle(commands))
                story += [table, Spacer(1, 8)]
            elif isinstance(block, KpiRow):
                cells = [
                    [PdfParagraph(_markup(k.value), styles["kpi"]) for k in block.items],
                    [
                        PdfParagraph(
                            _markup(k.label + (f" · {k.note}" if k.note else "")), styles["kpilabel"]
                        )
                        for k in block.items
                    ],
                ]
                table = PdfTable(cells, colWidths=[width / len(block.items)] * len(block.items))
                table.setStyle(
                    TableStyle(
                        [
                            ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                            ("LINEAFTER", (0, 0), (-2, -1), 3, colors.white),
                            ("TOPPADDING", (0, 0), (-1, -1), 5),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                        ]
                    )
                )
                story += [table, Spacer(1, 8)]
            elif isinstance(block, Image) and block.png:
                from PIL import Image as PILImage

                with PILImage.open(io.BytesIO(block.png)) as pic:
                    pw, ph = pic.size
                w = min(width, 15 * cm)
                story.append(PdfImage(io.BytesIO(block.png), width=w, height=w * ph / pw))
                if block.caption:
                    story.append(PdfParagraph(_markup(block.caption), styles["caption"]))

    def footer(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(2.2 * cm, 1.2 * cm, plain(doc.title))
        canvas.drawRightString(A4[0] - 2.2 * cm, 1.2 * cm, str(canvas.getPageNumber()))
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=plain(doc.title),
        author="CSDesk",
    )
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return path


def _list(block: BulletList, style: ParagraphStyle) -> ListFlowable:
    """Nested bullets: each level-0 item carries its deeper items as a sub-list."""
    items: list = []
    for level, text in block.items:
        para = PdfParagraph(_markup(text), style)
        if level == 0 or not items:
            items.append([para])
        else:
            items[-1].append(para)
    flow = []
    for group in items:
        head, rest = group[0], group[1:]
        content = [head]
        if rest:
            content.append(
                ListFlowable(
                    [ListItem(p, leftIndent=12) for p in rest], bulletType="bullet", start="–", leftIndent=14
                )
            )
        flow.append(ListItem(content, leftIndent=14))
    return ListFlowable(
        flow,
        bulletType="1" if block.ordered else "bullet",
        start=None if block.ordered else "•",
        leftIndent=14,
        bulletColor=BRAND,
    )
