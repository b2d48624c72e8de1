"""Which templates there are: the document kinds, the built-in templates per language and the user's copies in the database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from csdesk import i18n
from csdesk.document_kinds import DOCUMENT_KINDS
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.paths import resources_dir
from csdesk.templates.rendering import check_syntax
from db import Database
from db.models import Template

# The document kinds are csdesk.document_kinds' (one list for the command line, the menus and here).
KINDS = tuple(k.key for k in DOCUMENT_KINDS)
KIND_LABELS = {k.key: k.label for k in DOCUMENT_KINDS}
BUILTIN_NAME = "CSDesk"


@dataclass(frozen=True)
class TemplateInfo:
    kind: str
    language: str
    name: str
    body: str
    builtin: bool = False
    id: int | None = None
    based_on: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.language}/{self.name}"


# Built-in templates -----------------------------------------------------------------


def builtin_path(kind: str, language: str):
    return resources_dir() / "templates" / language / f"{kind}.md.j2"


@cache
def _builtin_body(kind: str, language: str) -> str:
    return builtin_path(kind, language).read_text(encoding="utf-8")


def builtin_template(kind: str, language: str) -> TemplateInfo:
    if kind not in KINDS:
        raise UserError(tr("Unknown template kind {kind}.", kind=kind))
    return TemplateInfo(kind, language, BUILTIN_NAME, _builtin_body(kind, language), builtin=True)


# User templates -------------------------------------------------------------------


def _info(row: Template) -> TemplateInfo:
    return TemplateInfo(row.kind, row.language, row.name, row.body, False, row.id, row.based_on)


def list_templates(db: Database, kind: str | None = None, language: str | None = None) -> list[TemplateInfo]:
    """Built-in templates first, then the user's, by kind and name."""
    kinds = [kind] if kind else list(KINDS)
    languages = [language] if language else list(i18n.LANGUAGES)
    found = [builtin_template(k, lang) for k in kinds for lang in languages]
    with db.session() as session:
        query = select(Template).where(Template.kind.in_(kinds), Template.language.in_(languages))
        rows = session.scalars(query.order_by(Template.kind, Template.language, Template.name))
        found += [_info(r) for r in rows]
    return found


def find_template(db: Database, kind: str, language: str, name: str | None = None) -> TemplateInfo:
    """The named user template, or the built-in one when ``name`` is empty or "CSDesk"."""
    if not name or name == BUILTIN_NAME:
        return builtin_template(kind, language)
    with db.session() as session:
        rows = session.scalars(select(Template).where(Template.kind == kind, Template.name == name)).all()
    for row in sorted(rows, key=lambda r: r.language != language):
        return _info(row)
    raise UserError(tr('No {kind} template is called "{name}".', kind=kind, name=name))


def save_template(db: Database, info: TemplateInfo) -> TemplateInfo:
    """Create (id None) or update a user template; its body must compile."""
    name = info.name.strip()
    if not name:
        raise UserError(tr("Give the template a name."))
    if name == BUILTIN_NAME:
        raise UserError(tr('"{name}" is reserved for the built-in templates.', name=name))
    if info.kind not in KINDS or info.language not in i18n.LANGUAGES:
        raise UserError(tr("Unknown template kind {kind}.", kind=info.kind))
    check_syntax(info.body)
    with db.transaction() as session:
        clash = session.scalars(
            select(Template).where(
                Template.kind == info.kind, Template.language == info.language, Template.name == name
            )
        ).first()
        if clash is not None and clash.id != info.id:
            raise UserError(tr('A template called "{name}" already exists.', name=name))
        row = session.get(Template, info.id) if info.id else None
        if row is None:
            row = Template(kind=info.kind, language=info.language)
            session.add(row)
        row.name, row.body, row.based_on = name, info.body, info.based_on
        session.flush()
        return _info(row)


def duplicate_template(db: Database, source: TemplateInfo, name: str | None = None) -> TemplateInfo:
    """A user copy of any template, under a free name ("… (copy)", "… (copy 2)")."""
    taken = {t.name for t in list_templates(db, source.kind, source.language)}
    base = name or tr("{name} (copy)", source.language, name=source.name)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base} {n}", n + 1
    return save_template(
        db, TemplateInfo(source.kind, source.language, candidate, source.body, based_on=source.name)
    )


def delete_template(db: Database, template_id: int) -> None:
    with db.transaction() as session:
        row = session.get(Template, template_id)
        if row is not None:
            session.delete(row)
