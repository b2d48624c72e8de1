"""Playbooks: a trigger the CSM chooses and the tasks it creates, once per occurrence.

A playbook (*playbook*: gatilho, passos, responsáveis, prazos) is data the CSM
edits: a trigger with its parameters and a list of steps (title, days after
the trigger is noticed, working days or calendar days, owner side, priority,
task kind, optional e-mail template). ``evaluate`` finds every occurrence of
each enabled playbook's trigger across the book, with one query per trigger
(no loop over accounts), and acts on the ones it has not acted on before: each
occurrence is one row of ``playbook_runs`` keyed by (playbook, account,
occurrence key: the survey answer's id, the day a band began, the renewal
date...), so re-importing a file or evaluating again never creates a task
twice. Tasks keep ``playbook_id`` and a ``rule_key`` of their own.

E-mail templates are Jinja rendered in the documents' sandbox
(:func:`csdesk.templates.render`); the text goes into the task's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from csdesk import clock, formatting, i18n, nps, templates, timeline_titles, vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.paths import resources_dir
from csdesk.progress import SILENT, Progress, write_waiting
from csdesk.tasks import STALE_DAYS, quarter_of
from db import Database
from db.models import (
    Account,
    Contact,
    Handoff,
    HealthSnapshot,
    Playbook,
    PlaybookRun,
    Setting,
    SurveyResponse,
    Task,
    TimelineEvent,
)

# ---------------------------------------------------------------------------
# Triggers and their parameters

TRIGGERS = (
    "band_change",
    "score_drop",
    "champion_left",
    "detractor",
    "promoter",
    "low_adoption",
    "renewal_in",
    "no_touch",
    "event_kind",
    "stage",
)
TRIGGER_LABELS = {
    "band_change": "Health band turns {band}",
    "score_drop": "Health drops {points} points in {days} days",
    "champion_left": "The champion contact leaves",
    "detractor": "A detractor answer (NPS 0–6 or CSAT 1–2)",
    "promoter": "A promoter answer (NPS 9–10)",
    "low_adoption": "Adoption below {percent}% of licensed users",
    "renewal_in": "Renewal in {days} days",
    "no_touch": "No touch for {days} days",
    "event_kind": "A logged event: {kinds}",
    "stage": "The account enters the {stage} stage",
}
TRIGGER_NAMES = {
    "band_change": "Band change",
    "score_drop": "Score drop",
    "champion_left": "Champion left",
    "detractor": "Detractor answer",
    "promoter": "Promoter answer",
    "low_adoption": "Low adoption",
    "renewal_in": "Renewal ahead",
    "no_touch": "No touch",
    "event_kind": "Logged event",
    "stage": "Lifecycle stage",
}
# Each trigger's parameters: name -> (default, low, high) for numbers, (default, choices) for words.
NUMBER_PARAMS: dict[str, dict[str, tuple[int, int, int]]] = {
    "score_drop": {"points": (15, 1, 100), "days": (7, 1, 365)},
    "low_adoption": {"percent": (50, 1, 100)},
    "renewal_in": {"days": (120, 1, 730)},
    "no_touch": {"days": (30, 1, 730)},
    "detractor": {"lookback_days": (30, 1, 3650)},
    "promoter": {"lookback_days": (30, 1, 3650)},
    "event_kind": {"lookback_days": (30, 1, 3650)},
}
# A cancellation request is stored as ``churn_request`` (vocab: ``cancellation_request`` is its CLI name).
CANCELLATION_KINDS = ["churn_request"]
CHOICE_PARAMS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "band_change": {"band": ("red", vocab.HEALTH_BANDS)},
    "stage": {"stage": ("onboarding", vocab.STAGES)},
}
# CSAT answers (1–5) this low count as detractors, as NPS 0–6 do (nps.nps_group).
CSAT_DETRACTOR_MAX = 2
OWNER_SIDES = ("ours", "customer")
MAX_STEPS = 30


def default_params(trigger: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[0] for k, v in NUMBER_PARAMS.get(trigger, {}).items()}
    params.update({k: v[0] for k, v in CHOICE_PARAMS.get(trigger, {}).items()})
    if trigger == "event_kind":
        params["kinds"] = list(CANCELLATION_KINDS)
    return params


def stored_kinds(kinds) -> list[str]:
    """The stored event kinds a playbook's kinds name (a CLI name such as cancellation_request included)."""
    return list(dict.fromkeys(vocab.EVENT_KIND_NAMES.get(str(k).strip(), str(k).strip()) for k in kinds or []))


