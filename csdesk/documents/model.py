"""The shared document model every writer (PPTX, DOCX, PDF, Markdown) renders.

A document is a title, a few subtitle lines and sections; a section holds
blocks: paragraphs, headings, bullet lists, tables, KPI rows and images.
Text may carry ``**bold**`` spans; :func:`spans` splits them for writers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The documents' look, shared by every writer and the charts (hex RGB colours).
PALETTE = {"brand": "0B6E4F", "brand_light": "EAF4EF", "ink": "222B31", "grey": "5F6B73"}
# Arial is metric-compatible with Liberation Sans, so LibreOffice lays text out as Office does.
FONT = "Arial"


@dataclass
class Paragraph:
    text: str
    quote: bool = False


@dataclass
class Heading:
    text: str


@dataclass
class BulletList:
    items: list[tuple[int, str]]  # (level 0..2, text)
    ordered: bool = False


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Kpi:
    label: str
    value: str
    note: str = ""


@dataclass
class KpiRow:
    items: list[Kpi]


@dataclass
class Image:
    name: str  # a chart name, filled in by the document builder
    caption: str = ""
    png: bytes | None = None


Block = Paragraph | Heading | BulletList | Table | KpiRow | Image


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    language: str = "pt_BR"

    def images(self) -> list[Image]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Image)]

    def all_text(self) -> str:
        """Every visible text, for tests and search."""
        parts = [self.title, *self.subtitle]
        for section in self.sections:
            parts.append(section.title)
            for block in section.blocks:
                if isinstance(block, (Paragraph, Heading)):
                    parts.append(block.text)
                elif isinstance(block, BulletList):
                    parts.extend(t for _, t in block.items)
                elif isinstance(block, Table):
                    parts.extend(block.header)
                    parts.extend(c for row in block.rows for c in row)
                elif isinstance(block, KpiRow):
                    parts.extend(f"{k.label} {k.value} {k.note}" for k in block.items)
                elif isinstance(block, Image):
                    parts.append(block.caption)
        return "\n".join(plain(p) for p in parts if p)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def spans(text: str) -> list[tuple[str, bool]]:
    """``"a **b** c"`` -> ``[("a ", False), ("b", True), (" c", False)]``."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _BOLD.finditer(text):
        if match.start() > pos:
            out.append((text[pos : match.start()], False))
        out.append((match.group(1), True))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out or [("", False)]


def plain(text: str) -> str:
    return _BOLD.sub(r"\1", text)


def column_widths(table: Table, total: float, char_width: float, padding: float) -> list[float]:
    """Column widths summing to ``total``: proportional to content, never narrower than the longest word.

    ``char_width`` is one character's mean width and ``padding`` a cell's inner margins, both in the
    unit of ``total``, so every writer (inches, points, centimetres) shares the same layout rule.
    """
    cols = len(table.header)
    if not cols:
        return []
    cells = [[table.header[i], *(r[i] for r in table.rows)] for i in range(cols)]
    lengths = [min(45, max([4] + [len(plain(c)) for c in col])) for col in cells]
    widths = [total * n / sum(lengths) for n in lengths]
    # A column may claim up to 60% of the table for its longest word, so an e-mail
    # address or a long name is never broken mid-word while short columns can give way.
    need = [
        min(
            total * 0.6,
            max(len(w) for col_text in col for w in (plain(col_text).split() or ["-"])) * char_width
            + padding,
        )
        for col in cells
    ]
    for _ in range(4):
        short = [i for i in range(cols) if widths[i] < need[i] - 1e-9]
        if not short:
            break
        spare = [i for i in range(cols) if widths[i] > need[i]]
        spare_total = sum(widths[i] - need[i] for i in spare)
        if spare_total <= 0:
            break
        extra = sum(need[i] - widths[i] for i in short)
        take = min(1.0, extra / spare_total)
        for i in spare:
            widths[i] -= (widths[i] - need[i]) * take
        for i in short:
            widths[i] = need[i]
    # Still too wide: the widest column (an address, a long text) gives way first,
    # so short words elsewhere are not broken; failing that, all shrink alike.
    widest = max(range(cols), key=lambda i: widths[i])
    excess = sum(widths) - total
    if excess > 0 and widths[widest] - excess >= total * 0.3:
        widths[widest] -= excess
    scale = total / sum(widths)
    return [w * scale for w in widths]
