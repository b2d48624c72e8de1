"""Tasks, reminder rules and the Today view across the portfolio.

Tasks come from three places (``Task.origin``): typed by the CSM (manual),
created by a reminder rule (rule) or by a health alert (alert). Rules and
alerts carry a ``rule_key`` unique per account, so running them again never
creates a task twice. Cadences and rules are data settings stored in the
database (``settings`` table), so they travel with the book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk import clock, formatting, vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.errors import UserError
from csdesk.health import qbr_meeting
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress, write_waiting
from csdesk.rules.calendar import add_months, quarter_of
from csdesk.rules.names import fold
from db import Database
from db.models import Account, Setting, Task, TimelineEvent

# ---------------------------------------------------------------------------
# Tasks


@dataclass(frozen=True)
class TaskData:
    account_id: int
    title: str
    id: int | None = None
    due_date: date | None = None
    priority: str = "normal"
    kind: str = "follow_up"
    status: str = "open"
    notes: str | None = None
    owner_side: str = "ours"
    origin: str = "manual"
    rule_key: str | None = None
    plan_id: int | None = None
    milestone_id: int | None = None
    completed_at: datetime | None = None
    author: str | None = None  # who created it (set by the database from the writer's name)
    playbook_id: int | None = None  # the playbook whose run made it

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_date is not None and self.due_date < today


_COLUMNS = [f.name for f in fields(TaskData)]
_WRITABLE = [n for n in _COLUMNS if n not in ("id", "author")]
_SELECT = [getattr(Task, n) for n in _COLUMNS]


def _task(orm: Task) -> TaskData:
    return TaskData(**{n: getattr(orm, n) for n in _COLUMNS})


def _row(row) -> TaskData:
    return TaskData(**dict(zip(_COLUMNS, row, strict=True)))


def validate_task(data: TaskData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not (data.title or "").strip():
        errors.append(FieldError("title", tr("Give the task a title.")))
    if data.priority not in vocab.TASK_PRIORITIES:
        errors.append(FieldError("priority", tr("Unknown priority.")))
    if data.kind not in vocab.TASK_KINDS:
        errors.append(FieldError("kind", tr("Unknown task kind.")))
    if data.status not in vocab.TASK_STATUSES:
        errors.append(FieldError("status", tr("Unknown task status.")))
    return errors


def _check(data: TaskData) -> TaskData:
    data = replace(data, title=(data.title or "").strip(), notes=(data.notes or "").strip() or None)
    errors = validate_task(data)
    if errors:
        raise ValidationError(errors)
    return data


def save_task(db: Database, data: TaskData) -> TaskData:
    """Insert a task (an id, when given, is kept: that is how undo restores it)."""
    data = _check(data)
    with db.transaction() as session:
        if session.get(Account, data.account_id) is None:
            raise UserError(tr("Account {id} does not exist.", id=data.account_id))
        orm = Task(**{n: getattr(data, n) for n in _WRITABLE})
        if data.id is not None:
            orm.id = data.id
        if data.author is not None:  # an undo puts it back as its author made it
            orm.author = data.author
        session.add(orm)
        session.flush()
        return _task(orm)


create_task = save_task
restore_task = save_task


def get_task(db: Database, task_id: int) -> TaskData:
    with db.session() as session:
        orm = session.get(Task, task_id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=task_id))
        return _task(orm)


def update_task(db: Database, data: TaskData) -> TaskData:
    """Save an edited task; return the version before (for undo)."""
    if data.id is None:
        raise ValueError("update_task needs an id")
    data = _check(data)
    with db.transaction() as session:
        orm = session.get(Task, data.id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=data.id))
        before = _task(orm)
        if data.status == "done" and before.status != "done" and data.completed_at is None:
            data = replace(data, completed_at=clock.now())
        if data.status != "done":
            data = replace(data, completed_at=None)
        for name in _WRITABLE:
            setattr(orm, name, getattr(data, name))
        return before


def complete_task(db: Database, task_id: int, done: bool = True) -> TaskData:
    """Mark a task done (or open again); return the version before."""
    before = get_task(db, task_id)
    update_task(db, replace(before, status="done" if done else "open", completed_at=None))
    return before


def delete_task(db: Database, task_id: int) -> TaskData:
    """Delete a task; return it (``restore_task`` puts it back)."""
    with db.transaction() as session:
        orm = session.get(Task, task_id)
        if orm is None:
            raise UserError(tr("Task {id} no longer exists.", id=task_id))
        before = _task(orm)
        session.execute(delete(Task).where(Task.id == task_id))
        return before


def list_tasks(db: Database, account_id: int, *, include_closed: bool = True) -> list[TaskData]:
    """An account's tasks: open ones first by due date (undated last), then closed ones."""
    query = select(*_SELECT).where(Task.account_id == account_id)
    if not include_closed:
        query = query.where(Task.status == "open")
    with db.session() as session:
        tasks = [_row(r) for r in session.execute(query)]
    return sorted(
        tasks,
        key=lambda t: (
            t.status != "open",
            t.due_date is None,
            t.due_date or date.max,
            vocab.TASK_PRIORITIES.index(t.priority) * -1,
            t.id or 0,
        ),
    )


