"""Acting on the occurrences: a run per (playbook, account, occurrence) and the tasks of its steps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from csdesk import clock, i18n
from csdesk.i18n import tr
from csdesk.playbooks.builtin import ensure_builtin
from csdesk.playbooks.definitions import Step, _data
from csdesk.playbooks.emails import _render_email, email_contexts
from csdesk.playbooks.occurrences import FINDERS, Occurrence, _remember_champions
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database
from db.models import (
    Playbook,
    PlaybookRun,
    Task,
)


def add_working_days(day: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``day``."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_date(step: Step, today: date) -> date:
    return add_working_days(today, step.offset) if step.working_days else today + timedelta(days=step.offset)


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
