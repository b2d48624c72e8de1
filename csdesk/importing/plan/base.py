"""The planner's shared state and helpers (:class:`Planner`), used by one planning function per kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk import ledger
from csdesk.i18n import tr
from csdesk.importing.match import ACCOUNT_COLUMNS, AMBIGUOUS, ImportBook, NewAccount, Target, import_key
from csdesk.importing.prepare import Prepared, RowError, header_of
from csdesk.progress import Progress

# What the accounts kind always reads of the book: what it matches on and what it may change
# whatever the file maps; the fields the file maps come on top (see Planner.book_columns).
ACCOUNTS_KIND_COLUMNS = (
    "id",
    "name",
    "name_key",
    "source",
    "external_id",
    "cnpj",
    "domain",
    "mrr_cents",
    "stage",
    "status",
    "churn_date",
    "churn_reason",
    "custom_fields",
    "mrr_as_of",
)
DIRECT_FIELDS = (
    "segment",
    "tier",
    "industry",
    "plan",
    "currency",
    "contract_start",
    "renewal_date",
    "stage",
    "owner",
    "licensed_users",
    "active_users",
    "cnpj",
    "domain",
)


@dataclass
class Plan:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # (table, row id or a keyed table's key tuple (importing.write.KEYS), values, before)
    updates: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    touched: set[Target] = field(default_factory=set)
    # The first movement (new / opening, see csdesk.ledger) of accounts the import creates,
    # (account, day, MRR) by kind: one revenue change and one timeline event each, written in bulk.
    first_revenue: dict[str, list[tuple[Target, date, int]]] = field(
        default_factory=lambda: {kind: [] for kind in ledger.FIRST_KINDS}
    )

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class Planner:
    """Shared state and helpers of the per-kind planning functions."""

    def __init__(
        self,
        session: Session,
        prepared: Prepared,
        columns: dict[str, list[Any]],
        bad_rows: dict[int, RowError],
        as_of: date,
        progress: Progress,
    ):
        self.session = session
        self.prepared = prepared
        self.table = prepared.table
        self.columns = columns
        self.bad_rows = bad_rows
        self.as_of = as_of
        self.progress = progress
        self.source = prepared.source
        self.plan = Plan()
        self.book = ImportBook(session, self.source, self.book_columns(), progress=progress)
        self.n = len(self.table.rows)
        # Accounts' revenue changes follow from the accounts' state, so need no key to deduplicate.
        self.keyed = prepared.kind != "accounts"

    def release(self, between: Callable[[], None]) -> None:
        """Free the planned rows, a container at a time, calling ``between()`` after each."""
        book, plan = self.book, self.plan
        for container in (
            book.state,
            book.state.stored,
            book.original,
            book.by_external,
            book.by_cnpj,
            book.by_domain,
            book._by_name or {},
            *plan.inserts.values(),
            plan.updates,
            *plan.first_revenue.values(),
            plan.touched,
            book.new,
            self.columns,
        ):
            container.clear()
            between()

    def book_columns(self) -> tuple[str, ...]:
        """The account columns to read: all for most kinds; for accounts, only those it compares.

        An accounts file never looks at touches, NPS or creation times, nor at fields it
        does not map: a big book is read faster without them.
        """
        if self.prepared.kind != "accounts":
            return ACCOUNT_COLUMNS
        mapped = [f for f in DIRECT_FIELDS if f in self.columns and f not in ACCOUNTS_KIND_COLUMNS]
        return (*ACCOUNTS_KIND_COLUMNS, *mapped)

    # Helpers ---------------------------------------------------------------

    def col(self, key: str) -> list[Any]:
        return self.columns.get(key) or [None] * self.n

    def has(self, key: str) -> bool:
        return key in self.columns

    def reject(self, i: int, key: str, message: str, value: str | None = None) -> None:
        index = self.prepared.field_column(key)
        raw = value if value is not None else (self.table.rows[i][index] if index is not None else "")
        self.plan.errors.append(
            RowError(self.table.row_numbers[i], header_of(self.prepared, key), raw, message)
        )

    def step(self, i: int, message: str) -> None:
        self.progress.step(i, self.n, message)

    def rows(self, message: str):
        """Row indexes to plan; rows with unparseable cells are rejected on the way."""
        for i in range(self.n):
            if not i % 256:
                self.step(i, message)
            error = self.bad_rows.get(i)
            if error is not None:
                self.plan.errors.append(error)
                continue
            yield i

    def resolve_account(self, i: int, email: str | None = None) -> Target | None:
        reference = self.col("account")[i]
        found = self.book.resolve(reference, email)
        if found is AMBIGUOUS:
            self.reject(
                i, "account", tr('"{name}" matches several accounts; use its id or CNPJ.', name=reference)
            )
            return None
        if found is None:
            if not reference:
                self.reject(i, "account", tr("The account is empty."))
            else:
                self.reject(
                    i,
                    "account",
                    tr(
                        'No account matches "{name}". Import the accounts first or correct the name.',
                        name=reference,
                    ),
                )
            return None
        return found

    def event(
        self,
        target: Target,
        occurred_at: datetime,
        kind: str,
        title: str,
        *,
        subkind: str | None = None,
        body: str | None = None,
        channel: str | None = None,
        key: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.plan.inserts["timeline_events"].append(
            {
                "account_id": target,
                "occurred_at": occurred_at,
                "kind": kind,
                "subkind": subkind,
                "title": title[:300],
                "body": body,
                "channel": channel,
                "severity": None,
                "source": "import",
                "contact_id": None,
                "data": data or {},
                "import_key": key,
            }
        )
        self.plan.touched.add(target)

    def revenue(
        self,
        target: Target,
        kind: str,
        before: int,
        after: int,
        on: date,
        reason: str | None = None,
        key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if (
            kind in ledger.FIRST_KINDS
            and before == 0
            and after > 0
            and reason is None
            and key is None
            and extra is None
            and not self.keyed
            and on.__class__ is date
        ):
            # The bulk of a big accounts file: noted compactly, its rows built when written.
            self.plan.first_revenue[kind].append((target, on, after))
            self.plan.touched.add(target)
            return
        if key is None and self.keyed:
            key = import_key("revenue", self._identity(target), kind, on, before, after)
        change, event = self.revenue_rows(target, kind, before, after, on, reason, key, extra)
        self.plan.inserts["revenue_changes"].append(change)
        self.plan.inserts["timeline_events"].append(event)
        self.plan.touched.add(target)

    def revenue_rows(
        self,
        target: Target,
        kind: str,
        before: int,
        after: int,
        on: date,
        reason: str | None = None,
        key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The revenue change and its timeline event, as rows to insert."""
        return ledger.movement_rows(
            target, kind, before, after, on, reason=reason, key=key, extra=extra
        )

    def _identity(self, target: Target) -> str:
        if isinstance(target, NewAccount):
            return "new:" + self.book.get(target)["name_key"]
        return str(target)

    def existing_keys(self, model) -> set[str]:
        return set(self.session.scalars(select(model.import_key).where(model.import_key.is_not(None))))

    def touch(self, target: Target, moment: datetime) -> None:
        """Keep the account's last touch right (future activities are not touches yet)."""
        if moment > datetime.combine(self.as_of, time.max):
            return
        current = self.book.get(target).get("last_touch_at")
        if current is None or moment > current:
            self.book.set(target, {"last_touch_at": moment})