def all_tasks(db: Database, *, open_only: bool = False, account_id: int | None = None) -> list[TaskData]:
    """Tasks of every account (or one), in the order of :func:`list_tasks` then by account."""
    query = select(*_SELECT)
    if account_id is not None:
        query = query.where(Task.account_id == account_id)
    if open_only:
        query = query.where(Task.status == "open")
    query = query.order_by(
        Task.status != "open", Task.due_date.is_(None), Task.due_date, Task.account_id, Task.id
    )
    with db.session() as session:
        return [_row(r) for r in session.execute(query)]


# ---------------------------------------------------------------------------
# Data settings: cadences and rules


def get_setting(db: Database, key: str, default: Any = None) -> Any:
    with db.session() as session:
        row = session.get(Setting, key)
        return default if row is None else row.value


def set_setting(db: Database, key: str, value: Any) -> None:
    with db.transaction() as session:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value


CADENCE_KEY = "today.cadence_days"
DEFAULT_CADENCES = {"high_touch": 14, "mid_touch": 30, "low_touch": 60, "tech_touch": 90}
# Accounts without a segment are treated as mid touch.
UNSEGMENTED = "mid_touch"


def get_cadences(db: Database) -> dict[str, int]:
    """Days without a touch after which an account of each segment needs one."""
    stored = get_setting(db, CADENCE_KEY, {}) or {}
    result = dict(DEFAULT_CADENCES)
    for segment in vocab.SEGMENTS:
        value = stored.get(segment)
        if isinstance(value, int) and value > 0:
            result[segment] = value
    return result


def set_cadences(db: Database, cadences: dict[str, int]) -> None:
    errors = [
        FieldError(segment, tr("Use a whole number of days from 1 to 3650."))
        for segment, value in cadences.items()
        if segment not in vocab.SEGMENTS or not isinstance(value, int) or not 1 <= value <= 3650
    ]
    if errors:
        raise ValidationError(errors)
    set_setting(db, CADENCE_KEY, {**get_cadences(db), **cadences})


