"""What a step's e-mail template sees (an account, its champion, its handoff) and filling it in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk import clock, templates
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.playbooks.definitions import Step
from db.models import (
    Account,
    Contact,
    Handoff,
)


def sample_context(language: str | None = None) -> dict[str, Any]:
    """What an e-mail template sees, filled in with a made-up account (editor preview, validation)."""
    from csdesk import handoffs

    today = clock.today()
    return {
        "account": {
            "name": "Padaria Pitanga",
            "owner": "Ana Souza",
            "mrr_cents": 123456,
            "renewal_date": today + timedelta(days=120),
            "segment": "high_touch",
        },
        "contact": {"name": "Carla Dias", "email": "carla@pitanga.com.br"},
        "champion": {"name": "Carla Dias", "email": "carla@pitanga.com.br"},
        "trigger": {
            "name": "Detractor answer",
            "note": "NPS 5",
            "day": today,
            "kind": "nps",
            "score": 5,
            "comment": "Relatórios confusos",
        },
        "handoff": handoffs.sample(),
        "today": today,
    }


def email_contexts(session: Session, account_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Per account, what an e-mail template sees of it: ``account``, ``champion``, ``handoff``."""
    from csdesk import handoffs

    if not account_ids:
        return {}
    accounts = {
        row.id: {
            "name": row.name,
            "owner": row.owner or "",
            "mrr_cents": row.mrr_cents or 0,
            "renewal_date": row.renewal_date,
            "segment": row.segment,
        }
        for row in session.execute(
            select(
                Account.id,
                Account.name,
                Account.owner,
                Account.mrr_cents,
                Account.renewal_date,
                Account.segment,
            ).where(Account.id.in_(account_ids))
        )
    }
    champions: dict[int, dict[str, str]] = {}
    for account_id, name, email in session.execute(
        select(Contact.account_id, Contact.name, Contact.email)
        .where(Contact.account_id.in_(account_ids), Contact.role == "champion")
        .order_by(Contact.is_primary.desc(), Contact.id)
    ):
        champions.setdefault(account_id, {"name": name, "email": email or ""})
    handed = {
        row.account_id: handoffs.template_data(
            handoffs.HandoffData(
                row.account_id, **{n: getattr(row, n) or "" for n in (*handoffs.TEXT_FIELDS, "seller")}
            )
        )
        for row in session.scalars(select(Handoff).where(Handoff.account_id.in_(account_ids)))
    }
    empty = {"name": "", "email": ""}
    return {
        i: {
            "account": accounts.get(i, {}),
            "champion": champions.get(i, empty),
            "handoff": handed.get(i) or handoffs.template_data(None),
        }
        for i in account_ids
    }


def _render_email(step: Step, context: dict[str, Any], language: str) -> str:
    try:
        return templates.render(step.email or "", context, language)
    except UserError as exc:  # a template broken since it was saved: the task still matters
        return tr("(The e-mail template could not be filled in: {error})", error=exc)
