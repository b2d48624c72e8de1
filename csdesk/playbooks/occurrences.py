"""Finding every occurrence of a trigger across the book: one query per trigger, no loop over accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from csdesk import formatting, i18n, nps, vocab
from csdesk.i18n import tr
from csdesk.playbooks.definitions import CSAT_DETRACTOR_MAX, stored_kinds
from csdesk.rules.calendar import quarter_of
from csdesk.tasks import STALE_DAYS
from db.models import (
    Account,
    Contact,
    HealthSnapshot,
    Setting,
    SurveyResponse,
    TimelineEvent,
)


@dataclass(frozen=True)
class Occurrence:
    account_id: int
    key: str  # unique per playbook and account: what makes "once per occurrence"
    day: date  # when it happened
    note: str = ""  # attached to every task (the NPS comment, the event...)
    facts: dict[str, Any] = field(default_factory=dict)  # for the e-mail template


def _active(account_ids: Iterable[int] | None) -> list[Any]:
    conditions: list[Any] = [Account.status == "active"]
    if account_ids is not None:
        conditions.append(Account.id.in_(list(account_ids)))
    return conditions


def _scope(account_ids: Iterable[int] | None) -> list[Any]:
    """Any account: an answer or an event someone logged merits its tasks even on a churned one."""
    return [] if account_ids is None else [Account.id.in_(list(account_ids))]


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _surveys(session: Session, today: date, params: dict[str, Any], ids, promoters: bool) -> list[Occurrence]:
    since = today - timedelta(days=int(params.get("lookback_days", 30)))
    if promoters:
        wanted = and_(SurveyResponse.kind == "nps", SurveyResponse.score >= nps.PROMOTER_MIN)
    else:
        wanted = or_(
            and_(SurveyResponse.kind == "nps", SurveyResponse.score < nps.PASSIVE_MIN),
            and_(SurveyResponse.kind == "csat", SurveyResponse.score <= CSAT_DETRACTOR_MAX),
        )
    rows = session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.account_id,
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.comment,
            SurveyResponse.respondent,
            SurveyResponse.answered_at,
        )
        .join(Account, Account.id == SurveyResponse.account_id)
        .where(
            wanted,
            SurveyResponse.answered_at >= _start(since),
            SurveyResponse.answered_at < _start(today + timedelta(days=1)),
            *_scope(ids),
        )
    )
    result = []
    for sid, account_id, kind, score, comment, respondent, answered in rows:
        note = tr(
            "{kind} {score} on {day} from {who}",
            kind=kind.upper(),
            score=score,
            day=formatting.day(answered.date()),
            who=respondent or "—",
        )
        if comment:
            note += "\n" + tr("Comment: {comment}", comment=comment)
        result.append(
            Occurrence(
                account_id,
                f"survey:{sid}",
                answered.date(),
                note,
                {"kind": kind, "score": score, "comment": comment or "", "respondent": respondent or ""},
            )
        )
    return result


def _detractors(session, today, params, ids):
    return _surveys(session, today, params, ids, promoters=False)


def _promoters(session, today, params, ids):
    return _surveys(session, today, params, ids, promoters=True)


def _events(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    kinds = stored_kinds(params.get("kinds"))
    since = today - timedelta(days=int(params.get("lookback_days", 30)))
    rows = session.execute(
        select(TimelineEvent.id, TimelineEvent.account_id, TimelineEvent.occurred_at, TimelineEvent.title)
        .join(Account, Account.id == TimelineEvent.account_id)
        .where(
            TimelineEvent.kind.in_(kinds),
            TimelineEvent.occurred_at >= _start(since),
            TimelineEvent.occurred_at < _start(today + timedelta(days=1)),
            *_scope(ids),
        )
    )
    return [
        Occurrence(
            account_id, f"event:{eid}", at.date(), f"{formatting.day(at.date())}: {title}", {"title": title}
        )
        for eid, account_id, at, title in rows
    ]


def _renewals(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    days = int(params.get("days", 120))
    # It fires when the renewal comes within ``days``; not for one already well inside the window.
    first = max(today, today + timedelta(days=days - STALE_DAYS))
    rows = session.execute(
        select(Account.id, Account.renewal_date).where(
            Account.renewal_date >= first, Account.renewal_date <= today + timedelta(days=days), *_active(ids)
        )
    )
    return [
        Occurrence(
            account_id,
            f"renewal:{renewal.isoformat()}",
            renewal - timedelta(days=days),
            tr("Renewal on {day}", day=formatting.day(renewal)),
            {"renewal_date": renewal},
        )
        for account_id, renewal in rows
    ]


def _no_touch(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    days = int(params.get("days", 30))
    latest = _start(today - timedelta(days=days - 1))  # touched before this: ``days`` without a touch
    earliest = _start(today - timedelta(days=days + STALE_DAYS))
    rows = session.execute(
        select(Account.id, Account.last_touch_at).where(
            Account.last_touch_at < latest, Account.last_touch_at >= earliest, *_active(ids)
        )
    )
    return [
        Occurrence(
            account_id,
            f"touch:{touched.date().isoformat()}",
            touched.date() + timedelta(days=days),
            tr("Last touch on {day}", day=formatting.day(touched.date())),
            {"last_touch": touched.date()},
        )
        for account_id, touched in rows
    ]


def _low_adoption(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    percent = int(params.get("percent", 50))
    _first, _last, quarter = quarter_of(today)
    rows = session.execute(
        select(Account.id, Account.active_users, Account.licensed_users).where(
            Account.licensed_users > 0,
            Account.active_users.is_not(None),
            Account.active_users * 100 < Account.licensed_users * percent,
            *_active(ids),
        )
    )
    return [
        Occurrence(
            account_id,
            f"adoption:{quarter}",  # at most once a quarter while it stays low
            today,
            tr("{active} of {licensed} licensed users active", active=active, licensed=licensed),
            {"active_users": active, "licensed_users": licensed},
        )
        for account_id, active, licensed in rows
    ]


def _stage(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    stage = str(params.get("stage", "onboarding"))
    since = today - timedelta(days=STALE_DAYS)
    started = func.coalesce(Account.contract_start, func.date(Account.created_at))
    rows = session.execute(
        select(Account.id, Account.contract_start, Account.created_at).where(
            Account.stage == stage, started >= since, *_active(ids)
        )
    )
    result = []
    for account_id, contract_start, created_at in rows:
        day = contract_start or (created_at.date() if created_at else today)
        result.append(Occurrence(account_id, f"stage:{stage}:{day.isoformat()}", day))
    return result


def _band_change(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    band = str(params.get("band", "red"))
    other = HealthSnapshot.__table__.alias("other")
    # The first day of each account's current streak in ``band``.
    before = (
        select(func.max(other.c.as_of))
        .where(other.c.account_id == HealthSnapshot.account_id, other.c.band != band, other.c.as_of <= today)
        .scalar_subquery()
    )
    rows = session.execute(
        select(HealthSnapshot.account_id, func.min(HealthSnapshot.as_of))
        .join(Account, Account.id == HealthSnapshot.account_id)
        .where(
            Account.health_band == band,
            HealthSnapshot.band == band,
            HealthSnapshot.as_of <= today,
            or_(before.is_(None), HealthSnapshot.as_of > before),
            *_active(ids),
        )
        .group_by(HealthSnapshot.account_id)
    )
    since = today - timedelta(days=STALE_DAYS)
    label = i18n.label(vocab.HEALTH_BAND_LABELS, band)
    return [
        Occurrence(
            account_id,
            f"band:{band}:{day.isoformat()}",
            day,
            tr("Band {band} since {day}", band=label, day=formatting.day(day)),
        )
        for account_id, day in rows
        if day >= since
    ]


def _score_drop(session: Session, today: date, params: dict[str, Any], ids) -> list[Occurrence]:
    points, days = float(params.get("points", 15)), int(params.get("days", 7))

    def scores_on(day: date) -> dict[int, float]:
        latest = (
            select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
            .join(Account, Account.id == HealthSnapshot.account_id)
            .where(HealthSnapshot.as_of <= day, *_active(ids))
            .group_by(HealthSnapshot.account_id)
            .subquery()
        )
        return dict(
            session.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.score).join(
                    latest,
                    and_(
                        latest.c.account_id == HealthSnapshot.account_id,
                        latest.c.as_of == HealthSnapshot.as_of,
                    ),
                )
            ).all()
        )

    now, before = scores_on(today), scores_on(today - timedelta(days=days))
    year, week, _ = today.isocalendar()
    return [
        Occurrence(
            account_id,
            f"drop:{year}-W{week:02d}",
            today,
            tr(
                "Health {before} → {after} in {days} days",
                before=formatting.number(before[account_id], 1),
                after=formatting.number(score, 1),
                days=days,
            ),
            {"before": before[account_id], "after": score},
        )
        for account_id, score in now.items()
        if account_id in before and before[account_id] - score >= points
    ]


CHAMPIONS_KEY = "playbooks.champions"


def _champions(session: Session, ids) -> dict[str, dict[str, str]]:
    """Each active account's champion contacts now: {account id: {contact id: name}} (JSON keys)."""
    found: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(Contact.account_id, Contact.id, Contact.name)
        .join(Account, Account.id == Contact.account_id)
        .where(Contact.role == "champion", *_active(ids))
    )
    for account_id, contact_id, name in rows:
        found.setdefault(str(account_id), {})[str(contact_id)] = name
    return found