RULES_KEY = "reminders.rules"
RULES = ("renewal_plan", "qbr_quarterly", "checkin_after_kickoff", "nps_after_onboarding")
RULE_LABELS = {
    "renewal_plan": "Plan the renewal from month {month} of the contract",
    "qbr_quarterly": "A QBR every quarter for high-touch accounts",
    "checkin_after_kickoff": "A check-in {days} days after the kickoff",
    "nps_after_onboarding": "An NPS survey {months} months after onboarding starts",
}
# What each rule's reminder says (English source, stored; shown through ``reminder_title``).
REMINDER_TITLES = {
    "renewal_plan": "Plan the renewal of {day}",
    "qbr_quarterly": "Hold this quarter's QBR ({quarter})",
    "checkin_after_kickoff": "Check-in {days} days after the kickoff",
    "nps_after_onboarding": "Send the NPS survey ({months} months after onboarding)",
}
# The one grouped reminder of a rule, for what it asks that has no task yet.
GROUP_TITLES = {
    "renewal_plan": "Renewals to plan: {n}",
    "qbr_quarterly": "QBRs to hold this quarter: {n}",
    "checkin_after_kickoff": "Check-ins after a kickoff: {n}",
    "nps_after_onboarding": "NPS surveys to send: {n}",
}
RULE_OF_PREFIX = {
    "renewal_plan": "renewal_plan",
    "qbr": "qbr_quarterly",
    "checkin": "checkin_after_kickoff",
    "nps": "nps_after_onboarding",
}
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "renewal_plan": {"enabled": True, "month": 9},
    "qbr_quarterly": {"enabled": True},
    "checkin_after_kickoff": {"enabled": True, "days": 30},
    "nps_after_onboarding": {"enabled": True, "months": 6},
}
# Which number each rule lets the user change, with its allowed range.
RULE_PARAMETERS = {
    "renewal_plan": ("month", 1, 12),
    "checkin_after_kickoff": ("days", 1, 365),
    "nps_after_onboarding": ("months", 1, 36),
}
# A reminder is created this many days before it is due...
LOOKAHEAD_DAYS = 14
# ...and not at all once it is this stale (history imported long after the fact).
STALE_DAYS = 30


def get_rules(db: Database) -> dict[str, dict[str, Any]]:
    stored = get_setting(db, RULES_KEY, {}) or {}
    rules = {key: dict(value) for key, value in DEFAULT_RULES.items()}
    for key, value in stored.items():
        if key in rules and isinstance(value, dict):
            rules[key].update({k: v for k, v in value.items() if k in rules[key]})
    return rules


def set_rules(db: Database, rules: dict[str, dict[str, Any]]) -> None:
    errors: list[FieldError] = []
    for key, value in rules.items():
        if key not in DEFAULT_RULES:
            errors.append(FieldError(key, tr("Unknown reminder rule.")))
            continue
        if key in RULE_PARAMETERS:
            name, low, high = RULE_PARAMETERS[key]
            number = value.get(name, DEFAULT_RULES[key][name])
            if not isinstance(number, int) or not low <= number <= high:
                errors.append(
                    FieldError(key, tr("Use a whole number from {low} to {high}.", low=low, high=high))
                )
    if errors:
        raise ValidationError(errors)
    merged = get_rules(db)
    for key, value in rules.items():
        merged[key].update({k: v for k, v in value.items() if k in merged[key]})
    set_setting(db, RULES_KEY, merged)


def rule_label(key: str, rule: dict[str, Any]) -> str:
    params = {k: v for k, v in rule.items() if k != "enabled"}
    return tr(RULE_LABELS[key], **params)


# ---------------------------------------------------------------------------
# Reminder rules


@dataclass(frozen=True)
class Reminder:
    """One task a rule asks for. ``title`` is the English source (what is stored); it is
    shown through ``reminder_title``, in the language of the moment."""

    account_id: int
    rule_key: str
    title: str
    kind: str
    due_date: date
    priority: str = "normal"
    appears: date | None = None  # the day the rule first asks for it (LOOKAHEAD_DAYS before it is due)

    @property
    def rule(self) -> str:
        return RULE_OF_PREFIX[self.rule_key.split(":", 1)[0]]


@dataclass(frozen=True)
class RulesResult:
    created: int
    completed: int
    candidates: int


def _in_window(due: date, today: date) -> bool:
    return today - timedelta(days=STALE_DAYS) <= due <= today + timedelta(days=LOOKAHEAD_DAYS)


def _active_accounts_dated(session: Session, column: Any, first: date, last: date) -> Any:
    """(id, day) of the active accounts whose date ``column`` falls from ``first`` to ``last``."""
    return session.execute(
        select(Account.id, column).where(
            Account.status == "active",
            column.is_not(None),
            column >= first,
            column <= last,
        )
    )


