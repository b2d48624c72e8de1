"""What a template may see about one account: plain dicts and lists, built from the database.

Nothing here hands an ORM object, a session or a function with side effects
to a template: the sandbox renders against this data only. Money stays in
cents (templates format it with ``|money``), dates stay ``date`` objects
(formatted with ``|day``), fractions stay 0..1 (``|percent``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from csdesk import accounts, churn, clock, i18n, plans, timeline, vocab
from csdesk import health as health_scores
from csdesk import metrics as portfolio_metrics
from csdesk.i18n import tr
from csdesk.rules.calendar import quarter_number
from db import Database
from db.models import Measure, RevenueChange, SurveyResponse

COMPONENT_LABELS = {
    "usage": "Product usage",
    "logins": "Logins",
    "adoption": "Adoption",
    "key_feature_use": "Key-feature use",
    "active_users": "Active users",
    "engagement": "Engagement",
    "qbr_attendance": "QBR attendance",
    "satisfaction": "Satisfaction",
    "nps": "NPS",
    "csat": "CSAT",
    "support": "Support",
    "tickets": "Tickets",
    "critical_tickets": "Critical tickets",
    "billing": "Contract and billing",
    "payment_delay_days": "Payment delay",
    "roi": "Business results",
    "csm_pulse": "CSM pulse",
}
MEASURE_LABELS = {
    "logins": "Logins",
    "active_users": "Active users",
    "licensed_users": "Licensed users",
    "key_feature_use": "Key-feature use",
    "tickets": "Support tickets",
    "critical_tickets": "Critical support tickets",
    "payment_delay_days": "Payment delay (days)",
    "qbr_attendance": "QBR attendance",
    "csm_pulse": "CSM pulse",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @classmethod
    def quarter_to(cls, end: date) -> Period:
        """The 90 days up to ``end`` (included): what a quarterly review looks back on."""
        return cls(end - timedelta(days=89), end + timedelta(days=1))

    def label(self, language: str) -> str:
        last = self.end - timedelta(days=1)
        quarter = quarter_number(last)
        return f"{last.year}-T{quarter}" if language == "pt_BR" else f"Q{quarter} {last.year}"


@dataclass
class AccountDocumentData:
    """The template data plus the series the charts are drawn from."""

    data: dict[str, Any]
    health_history: list[tuple[date, float]] = field(default_factory=list)
    components: list[tuple[str, float | None, float]] = field(default_factory=list)  # label, points, weight
    usage: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    language: str = "pt_BR"


def _contact_dict(c: accounts.ContactData, language: str) -> dict[str, Any]:
    return {
        "name": c.name,
        "role": c.role,
        "role_label": i18n.label(vocab.CONTACT_ROLE_LABELS, c.role, language),
        "job_title": c.job_title or "",
        "email": c.email or "",
        "phone": c.phone or "",
        "is_primary": c.is_primary,
    }


def build(
    db: Database,
    account_id: int,
    language: str | None = None,
    period: Period | None = None,
    today: date | None = None,
    *,
    show_health: bool = False,
) -> AccountDocumentData:
    """Everything about one account a document may show, for ``period``.

    The health score is the CSM's internal reading of an account: documents
    for the customer leave it out unless ``show_health`` asks for it.
    """
    language = i18n.normalize_language(language or i18n.current_language())
    today = today or clock.today()
    period = period or Period.quarter_to(today)
    start_dt = datetime.combine(period.start, datetime.min.time())
    end_dt = datetime.combine(period.end, datetime.min.time())
    last_day = period.end - timedelta(days=1)
    # What the screens show, through the same services: the account, its contacts, its health
    # history, its timeline and its portfolio metrics.
    account = accounts.get_account(db, account_id)
    contacts = [_contact_dict(c, language) for c in accounts.list_contacts(db, account_id)]
    snapshots = health_scores.history(db, account_id, end=last_day)
    events = list(reversed(timeline.list_events(db, account_id, start=period.start, end=last_day)))
    with db.session() as s:
        measures = s.execute(
            select(Measure.metric, Measure.as_of, Measure.value)
            .where(
                Measure.account_id == account_id,
                Measure.as_of >= period.end - timedelta(days=366),
                Measure.as_of < period.end,
            )
            .order_by(Measure.as_of, Measure.metric)
        ).all()
        comments = [
            {"kind": kind, "score": sc, "comment": c, "date": a.date()}
            for kind, sc, c, a in s.execute(
                select(
                    SurveyResponse.kind,
                    SurveyResponse.score,
                    SurveyResponse.comment,
                    SurveyResponse.answered_at,
                )
                .where(
                    SurveyResponse.account_id == account_id,
                    SurveyResponse.answered_at >= start_dt,
                    SurveyResponse.answered_at < end_dt,
                    SurveyResponse.comment.is_not(None),
                    SurveyResponse.comment != "",
                )
                .order_by(SurveyResponse.answered_at, SurveyResponse.id)
            )
        ][-3:]
        revenue = list(
            s.scalars(
                select(RevenueChange)
                .where(RevenueChange.account_id == account_id, RevenueChange.effective_date < period.end)
                .order_by(RevenueChange.effective_date, RevenueChange.id)
            )
        )
    acc = {
        "id": account.id,
        "name": account.name,
        "segment": account.segment,
        "segment_label": i18n.label(vocab.SEGMENT_LABELS, account.segment, language),
        "tier": account.tier or "",
        "industry": account.industry or "",
        "plan": account.plan or "",
        "mrr_cents": account.mrr_cents,
        "arr_cents": account.mrr_cents * 12,
        "currency": account.currency,
        "contract_start": account.contract_start,
        "renewal_date": account.renewal_date,
        "days_to_renewal": (account.renewal_date - today).days if account.renewal_date else None,
        "stage": account.stage,
        "stage_label": i18n.label(vocab.STAGE_LABELS, account.stage, language),
        "status": account.status,
        "owner": account.owner or "",
        "licensed_users": account.licensed_users,
        "active_users": account.active_users,
        "adoption": (
            account.active_users / account.licensed_users
            if account.licensed_users and account.active_users is not None
            else None
        ),
        "last_nps": account.last_nps,
    }
    stored_score, stored_band, stored_trend = account.health_score, account.health_band, account.health_trend

    # Health: the latest snapshot wins over the denormalised column when both exist.
    latest = snapshots[-1] if snapshots else None
    if latest is not None and latest.as_of < period.end - timedelta(days=8):
        # Snapshots are weekly: none in the period's last week means no score then (No data),
        # not the last score the account ever had.
        latest, stored_score, stored_band = None, None, None
    score = latest.score if latest else stored_score
    model = health_scores.model_for(db, acc["segment"])
    # The band the account's health model gives a score (its own green/yellow thresholds).
    band = (latest.band if latest else stored_band) or (None if score is None else model.band(score))
    history = [
        (snap.as_of, snap.score) for snap in snapshots if snap.as_of >= period.start - timedelta(days=90)
    ]
    trend = stored_trend
    if trend is None and latest is not None:
        earlier = [sc for d, sc in history if d <= latest.as_of - timedelta(days=30)]
        trend = latest.score - earlier[-1] if earlier else None
    components = []
    explanation = _explanation(db, account_id, latest)
    for comp in latest.components if latest else ():
        key = comp.key
        if explanation is not None:
            name = explanation.label_of(key, comp.measure or key, language)
        else:
            name = tr(COMPONENT_LABELS.get(key, key.replace("_", " ").capitalize()), language)
        components.append(
            {
                "key": key,
                "label": name,
                "points": comp.points,
                "weight": comp.weight,
                "missing": comp.missing or comp.points is None,
            }
        )
    at_start = [sc for d, sc in history if d < period.start]
    health = {
        "score": score,
        "band": band,
        "band_label": i18n.label(vocab.HEALTH_BAND_LABELS, band, language)
        if band
        else i18n.tr(vocab.HEALTH_NO_DATA, language),
        "trend": trend,
        "at_start": at_start[-1] if at_start else (history[0][1] if history else None),
        "components": components,
        "weakest": sorted((c for c in components if not c["missing"]), key=lambda c: c["points"])[:2],
        "as_of": latest.as_of if latest else None,
        "thresholds": {"green": model.green, "yellow": model.yellow},
    }

    # Usage over the year to the period's end (measures are often monthly or sparser);
    # "change" compares the last value known at the period's start with the latest.
    series: dict[str, list[tuple[date, float]]] = {}
    for metric, as_of, value in measures:
        series.setdefault(metric, []).append((as_of, value))
    usage = {}
    for metric, pts in series.items():
        before = [p for p in pts if p[0] <= period.start]
        during = [p for p in pts if p[0] > period.start]
        first = before[-1][1] if before else pts[0][1]
        last = pts[-1][1]
        usage[metric] = {
            "first": first,
            "last": last,
            "change": (last - first) / first if first and (before or len(during) > 1) else None,
            "points": len(during),
            "label": tr(MEASURE_LABELS.get(metric, metric), language),
        }

    tickets = [e for e in events if e.kind == "ticket"]
    by_severity = {sev: sum(1 for t in tickets if t.severity == sev) for sev in vocab.TICKET_SEVERITIES}
    meetings = [
        {
            "date": e.occurred_at.date(),
            "title": e.title,
            "subkind": e.subkind or "",
        }
        for e in events
        if e.kind == "meeting"
    ]
    wins = [
        {"date": e.occurred_at.date(), "title": e.title}
        for e in events
        if e.kind in ("milestone", "first_value", "advocacy")
    ]
    moves = [
        {
            "date": r.effective_date,
            "kind": r.kind,
            "kind_label": i18n.label(vocab.REVENUE_KIND_LABELS, r.kind, language),
            "before_cents": r.mrr_before_cents,
            "after_cents": r.mrr_after_cents,
            "delta_cents": r.mrr_after_cents - r.mrr_before_cents,
            "reason": r.reason or "",
        }
        for r in revenue
        if r.effective_date >= period.start
    ]
    # NPS, CSAT and the MRR movements as the portfolio metrics count them, for this one account.
    account_metrics = portfolio_metrics.compute_book(
        portfolio_metrics.load_book(db, account_id=account_id), period.start, last_day
    )
    m = account_metrics
    metrics = {
        "nps": {
            "responses": m.nps_responses,
            "promoters": m.promoters,
            "passives": m.passives,
            "detractors": m.detractors,
            "score": None if m.nps is None else round(m.nps),
            "last": acc["last_nps"],
        },
        "csat": {"responses": m.csat_responses, "score": m.csat},
        "comments": comments,
        "tickets": {
            "total": len(tickets),
            "by_severity": by_severity,
            "critical": by_severity["critical"],
            # Lists leave the events' data out; a ticket's status is in it.
            "open": sum(
                1
                for t in tickets
                if (timeline.get_event(db, t.id).data or {}).get("status") in ("open", "pending")
            ),
        },
        "usage": usage,
        "meetings": meetings,
        "wins": wins,
        "revenue": moves,
        # The account's movements of the period as the portfolio metrics count them: they reconcile.
        "expansion_cents": account_metrics.expansion_mrr,
        "mrr_at_start_cents": account_metrics.mrr_start if account_metrics.accounts_start else None,
        "mrr_bridge": {
            "start_cents": account_metrics.mrr_start,
            "steps": [{"kind": kind, "cents": cents} for kind, cents in account_metrics.bridge_steps()],
            "end_cents": account_metrics.mrr_end,
        },
    }

    plan = plans.current_plan(db, account_id, "success")
    get_well = plans.current_plan(db, account_id, "get_well")
    # Without a plan, documents propose the one the account's stage calls for.
    proposal = (
        None
        if plan is not None
        else plans.plan_from_template(
            account_id, acc["segment"], language, today, acc["stage"], acc["renewal_date"]
        )
    )
    acc["customer_since"] = acc["contract_start"] or next(
        (r.effective_date for r in revenue if r.kind in ("new", "opening", "reactivation")), None
    )
    # What Sales handed over (csdesk.handoffs): pains, promises, stakeholders, risks, deal notes.
    from csdesk import handoffs

    handoff = handoffs.template_data(handoffs.get_handoff(db, account_id))
    by_role = {c["role"]: c for c in contacts if c["role"]}
    empty_contact = {"name": "", "role": None, "role_label": "", "job_title": "", "email": "", "phone": ""}
    data = {
        "account": acc,
        "contacts": contacts,
        "champion": by_role.get("champion", empty_contact),
        "sponsor": by_role.get("sponsor", empty_contact),
        "decision_maker": by_role.get("decision_maker", by_role.get("sponsor", empty_contact)),
        "health": health,
        "metrics": metrics,
        "plan": _plan_view(plan, today, language),
        "proposal": _plan_view(proposal, today, language),
        "get_well": _plan_view(get_well, today, language),
        "handoff": handoff,
        "options": {"show_health": show_health},
        "period": {
            "start": period.start,
            "end": period.end - timedelta(days=1),
            "label": period.label(language),
        },
        "today": today,
        "churn": churn.churn_data(db, account_id, language, today),
        "dates": _dates(today, acc["renewal_date"]),
        "language": language,
        "labels": {
            "segments": dict(vocab.SEGMENT_LABELS),
            "bands": dict(vocab.HEALTH_BAND_LABELS),
            "owner_sides": dict(plans.OWNER_SIDE_LABELS),
            "milestone_statuses": dict(plans.MILESTONE_STATUS_LABELS),
            "plan_states": dict(vocab.PLAN_STATUS_LABELS),
        },
    }
    return AccountDocumentData(
        data=data,
        health_history=history,
        components=[(c["label"], c["points"], c["weight"] or 0) for c in components],
        usage={m: pts for m, pts in series.items() if m in ("logins", "active_users", "key_feature_use")},
        language=language,
    )


def _explanation(db: Database, account_id: int, latest: health_scores.Snapshot | None):
    """The health service's view of the latest snapshot: it knows each component's label."""
    if latest is None:
        return None
    try:
        return health_scores.explain(db, account_id, latest.as_of)
    except Exception:  # an old or hand-made snapshot the model no longer describes
        return None


def _plan_view(plan: plans.PlanData | None, today: date, language: str) -> dict[str, Any] | None:
    if plan is None:
        return None
    view = plans.plan_as_dict(plan, today)
    # A template's fill-in hints are for the CSM, never for the customer's eyes.
    view["outcomes"] = [o for o in view["outcomes"] if not plans.is_placeholder(o["required_outcome"])]
    for o in view["outcomes"]:
        if plans.is_placeholder(o["appropriate_experience"]):
            o["appropriate_experience"] = None
    if plans.is_placeholder(view.get("root_cause")):
        view["root_cause"] = None
    view["state_label"] = i18n.label(vocab.PLAN_STATUS_LABELS, view["state"], language)
    for m in view["milestones"] + view["quick_wins"]:
        m["owner_label"] = i18n.label(plans.OWNER_SIDE_LABELS, m["owner_side"], language)
        m["status_label"] = i18n.label(plans.MILESTONE_STATUS_LABELS, m["status"], language)
    for t in view["tasks"]:
        t["owner_label"] = i18n.label(plans.OWNER_SIDE_LABELS, t["owner_side"], language)
    view["done_count"] = sum(1 for m in plan.milestones if m.status == "done")
    view["late_count"] = sum(1 for m in plan.milestones if m.is_late(today))
    view["next_milestones"] = [m for m in view["milestones"] if m["status"] not in ("done", "cancelled")][:4]
    return view


def _sample_handoff() -> dict[str, Any]:
    from csdesk import handoffs

    return handoffs.sample()


def sample_data(language: str = "pt_BR", today: date | None = None) -> dict[str, Any]:
    """Made-up data for previews when no account is chosen (never stored)."""
    today = today or clock.today()
    plan = plans.plan_from_template(0, "high_touch", language, today - timedelta(days=30))
    view = _plan_view(plan, today, language)
    return {
        "account": {
            "id": 0,
            "name": "Padaria Pitanga",
            "segment": "high_touch",
            "segment_label": i18n.label(vocab.SEGMENT_LABELS, "high_touch", language),
            "tier": "A",
            "industry": tr("Retail", language),
            "plan": "Pro",
            "mrr_cents": 123456,
            "arr_cents": 123456 * 12,
            "currency": "BRL",
            "contract_start": today - timedelta(days=200),
            "customer_since": today - timedelta(days=200),
            "renewal_date": today + timedelta(days=165),
            "days_to_renewal": 165,
            "stage": "ongoing_adoption",
            "stage_label": i18n.label(vocab.STAGE_LABELS, "ongoing_adoption", language),
            "status": "active",
            "owner": "Ana Souza",
            "licensed_users": 40,
            "active_users": 31,
            "adoption": 31 / 40,
            "last_nps": 9,
        },
        "contacts": [
            {
                "name": "Carla Menezes",
                "role": "champion",
                "role_label": i18n.label(vocab.CONTACT_ROLE_LABELS, "champion", language),
                "job_title": "Gerente de operações",
                "email": "carla@pitanga.com.br",
                "phone": "",
                "is_primary": True,
            },
        ],
        "champion": {
            "name": "Carla Menezes",
            "role": "champion",
            "role_label": "",
            "job_title": "",
            "email": "",
            "phone": "",
        },
        "sponsor": {
            "name": "Roberto Lima",
            "role": "sponsor",
            "role_label": "",
            "job_title": "",
            "email": "",
            "phone": "",
        },
        "decision_maker": {
            "name": "Roberto Lima",
            "role": "decision_maker",
            "role_label": "",
            "job_title": "",
            "email": "",
            "phone": "",
        },
        "health": {
            "score": 82.0,
            "band": "green",
            "band_label": i18n.label(vocab.HEALTH_BAND_LABELS, "green", language),
            "trend": 4.0,
            "at_start": 78.0,
            "components": [],
            "weakest": [],
            "as_of": today,
            "thresholds": dict(health_scores.DEFAULT_THRESHOLDS),
        },
        "metrics": {
            "nps": {"responses": 5, "promoters": 3, "passives": 1, "detractors": 1, "score": 40, "last": 9},
            "csat": {"responses": 10, "score": 0.8},
            "comments": [],
            "tickets": {
                "total": 4,
                "by_severity": {"low": 2, "medium": 1, "high": 1, "critical": 0},
                "critical": 0,
                "open": 1,
            },
            "usage": {},
            "meetings": [],
            "wins": [],
            "revenue": [],
            "expansion_cents": 0,
            "mrr_at_start_cents": 123456,
            "mrr_bridge": {
                "start_cents": 123456,
                "steps": [
                    {"kind": kind, "cents": 0}
                    for kind in ("new", "reactivation", "expansion", "contraction", "churn")
                ],
                "end_cents": 123456,
            },
        },
        "plan": view,
        "get_well": None,
        "period": {
            "start": today - timedelta(days=89),
            "end": today,
            "label": Period.quarter_to(today).label(language),
        },
        "today": today,
        "churn": churn.sample_churn(language, today),
        "dates": _dates(today, today + timedelta(days=165)),
        "language": language,
        "labels": {},
        "proposal": None,
        "handoff": _sample_handoff(),
        "options": {"show_health": True},
    }


def next_review(today: date, renewal_date: date | None) -> tuple[date, bool]:
    """The next success review: (date, whether it is the renewal conversation).

    A quarter on, unless the renewal comes first: then the review is the renewal
    conversation, a month before the renewal date (or just before it when that
    is already close), never after it.
    """
    quarter = today + timedelta(days=91)
    if renewal_date is None or renewal_date <= today or renewal_date > quarter:
        return quarter, False
    day = renewal_date - timedelta(days=30)
    if day < today + timedelta(days=7):
        day = max(today + timedelta(days=1), renewal_date - timedelta(days=1))
    return day, True


def _dates(today: date, renewal_date: date | None) -> dict[str, Any]:
    """Handy deadlines for next steps (templates cannot do date arithmetic)."""
    review, is_renewal = next_review(today, renewal_date)
    return {
        "in_2_days": today + timedelta(days=2),
        "in_1_week": today + timedelta(days=7),
        "in_2_weeks": today + timedelta(days=14),
        "in_30_days": today + timedelta(days=30),
        "next_quarter": today + timedelta(days=91),
        "next_review": review,
        "next_review_is_renewal": is_renewal,
    }
