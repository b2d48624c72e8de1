"""CSDesk's small Markdown dialect, what templates render to, parsed into a Document.

# Title                      the document title (title slide)
text under the title         subtitle lines
## Section                   a section: one slide (or more) / a heading
### Sub-heading
- bullet / * bullet          bullets; two spaces of indent per level
1. step                      a numbered list
| a | b |                    a table; the first row is the header
!kpi Label | Value | note    a KPI card; consecutive cards form one row
!chart name Caption          a chart the document builder draws
> text                       a highlighted quote (e.g. a discovery question)
"""

from __future__ import annotations

import re

from csdesk.documents.model import (
    BulletList,
    Document,
    Heading,
    Image,
    Kpi,
    KpiRow,
    Paragraph,
    Section,
    Table,
)

_BULLET = re.compile(r"^(\s*)([-*]|\d+[.)])\s+(.*)$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [c.strip() for c in text.split("|")]


def parse(text: str, language: str = "pt_BR") -> Document:
    doc = Document(title="", language=language)
    section: Section | None = None
    paragraph: list[str] = []

    def blocks() -> list:
        nonlocal section
        if section is None:
            section = Section("")
            doc.sections.append(section)
        return section.blocks

    def flush() -> None:
        if paragraph:
            joined = " ".join(p.strip() for p in paragraph)
            if section is None and doc.title:
                doc.subtitle.extend(p.strip() for p in paragraph)  # one line each on the title slide
            else:
                blocks().append(Paragraph(joined))
            paragraph.clear()

    in_table = False
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped.startswith("|"):
            in_table = False
        if not stripped:
            flush()
            continue
        if stripped.startswith("# ") and not doc.title and section is None:
            flush()
            doc.title = stripped[2:].strip()
            continue
        if stripped.startswith("## ") or (stripped.startswith("# ") and doc.title):
            flush()
            section = Section(stripped.lstrip("#").strip())
            doc.sections.append(section)
            continue
        if stripped.startswith("### "):
            flush()
            blocks().append(Heading(stripped[4:].strip()))
            continue
        if stripped.startswith("!kpi"):
            flush()
            parts = [p.strip() for p in stripped[4:].split("|")]
            kpi = Kpi(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
            target = blocks()
            if target and isinstance(target[-1], KpiRow):
                target[-1].items.append(kpi)
            else:
                target.append(KpiRow([kpi]))
            continue
        if stripped.startswith("!chart"):
            flush()
            rest = stripped[6:].strip().split(None, 1)
            if rest:
                blocks().append(Image(rest[0], rest[1] if len(rest) > 1 else ""))
            continue
        if stripped.startswith("|"):
            flush()
            if _SEPARATOR.match(stripped):
                continue
            target = blocks()
            if in_table and target and isinstance(target[-1], Table):
                target[-1].rows.append(_cells(stripped))
            else:
                target.append(Table(_cells(stripped), []))
            in_table = True
            continue
        if stripped.startswith(">"):
            flush()
            blocks().append(Paragraph(stripped.lstrip(">").strip(), quote=True))
            continue
        match = _BULLET.match(line)
        if match:
            flush()
            indent, marker, body = match.groups()
            level = min(2, len(indent.replace("\t", "  ")) // 2)
            ordered = marker[0].isdigit()
            target = blocks()
            if target and isinstance(target[-1], BulletList) and (target[-1].ordered == ordered or level):
                target[-1].items.append((level, body.strip()))
            else:
                target.append(BulletList([(level, body.strip())], ordered))
            continue
        paragraph.append(stripped)
    flush()
    for sec in doc.sections:
        for block in sec.blocks:
            if isinstance(block, Table):
                width = len(block.header)
                block.rows = [(r + [""] * width)[:width] for r in block.rows]
    doc.sections = [s for s in doc.sections if s.title or s.blocks]
    return doc
