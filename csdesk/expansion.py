"""The expansion pipeline: opportunities, their hand-off to the account executive, candidates.

An opportunity is an upsell, a cross-sell or more licences, worth an added MRR,
open until it is won or lost. Winning one records the expansion movement
through the revenue ledger (:func:`csdesk.ledger.record`, the only writer of
revenue changes) on the day it was won. The hand-off e-mail to the account
executive is rendered from a Jinja template in the documents' sandbox.

*Expansion candidates* (one rule, :func:`candidate_mask`, vectorised for the
book's filter): healthy (green band) accounts with an expansion signal, a
promoter's NPS (9–10) or licences nearly all in use.

This module is imported by the book's filter (start-up path): numpy only at the top;
the database and the templates are imported where they are used.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

import numpy as np

from csdesk import clock, formatting, i18n, nps
from csdesk.errors import UserError
from csdesk.i18n import tr

KINDS = ("upsell", "cross_sell", "licences")
KIND_LABELS = {"upsell": "Upsell", "cross_sell": "Cross-sell", "licences": "More licences"}
STATUSES = ("open", "won", "lost")
STATUS_LABELS = {"open": "Open", "won": "Won", "lost": "Lost"}
# Active users at or above this share of the licensed ones: they will need more.
HIGH_LICENCE_USE = 0.8


def candidate_mask(
    bands: np.ndarray, last_nps: np.ndarray, active: np.ndarray, licensed: np.ndarray
) -> np.ndarray:
    """Rows that are expansion candidates: green band, and a promoter NPS or high licence use.

    ``bands`` holds band keys (None for no score); the numbers are floats with NaN for missing.
    """
    green = np.asarray(bands, dtype=object) == "green"
    scores = np.asarray(last_nps, dtype=float)
    used, owned = np.asarray(active, dtype=float), np.asarray(licensed, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        promoter = scores >= nps.PROMOTER_MIN
        high_use = (owned > 0) & (used >= owned * HIGH_LICENCE_USE)
    return green & (promoter | high_use)


@dataclass(frozen=True)
class OpportunityData:
    account_id: int
    title: str
    kind: str = "upsell"
    value_cents: int = 0
    status: str = "open"
    executive: str = ""
    executive_email: str = ""
    notes: str = ""
    opened_on: date | None = None
    closed_on: date | None = None
    handed_off_on: date | None = None
    id: int | None = None
    account_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TEXTS = ("executive", "executive_email", "notes")  # stored as NULL when empty


def _data(row, account_name: str = "") -> OpportunityData:
    return OpportunityData(
        account_id=row.account_id,
        title=row.title,
        kind=row.kind,
        value_cents=row.value_cents,
        status=row.status,
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        handed_off_on=row.handed_off_on,
        id=row.id,
        account_name=account_name,
        **{name: getattr(row, name) or "" for name in _TEXTS},
    )


def validate(data: OpportunityData) -> None:
    from csdesk.accounts import FieldError, ValidationError

    errors = []
    if not data.title.strip():
        errors.append(FieldError("title", tr("Give the opportunity a title.")))
    if data.kind not in KINDS:
        errors.append(
            FieldError("kind", tr("Unknown opportunity kind: use {kinds}.", kinds=", ".join(KINDS)))
        )
    if data.status not in STATUSES:
        errors.append(
            FieldError("status", tr("Unknown status: use {statuses}.", statuses=", ".join(STATUSES)))
        )
    if data.value_cents <= 0:
        errors.append(FieldError("value", tr("The value is the MRR it adds: more than zero.")))
    if data.executive_email and "@" not in data.executive_email:
        errors.append(FieldError("executive_email", tr("This is not an e-mail address.")))
    if errors:
        raise ValidationError(errors)


def save_opportunity(db, data: OpportunityData, today: date | None = None) -> OpportunityData:
    """Create (no id) or edit an opportunity. Its status changes only through :func:`close`."""
    from db.models import Account, Opportunity

    data = replace(
        data,
        title=data.title.strip(),
        executive=data.executive.strip(),
        executive_email=data.executive_email.strip(),
        notes=data.notes.strip(),
    )
    validate(data)
    with db.transaction() as session:
        account = session.get(Account, data.account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=data.account_id))
        if data.id is None:
            row = Opportunity(
                account_id=data.account_id, status="open", opened_on=data.opened_on or today or clock.today()
            )
            session.add(row)
        else:
            row = session.get(Opportunity, data.id)
            if row is None:
                raise UserError(tr("Opportunity {id} no longer exists.", id=data.id))
        row.title, row.kind, row.value_cents = data.title, data.kind, data.value_cents
        for name in _TEXTS:
            setattr(row, name, getattr(data, name) or None)
        session.flush()
        return _data(row, account.name)


def list_opportunities(db, account_id: int | None = None, status: str | None = None) -> list[OpportunityData]:
    """Open ones first, then by the day they were opened (newest first)."""
    from sqlalchemy import select

    from db.models import Account, Opportunity

    query = select(Opportunity, Account.name).join(Account, Account.id == Opportunity.account_id)
    if account_id is not None:
        query = query.where(Opportunity.account_id == account_id)
    if status is not None:
        query = query.where(Opportunity.status == status)
    with db.session() as session:
        items = [_data(row, name) for row, name in session.execute(query)]
    return sorted(
        items, key=lambda o: (o.status != "open", -(o.opened_on or date.min).toordinal(), -(o.id or 0))
    )


def get_opportunity(db, opportunity_id: int) -> OpportunityData:
    from db.models import Account, Opportunity

    with db.session() as session:
        row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise UserError(tr("Opportunity {id} no longer exists.", id=opportunity_id))
        return _data(row, session.get(Account, row.account_id).name)


def close(db, opportunity_id: int, status: str, on: date | None = None):
    """Mark an opportunity won or lost on ``on``; a won one adds its value to the MRR through the ledger.

    Returns the ledger's movement for a won opportunity (None when lost).
    """
    from csdesk import ledger
    from db.models import Account, Opportunity

    if status not in ("won", "lost"):
        raise UserError(tr("An opportunity closes as won or lost."))
    on = on or clock.today()
    with db.transaction() as session:
        row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise UserError(tr("Opportunity {id} no longer exists.", id=opportunity_id))
        if row.status != "open":
            raise UserError(
                tr(
                    "Opportunity {id} is already {status}.",
                    id=opportunity_id,
                    status=tr(STATUS_LABELS[row.status]).lower(),
                )
            )
        account = session.get(Account, row.account_id)
        moved = None
        if status == "won":
            if account.status != "active":
                raise UserError(
                    tr("{name} is churned: reactivate it before winning an expansion.", name=account.name)
                )
            moved = ledger.record(
                session,
                account,
                on=on,
                mrr=(account.mrr_cents or 0) + row.value_cents,
                status="active",
                reason_detail=tr("{kind} won: {title}", kind=tr(KIND_LABELS[row.kind]), title=row.title),
            )
        row.status = status
        row.closed_on = on
        return moved


def delete_opportunity(db, opportunity_id: int) -> None:
    from db.models import Opportunity

    with db.transaction() as session:
        row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise UserError(tr("Opportunity {id} no longer exists.", id=opportunity_id))
        session.delete(row)


# ---------------------------------------------------------------------------
# Hand-off to the account executive


def handoff_template(language: str) -> str:
    from csdesk.playbooks import builtin_email

    return builtin_email("opportunity_handoff", language)


def handoff_email(
    db, opportunity_id: int, language: str | None = None, today: date | None = None
) -> tuple[str, str]:
    """(text, recipient) of the hand-off e-mail to the account executive; records the hand-off day."""
    from csdesk import templates
    from csdesk.playbooks import email_contexts
    from db.models import Account, Opportunity

    language = i18n.normalize_language(language or i18n.current_language())
    today = today or clock.today()
    with db.transaction() as session:
        row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise UserError(tr("Opportunity {id} no longer exists.", id=opportunity_id))
        context = email_contexts(session, {row.account_id})[row.account_id]
        account = session.get(Account, row.account_id)
        context["account"].update(
            {
                "health_band": account.health_band,
                "health_score": account.health_score,
                "last_nps": account.last_nps,
                "active_users": account.active_users,
                "licensed_users": account.licensed_users,
            }
        )
        opportunity = {
            "title": row.title,
            "kind": row.kind,
            "kind_label": tr(KIND_LABELS[row.kind], language),
            "value_cents": row.value_cents,
            "value": formatting.money(row.value_cents, account.currency or "BRL", language),
            "executive": row.executive or "",
            "notes": row.notes or "",
        }
        text = (
            templates.render(
                handoff_template(language), {**context, "opportunity": opportunity, "today": today}, language
            ).strip()
            + "\n"
        )
        if row.handed_off_on is None:
            row.handed_off_on = today
        return text, row.executive_email or ""
