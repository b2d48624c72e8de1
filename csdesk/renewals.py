"""Renewals with outcomes: renewed, renewed with downsell or upsell, or lost.

Closing a renewal is one transaction: the revenue ledger gets the movement
(downsell → contraction, upsell → expansion, lost → churn with its reason; a
plain renewal moves no money), the account's renewal date rolls to the end of
the new term, a ``renewals`` row keeps the history (due date, outcome, MRR
before and after, term, date closed) and a *Renewal* event goes on the timeline.

Renewal rates of a period (renewals due in it), in the form of domain §3's GRR
and NRR over the renewals closed instead of the cohort:
gross = Σ min(after, before) ÷ Σ before, net = Σ after ÷ Σ before.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, func, select

from csdesk import clock, currency, formatting, ledger, vocab
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from csdesk.rules.calendar import add_months
from db import Database
from db.models import Account, Renewal, TimelineEvent

DEFAULT_TERM_MONTHS = 12
MAX_TERM_MONTHS = 120


@dataclass(frozen=True)
class RenewalData:
    account_id: int
    outcome: str
    mrr_before_cents: int
    mrr_after_cents: int
    closed_on: date
    id: int | None = None
    due_date: date | None = None
    currency: str = "BRL"
    term_months: int | None = None
    next_renewal_date: date | None = None
    notes: str | None = None


_COLUMNS = [f.name for f in fields(RenewalData)]


def _data(row: Renewal) -> RenewalData:
    return RenewalData(**{n: getattr(row, n) for n in _COLUMNS})


@dataclass(frozen=True)
class Closed:
    """What :func:`close_renewal` wrote; :func:`reopen` undoes it."""

    renewal: RenewalData
    event_id: int
    movement: ledger.Recorded | None
    renewal_date_before: date | None
    stage_before: str


def outcome_label(outcome: str, language: str | None = None) -> str:
    return label(vocab.RENEWAL_OUTCOME_LABELS, outcome, language)


def check_outcome(outcome: str, before: int, mrr: int | None) -> int:
    """The MRR after a renewal of ``outcome`` (``mrr`` as given, None = not given); UserError when
    the amount does not fit the outcome."""
    if outcome not in vocab.RENEWAL_OUTCOMES:
        raise UserError(tr("Unknown renewal outcome {value}.", value=outcome))
    if mrr is not None and mrr < 0:
        raise UserError(tr("MRR cannot be negative."))
    if outcome == "lost":
        if mrr not in (None, 0):
            raise UserError(tr("A lost renewal has no new MRR: leave the MRR out."))
        return 0
    if outcome == "renewed":
        if mrr is not None and mrr != before:
            raise UserError(
                tr(
                    "The new MRR differs from the current {mrr}: record a downsell or an upsell.",
                    mrr=formatting.money(before),
                )
            )
        return before
    if mrr is None:
        raise UserError(tr("A downsell or an upsell needs the new MRR."))
    if outcome == "downsell" and not 0 < mrr < before:
        raise UserError(
            tr(
                "A downsell's new MRR is above zero and below the current {mrr}.",
                mrr=formatting.money(before),
            )
        )
    if outcome == "upsell" and mrr <= before:
        raise UserError(tr("An upsell's new MRR is above the current {mrr}.", mrr=formatting.money(before)))
    return mrr


def close_renewal(
    db: Database,
    account_id: int,
    outcome: str,
    *,
    mrr_cents: int | None = None,
    term_months: int | None = None,
    on: date | None = None,
    reason: str | None = None,
    reason_detail: str | None = None,
    notes: str | None = None,
) -> Closed:
    """Record the outcome of an account's renewal (see the module's docstring).

    ``on`` is the day it closed (default today); the movement is dated then. ``term_months``
    (default 12) rolls the renewal date from the date due; ``reason`` is a lost renewal's
    churn reason (a key of ``vocab.CHURN_REASONS``).
    """
    on = on or clock.today()
    if outcome == "lost":
        term_months = None
    else:
        term_months = DEFAULT_TERM_MONTHS if term_months is None else term_months
        if not 1 <= term_months <= MAX_TERM_MONTHS:
            raise UserError(tr("The term goes from 1 to {n} months.", n=MAX_TERM_MONTHS))
    if reason is not None and reason not in vocab.CHURN_REASONS:
        raise UserError(tr("Unknown churn reason."))
    if reason is not None and outcome != "lost":
        raise UserError(tr("A churn reason goes only with a lost renewal."))
    with db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        if account.status != "active":
            raise UserError(
                tr("{name} has churned: a renewal is recorded on an active account.", name=account.name)
            )
        before = account.mrr_cents or 0
        after = check_outcome(outcome, before, mrr_cents)
        due = account.renewal_date or on
        renewal_date_before, stage_before = account.renewal_date, account.stage
        movement = None
        if outcome == "lost":
            movement = ledger.record(
                session, account, on=on, status="churned", reason=reason, reason_detail=reason_detail
            )
        elif after != before:
            movement = ledger.record(session, account, on=on, mrr=after)
        next_date = None if term_months is None else add_months(due, term_months)
        if next_date is not None:
            account.renewal_date = next_date
        row = Renewal(
            account_id=account_id,
            due_date=due,
            outcome=outcome,
            mrr_before_cents=before,
            mrr_after_cents=after,
            currency=account.currency or "BRL",
            term_months=term_months,
            closed_on=on,
            next_renewal_date=next_date,
            notes=(notes or "").strip() or None,
        )
        session.add(row)
        session.flush()
        event = TimelineEvent(
            account_id=account_id,
            occurred_at=datetime.combine(on, time(9, 0)),
            kind="renewal",
            subkind=outcome,
            title="",  # rendered from the data when shown (csdesk.timeline_titles)
            body=row.notes,
            source="manual",
            data={
                "renewal_id": row.id,
                "term_months": term_months,
                "mrr_before_cents": before,
                "mrr_after_cents": after,
                "currency": row.currency,
            },
        )
        session.add(event)
        session.flush()
        return Closed(_data(row), event.id, movement, renewal_date_before, stage_before)


def reopen(db: Database, closed: Closed) -> None:
    """Undo :func:`close_renewal`: the row, its event and its movement go; the renewal date comes back."""
    with db.transaction() as session:
        session.execute(delete(Renewal).where(Renewal.id == closed.renewal.id))
        session.execute(delete(TimelineEvent).where(TimelineEvent.id == closed.event_id))
        if closed.movement is not None:
            ledger.remove(session, closed.movement.change_id, closed.movement.event_id)
        account = session.get(Account, closed.renewal.account_id)
        if account is not None:
            account.renewal_date = closed.renewal_date_before
            account.stage = closed.stage_before


def history(db: Database, account_id: int | None = None) -> list[RenewalData]:
    """Closed renewals, newest first."""
    query = select(Renewal).order_by(Renewal.closed_on.desc(), Renewal.id.desc())
    if account_id is not None:
        query = query.where(Renewal.account_id == account_id)
    with db.session() as session:
        return [_data(r) for r in session.scalars(query)]


@dataclass(frozen=True)
class RenewalRates:
    due: int  # renewals due in the period: closed ones and those still open
    closed: int
    gross: float | None  # fraction; None when nothing closed (or no MRR before)
    net: float | None
    mrr_before_cents: int = 0  # in the base currency, over the closed renewals priced
    mrr_after_cents: int = 0


def renewal_rates(db: Database, start: date, end: date, segment: str | None = None) -> RenewalRates:
    """The renewals due in [start, end] (both days included) and their gross and net renewal rates.

    A closed renewal counts in the period of its due date. Amounts are taken in the book's
    base currency at the period end's rate; a renewal in a currency without a rate is counted
    but left out of the rates (as the portfolio metrics leave such accounts out).
    """
    rates = currency.load_rates(db)
    with db.session() as session:
        query = select(
            Renewal.mrr_before_cents, Renewal.mrr_after_cents, Renewal.currency, Renewal.due_date
        ).join(Account, Account.id == Renewal.account_id)
        query = query.where(Renewal.due_date >= start, Renewal.due_date <= end)
        open_query = (
            select(func.count())
            .select_from(Account)
            .where(Account.status == "active", Account.renewal_date >= start, Account.renewal_date <= end)
        )
        if segment:
            query = query.where(Account.segment == segment)
            open_query = open_query.where(Account.segment == segment)
        rows = session.execute(query).all()
        still_open = session.scalar(open_query) or 0
    total_before = total_after = total_kept = 0
    for before, after, code, _due in rows:
        b = rates.to_base(before, code, end)
        a = rates.to_base(after, code, end)
        if b is None or a is None:
            continue
        total_before += b
        total_after += a
        total_kept += min(a, b)
    gross = None if total_before == 0 else total_kept / total_before
    net = None if total_before == 0 else total_after / total_before
    return RenewalRates(len(rows) + still_open, len(rows), gross, net, total_before, total_after)


def as_record(renewal: RenewalData) -> dict[str, Any]:
    """The CLI's JSON record of a closed renewal (money in currency units)."""
    return {
        "id": renewal.id,
        "account_id": renewal.account_id,
        "outcome": renewal.outcome,
        "due_date": renewal.due_date.isoformat() if renewal.due_date else None,
        "closed_on": renewal.closed_on.isoformat(),
        "mrr_before": renewal.mrr_before_cents / 100,
        "mrr_after": renewal.mrr_after_cents / 100,
        "currency": renewal.currency,
        "term_months": renewal.term_months,
        "next_renewal_date": renewal.next_renewal_date.isoformat() if renewal.next_renewal_date else None,
    }
