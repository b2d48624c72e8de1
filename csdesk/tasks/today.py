"""The Today view across the portfolio, and which tasks a desktop notification tells about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from csdesk import clock, vocab
from csdesk.i18n import tr
from csdesk.tasks.reminders import ReminderGroup, display_title, reminder_groups
from csdesk.tasks.settings import UNSEGMENTED, get_cadences
from csdesk.tasks.store import _SELECT, TaskData, _row
from db import Database
from db.models import Account, Task

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
