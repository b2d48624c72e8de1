"""Success plans and get-well plans (domain §5): outcomes, criteria, milestones, tasks.

Every service hands back frozen dataclasses (``PlanData`` and its parts), so
the UI and the document builders never hold live ORM objects. A plan is
started from a template chosen by the account's touch model; red accounts get
a get-well plan (root cause, steps with owners and deadlines, weekly check-ins).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from csdesk import clock, health, vocab
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.rules import plans as rules
from csdesk.rules.plans import PlanStatus, milestone_late
from db import Database
from db.models import Account, DesiredOutcome, Milestone, SuccessCriterion, SuccessPlan, Task

PLAN_KINDS = ("success", "get_well")
OWNER_SIDE_LABELS = {"ours": "Our team", "customer": "Customer"}
MILESTONE_STATUS_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "late": "Late",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class OutcomeData:
    required_outcome: str
    appropriate_experience: str | None = None
    result: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class CriterionData:
    metric: str
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    due_date: date | None = None
    id: int | None = None

    @property
    def attainment(self) -> float | None:
        """How far from baseline to target the current value is, 0..1 (None if unknown)."""
        if self.baseline is None or self.target is None or self.current is None:
            return None
        if self.target == self.baseline:
            return 1.0 if self.current == self.target else 0.0
        return max(0.0, min(1.0, (self.current - self.baseline) / (self.target - self.baseline)))


@dataclass(frozen=True)
class MilestoneData:
    title: str
    owner_side: str = "ours"
    due_date: date | None = None
    status: str = "planned"
    progress: int = 0
    is_quick_win: bool = False
    completed_on: date | None = None
    id: int | None = None

    def is_late(self, today: date) -> bool:
        return milestone_late(self.status, self.due_date, today)


@dataclass(frozen=True)
class PlanTaskData:
    title: str
    due_date: date | None = None
    owner_side: str = "ours"
    status: str = "open"
    id: int | None = None


@dataclass(frozen=True)
class PlanData:
    account_id: int
    title: str
    kind: str = "success"
    status: str = "active"
    root_cause: str | None = None
    outcomes: tuple[OutcomeData, ...] = ()
    criteria: tuple[CriterionData, ...] = ()
    milestones: tuple[MilestoneData, ...] = ()
    tasks: tuple[PlanTaskData, ...] = ()
    id: int | None = None

    @property
    def quick_wins(self) -> tuple[MilestoneData, ...]:
        return tuple(m for m in self.milestones if m.is_quick_win)

    @property
    def progress(self) -> float:
        """Mean milestone progress 0..1 (cancelled ones left out)."""
        live = [m for m in self.milestones if m.status != "cancelled"]
        if not live:
            return 1.0 if self.status == "done" else 0.0
        return sum(100 if m.status == "done" else m.progress for m in live) / (100 * len(live))

    def status_on(self, today: date) -> PlanStatus:
        return plan_status(self, today)


def plan_status(plan: PlanData, today: date) -> PlanStatus:
    """done when closed or every milestone is done; late when a milestone is overdue (csdesk.rules.plans)."""
    return rules.plan_status(plan.status, [(m.status, m.due_date) for m in plan.milestones], today)


# Reading --------------------------------------------------------------------


def _plan_data(plan: SuccessPlan, tasks: list[Task]) -> PlanData:
    return PlanData(
        id=plan.id,
        account_id=plan.account_id,
        title=plan.title,
        kind=plan.kind,
        status=plan.status,
        root_cause=plan.root_cause,
        outcomes=tuple(
            OutcomeData(o.required_outcome, o.appropriate_experience, o.result, o.id) for o in plan.outcomes
        ),
        criteria=tuple(
            CriterionData(c.metric, c.unit, c.baseline, c.target, c.current, c.due_date, c.id)
            for c in plan.criteria
        ),
        milestones=tuple(
            MilestoneData(
                m.title, m.owner_side, m.due_date, m.status, m.progress, m.is_quick_win, m.completed_on, m.id
            )
            for m in plan.milestones
        ),
        tasks=tuple(PlanTaskData(t.title, t.due_date, t.owner_side, t.status, t.id) for t in tasks),
    )


def _load(session: Session, plans: list[SuccessPlan]) -> list[PlanData]:
    ids = [p.id for p in plans]
    tasks_by_plan: dict[int, list[Task]] = {i: [] for i in ids}
    if ids:
        query = select(Task).where(Task.plan_id.in_(ids)).order_by(Task.due_date, Task.id)
        for task in session.scalars(query):
            tasks_by_plan[task.plan_id].append(task)
    return [_plan_data(p, tasks_by_plan[p.id]) for p in plans]


def _plan_query():
    return select(SuccessPlan).options(
        selectinload(SuccessPlan.outcomes),
        selectinload(SuccessPlan.criteria),
        selectinload(SuccessPlan.milestones),
    )


def list_plans(db: Database, account_id: int, *, include_archived: bool = False) -> list[PlanData]:
    """An account's plans, newest first (archived ones only when asked)."""
    with db.session() as session:
        query = _plan_query().where(SuccessPlan.account_id == account_id)
        if not include_archived:
            query = query.where(SuccessPlan.status != "archived")
        plans = list(session.scalars(query.order_by(SuccessPlan.id.desc())))
        return _load(session, plans)