def trigger_label(trigger: str, params: dict[str, Any], language: str | None = None) -> str:
    values = {**default_params(trigger), **params}
    if trigger == "band_change":
        values["band"] = i18n.label(vocab.HEALTH_BAND_LABELS, values.get("band"), language)
    if trigger == "stage":
        values["stage"] = i18n.label(vocab.STAGE_LABELS, values.get("stage"), language)
    if trigger == "event_kind":
        kinds = stored_kinds(values.get("kinds"))
        values["kinds"] = ", ".join(
            i18n.label(vocab.EVENT_KIND_LABELS, k, language) if k in vocab.EVENT_KIND_LABELS else k
            for k in kinds
        )
    return tr(TRIGGER_LABELS[trigger], language, **values)


# ---------------------------------------------------------------------------
# Playbooks as data


@dataclass(frozen=True)
class Step:
    """One task a playbook creates, due ``offset`` days after the trigger is noticed."""

    title: str
    offset: int = 0
    working_days: bool = False
    owner_side: str = "ours"
    priority: str = "normal"
    kind: str = "follow_up"
    email: str | None = None  # a Jinja e-mail template, rendered into the task's notes

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "offset": self.offset,
            "working_days": self.working_days,
            "owner_side": self.owner_side,
            "priority": self.priority,
            "kind": self.kind,
            "email": self.email,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(
            title=str(data.get("title") or ""),
            offset=int(data.get("offset") or 0),
            working_days=bool(data.get("working_days")),
            owner_side=str(data.get("owner_side") or "ours"),
            priority=str(data.get("priority") or "normal"),
            kind=str(data.get("kind") or "follow_up"),
            email=data.get("email") or None,
        )


@dataclass(frozen=True)
class PlaybookData:
    name: str
    trigger: str
    params: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    enabled: bool = True
    id: int | None = None
    builtin_key: str | None = None
    runs: int = 0  # occurrences acted on
    tasks: int = 0  # tasks created, still in the book

    @property
    def trigger_text(self) -> str:
        return trigger_label(self.trigger, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "builtin": self.builtin_key,
            "trigger": self.trigger,
            "trigger_text": self.trigger_text,
            "params": dict(self.params),
            "enabled": self.enabled,
            "steps": [s.as_dict() for s in self.steps],
            "runs": self.runs,
            "tasks": self.tasks,
        }


def _data(row: Playbook, runs: int = 0, tasks: int = 0) -> PlaybookData:
    return PlaybookData(
        name=row.name,
        trigger=row.trigger,
        params=dict(row.params or {}),
        steps=tuple(Step.from_dict(s) for s in row.steps or []),
        enabled=row.enabled,
        id=row.id,
        builtin_key=row.builtin_key,
        runs=runs,
        tasks=tasks,
    )