def _champion_left(session: Session, today: date, _params: dict[str, Any], ids) -> list[Occurrence]:
    """A contact seen as an account's champion at the last evaluation is no longer one (left, removed)."""
    seen = (session.get(Setting, CHAMPIONS_KEY) or Setting(value={})).value or {}
    now = _champions(session, ids)
    wanted = None if ids is None else {str(i) for i in ids}
    result = []
    for account, contacts in seen.items():
        if wanted is not None and account not in wanted:
            continue
        current = now.get(account, {})
        for contact_id, name in contacts.items():
            if contact_id not in current:
                result.append(
                    Occurrence(
                        int(account),
                        f"champion:{contact_id}",
                        today,
                        tr("{name} is no longer the champion", name=name),
                        {"contact": name},
                    )
                )
    return result


def _remember_champions(session: Session, ids) -> None:
    now = _champions(session, ids)
    row = session.get(Setting, CHAMPIONS_KEY)
    if ids is None:
        merged = now
    else:
        merged = dict((row.value if row is not None else None) or {})
        for account_id in ids:
            merged.pop(str(account_id), None)
        merged.update(now)
    if row is None:
        session.add(Setting(key=CHAMPIONS_KEY, value=merged))
    elif row.value != merged:
        row.value = merged


# The triggers a new fact brings (an answer, a logged event): evaluated right after an import
# or a logged event, for its accounts; the others (dates, bands, adoption, stage) when the
# book is checked (on opening it, each new day) or an account is edited in the app.
EVENT_TRIGGERS = ("detractor", "promoter", "event_kind")
IMPORT_TRIGGERS = EVENT_TRIGGERS

FINDERS: dict[str, Callable[[Session, date, dict[str, Any], Any], list[Occurrence]]] = {
    "band_change": _band_change,
    "score_drop": _score_drop,
    "champion_left": _champion_left,
    "detractor": _detractors,
    "promoter": _promoters,
    "low_adoption": _low_adoption,
    "renewal_in": _renewals,
    "no_touch": _no_touch,
    "event_kind": _events,
    "stage": _stage,
}
