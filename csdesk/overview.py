"""What the top of an account page shows, read in one go (off the GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from csdesk import accounts, clock
from csdesk.accounts import AccountSummary, ContactData
from db import Database
from db.models import HealthSnapshot, Task, TimelineEvent

SPARKLINE_POINTS = 26


@dataclass(frozen=True)
class AccountOverview:
    account: AccountSummary
    contacts: list[ContactData] = field(default_factory=list)
    health_history: list[tuple[date, float]] = field(default_factory=list)  # oldest first
    open_tasks: int = 0
    events: int = 0

    def contact_with_role(self, role: str) -> ContactData | None:
        ranked = sorted(
            (c for c in self.contacts if c.role == role), key=lambda c: (not c.is_primary, c.name)
        )
        return ranked[0] if ranked else None

    @property
    def champion(self) -> ContactData | None:
        return self.contact_with_role("champion")

    @property
    def decision_maker(self) -> ContactData | None:
        return self.contact_with_role("decision_maker") or self.contact_with_role("sponsor")

    def days_to_renewal(self, today: date | None = None) -> int | None:
        renewal = self.account.renewal_date
        return None if renewal is None else (renewal - (today or clock.today())).days


def account_overview(db: Database, account_id: int) -> AccountOverview:
    account = accounts.get_account(db, account_id)
    contacts = accounts.list_contacts(db, account_id)
    with db.session() as session:
        history = session.execute(
            select(HealthSnapshot.as_of, HealthSnapshot.score)
            .where(HealthSnapshot.account_id == account_id)
            .order_by(HealthSnapshot.as_of.desc())
            .limit(SPARKLINE_POINTS)
        ).all()
        open_tasks = session.scalar(
            select(func.count()).select_from(Task).where(Task.account_id == account_id, Task.status == "open")
        )
        events = session.scalar(
            select(func.count()).select_from(TimelineEvent).where(TimelineEvent.account_id == account_id)
        )
    return AccountOverview(
        account=account,
        contacts=contacts,
        health_history=[(d, float(s)) for d, s in reversed(history)],
        open_tasks=open_tasks or 0,
        events=events or 0,
    )