def validate(data: PlaybookData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError("name", tr("Give the playbook a name.")))
    if data.trigger not in TRIGGERS:
        errors.append(FieldError("trigger", tr("Unknown trigger.")))
        return errors
    for name, (_default, low, high) in NUMBER_PARAMS.get(data.trigger, {}).items():
        value = data.params.get(name, _default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append(
                FieldError(name, tr("Use a whole number from {low} to {high}.", low=low, high=high))
            )
    for name, (_default, choices) in CHOICE_PARAMS.get(data.trigger, {}).items():
        if data.params.get(name, _default) not in choices:
            errors.append(FieldError(name, tr("Choose one of: {choices}.", choices=", ".join(choices))))
    if data.trigger == "event_kind" and not [k for k in data.params.get("kinds") or [] if str(k).strip()]:
        errors.append(FieldError("kinds", tr("Name at least one event kind.")))
    if not data.steps:
        errors.append(FieldError("steps", tr("Add at least one task.")))
    if len(data.steps) > MAX_STEPS:
        errors.append(FieldError("steps", tr("A playbook holds at most {n} tasks.", n=MAX_STEPS)))
    for number, step in enumerate(data.steps, start=1):
        where = f"steps.{number}"
        if not step.title.strip():
            errors.append(FieldError(where, tr("Task {n}: give it a title.", n=number)))
        if not 0 <= step.offset <= 3650:
            errors.append(FieldError(where, tr("Task {n}: days from 0 to 3650.", n=number)))
        if step.priority not in vocab.TASK_PRIORITIES:
            errors.append(FieldError(where, tr("Task {n}: unknown priority.", n=number)))
        if step.kind not in vocab.TASK_KINDS:
            errors.append(FieldError(where, tr("Task {n}: unknown task kind.", n=number)))
        if step.owner_side not in OWNER_SIDES:
            errors.append(FieldError(where, tr("Task {n}: the owner is ours or the customer.", n=number)))
        if step.email:
            try:
                templates.render(step.email, sample_context(), i18n.current_language())
            except UserError as exc:
                errors.append(
                    FieldError(where, tr("Task {n}: e-mail template: {error}", n=number, error=exc))
                )
    return errors


def _check(data: PlaybookData) -> PlaybookData:
    params = (
        {**default_params(data.trigger), **data.params} if data.trigger in TRIGGERS else dict(data.params)
    )
    steps = tuple(
        Step(
            title=s.title.strip(),
            offset=s.offset,
            working_days=s.working_days,
            owner_side=s.owner_side,
            priority=s.priority,
            kind=s.kind,
            email=(s.email or "").strip() or None,
        )
        for s in data.steps
    )
    data = PlaybookData(
        name=data.name.strip(),
        trigger=data.trigger,
        params=params,
        steps=steps,
        enabled=data.enabled,
        id=data.id,
        builtin_key=data.builtin_key,
    )
    errors = validate(data)
    if errors:
        raise ValidationError(errors)
    return data


def save_playbook(db: Database, data: PlaybookData) -> PlaybookData:
    """Create (no id) or update a playbook; its runs stay, so it never acts twice on one occurrence."""
    data = _check(data)
    ensure_builtin(db)
    with db.transaction() as session:
        if data.id is None:
            row = Playbook(builtin_key=None)
            session.add(row)
        else:
            row = session.get(Playbook, data.id)
            if row is None:
                raise UserError(tr("Playbook {id} no longer exists.", id=data.id))
        row.name = data.name
        row.trigger = data.trigger
        row.params = dict(data.params)
        row.steps = [s.as_dict() for s in data.steps]
        row.enabled = data.enabled
        session.flush()
        return _data(row)


def set_enabled(db: Database, playbook_id: int, enabled: bool) -> None:
    with db.transaction() as session:
        row = session.get(Playbook, playbook_id)
        if row is None:
            raise UserError(tr("Playbook {id} no longer exists.", id=playbook_id))
        row.enabled = enabled


def delete_playbook(db: Database, playbook_id: int) -> None:
    """Delete a playbook and its runs; the tasks it created stay (they are the CSM's now)."""
    with db.transaction() as session:
        row = session.get(Playbook, playbook_id)
        if row is None:
            raise UserError(tr("Playbook {id} no longer exists.", id=playbook_id))
        session.delete(row)


def list_playbooks(db: Database) -> list[PlaybookData]:
    ensure_builtin(db)
    with db.session() as session:
        runs = dict(
            session.execute(
                select(PlaybookRun.playbook_id, func.count()).group_by(PlaybookRun.playbook_id)
            ).all()
        )
        tasks = dict(
            session.execute(
                select(Task.playbook_id, func.count())
                .where(Task.playbook_id.is_not(None))
                .group_by(Task.playbook_id)
            ).all()
        )
        return [
            _data(row, runs.get(row.id, 0), tasks.get(row.id, 0))
            for row in session.scalars(select(Playbook).order_by(Playbook.id))
        ]


def get_playbook(db: Database, playbook_id: int) -> PlaybookData:
    for data in list_playbooks(db):
        if data.id == playbook_id:
            return data
    raise UserError(tr("Playbook {id} no longer exists.", id=playbook_id))


def resolve_playbook(db: Database, reference: str) -> PlaybookData:
    """A playbook by id, built-in key or name (case and accents ignored)."""
    from csdesk.rules.names import fold

    wanted = fold(reference.strip())
    found = [
        p
        for p in list_playbooks(db)
        if str(p.id) == reference.strip() or p.builtin_key == reference.strip() or fold(p.name) == wanted
    ]
    if not found:
        raise UserError(tr("No playbook {ref}: `csdesk playbooks` lists them.", ref=reference))
    return found[0]


@dataclass(frozen=True)
class RunData:
    id: int
    playbook_id: int
    account_id: int
    account_name: str
    occurrence_key: str
    occurred_on: date
    ran_at: datetime
    tasks_created: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "playbook_id": self.playbook_id,
            "account_id": self.account_id,
            "account": self.account_name,
            "occurrence": self.occurrence_key,
            "occurred_on": self.occurred_on.isoformat(),
            "ran_at": self.ran_at.isoformat(sep=" "),
            "tasks_created": self.tasks_created,
        }