def _renewal_plans(session: Session, today: date, rule: dict[str, Any]) -> list[Reminder]:
    month = int(rule.get("month", 9))
    # A renewal this far ahead has its planning day after today + lookahead: skip it in SQL.
    horizon = add_months(today + timedelta(days=LOOKAHEAD_DAYS), 13 - month)
    rows = _active_accounts_dated(session, Account.renewal_date, today, horizon)
    result = []
    for account_id, renewal in rows:
        # Month N of a yearly contract starts N-1 months after the cycle's start.
        due = add_months(add_months(renewal, -12), month - 1)
        if due <= today + timedelta(days=LOOKAHEAD_DAYS):
            result.append(
                Reminder(
                    account_id,
                    f"renewal_plan:{renewal.isoformat()}",
                    REMINDER_TITLES["renewal_plan"].format(day=renewal.isoformat()),
                    "renewal",
                    # A plan that should have started already is due now, not shown as late.
                    max(due, today),
                    "high",
                    appears=due - timedelta(days=LOOKAHEAD_DAYS),
                )
            )
    return result


def _qbr_held(first: date, last: date) -> Any:
    """Subquery: ids of the accounts with a QBR meeting from ``first`` to ``last`` (a deck is not one)."""
    return select(TimelineEvent.account_id).where(
        qbr_meeting(),
        TimelineEvent.occurred_at >= datetime.combine(first, datetime.min.time()),
        TimelineEvent.occurred_at < datetime.combine(last + timedelta(days=1), datetime.min.time()),
    )


def _quarterly_qbrs(session: Session, today: date, _rule: dict[str, Any]) -> list[Reminder]:
    first, last, key = quarter_of(today)
    held = _qbr_held(first, last)
    rows = session.execute(
        select(Account.id).where(
            Account.status == "active", Account.segment == "high_touch", Account.id.not_in(held)
        )
    )
    due = max(today, last - timedelta(days=14))
    return [
        Reminder(
            account_id,
            f"qbr:{key}",
            REMINDER_TITLES["qbr_quarterly"].format(quarter=key),
            "expansion",
            due,
            appears=first,  # asked for from the quarter's first day
        )
        for (account_id,) in rows
    ]


def _kickoff_checkins(session: Session, today: date, rule: dict[str, Any]) -> list[Reminder]:
    days = int(rule.get("days", 30))
    since = today - timedelta(days=days + STALE_DAYS)
    until = today + timedelta(days=LOOKAHEAD_DAYS - days + 1)
    rows = session.execute(
        select(TimelineEvent.id, TimelineEvent.account_id, TimelineEvent.occurred_at)
        .join(Account, Account.id == TimelineEvent.account_id)
        .where(
            Account.status == "active",
            TimelineEvent.kind == "meeting",
            TimelineEvent.subkind == "kickoff",
            TimelineEvent.occurred_at >= datetime.combine(since, datetime.min.time()),
            TimelineEvent.occurred_at < datetime.combine(until, datetime.min.time()),
        )
    )
    result = []
    for event_id, account_id, occurred in rows:
        due = occurred.date() + timedelta(days=days)
        if _in_window(due, today):
            result.append(
                Reminder(
                    account_id,
                    f"checkin:{event_id}",
                    REMINDER_TITLES["checkin_after_kickoff"].format(days=days),
                    "onboarding",
                    due,
                    appears=due - timedelta(days=LOOKAHEAD_DAYS),
                )
            )
    return result


def _onboarding_nps(session: Session, today: date, rule: dict[str, Any]) -> list[Reminder]:
    months = int(rule.get("months", 6))
    since = add_months(today - timedelta(days=STALE_DAYS), -months)
    until = add_months(today + timedelta(days=LOOKAHEAD_DAYS), -months)
    rows = _active_accounts_dated(session, Account.contract_start, since, until)
    result = []
    for account_id, start in rows:
        due = add_months(start, months)
        if _in_window(due, today):
            result.append(
                Reminder(
                    account_id,
                    f"nps:{start.isoformat()}",
                    REMINDER_TITLES["nps_after_onboarding"].format(months=months),
                    "follow_up",
                    due,
                    appears=due - timedelta(days=LOOKAHEAD_DAYS),
                )
            )
    return result