def get_plan(db: Database, plan_id: int) -> PlanData:
    with db.session() as session:
        plan = session.scalars(_plan_query().where(SuccessPlan.id == plan_id)).first()
        if plan is None:
            raise UserError(tr("Plan {id} does not exist.", id=plan_id))
        return _load(session, [plan])[0]


def current_plan(db: Database, account_id: int, kind: str = "success") -> PlanData | None:
    """The newest non-archived plan of this kind, or None."""
    for plan in list_plans(db, account_id):
        if plan.kind == kind:
            return plan
    return None


def plan_status_by_account(db: Database, today: date | None = None) -> dict[int, PlanStatus]:
    """For the book: each account with a live plan -> on_track | late | done.

    One query over all milestones; an account is late if any of its active
    plans is late, done if all its plans are done.
    """
    today = today or clock.today()
    with db.session() as session:
        rows = session.execute(
            select(
                SuccessPlan.id, SuccessPlan.account_id, SuccessPlan.status, Milestone.status, Milestone.due_date
            )
            .outerjoin(Milestone, Milestone.plan_id == SuccessPlan.id)
            .where(SuccessPlan.status != "archived")
        ).all()
    return rules.statuses_by_account(rows, today)


# Writing --------------------------------------------------------------------


def validate_plan(plan: PlanData) -> list[str]:
    errors = []
    if not plan.title.strip():
        errors.append(tr("Give the plan a title."))
    if plan.kind not in PLAN_KINDS:
        errors.append(tr("Unknown plan kind."))
    for m in plan.milestones:
        if not m.title.strip():
            errors.append(tr("Every milestone needs a title."))
        if m.owner_side not in OWNER_SIDE_LABELS:
            errors.append(tr("A milestone's owner must be our team or the customer."))
        if m.status not in vocab.MILESTONE_STATUSES:
            errors.append(tr("Unknown milestone status."))
        if not 0 <= m.progress <= 100:
            errors.append(tr("Progress goes from 0 to 100."))
    for o in plan.outcomes:
        if not o.required_outcome.strip():
            errors.append(tr("Every desired outcome needs its required outcome."))
    for c in plan.criteria:
        if not c.metric.strip():
            errors.append(tr("Every success criterion needs a metric."))
    return errors


def save_plan(db: Database, plan: PlanData) -> PlanData:
    """Create (id None) or replace a plan with all its parts; returns it as stored."""
    errors = validate_plan(plan)
    if errors:
        raise UserError(" ".join(dict.fromkeys(errors)))
    with db.transaction() as session:
        if session.get(Account, plan.account_id) is None:
            raise UserError(tr("Account {id} does not exist.", id=plan.account_id))
        if plan.id is None:
            row = SuccessPlan(account_id=plan.account_id)
            session.add(row)
        else:
            row = session.scalars(_plan_query().where(SuccessPlan.id == plan.id)).first()
            if row is None:
                raise UserError(tr("Plan {id} does not exist.", id=plan.id))
        row.title = plan.title.strip()
        row.kind = plan.kind
        row.status = plan.status
        row.root_cause = plan.root_cause
        row.outcomes = [
            DesiredOutcome(
                position=i,
                required_outcome=o.required_outcome,
                appropriate_experience=o.appropriate_experience,
                result=o.result,
            )
            for i, o in enumerate(plan.outcomes)
        ]
        row.criteria = [
            SuccessCriterion(
                position=i,
                metric=c.metric,
                unit=c.unit,
                baseline=c.baseline,
                target=c.target,
                current=c.current,
                due_date=c.due_date,
            )
            for i, c in enumerate(plan.criteria)
        ]
        row.milestones = [
            Milestone(
                position=i,
                title=m.title,
                owner_side=m.owner_side,
                due_date=m.due_date,
                status=m.status,
                progress=100 if m.status == "done" else m.progress,
                is_quick_win=m.is_quick_win,
                completed_on=m.completed_on or (clock.today() if m.status == "done" else None),
            )
            for i, m in enumerate(plan.milestones)
        ]
        session.flush()
        kind = "risk" if plan.kind == "get_well" else "onboarding"
        kept: set[int] = set()
        for t in plan.tasks:
            task = session.get(Task, t.id) if t.id else None
            if task is None:
                task = Task(account_id=plan.account_id, plan_id=row.id, kind=kind)
                session.add(task)
            task.title, task.due_date, task.owner_side, task.status = (
                t.title,
                t.due_date,
                t.owner_side,
                t.status,
            )
            session.flush()
            kept.add(task.id)
        session.execute(delete(Task).where(Task.plan_id == row.id, Task.id.not_in(kept or {-1})))
        session.flush()
        return _load(session, [row])[0]