def occurrence_label(key: str, language: str | None = None) -> str:
    """What an occurrence key means, for people: "survey:12" is the NPS/CSAT answer #12..."""
    kind, _, rest = key.partition(":")

    def day(value: str) -> str:
        try:
            return formatting.day(date.fromisoformat(value), language)
        except ValueError:
            return value

    if kind == "survey":
        return tr("Survey answer #{id}", language, id=rest)
    if kind == "event":
        return tr("Timeline entry #{id}", language, id=rest)
    if kind == "renewal":
        return tr("Renewal on {day}", language, day=day(rest))
    if kind == "touch":
        return tr("Last touch on {day}", language, day=day(rest))
    if kind == "champion":
        return tr("Champion contact #{id}", language, id=rest)
    if kind in ("band", "stage"):
        value, _, since = rest.partition(":")
        labels = vocab.HEALTH_BAND_LABELS if kind == "band" else vocab.STAGE_LABELS
        return tr("{what} since {day}", language, what=i18n.label(labels, value, language), day=day(since))
    if kind in ("adoption", "drop"):
        return tr("Period {period}", language, period=rest)
    return key


def list_runs(db: Database, playbook_id: int | None = None, *, limit: int = 500) -> list[RunData]:
    """The newest runs first (of one playbook, or of all)."""
    query = (
        select(
            PlaybookRun.id,
            PlaybookRun.playbook_id,
            PlaybookRun.account_id,
            Account.name,
            PlaybookRun.occurrence_key,
            PlaybookRun.occurred_on,
            PlaybookRun.ran_at,
            PlaybookRun.tasks_created,
        )
        .join(Account, Account.id == PlaybookRun.account_id)
        .order_by(PlaybookRun.ran_at.desc(), PlaybookRun.id.desc())
        .limit(limit)
    )
    if playbook_id is not None:
        query = query.where(PlaybookRun.playbook_id == playbook_id)
    with db.session() as session:
        return [RunData(*row) for row in session.execute(query)]


# ---------------------------------------------------------------------------
# The shipped playbooks (the course's risk and lifecycle ones)


def _step(title: str, offset: int, **kw: Any) -> dict[str, Any]:
    return {"title": title, "offset": offset, **kw}


# English source titles (translated through the catalogue when the book gets them).
BUILTIN: list[dict[str, Any]] = [
    {
        "key": "onboarding",
        "name": "Onboarding",
        "trigger": "stage",
        "params": {"stage": "onboarding"},
        "steps": [
            _step("Send the welcome e-mail", 0, priority="high", kind="onboarding", email="welcome_email"),
            _step("Hold the kickoff meeting", 5, working_days=True, priority="high", kind="onboarding"),
            _step("Check in 30 days after the kickoff", 30, kind="onboarding"),
            _step("Hold the onboarding review with the sponsor", 60, kind="onboarding"),
        ],
    },
    {
        "key": "low_adoption",
        "name": "Low adoption",
        "trigger": "low_adoption",
        "params": {"percent": 50},
        "steps": [
            _step("Review adoption with the champion", 3, working_days=True, priority="high", kind="risk"),
            _step("Schedule a training for the inactive users", 7, kind="risk"),
        ],
    },
    {
        "key": "detractor",
        "name": "Detractor call-back",
        "trigger": "detractor",
        "params": {},
        "steps": [
            _step(
                "Call the customer back",
                2,
                working_days=True,
                priority="high",
                kind="risk",
                email="detractor_email",
            ),
        ],
    },
    {
        "key": "promoter",
        "name": "Promoter: referral or case",
        "trigger": "promoter",
        "params": {},
        "steps": [
            _step(
                "Ask for a referral or a case study",
                5,
                working_days=True,
                kind="expansion",
                email="referral_email",
            ),
        ],
    },
    {
        "key": "champion_change",
        "name": "Champion change",
        "trigger": "champion_left",
        "params": {},
        "steps": [
            _step("Meet the new champion", 3, working_days=True, priority="high", kind="risk"),
            _step("Present the success plan to the new champion", 10, kind="risk"),
        ],
    },
    {
        "key": "renewal",
        "name": "Renewal in 120 days",
        "trigger": "renewal_in",
        "params": {"days": 120},
        "steps": [
            _step("Start the renewal conversation", 0, priority="high", kind="renewal"),
            _step("Confirm the decision maker for the renewal", 7, kind="renewal"),
            _step("Prepare the value review for the renewal", 14, kind="renewal"),
        ],
    },
    {
        "key": "cancellation_request",
        "name": "Cancellation request",
        "trigger": "event_kind",
        "params": {"kinds": list(CANCELLATION_KINDS)},
        "steps": [
            _step(
                "Call the customer about the cancellation request",
                1,
                working_days=True,
                priority="high",
                kind="risk",
            ),
            _step("Prepare a save plan", 2, working_days=True, priority="high", kind="risk"),
        ],
    },
    {
        "key": "turned_red",
        "name": "Account turned red",
        "trigger": "band_change",
        "params": {"band": "red"},
        "enabled": False,  # the health alerts already raise one task for a red account
        "steps": [
            _step(
                "Agree a get-well plan with the customer", 2, working_days=True, priority="high", kind="risk"
            ),
            _step("Weekly check-in until the account is out of red", 7, kind="risk"),
        ],
    },
]
SEEDED_KEY = "playbooks.seeded"