_RULE_FUNCTIONS = {
    "renewal_plan": _renewal_plans,
    "qbr_quarterly": _quarterly_qbrs,
    "checkin_after_kickoff": _kickoff_checkins,
    "nps_after_onboarding": _onboarding_nps,
}


def due_reminders(db: Database, today: date | None = None) -> list[Reminder]:
    """What the enabled rules ask for today (whether or not the tasks exist yet)."""
    today = today or clock.today()
    rules = get_rules(db)
    found: list[Reminder] = []
    with db.session() as session:
        for key, function in _RULE_FUNCTIONS.items():
            if rules[key].get("enabled", True):
                found.extend(function(session, today, rules[key]))
    return found


CHECKED_KEY = "reminders.checked_through"
# A rule with more reminders waiting than this (the first start on a big book, a quarter's
# QBRs, a changed renewal month) groups them in one reminder instead of one task each.
GROUP_AT = 5


def rules_checked_through(db: Database) -> date | None:
    """The last day the rules ran on this book (None: never)."""
    return _iso_day(get_setting(db, CHECKED_KEY))


def _open_reminders(session: Session, wanted: list[Reminder]) -> list[Reminder]:
    """``wanted`` less those that already have a task (open, done or snoozed), each once."""
    existing = set(
        tuple(row)
        for row in session.execute(select(Task.account_id, Task.rule_key).where(Task.rule_key.is_not(None)))
    )
    fresh: dict[tuple[int, str], Reminder] = {}
    for reminder in wanted:
        key = (reminder.account_id, reminder.rule_key)
        if key not in existing and key not in fresh:
            fresh[key] = reminder
    return list(fresh.values())


def _to_create(waiting: list[Reminder], since: date) -> tuple[list[Reminder], set[str]]:
    """Which waiting reminders become tasks now, and the rules that keep the rest grouped.

    A rule with at most ``GROUP_AT`` waiting gets a task for each. A rule with more gets
    one only for what became due after ``since`` (the last run), when that is at most
    ``GROUP_AT``; the rest waits in the rule's grouped reminder.
    """
    by_rule: dict[str, list[Reminder]] = {}
    for reminder in waiting:
        by_rule.setdefault(reminder.rule, []).append(reminder)
    create: list[Reminder] = []
    grouped: set[str] = set()
    for rule, items in by_rule.items():
        if len(items) <= GROUP_AT:
            create.extend(items)
            continue
        new = [r for r in items if r.appears is not None and r.appears > since]
        if len(new) <= GROUP_AT:
            create.extend(new)
        if len(items) - (len(new) if len(new) <= GROUP_AT else 0) > 0:
            grouped.add(rule)
    return create, grouped


def run_rules(db: Database, today: date | None = None, progress: Progress = SILENT) -> RulesResult:
    """Create the tasks the rules ask for, never twice and never a flood; close held QBRs.

    A rule with more than ``GROUP_AT`` reminders waiting (the first start on a 1,000-account
    book asked for 400 tasks due today) creates tasks only for what became due since the
    rules last ran on this book; the rest waits in the rule's one grouped reminder
    (``reminder_groups``, shown in Today), where the CSM ticks, snoozes or opens each.
    """
    today = today or clock.today()
    wanted = due_reminders(db, today)
    checked = rules_checked_through(db)
    since = today if checked is None else min(checked, today)
    progress.step(0, max(len(wanted), 1), tr("Checking reminders"), force=True)
    created = 0
    with db.transaction(write_waiting(progress)) as session:
        fresh, _grouped = _to_create(_open_reminders(session, wanted), since)
        for index, reminder in enumerate(fresh):
            task = Task(
                account_id=reminder.account_id,
                title=reminder.title,
                due_date=reminder.due_date,
                kind=reminder.kind,
                priority=reminder.priority,
                origin="rule",
                rule_key=reminder.rule_key,
            )
            try:
                with session.begin_nested():
                    session.add(task)
                    session.flush()
            except IntegrityError:  # created meanwhile by another run: fine, it exists
                continue
            created += 1
            if index % 500 == 0:
                progress.step(index, len(fresh), tr("Creating reminders"))
        completed = _close_held_qbrs(session, today)
        row = session.get(Setting, CHECKED_KEY)
        if row is None:
            session.add(Setting(key=CHECKED_KEY, value=today.isoformat()))
        elif (rules_day := _iso_day(row.value)) is None or rules_day < today:
            row.value = today.isoformat()
    return RulesResult(created=created, completed=completed, candidates=len(wanted))


