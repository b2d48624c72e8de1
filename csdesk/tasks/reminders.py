"""Reminder rules: what each rule asks for, the tasks it creates (once) and their grouped reminders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk import clock, formatting
from csdesk.health import qbr_meeting
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress, write_waiting
from csdesk.rules.calendar import add_months, quarter_of
from csdesk.rules.names import fold
from csdesk.tasks.settings import (
    DEFAULT_RULES,
    GROUP_TITLES,
    LOOKAHEAD_DAYS,
    REMINDER_TITLES,
    RULE_OF_PREFIX,
    RULES,
    STALE_DAYS,
    get_rules,
    get_setting,
)
from csdesk.tasks.store import TaskData
from db import Database
from db.models import Account, Setting, Task, TimelineEvent


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
