"""Saving, listing and resolving playbooks, and listing their runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from csdesk import formatting, i18n, templates, vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.playbooks.builtin import ensure_builtin
from csdesk.playbooks.definitions import (
    CHOICE_PARAMS,
    MAX_STEPS,
    NUMBER_PARAMS,
    OWNER_SIDES,
    TRIGGERS,
    PlaybookData,
    Step,
    _data,
    default_params,
)
from csdesk.playbooks.emails import sample_context
from db import Database
from db.models import (
    Account,
    Playbook,
    PlaybookRun,
    Task,
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
