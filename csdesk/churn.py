"""The churn workflow: why an account left, and what its post-mortem shows.

Marking an account churned (account dialog, ``csdesk update --status churned``, a lost
renewal) is a movement of the revenue ledger; this module keeps what the CSM says about
it beside the ledger: the reason (domain §6's categories), voluntary or involuntary
(non-payment is involuntary), the root cause and the save attempts. The post-mortem
document (``csdesk doc postmortem``) reads :func:`churn_data`: the churn record, the
revenue lost, the health history and the touches, tickets and risk signals of the
last year before the churn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from csdesk import clock, i18n, vocab
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.rules.calendar import whole_months_between
from db import Database
from db.models import Account, ChurnRecord, HealthSnapshot, RevenueChange, TimelineEvent

# What the post-mortem looks back on before the churn.
LOOKBACK_DAYS = 365
# Risk signals a post-mortem lists: what the customer said and what the CSM did about it.
SIGNAL_KINDS = ("churn_request", "save_attempt", "escalation", "pulse", "health_change")


@dataclass(frozen=True)
class ChurnDetails:
    reason: str | None = None  # vocab.CHURN_REASONS
    churn_type: str | None = None  # vocab.CHURN_TYPES; None = from the reason (non-payment: involuntary)
    root_cause: str | None = None
    save_attempts: str | None = None


def default_type(reason: str | None) -> str | None:
    """Non-payment is involuntary churn; every other reason is the customer's choice."""
    if reason is None:
        return None
    return "involuntary" if reason == "nonpayment" else "voluntary"


def record_details(
    db: Database, account_id: int, details: ChurnDetails, churn_date: date | None = None
) -> int:
    """Keep why ``account_id`` churned; returns the record's id. The account must be churned."""
    if details.reason is not None and details.reason not in vocab.CHURN_REASONS:
        raise UserError(tr("Unknown churn reason."))
    churn_type = details.churn_type or default_type(details.reason)
    if churn_type is not None and churn_type not in vocab.CHURN_TYPES:
        raise UserError(tr("Churn is voluntary or involuntary."))
    with db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        if account.status != "churned":
            raise UserError(tr("{name} is active: mark it churned first.", name=account.name))
        on = churn_date or account.churn_date or clock.today()
        row = ChurnRecord(
            account_id=account_id,
            churn_date=on,
            reason=details.reason,
            churn_type=churn_type,
            root_cause=(details.root_cause or "").strip() or None,
            save_attempts=(details.save_attempts or "").strip() or None,
            mrr_lost_cents=_mrr_lost(session, account_id),
            currency=account.currency or "BRL",
        )
        session.add(row)
        if details.reason is not None:
            account.churn_reason = details.reason
        session.flush()
        return row.id


def last_day(db: Database, account_id: int, today: date | None = None) -> date:
    """The day a post-mortem looks back from: the churn date (today for an active account)."""
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        recorded = session.scalar(
            select(ChurnRecord.churn_date)
            .where(ChurnRecord.account_id == account_id)
            .order_by(ChurnRecord.churn_date.desc(), ChurnRecord.id.desc())
            .limit(1)
        )
        return recorded or account.churn_date or today or clock.today()


def _mrr_lost(session, account_id: int) -> int:
    """The MRR the last churn movement took (the ledger keeps the last MRR above zero)."""
    lost = session.scalar(
        select(RevenueChange.mrr_before_cents)
        .where(RevenueChange.account_id == account_id, RevenueChange.kind == "churn")
        .order_by(RevenueChange.effective_date.desc(), RevenueChange.id.desc())
        .limit(1)
    )
    return int(lost or 0)


