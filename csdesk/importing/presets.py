"""Named column mappings, offered again for files with the same headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from csdesk.errors import UserError
from csdesk.i18n import tr
from db import Database
from db.models import ImportPreset


@dataclass(frozen=True)
class PresetInfo:
    name: str
    kind: str
    source: str
    header_signature: str
    mapping: dict[str, Any]  # {"columns": {header: field|None}, "keep_unmapped": bool}


def _info(row: ImportPreset) -> PresetInfo:
    return PresetInfo(row.name, row.kind, row.source, row.header_signature, dict(row.mapping or {}))


def save_preset(db: Database, name: str, prepared) -> PresetInfo:
    """Save (or replace) ``prepared``'s kind, source and mapping under ``name``."""
    name = name.strip()
    if not name:
        raise UserError(tr("Give the preset a name."))
    mapping = {"columns": prepared.mapping_by_header(), "keep_unmapped": prepared.keep_unmapped}
    with db.transaction() as session:
        row = session.scalars(select(ImportPreset).where(ImportPreset.name == name)).first()
        if row is None:
            row = ImportPreset(name=name)
            session.add(row)
        row.kind, row.source = prepared.kind, prepared.source
        row.header_signature = prepared.signature
        row.mapping = mapping
        session.flush()
        return _info(row)


def get_preset(db: Database, name: str) -> PresetInfo:
    with db.session() as session:
        row = session.scalars(select(ImportPreset).where(ImportPreset.name == name)).first()
        if row is None:
            names = ", ".join(session.scalars(select(ImportPreset.name).order_by(ImportPreset.name)))
            raise UserError(
                tr('There is no import preset "{name}". Presets: {names}.', name=name, names=names or "-")
            )
        return _info(row)


def find_preset(db: Database, signature: str) -> PresetInfo | None:
    """The most recently saved preset for files with these headers."""
    with db.session() as session:
        row = session.scalars(
            select(ImportPreset)
            .where(ImportPreset.header_signature == signature)
            .order_by(ImportPreset.id.desc())
        ).first()
        return _info(row) if row else None


def list_presets(db: Database) -> list[PresetInfo]:
    with db.session() as session:
        return [_info(r) for r in session.scalars(select(ImportPreset).order_by(ImportPreset.name))]