def _iso_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ReminderGroup:
    """One grouped reminder: what a rule asks for that has no task yet."""

    rule: str
    items: list[tuple[Reminder, str]]  # (reminder, account name), soonest due first

    @property
    def title(self) -> str:
        return tr(GROUP_TITLES[self.rule], n=len(self.items))


def reminder_groups(db: Database, today: date | None = None) -> list[ReminderGroup]:
    """Per rule with more than ``GROUP_AT`` waiting, the reminders that have no task yet."""
    today = today or clock.today()
    wanted = due_reminders(db, today)
    with db.session() as session:
        waiting = _open_reminders(session, wanted)
        counts: dict[str, int] = {}
        for reminder in waiting:
            counts[reminder.rule] = counts.get(reminder.rule, 0) + 1
        waiting = [r for r in waiting if counts[r.rule] > GROUP_AT]
        ids = {r.account_id for r in waiting}
        names = (
            dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all())
            if ids
            else {}
        )
    groups: dict[str, list[tuple[Reminder, str]]] = {}
    for reminder in waiting:
        groups.setdefault(reminder.rule, []).append((reminder, names.get(reminder.account_id, "")))
    return [
        # Soonest due first; then by the key's date (a renewal's own day) and the account.
        ReminderGroup(
            rule,
            sorted(groups[rule], key=lambda item: (item[0].due_date, item[0].rule_key, fold(item[1]))),
        )
        for rule in RULES
        if rule in groups
    ]


def reminder_task(reminder: Reminder, *, status: str = "open", due_date: date | None = None) -> TaskData:
    """The task of a grouped reminder the CSM acted on (ticked: done; snoozed: a later due date)."""
    return TaskData(
        account_id=reminder.account_id,
        title=reminder.title,
        due_date=due_date or reminder.due_date,
        priority=reminder.priority,
        kind=reminder.kind,
        status=status,
        origin="rule",
        rule_key=reminder.rule_key,
    )


def display_title(task: TaskData) -> str:
    """A task's title as shown: a rule's reminder is worded from its rule, in today's language.

    Reminders used to be stored in the language the app ran in that day; their rule key says
    what they are, so they read right in either language. Any other task shows its own title.
    """
    if task.origin not in ("rule", "alert") or not task.rule_key:
        return task.title
    return reminder_title(task.rule_key, task.title)


def reminder_title(rule_key: str, stored: str = "") -> str:
    prefix, _, value = rule_key.partition(":")
    if prefix == "health_red":  # the health service's alert: worded the same in either language
        return tr("Health is critical (red band): plan a recovery")
    rule = RULE_OF_PREFIX.get(prefix)
    if rule is None:
        return stored
    number = re.search(r"\d+", stored or "")
    if rule == "renewal_plan":
        renewal = _iso_day(value)
        return tr(REMINDER_TITLES[rule], day=formatting.day(renewal)) if renewal else stored
    if rule == "qbr_quarterly":
        return tr(REMINDER_TITLES[rule], quarter=value)
    if rule == "checkin_after_kickoff":
        days = number.group() if number else DEFAULT_RULES[rule]["days"]
        return tr(REMINDER_TITLES[rule], days=days)
    months = number.group() if number else DEFAULT_RULES[rule]["months"]
    return tr(REMINDER_TITLES[rule], months=months)