def builtin_email(name: str, language: str) -> str:
    return (resources_dir() / "playbooks" / language / f"{name}.txt.j2").read_text(encoding="utf-8")


def builtin_playbooks(language: str) -> list[PlaybookData]:
    """The shipped playbooks worded in ``language`` (pt_BR or en)."""
    result = []
    for spec in BUILTIN:
        steps = tuple(
            Step.from_dict(
                {
                    **s,
                    "title": tr(s["title"], language),
                    "email": builtin_email(s["email"], language) if s.get("email") else None,
                }
            )
            for s in spec["steps"]
        )
        result.append(
            PlaybookData(
                name=tr(spec["name"], language),
                trigger=spec["trigger"],
                params={**default_params(spec["trigger"]), **spec["params"]},
                steps=steps,
                enabled=spec.get("enabled", True),
                builtin_key=spec["key"],
            )
        )
    return result


def ensure_builtin(db: Database, language: str | None = None) -> int:
    """Put the shipped playbooks in the book once, worded in the app's language; return how many."""
    language = i18n.normalize_language(language or i18n.current_language())
    if getattr(db, "read_only", False):
        return 0  # a book opened read-only (team mode) is read as it is
    with db.session() as session:
        if session.get(Setting, SEEDED_KEY) is not None:
            return 0
    added = 0
    with db.transaction() as session:
        if session.get(Setting, SEEDED_KEY) is not None:
            return 0  # another CSDesk did it meanwhile
        have = set(session.scalars(select(Playbook.builtin_key).where(Playbook.builtin_key.is_not(None))))
        for data in builtin_playbooks(language):
            if data.builtin_key in have:
                continue
            session.add(
                Playbook(
                    builtin_key=data.builtin_key,
                    name=data.name,
                    trigger=data.trigger,
                    params=dict(data.params),
                    steps=[s.as_dict() for s in data.steps],
                    enabled=data.enabled,
                )
            )
            added += 1
        session.add(Setting(key=SEEDED_KEY, value=language))
    return added


# ---------------------------------------------------------------------------
# Finding occurrences


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
        select(
            TimelineEvent.id,
            TimelineEvent.account_id,
            TimelineEvent.occurred_at,
            TimelineEvent.title,
            TimelineEvent.kind,
            TimelineEvent.subkind,
            TimelineEvent.data,
        )
        .join(Account, Account.id == TimelineEvent.account_id)
        .where(
            TimelineEvent.kind.in_(kinds),
            TimelineEvent.occurred_at >= _start(since),
            TimelineEvent.occurred_at < _start(today + timedelta(days=1)),
            *_scope(ids),
        )
    )
    occurrences = []
    for eid, account_id, at, stored, kind, subkind, data in rows:
        title = timeline_titles.render(kind, subkind, stored, data)
        text = f"{formatting.day(at.date())}: {title}"
        occurrences.append(Occurrence(account_id, f"event:{eid}", at.date(), text, {"title": title}))
    return occurrences


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


