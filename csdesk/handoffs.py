"""The sales → CS hand-off: what Sales learned and promised, kept per account.

Pains, promised outcomes, stakeholders, risks and deal notes feed the kickoff
deck and the success plan (``csdesk.documents.context`` hands them to the
templates as ``handoff``) and the welcome e-mail, rendered in the documents'
sandbox and saved as text or as an .eml file a mail program opens as a draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from sqlalchemy import select

from csdesk import clock, i18n, templates
from csdesk.errors import UserError
from csdesk.i18n import tr
from db import Database
from db.models import Account, Handoff

TEXT_FIELDS = ("pains", "promised_outcomes", "stakeholders", "risks", "deal_notes")
FIELD_LABELS = {
    "pains": "Pains",
    "promised_outcomes": "Promised outcomes",
    "stakeholders": "Stakeholders",
    "risks": "Risks",
    "deal_notes": "Deal notes",
    "seller": "Seller",
}
MAX_CHARS = 20_000


@dataclass(frozen=True)
class HandoffData:
    account_id: int
    pains: str = ""
    promised_outcomes: str = ""
    stakeholders: str = ""
    risks: str = ""
    deal_notes: str = ""
    seller: str = ""
    updated_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in (*TEXT_FIELDS, "seller"))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def get_handoff(db: Database, account_id: int) -> HandoffData:
    """The account's hand-off (empty when Sales left none)."""
    with db.session() as session:
        if session.get(Account, account_id) is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        row = session.scalars(select(Handoff).where(Handoff.account_id == account_id)).first()
        if row is None:
            return HandoffData(account_id)
        return HandoffData(
            account_id,
            **{name: getattr(row, name) or "" for name in (*TEXT_FIELDS, "seller")},
            updated_at=row.updated_at,
        )


def save_handoff(db: Database, data: HandoffData) -> HandoffData:
    """Store the hand-off (one per account); returns the version before, for undo."""
    cleaned = replace(
        data, **{name: (getattr(data, name) or "").strip() for name in (*TEXT_FIELDS, "seller")}
    )
    for name in TEXT_FIELDS:
        if len(getattr(cleaned, name)) > MAX_CHARS:
            raise UserError(tr("{field}: at most {n} characters.", field=tr(FIELD_LABELS[name]), n=MAX_CHARS))
    if len(cleaned.seller) > 150:
        raise UserError(tr("{field}: at most {n} characters.", field=tr(FIELD_LABELS["seller"]), n=150))
    before = get_handoff(db, data.account_id)
    with db.transaction() as session:
        row = session.scalars(select(Handoff).where(Handoff.account_id == data.account_id)).first()
        if row is None:
            row = Handoff(account_id=data.account_id)
            session.add(row)
        for name in (*TEXT_FIELDS, "seller"):
            setattr(row, name, getattr(cleaned, name) or None)
        row.updated_at = clock.now()
    return before


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def items(text: str) -> list[str]:
    """A field's lines as a list (one item a line; leading bullets and numbers dropped)."""
    return [_BULLET.sub("", line).strip() for line in (text or "").splitlines() if line.strip()]


def template_data(data: HandoffData | None) -> dict[str, Any]:
    """What templates see as ``handoff``: each field as a list of lines, and whether there is any."""
    data = data or HandoffData(0)
    result: dict[str, Any] = {name: items(getattr(data, name)) for name in TEXT_FIELDS}
    result["seller"] = data.seller
    result["present"] = not data.is_empty
    return result


def sample() -> dict[str, Any]:
    """A made-up hand-off for template previews."""
    return template_data(
        HandoffData(
            0,
            pains="Relatórios feitos à mão toda semana\nPerda de clientes sem aviso",
            promised_outcomes="Relatórios automáticos em 30 dias\nAlerta de risco por cliente",
            stakeholders="Carla Dias (campeã)\nRoberto Lima (diretor financeiro, patrocinador)",
            risks="Equipe pequena para a configuração",
            deal_notes="Desconto de 10% no primeiro ano",
            seller="Marcos Alves",
        )
    )


# ---------------------------------------------------------------------------
# The welcome e-mail


def welcome_template(language: str) -> str:
    from csdesk.playbooks import builtin_email

    return builtin_email("welcome_email", language)


def welcome_context(db: Database, account_id: int, today: date | None = None) -> dict[str, Any]:
    from csdesk.playbooks import email_contexts

    with db.session() as session:
        if session.get(Account, account_id) is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        context = email_contexts(session, {account_id})[account_id]
    return {
        **context,
        "contact": context["champion"],
        "trigger": {},
        "today": today or clock.today(),
    }


def welcome_email(
    db: Database, account_id: int, language: str | None = None, today: date | None = None
) -> str:
    """The welcome e-mail for the account, filled in with its hand-off (subject on the first line)."""
    language = i18n.normalize_language(language or i18n.current_language())
    body = welcome_template(language)
    return templates.render(body, welcome_context(db, account_id, today), language).strip() + "\n"


_SUBJECT = re.compile(r"^(?:Subject|Assunto):\s*(.*)$", re.IGNORECASE)


def split_subject(text: str) -> tuple[str, str]:
    """(subject, body) of a rendered e-mail whose first line may be ``Subject: …`` / ``Assunto: …``."""
    lines = text.splitlines()
    if lines and (match := _SUBJECT.match(lines[0])):
        return match.group(1).strip(), "\n".join(lines[1:]).strip() + "\n"
    return "", text


def write_eml(path: Path | str, text: str, to: str = "") -> Path:
    """Save a rendered e-mail as an .eml draft (subject and recipient filled in) a mail program opens."""
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(tr("The folder {folder} does not exist.", folder=str(path.parent)))
    subject, body = split_subject(text)
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    if to:
        message["To"] = to
    message["X-Unsent"] = "1"  # Outlook and others open it as a draft to send
    message.set_content(body)
    try:
        path.write_bytes(message.as_bytes())
    except OSError as exc:
        raise UserError(
            tr("Cannot write {file}: {reason}", file=str(path), reason=exc.strerror or str(exc))
        ) from exc
    return path