def set_milestone(
    db: Database, milestone_id: int, *, status: str | None = None, progress: int | None = None
) -> None:
    """Move one milestone on (status and/or progress), stamping its completion day."""
    with db.transaction() as session:
        m = session.get(Milestone, milestone_id)
        if m is None:
            raise UserError(tr("Milestone {id} does not exist.", id=milestone_id))
        if status is not None:
            if status not in vocab.MILESTONE_STATUSES:
                raise UserError(tr("Unknown milestone status."))
            m.status = status
            m.completed_on = clock.today() if status == "done" else None
            if status == "done":
                m.progress = 100
        if progress is not None:
            m.progress = max(0, min(100, int(progress)))


def plan_as_dict(plan: PlanData, today: date | None = None) -> dict[str, Any]:
    """Plain data for templates (no ORM, no methods that reach the database)."""
    today = today or clock.today()
    data = asdict(plan)
    for key in ("outcomes", "criteria", "milestones", "tasks"):
        data[key] = list(data[key])
    data["progress"] = plan.progress
    data["state"] = plan_status(plan, today)
    data["quick_wins"] = [asdict(m) for m in plan.quick_wins]
    for m, source in zip(data["milestones"], plan.milestones, strict=True):
        m["late"] = source.is_late(today)
    for c, source in zip(data["criteria"], plan.criteria, strict=True):
        c["attainment"] = source.attainment
    return data


# Starting a plan from a template ------------------------------------------------

# (title, owner side, days after start, quick win); the weeks follow domain §2's
# onboarding phases: kickoff, configuration, training, first value, review.
_SUCCESS_MILESTONES: dict[str, list[tuple[str, str, int, bool]]] = {
    "high_touch": [
        ("Kickoff meeting held", "ours", 7, False),
        ("Technical setup and integrations done", "ours", 21, False),
        ("Key users trained", "ours", 30, False),
        ("First value delivered", "customer", 45, True),
        ("Onboarding review with the sponsor", "ours", 60, False),
        ("First QBR", "ours", 90, False),
    ],
    "mid_touch": [
        ("Kickoff meeting held", "ours", 7, False),
        ("Setup done", "customer", 21, False),
        ("Team trained", "ours", 30, False),
        ("First value delivered", "customer", 45, True),
        ("Onboarding review", "ours", 75, False),
    ],
    "low_touch": [
        ("Group onboarding session attended", "customer", 7, False),
        ("Setup done", "customer", 21, False),
        ("First value delivered", "customer", 30, True),
        ("30-day check-in", "ours", 30, False),
    ],
    "tech_touch": [
        ("Welcome email and self-service guide sent", "ours", 1, False),
        ("First login of every licensed user", "customer", 14, True),
        ("Key feature used for the first time", "customer", 30, False),
    ],
}
# A plan follows the account's stage: an account past onboarding gets the steps of
# its stage (adoption, expansion, renewal), never a second onboarding.
_STAGE_MILESTONES: dict[str, list[tuple[str, str, int, bool]]] = {
    "ongoing_adoption": [
        ("Usage review with the key users", "ours", 14, False),
        ("Key feature adopted by every team", "customer", 45, True),
        ("Success criteria reviewed with the sponsor", "ours", 60, False),
        ("Next QBR", "ours", 90, False),
    ],
    "expansion": [
        ("New needs and teams mapped with the champion", "ours", 14, False),
        ("New team or use case live", "customer", 45, True),
        ("Case study, testimonial or referral agreed", "customer", 60, False),
        ("QBR with the decision maker", "ours", 90, False),
    ],
    "renewal": [
        ("Value delivered summarised (results and ROI)", "ours", 14, False),
        ("Renewal proposal sent", "ours", 30, False),
        ("Renewal decision with the decision maker", "customer", 45, False),
        ("Goals for the next contract term agreed", "ours", 60, False),
    ],
}
# What a plan template writes where the CSM and the customer still have to fill in:
# shown as hints while editing, never printed in a document for the customer.
_PLACEHOLDERS = (
    "Describe the business result the customer needs",
    "How the customer wants to get there (experience)",
    "Describe the root cause agreed with the customer",
)