# ---------------------------------------------------------------------------
# Acting on them


def add_working_days(day: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``day``."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_date(step: Step, today: date) -> date:
    return add_working_days(today, step.offset) if step.working_days else today + timedelta(days=step.offset)


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


@dataclass(frozen=True)
class EvaluationResult:
    runs: int
    created: int
    by_playbook: dict[int, int] = field(default_factory=dict)  # playbook id -> runs


def evaluate(
    db: Database,
    today: date | None = None,
    account_ids: Iterable[int] | None = None,
    *,
    progress: Progress = SILENT,
    language: str | None = None,
    triggers: Iterable[str] | None = None,
    import_run_id: int | None = None,
) -> EvaluationResult:
    """Act on every trigger occurrence no enabled playbook acted on yet (of ``account_ids``, or all).

    ``triggers`` limits it to some triggers; ``import_run_id`` stamps the tasks with the import
    that brought their facts, so undoing the import removes them too.
    """
    today = today or clock.today()
    language = i18n.normalize_language(language or i18n.current_language())
    ids = None if account_ids is None else sorted(set(account_ids))
    if (ids is not None and not ids) or getattr(db, "read_only", False):
        return EvaluationResult(0, 0)
    ensure_builtin(db)
    runs = created = 0
    by_playbook: dict[int, int] = {}
    progress.step(0, 1, tr("Checking playbooks"), force=True)
    with db.transaction(write_waiting(progress)) as session:
        books = [
            _data(row)
            for row in session.scalars(
                select(Playbook).where(Playbook.enabled.is_(True)).order_by(Playbook.id)
            )
        ]
        stamp = clock.now()
        for index, playbook in enumerate(books):
            progress.step(index, len(books), tr("Checking playbooks"))
            if triggers is not None and playbook.trigger not in triggers:
                continue
            found = FINDERS[playbook.trigger](session, today, playbook.params, ids)
            if not found:
                continue
            done_query = select(PlaybookRun.account_id, PlaybookRun.occurrence_key).where(
                PlaybookRun.playbook_id == playbook.id
            )
            if ids is not None:
                done_query = done_query.where(PlaybookRun.account_id.in_(ids))
            done = set(session.execute(done_query).all())
            fresh: dict[tuple[int, str], Occurrence] = {}
            for occurrence in found:
                if (occurrence.account_id, occurrence.key) not in done:
                    fresh.setdefault((occurrence.account_id, occurrence.key), occurrence)
            if not fresh:
                continue
            contexts = (
                email_contexts(session, {o.account_id for o in fresh.values()})
                if any(s.email for s in playbook.steps)
                else {}
            )
            for occurrence in fresh.values():
                session.add(
                    PlaybookRun(
                        playbook_id=playbook.id,
                        account_id=occurrence.account_id,
                        occurrence_key=occurrence.key[:60],
                        occurred_on=occurrence.day,
                        ran_at=stamp,
                        tasks_created=len(playbook.steps),
                    )
                )
                for number, step in enumerate(playbook.steps):
                    notes = occurrence.note
                    if step.email:
                        context = {
                            **contexts[occurrence.account_id],
                            "contact": {
                                "name": occurrence.facts.get("respondent", ""),
                                "email": occurrence.facts.get("respondent", ""),
                            },
                            "trigger": {
                                "name": playbook.name,
                                "note": occurrence.note,
                                "day": occurrence.day,
                                **occurrence.facts,
                            },
                            "today": today,
                        }
                        email = _render_email(step, context, language)
                        notes = f"{notes}\n\n{email}" if notes else email
                    session.add(
                        Task(
                            account_id=occurrence.account_id,
                            title=step.title,
                            notes=notes or None,
                            due_date=due_date(step, today),
                            priority=step.priority,
                            kind=step.kind,
                            owner_side=step.owner_side,
                            origin="playbook",
                            rule_key=f"pb{playbook.id}:{occurrence.key}:{number}"[:100],
                            playbook_id=playbook.id,
                            import_run_id=import_run_id,
                        )
                    )
                runs += 1
                created += len(playbook.steps)
                by_playbook[playbook.id] = by_playbook.get(playbook.id, 0) + 1
            session.flush()
        _remember_champions(session, ids)
    return EvaluationResult(runs, created, by_playbook)