def _close_held_qbrs(session: Session, today: date) -> int:
    first, last, key = quarter_of(today)
    held = _qbr_held(first, last)
    tasks = session.scalars(
        select(Task).where(Task.status == "open", Task.rule_key == f"qbr:{key}", Task.account_id.in_(held))
    ).all()
    stamp = clock.now()
    for task in tasks:
        task.status = "done"
        task.completed_at = stamp
    return len(tasks)


# ---------------------------------------------------------------------------
# Today


RENEWAL_WINDOW_DAYS = 120
HEALTH_DROP_POINTS = 10.0


@dataclass(frozen=True)
class TodayTask:
    task: TaskData
    account_name: str


@dataclass(frozen=True)
class TodayAccount:
    account_id: int
    name: str
    segment: str | None
    mrr_cents: int
    renewal_date: date | None = None
    last_touch_at: datetime | None = None
    cadence_days: int | None = None
    health_score: float | None = None
    health_band: str | None = None
    health_trend: float | None = None
    currency: str = "BRL"  # of mrr_cents: the account's own

    def days_without_touch(self, today: date) -> int | None:
        return None if self.last_touch_at is None else (today - self.last_touch_at.date()).days


@dataclass(frozen=True)
class TodayView:
    today: date
    tasks: list[TodayTask] = field(default_factory=list)
    renewals: list[TodayAccount] = field(default_factory=list)
    untouched: list[TodayAccount] = field(default_factory=list)
    health: list[TodayAccount] = field(default_factory=list)
    alerts: list[TodayTask] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    groups: list[ReminderGroup] = field(default_factory=list)  # grouped reminders, one per rule
    accounts: int | None = None  # accounts in the book (0: Today offers the ways to start)


_ACCOUNT_COLUMNS = (
    Account.id,
    Account.name,
    Account.segment,
    Account.mrr_cents,
    Account.renewal_date,
    Account.last_touch_at,
    Account.currency,
)


def _today_account(row, cadence: int | None = None) -> TodayAccount:
    return TodayAccount(
        account_id=row.id,
        name=row.name,
        segment=row.segment,
        mrr_cents=row.mrr_cents or 0,
        renewal_date=row.renewal_date,
        last_touch_at=row.last_touch_at,
        cadence_days=cadence,
        health_score=getattr(row, "health_score", None),
        health_band=getattr(row, "health_band", None),
        health_trend=getattr(row, "health_trend", None),
        currency=row.currency or "BRL",
    )


