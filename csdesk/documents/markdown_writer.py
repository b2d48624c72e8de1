"""The Document as Markdown (charts saved as PNG files beside it)."""

from __future__ import annotations

from pathlib import Path

from csdesk.documents.model import BulletList, Document, Heading, Image, KpiRow, Paragraph, Table


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def to_markdown(doc: Document, image_paths: dict[str, str] | None = None) -> str:
    image_paths = image_paths or {}
    out = [f"# {doc.title}", ""]
    for line in doc.subtitle:
        out += [line, ""]  # one paragraph each: Markdown would join adjacent lines
    for section in doc.sections:
        if section.title:
            out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += [("> " if block.quote else "") + block.text, ""]
            elif isinstance(block, Heading):
                out += [f"### {block.text}", ""]
            elif isinstance(block, BulletList):
                counter = 0
                for level, text in block.items:
                    counter = counter + 1 if level == 0 else counter
                    marker = f"{counter}." if block.ordered and level == 0 else "-"
                    out.append("  " * level + f"{marker} {text}")
                out.append("")
            elif isinstance(block, Table):
                out += [_row(block.header), _row(["---"] * len(block.header))]
                out += [_row(r) for r in block.rows] + [""]
            elif isinstance(block, KpiRow):
                out += [_row([k.label for k in block.items]), _row(["---"] * len(block.items))]
                out += [_row([k.value + (f" ({k.note})" if k.note else "") for k in block.items]), ""]
            elif isinstance(block, Image):
                target = image_paths.get(block.name)
                if target:
                    out += [f"![{block.caption or block.name}]({target})", ""]
    return "\n".join(out).rstrip() + "\n"


def write_markdown(doc: Document, path: Path) -> Path:
    image_paths: dict[str, str] = {}
    for image in doc.images():
        if image.png:
            target = path.with_name(f"{path.stem} - {image.name}.png")
            target.write_bytes(image.png)
            image_paths[image.name] = target.name.replace(" ", "%20")
    path.write_text(to_markdown(doc, image_paths), encoding="utf-8")
    return path