def is_placeholder(text: str | None) -> bool:
    """Whether ``text`` is a template's fill-in hint (in any language), not the customer's words."""
    if not text:
        return False
    from csdesk import i18n

    return any(text.strip() in {hint, tr(hint, language)} for hint in _PLACEHOLDERS for language in i18n.LANGUAGES)


def template_milestones(segment: str | None, stage: str | None) -> list[tuple[str, str, int, bool]]:
    """(title, owner side, days after start, quick win) of a new plan for this touch model and stage."""
    if stage in _STAGE_MILESTONES:
        return _STAGE_MILESTONES[stage]
    return _SUCCESS_MILESTONES.get(segment or "", _SUCCESS_MILESTONES["mid_touch"])


_GET_WELL_MILESTONES: list[tuple[str, str, int, bool]] = [
    ("Root cause agreed with the sponsor", "ours", 7, False),
    ("Recovery steps and owners agreed with the customer", "customer", 10, False),
    ("Quick fix for the main complaint delivered", "ours", 21, True),
    ("Usage back above the agreed floor", "customer", 45, False),
    ("Health review with the decision maker", "ours", 60, False),
]


def plan_from_template(
    account_id: int,
    segment: str | None,
    language: str | None = None,
    start: date | None = None,
    stage: str | None = None,
    renewal_date: date | None = None,
) -> PlanData:
    """A new (unsaved) success plan shaped by the account's touch model and stage.

    A renewal plan's steps fall before the renewal date when there is time for them.
    """
    start = start or clock.today()
    steps = template_milestones(segment, stage)

    def due(days: int) -> date:
        day = start + timedelta(days=days)
        if stage == "renewal" and renewal_date is not None and renewal_date > start:
            latest = renewal_date - timedelta(days=max(0, 60 - days) // 3)
            day = min(day, max(latest, start + timedelta(days=1)))
        return day
    return PlanData(
        account_id=account_id,
        title=tr("Success plan", language),
        outcomes=(
            OutcomeData(
                tr("Describe the business result the customer needs", language),
                tr("How the customer wants to get there (experience)", language),
            ),
        ),
        criteria=(
            CriterionData(
                tr("Adoption (active ÷ licensed users)", language),
                "%",
                None,
                80.0,
                None,
                start + timedelta(days=90),
            ),
        ),
        milestones=tuple(
            MilestoneData(tr(title, language), side, due(days), is_quick_win=quick)
            for title, side, days, quick in steps
        ),
    )


def get_well_from_template(
    account_id: int, language: str | None = None, start: date | None = None, *, exit_score: float
) -> PlanData:
    """A new (unsaved) get-well plan: root cause, recovery steps, weekly check-ins.

    ``exit_score`` is the score the plan aims back above: the account's model's yellow threshold.
    """
    start = start or clock.today()
    milestones = [
        MilestoneData(tr(title, language), side, start + timedelta(days=days), is_quick_win=quick)
        for title, side, days, quick in _GET_WELL_MILESTONES
    ]
    check_ins = tuple(
        PlanTaskData(tr("Weekly check-in {n}", language, n=week), start + timedelta(weeks=week))
        for week in range(1, 9)
    )
    return PlanData(
        account_id=account_id,
        title=tr("Get-well plan", language),
        kind="get_well",
        root_cause=tr("Describe the root cause agreed with the customer", language),
        criteria=(
            CriterionData(tr("Health score", language), None, None, exit_score, None, start + timedelta(days=60)),
        ),
        milestones=tuple(milestones),
        tasks=check_ins,
    )


def start_plan(db: Database, account_id: int, kind: str = "success", language: str | None = None) -> PlanData:
    """Create and store a plan from its template for this account."""
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        segment, stage, renewal_date = account.segment, account.stage, account.renewal_date
    if kind == "get_well":  # back above the account's own yellow threshold
        yellow = health.model_for(db, segment).yellow
        plan = get_well_from_template(account_id, language, exit_score=yellow)
    else:
        plan = plan_from_template(account_id, segment, language, stage=stage, renewal_date=renewal_date)
    return save_plan(db, plan)