def today_view(db: Database, today: date | None = None, *, limit: int = 200) -> TodayView:
    """Everything that needs the CSM today; each list holds at most ``limit`` items.

    ``totals`` says how many there are in all, per section (the page asks again with a
    bigger ``limit`` to show more). ``groups`` holds every grouped reminder whole.
    """
    today = today or clock.today()
    cadences = get_cadences(db)
    totals: dict[str, int] = {}
    with db.session() as session:
        due = (Task.status == "open", Task.due_date.is_not(None), Task.due_date <= today)
        task_rows = session.execute(
            select(*_SELECT, Account.name)
            .join(Account, Account.id == Task.account_id)
            .where(*due, Task.origin != "alert")
            .order_by(Task.due_date, Task.id)
            .limit(limit)
        ).all()
        totals["tasks"] = session.scalar(
            select(func.count()).select_from(Task).where(*due, Task.origin != "alert")
        )
        tasks = [TodayTask(_row(r[:-1]), r[-1]) for r in task_rows]

        alert_cond = (Task.status == "open", Task.origin == "alert")
        alert_rows = session.execute(
            select(*_SELECT, Account.name)
            .join(Account, Account.id == Task.account_id)
            .where(*alert_cond)
            .order_by(Task.due_date.is_(None), Task.due_date, Task.id.desc())
            .limit(limit)
        ).all()
        totals["alerts"] = session.scalar(select(func.count()).select_from(Task).where(*alert_cond))
        alerts = [TodayTask(_row(r[:-1]), r[-1]) for r in alert_rows]

        renewal_cond = (
            Account.status == "active",
            Account.renewal_date >= today,
            Account.renewal_date <= today + timedelta(days=RENEWAL_WINDOW_DAYS),
        )
        renewals = [
            _today_account(r)
            for r in session.execute(
                select(*_ACCOUNT_COLUMNS, Account.health_score, Account.health_band, Account.health_trend)
                .where(*renewal_cond)
                .order_by(Account.renewal_date, Account.id)
                .limit(limit)
            )
        ]
        totals["renewals"] = session.scalar(select(func.count()).select_from(Account).where(*renewal_cond))

        untouched: list[TodayAccount] = []
        totals["untouched"] = 0
        for segment in (*vocab.SEGMENTS, None):
            cadence = cadences[segment or UNSEGMENTED]
            cutoff = datetime.combine(today - timedelta(days=cadence), datetime.min.time())
            cond = and_(
                Account.status == "active",
                Account.segment == segment if segment else Account.segment.is_(None),
                or_(Account.last_touch_at.is_(None), Account.last_touch_at < cutoff),
            )
            rows = session.execute(
                select(*_ACCOUNT_COLUMNS)
                .where(cond)
                .order_by(Account.last_touch_at.is_not(None), Account.last_touch_at, Account.id)
                .limit(limit)
            )
            untouched.extend(_today_account(r, cadence) for r in rows)
            totals["untouched"] += session.scalar(select(func.count()).select_from(Account).where(cond))
        # Most overdue against its own cadence first; never touched first of all.
        untouched.sort(
            key=lambda a: (
                -(10**9)
                if a.last_touch_at is None
                else -((today - a.last_touch_at.date()).days - (a.cadence_days or 0))
            )
        )
        untouched = untouched[:limit]

        health_cond = and_(
            Account.status == "active",
            or_(Account.health_band == "red", Account.health_trend <= -HEALTH_DROP_POINTS),
        )
        health = [
            _today_account(r)
            for r in session.execute(
                select(*_ACCOUNT_COLUMNS, Account.health_score, Account.health_band, Account.health_trend)
                .where(health_cond)
                .order_by(Account.health_score.is_(None), Account.health_score, Account.id)
                .limit(limit)
            )
        ]
        totals["health"] = session.scalar(select(func.count()).select_from(Account).where(health_cond))
        # An empty book gets the ways to start, not an empty list (the Today page's welcome).
        accounts = session.scalar(select(func.count()).select_from(Account))
    groups = reminder_groups(db, today)
    totals["groups"] = sum(len(g.items) for g in groups)
    return TodayView(
        today=today,
        tasks=tasks,
        renewals=renewals,
        untouched=untouched,
        health=health,
        alerts=alerts,
        totals=totals,
        groups=groups,
        accounts=accounts,
    )


# ---------------------------------------------------------------------------
# Desktop notifications


def tasks_to_notify(
    db: Database, today: date | None = None, already: set[int] | None = None
) -> list[TodayTask]:
    """Open tasks due today or overdue that were not notified yet (``already`` = task ids)."""
    today = today or clock.today()
    already = already or set()
    with db.session() as session:
        rows = session.execute(
            select(*_SELECT, Account.name)
            .join(Account, Account.id == Task.account_id)
            .where(Task.status == "open", Task.due_date.is_not(None), Task.due_date <= today)
            .order_by(Task.due_date.desc(), Task.id)
            .limit(500)
        ).all()
    items = [TodayTask(_row(r[:-1]), r[-1]) for r in rows]
    return [item for item in items if item.task.id not in already]


def notification_text(items: list[TodayTask], today: date) -> tuple[str, str] | None:
    """Title and message of one desktop notification for ``items``; None when nothing is due."""
    if not items:
        return None
    if len(items) == 1:
        item = items[0]
        return item.account_name, display_title(item.task)
    overdue = sum(1 for i in items if i.task.is_overdue(today))
    title = tr("{n} reminders due", n=len(items))
    lines = [f"{i.account_name}: {display_title(i.task)}" for i in items[:3]]
    if len(items) > 3:
        lines.append(tr("and {n} more", n=len(items) - 3))
    if overdue:
        title = tr("{n} reminders due ({overdue} overdue)", n=len(items), overdue=overdue)
    return title, "\n".join(lines)