def latest_details(db: Database, account_id: int) -> ChurnRecord | None:
    with db.session() as session:
        row = session.scalars(
            select(ChurnRecord)
            .where(ChurnRecord.account_id == account_id)
            .order_by(ChurnRecord.churn_date.desc(), ChurnRecord.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def churn_data(db: Database, account_id: int, language: str, today: date | None = None) -> dict[str, Any]:
    """What a post-mortem shows (also given to every template, as ``churn``)."""
    today = today or clock.today()
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        record = session.scalars(
            select(ChurnRecord)
            .where(ChurnRecord.account_id == account_id)
            .order_by(ChurnRecord.churn_date.desc(), ChurnRecord.id.desc())
            .limit(1)
        ).first()
        churned = account.status == "churned"
        end = (record.churn_date if record else None) or account.churn_date or today
        since = datetime.combine(end - timedelta(days=LOOKBACK_DAYS), datetime.min.time())
        until = datetime.combine(end + timedelta(days=1), datetime.min.time())
        events = session.execute(
            select(TimelineEvent.occurred_at, TimelineEvent.kind, TimelineEvent.title, TimelineEvent.severity)
            .where(
                TimelineEvent.account_id == account_id,
                TimelineEvent.occurred_at >= since,
                TimelineEvent.occurred_at < until,
            )
            .order_by(TimelineEvent.occurred_at)
        ).all()
        scores = session.execute(
            select(HealthSnapshot.as_of, HealthSnapshot.score, HealthSnapshot.band)
            .where(
                HealthSnapshot.account_id == account_id,
                HealthSnapshot.as_of >= since.date(),
                HealthSnapshot.as_of <= end,
            )
            .order_by(HealthSnapshot.as_of)
        ).all()
        lost = _mrr_lost(session, account_id) if record is None else record.mrr_lost_cents
        reason = (record.reason if record else None) or account.churn_reason
        churn_type = (record.churn_type if record else None) or default_type(reason)
        start = account.contract_start
    touches = [e for e in events if e[1] in vocab.TOUCH_KINDS]
    tickets = [e for e in events if e[1] == "ticket"]
    # The health history month by month: the last score of each month.
    monthly: dict[str, tuple[date, float, str]] = {}
    for day, score, band in scores:
        monthly[day.strftime("%Y-%m")] = (day, score, band)

    def event(e) -> dict[str, Any]:
        return {
            "date": e[0].date(),
            "kind": e[1],
            "kind_label": i18n.label(vocab.EVENT_KIND_LABELS, e[1], language),
            "title": e[2],
            "severity_label": i18n.label(vocab.TICKET_SEVERITY_LABELS, e[3], language) if e[3] else "",
        }

    return {
        "churned": churned,
        "recorded": record is not None,
        "date": end if churned else None,
        "reason": reason,
        "reason_label": i18n.label(vocab.CHURN_REASON_LABELS, reason, language) if reason else "",
        "type": churn_type,
        "type_label": i18n.label(vocab.CHURN_TYPE_LABELS, churn_type, language) if churn_type else "",
        "root_cause": record.root_cause if record and record.root_cause else "",
        "save_attempts": record.save_attempts if record and record.save_attempts else "",
        "mrr_lost_cents": lost,
        "arr_lost_cents": lost * 12,
        "months_as_customer": whole_months_between(start, end) if start else None,
        "health": [
            {
                "date": day,
                "score": score,
                "band_label": i18n.label(vocab.HEALTH_BAND_LABELS, band, language),
            }
            for day, score, band in monthly.values()
        ],
        "touches": {
            "total": len(touches),
            "last": touches[-1][0].date() if touches else None,
            "days_without_touch": (end - touches[-1][0].date()).days if touches else None,
            "by_kind": [
                {"kind_label": i18n.label(vocab.EVENT_KIND_LABELS, k, language), "count": n}
                for k in vocab.TOUCH_KINDS
                if (n := sum(1 for e in touches if e[1] == k))
            ],
        },
        "tickets": {
            "total": len(tickets),
            "critical": sum(1 for e in tickets if e[3] == "critical"),
            "list": [event(e) for e in tickets][-10:],
        },
        "signals": [event(e) for e in events if e[1] in SIGNAL_KINDS][-15:],
    }


def sample_churn(language: str, today: date) -> dict[str, Any]:
    """Made-up post-mortem data for template previews (never stored)."""
    end = today - timedelta(days=10)
    return {
        "churned": True,
        "recorded": True,
        "date": end,
        "reason": "no_roi",
        "reason_label": i18n.label(vocab.CHURN_REASON_LABELS, "no_roi", language),
        "type": "voluntary",
        "type_label": i18n.label(vocab.CHURN_TYPE_LABELS, "voluntary", language),
        "root_cause": tr("The sponsor left and the new director never saw the results.", language),
        "save_attempts": tr("Discount offered for 3 months; executive call with the new director.", language),
        "mrr_lost_cents": 123456,
        "arr_lost_cents": 123456 * 12,
        "months_as_customer": 14,
        "health": [
            {
                "date": end - timedelta(days=60),
                "score": 71.0,
                "band_label": i18n.label(vocab.HEALTH_BAND_LABELS, "yellow", language),
            },
            {
                "date": end - timedelta(days=30),
                "score": 52.0,
                "band_label": i18n.label(vocab.HEALTH_BAND_LABELS, "red", language),
            },
        ],
        "touches": {"total": 6, "last": end - timedelta(days=40), "days_without_touch": 40, "by_kind": []},
        "tickets": {"total": 2, "critical": 1, "list": []},
        "signals": [],
    }
