"""Planning an import (the dry run) and applying it in one transaction, recorded for undo.

Planning works on an in-memory view of the book (:class:`Book`): existing
accounts matched by external id of the same source, then domain or CNPJ, then
normalised name, plus the accounts the file creates. Every row ends created,
updated, unchanged or rejected. Applying writes with bulk Core statements,
inside the same transaction as the planning, and records an ImportRun, the
before-values of every updated row (ImportChange) and ``import_run_id`` on
every created row, so :func:`csdesk.importing.runs.undo` restores it all.

Revenue: every change of MRR or status is a movement decided by the revenue
ledger (:mod:`csdesk.ledger`), the same rule as every other path:
- a new account with MRR: "new" revenue at its contract start (if known and
  not after the as-of date), else an opening balance at the as-of date;
- in a newer export, MRR up / down = expansion / contraction at the as-of
  date; status to churned (or MRR to 0) = churn of the last MRR above zero at
  the file's churn date, else the as-of date; churned to active = reactivation;
  a newly known contract start re-dates the account's first movement; an export
  older than an account's movements leaves its MRR and status alone;
- a won deal for an unknown organisation creates the account with "new"
  revenue at the won date; for an existing account it is expansion (or the
  reactivation of a churned one) at the won date only if won after the
  account's MRR was last set (``mrr_as_of``, its revenue history, or its
  creation): older won deals are already in that MRR and go on the timeline
  only. Lost and open deals never change MRR: they go on the timeline of
  existing accounts as expansion opportunities;
- an MRR history is merged into the account's movements (dated history wins,
  ``ledger.merge_history``) and sets the account's MRR and status from its
  latest point.
Each revenue change is also a timeline event (kind revenue_change, source import).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import logging
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, DateTime, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from csdesk import clock, formatting, ledger, vocab
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing import detect as D
from csdesk.importing.prepare import Prepared, RowError, as_datetime, header_of, parse_columns
from csdesk.importing.preview import ImportPreview, preview_of
from csdesk.importing.values import fast_name_key as name_key
from csdesk.importing.values import name_keys
from csdesk.progress import SILENT, Progress, write_waiting
from csdesk.text import fold, normalize_domain
from db import Database, bulk, search
from db.models import (
    Account,
    Contact,
    ImportChange,
    ImportRun,
    Measure,
    RevenueChange,
    SurveyResponse,
    Task,
    TimelineEvent,
    version_raise,
)

log = logging.getLogger(__name__)

CHUNK = 2000
KEYS_CHUNK = 16_384
NEW_ACCOUNTS_CHUNK = 8192  # created accounts per INSERT batch (one progress report each)
TABLES = {
    "accounts": Account.__table__,
    "contacts": Contact.__table__,
    "timeline_events": TimelineEvent.__table__,
    "revenue_changes": RevenueChange.__table__,
    "measures": Measure.__table__,
    "survey_responses": SurveyResponse.__table__,
    "tasks": Task.__table__,
}
# Account columns an import reads, compares and may change.
ACCOUNT_COLUMNS = (
    "id",
    "name",
    "name_key",
    "source",
    "external_id",
    "cnpj",
    "domain",
    "segment",
    "tier",
    "industry",
    "plan",
    "mrr_cents",
    "currency",
    "contract_start",
    "renewal_date",
    "stage",
    "status",
    "churn_date",
    "churn_reason",
    "owner",
    "licensed_users",
    "active_users",
    "custom_fields",
    "last_touch_at",
    "last_nps",
    "mrr_as_of",
    "created_at",
)
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
ONBOARDING_DAYS = 90


class AmbiguousDates(UserError):
    def __init__(self, file: str, columns: list[str]):
        self.columns = columns
        super().__init__(
            tr(
                '{file}: the dates in column "{columns}" fit both day/month and month/day (such as 04/06/2024). '
                "Say which order they use: --date-order dmy (25/11/2026) or --date-order mdy (11/25/2026).",
                file=file,
                columns='", "'.join(columns),
            )
        )


class RejectedRows(UserError):
    """Rows that cannot be imported; nothing was written. ``result`` holds them."""

    def __init__(self, result: ImportResult):
        self.result = result
        super().__init__(
            tr(
                "{file}: {count} rows cannot be imported, so nothing was written. Fix them, or import the "
                "other rows anyway (--yes).",
                file=result.file,
                count=result.rejected,
            )
        )


@dataclass
class ImportResult:
    kind: str
    source: str
    file: str
    as_of: date
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    dry_run: bool = False
    account_ids: list[int] = field(default_factory=list)  # accounts the import touched
    # A dry run of an accounts file: the accounts it would create and update (csdesk.importing.preview).
    preview: ImportPreview | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "dry_run": self.dry_run,
            "file": self.file,
            "as_of": self.as_of.isoformat(),
            "warnings": self.warnings,
            **(self.preview.as_dict() if self.preview is not None else {}),
        }


def import_key(*parts: object) -> str:
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(joined.encode()).hexdigest()


class NewAccount:
    """An account the import creates; its id is known once inserted."""

    __slots__ = ("id", "row")

    def __init__(self, row: int):
        self.id: int | None = None
        self.row = row


Target = int | NewAccount
AMBIGUOUS = object()


def _from_sqlite(kind) -> Any:
    """How a raw SQLite value of a column type becomes what SQLAlchemy would return."""
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, JSON):
        return json.loads
    return None


def _read_accounts(session: Session, columns: tuple[str, ...]):
    """The accounts' ``columns`` in batches of rows.

    On SQLite straight from the driver, converting only the date and JSON columns
    (each distinct date once): SQLAlchemy's per-value result processing took
    most of the time of reading a 100k-account book.
    """
    cols = [getattr(Account, c) for c in columns]
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield from session.execute(select(*cols).execution_options(yield_per=4096)).partitions()
        return
    table = Account.__table__
    converters = [(i, _from_sqlite(table.c[c].type)) for i, c in enumerate(columns)]
    converters = [(i, f) for i, f in converters if f is not None]
    caches: list[dict[Any, Any]] = [{} for _ in converters]
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT {', '.join(columns)} FROM accounts")
        while part := cursor.fetchmany(4096):
            if converters:
                rows = [list(values) for values in part]
                for (i, convert), cache in zip(converters, caches, strict=True):
                    if convert is json.loads:  # each row its own dict: the planner may change it
                        for row in rows:
                            raw = row[i]
                            if raw is not None:
                                row[i] = {} if raw == "{}" else convert(raw)
                        continue
                    for row in rows:
                        raw = row[i]
                        if raw is not None:
                            value = cache.get(raw)
                            if value is None:
                                value = cache[raw] = convert(raw)
                            row[i] = value
                part = rows
            yield part
    finally:
        cursor.close()


class _Rows(dict):
    """Accounts' rows by id; an existing account's dict is made from its stored values on first use.

    A re-import of a 100k-row file leaves most accounts unchanged: the planner
    compares those on the stored values (:meth:`Book.unread`) and never needs them
    as dicts.
    """

    def __init__(self, columns: tuple[str, ...]):
        super().__init__()
        self.columns = columns
        self.stored: dict[int, Any] = {}
        # Accounts the import creates, planned column-wise: their values and each one's position.
        self.new_columns: dict[str, list[Any]] = {}
        self.new_at: dict[NewAccount, int] = {}

    def __missing__(self, key):
        if key in self.new_at:
            at = self.new_at.pop(key)
            row = {name: values[at] for name, values in self.new_columns.items()}
        else:
            row = dict(zip(self.columns, self.stored.pop(key), strict=True))
        self[key] = row
        return row


class Book:
    """The accounts as the import sees them: existing rows plus the ones it creates."""

    def __init__(
        self,
        session: Session,
        source: str,
        columns: tuple[str, ...] = ACCOUNT_COLUMNS,
        progress: Progress = SILENT,
    ):
        self.source = source
        self.columns = columns
        self.state: _Rows = _Rows(columns)
        self.original: dict[int, dict[str, Any]] = {}
        self.new: list[NewAccount] = []
        self.by_external: dict[tuple[str, str], Target] = {}
        self.by_cnpj: dict[str, list[Target]] = defaultdict(list)
        self.by_domain: dict[str, list[Target]] = defaultdict(list)
        self._by_name: dict[str, list[Target]] | None = None  # made on first use: see by_name
        total = session.scalar(select(func.count()).select_from(Account)) or 0
        rows: list[Any] = []
        for part in _read_accounts(session, columns):
            rows.extend(part)
            progress.step(len(rows), max(total, 1), tr("Reading the book…"))
        # The lookups, column by column (the same entries, in the same order, as _index per row).
        position = {name: i for i, name in enumerate(columns)}

        def column(name: str) -> list[Any]:
            if name not in position:
                return [None] * len(rows)
            return list(map(operator.itemgetter(position[name]), rows))

        ids = column("id")
        self.state.stored = dict(zip(ids, rows, strict=True))
        for src, ext, target in zip(column("source"), column("external_id"), ids, strict=True):
            if ext and src:
                self.by_external[(src, ext)] = target
        for custom, target in zip(column("custom_fields"), ids, strict=True):
            if custom:
                for src, ext in (custom.get("external_ids") or {}).items():
                    self.by_external.setdefault((src, str(ext)), target)
        for name, index in (("cnpj", self.by_cnpj), ("domain", self.by_domain)):
            for value, target in zip(column(name), ids, strict=True):
                if value:
                    index[value].append(target)
        self._stored_name_keys = (ids, column("name_key"))

    @property
    def by_name(self) -> dict[str, list[Target]]:
        """Accounts by name key, made when first needed: a newer export of the book matches its
        rows by id, CNPJ or domain and may never look an account up by name."""
        if self._by_name is None:
            self._by_name = defaultdict(list)
            ids, keys = self._stored_name_keys
            for value, target in zip(keys, ids, strict=True):
                if value:
                    self._by_name[value].append(target)
            self._stored_name_keys = ((), ())
        return self._by_name

    def add_new(
        self, targets: list[NewAccount], columns: dict[str, list[Any]], between: Callable[[], None]
    ) -> None:
        """Accounts the import creates, given column-wise (the same as :meth:`create` for each).

        ``between()`` is called between the steps (each a pass over the accounts).
        """
        self.new.extend(targets)
        self.state.new_columns = columns
        self.state.new_at = {target: at for at, target in enumerate(targets)}
        between()
        sources, exts = columns["source"], columns["external_id"]
        for src, ext, target in zip(sources, exts, targets, strict=True):
            if ext and src:
                self.by_external[(src, ext)] = target
        for custom, target in zip(columns["custom_fields"], targets, strict=True):
            for src, ext in ((custom or {}).get("external_ids") or {}).items():
                self.by_external.setdefault((src, str(ext)), target)
        for name, index in (("cnpj", self.by_cnpj), ("domain", self.by_domain), ("name_key", self.by_name)):
            between()
            for value, target in zip(columns[name], targets, strict=True):
                if value:
                    index[value].append(target)

    def new_columns(self, targets: list[NewAccount]) -> dict[str, list[Any]] | None:
        """Columns of ``targets`` if planned column-wise (consecutively) and not used as dicts since."""
        state, at = self.state, self.state.new_at
        if not targets or not state.new_columns or any(target not in at for target in targets):
            return None
        start, end = at[targets[0]], at[targets[-1]] + 1
        if end - start != len(targets):
            return None
        return {name: values[start:end] for name, values in state.new_columns.items()}

    def unread(self, target: Target) -> Any:
        """An existing account's stored values (in ``columns`` order) if not yet used as a dict, else None."""
        return self.state.stored.get(target)

    def _index(self, target: Target, row: dict[str, Any]) -> None:
        if row.get("external_id") and row.get("source"):
            self.by_external[(row["source"], row["external_id"])] = target
        for src, ext in ((row.get("custom_fields") or {}).get("external_ids") or {}).items():
            self.by_external.setdefault((src, str(ext)), target)
        if row.get("cnpj"):
            self.by_cnpj[row["cnpj"]].append(target)
        if row.get("domain"):
            self.by_domain[row["domain"]].append(target)
        if row.get("name_key"):
            self.by_name[row["name_key"]].append(target)

    @staticmethod
    def _one(found: list[Target]) -> Target | object | None:
        if not found:
            return None
        return found[0] if len(found) == 1 else AMBIGUOUS

    def match(
        self,
        external_id: str | None,
        cnpj: str | None,
        domain: str | None,
        name: str | None,
        key: str | None = None,
    ):
        """The account a record means, ``None`` for a new one, ``AMBIGUOUS`` when several fit."""
        if external_id:
            found = self.by_external.get((self.source, external_id))
            if found is not None:
                return found
        if domain:
            found = self._one(self.by_domain.get(domain, []))
            if found is not None:
                return found
        if cnpj:
            found = self._one(self.by_cnpj.get(cnpj, []))
            if found is not None:
                return found
        if name:
            return self._one(self.by_name.get(key or name_key(name), []))
        return None

    def resolve(self, reference: str | None, email: str | None = None):
        """An account reference in another kind's row: external id, domain, CNPJ or name."""
        if reference:
            text = reference.strip()
            found = self.by_external.get((self.source, text))
            if found is not None:
                return found
            digits_only = "".join(c for c in text if c.isdigit())
            if len(digits_only) == 14 and self.by_cnpj.get(digits_only):
                return self._one(self.by_cnpj[digits_only])
            if "." in text and " " not in text:
                found = self._one(self.by_domain.get(normalize_domain(text) or "", []))
                if found is not None:
                    return found
            found = self._one(self.by_name.get(name_key(text), []))
            if found is not None:
                return found
        if email and "@" in email:
            return self._one(self.by_domain.get(normalize_domain(email) or "", []))
        return None

    def create(self, row_index: int, values: dict[str, Any]) -> NewAccount:
        target = NewAccount(row_index)
        self.new.append(target)
        self.state[target] = values
        self._index(target, values)
        return target

    def get(self, target: Target) -> dict[str, Any]:
        return self.state[target]

    def set(self, target: Target, changes: dict[str, Any]) -> None:
        row = self.state[target]
        if isinstance(target, int) and target not in self.original:
            self.original[target] = dict(row)
        if "name" in changes:
            changes = {**changes, "name_key": name_key(changes["name"])}
            self.by_name[changes["name_key"]].append(target)
        row.update(changes)

    def account_updates(self) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
        """(id, changed columns, their values before) of every existing account changed."""
        out = []
        for account_id, before in self.original.items():
            now = self.state[account_id]
            changed = {k: v for k, v in now.items() if before.get(k) != v}
            if changed:
                out.append((account_id, changed, {k: before.get(k) for k in changed}))
        return out


@dataclass
class Plan:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    updates: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
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
        self.book = Book(session, self.source, self.book_columns(), progress=progress)
        self.n = len(self.table.rows)
        # Accounts' revenue changes follow from the accounts' state, so need no key to deduplicate.
        self.keyed = prepared.kind != "accounts"
        self.titles = ledger.titles()

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
            target, kind, before, after, on, reason=reason, key=key, extra=extra, templates=self.titles
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


# Accounts ------------------------------------------------------------------------


def _default_stage(status: str, contract_start: date | None, as_of: date) -> str:
    if status == "churned":
        return "churned"
    if contract_start and (as_of - contract_start).days > ONBOARDING_DAYS:
        return "ongoing_adoption"
    return "onboarding"


def plan_accounts(p: Planner) -> None:
    book, plan, as_of, source = p.book, p.plan, p.as_of, p.source
    names, exts = p.col("name"), p.col("external_id")
    cnpjs, domains = p.col("cnpj"), p.col("domain")
    mrrs, arrs = p.col("mrr"), p.col("arr")
    statuses, churn_dates, reasons = p.col("status"), p.col("churn_date"), p.col("churn_reason")
    direct = {f: p.col(f) for f in DIRECT_FIELDS if p.has(f)}
    mapped_indexes = set(p.prepared.mapping)
    custom_columns = (
        [(i, h) for i, h in enumerate(p.table.headers) if i not in mapped_indexes]
        if p.prepared.keep_unmapped
        else []
    )
    reason_header = header_of(p.prepared, "churn_reason")
    seen: dict[Target, int] = {}
    names = [(name or "").strip() for name in names]
    # Name keys are for matching by name and for new accounts. A newer export of the book
    # matches its rows by id, CNPJ or domain: then each row's key is made only if needed.
    keys: list[str] | None = None
    if not _mostly_known(book, source, exts, cnpjs, domains):
        keys = []
        for start in range(0, len(names), KEYS_CHUNK):  # in parts, reporting between them
            p.step(start, tr("Matching accounts…"))
            keys += name_keys(names[start : start + KEYS_CHUNK])
    if (
        keys is not None
        and not custom_columns
        and reason_header != "external_ids"
        and _only_new(book, source, exts, cnpjs, domains, keys)
    ):
        _plan_new_accounts(p, names, keys, reason_header)
        return
    # Positions of the stored values the quick "unchanged" check reads (see below).
    at = {name: i for i, name in enumerate(book.columns)}
    stored_direct = [(column, at[f]) for f, column in direct.items()]
    direct_items = list(direct.items())
    starts, renewals = direct.get("contract_start"), direct.get("renewal_date")
    row_numbers = p.table.row_numbers
    first_revenue, touched = plan.first_revenue, plan.touched.add
    first_movement = ledger.first_movement
    redates: list[tuple[int, date]] = []
    last_days: dict[int, date] | None = None  # each account's latest movement, read when first needed
    stale = 0
    created = unchanged = 0
    for i in p.rows(tr("Matching accounts…")):
        name = names[i]
        if not name:
            p.reject(i, "name", tr("The account name is empty."))
            continue
        mrr = mrrs[i]
        if mrr is None and arrs[i] is not None:
            mrr = int(round(arrs[i] / 12))
        if mrr is not None and mrr < 0:
            p.reject(i, "mrr" if mrrs[i] is not None else "arr", tr("MRR cannot be negative."))
            continue
        start = starts[i] if starts is not None else None
        renewal = renewals[i] if renewals is not None else None
        if start and renewal and renewal < start:
            p.reject(i, "renewal_date", tr("The renewal date is before the contract start."))
            continue
        ext = exts[i]
        key = keys[i] if keys is not None else None  # None: match() makes it if it needs it
        target = book.match(ext, cnpjs[i], domains[i], name, key)
        if target is AMBIGUOUS:
            p.reject(
                i, "name", tr('"{name}" matches several accounts; add its CNPJ or external id.', name=name)
            )
            continue
        if target is not None and target in seen:
            p.reject(i, "name", tr("The same account as row {row}.", row=seen[target]))
            continue
        reason = reasons[i]  # (vocabulary key or None, text)
        custom = (
            {h: p.table.rows[i][c] for c, h in custom_columns if p.table.rows[i][c]} if custom_columns else {}
        )
        if reason and reason[0] is None:
            custom[reason_header] = reason[1]
        status = statuses[i]
        if target is None:
            status = status or "active"
            values = {
                "name": name,
                "name_key": key if key is not None else name_key(name),
                "source": source if ext else None,
                "external_id": ext if ext else None,
                "cnpj": None,
                "domain": None,
                "segment": None,
                "tier": None,
                "industry": None,
                "plan": None,
                "mrr_cents": mrr or 0,
                "currency": "BRL",
                "contract_start": None,
                "renewal_date": None,
                "stage": None,
                "status": status,
                "churn_date": None,
                "churn_reason": None,
                "owner": None,
                "licensed_users": None,
                "active_users": None,
                "custom_fields": custom,
                "last_touch_at": None,
                "last_nps": None,
                "mrr_as_of": as_of,
                "health_score": None,
                "health_band": None,
                "health_trend": None,
            }
            for f, column in direct_items:
                if column[i] is not None:
                    values[f] = column[i]
            if status == "churned":
                values["stage"] = "churned"
                values["churn_date"] = churn_dates[i] or as_of
                values["churn_reason"] = reason[0] if reason else None
            values["stage"] = values["stage"] or _default_stage(status, values["contract_start"], as_of)
            target = book.create(i, values)
            seen[target] = row_numbers[i]
            created += 1
            if values["mrr_cents"]:
                kind, start_day = first_movement(values["contract_start"], values["churn_date"], as_of)
                if start_day.__class__ is date and values["mrr_cents"] > 0:  # revenue()'s own shortcut
                    first_revenue[kind].append((target, start_day, values["mrr_cents"]))
                    touched(target)
                else:
                    p.revenue(target, kind, 0, values["mrr_cents"], start_day)
                if status == "churned":
                    p.revenue(
                        target,
                        "churn",
                        values["mrr_cents"],
                        0,
                        values["churn_date"],
                        reason=reason[1] if reason else None,
                    )
            continue

        seen[target] = row_numbers[i]
        stored = book.unread(target)
        if stored is not None and not custom:
            # Most rows of a re-import: nothing differs from the stored account. Checked on the
            # stored values, without making the account's dict; exactly the conditions under
            # which the comparison below finds no change (anything else goes through it).
            old_status = stored[at["status"]]
            new_status = status or old_status
            if (
                stored[at["name"]] == name
                and (mrr is None or mrr == (stored[at["mrr_cents"]] or 0))
                and new_status == old_status
                and (not ext or (stored[at["source"]] == source and stored[at["external_id"]] == ext))
                and all(column[i] is None or column[i] == stored[index] for column, index in stored_direct)
                and (
                    new_status != "churned"
                    or (
                        (not churn_dates[i] or churn_dates[i] == stored[at["churn_date"]])
                        and not (reason and reason[0] and reason[0] != stored[at["churn_reason"]])
                    )
                )
            ):
                unchanged += 1
                continue
        row = book.get(target)
        changes: dict[str, Any] = {}
        if name != row["name"] and (ext or (key if key is not None else name_key(name)) == row["name_key"]):
            changes["name"] = name
        for f, column in direct.items():
            value = column[i]
            if value is not None and value != row.get(f):
                changes[f] = value
        if ext:
            if not row.get("external_id"):
                changes["external_id"], changes["source"] = ext, source
            elif (row.get("source"), row.get("external_id")) != (source, ext):
                ids = dict((row.get("custom_fields") or {}).get("external_ids") or {})
                if ids.get(source) != ext:
                    ids[source] = ext
                    custom["external_ids"] = ids
        if custom:
            merged = {**(row.get("custom_fields") or {}), **custom}
            if merged != (row.get("custom_fields") or {}):
                changes["custom_fields"] = merged
        old_mrr, old_status = row["mrr_cents"] or 0, row["status"]
        new_status = status or old_status
        if mrr == 0 and old_mrr > 0 and (new_status == "churned" or old_status == "active"):
            # A CRM shows a cancelled account at MRR 0, and a paying customer at 0 has left:
            # the account keeps the MRR it had, the churn carries it (csdesk.ledger).
            mrr, new_status = None, "churned"
        new_mrr = old_mrr if mrr is None else mrr
        if new_mrr != old_mrr:
            changes["mrr_cents"] = new_mrr
            changes["mrr_as_of"] = as_of
        if new_status != old_status:
            changes["status"] = new_status
            if new_status == "churned":
                changes["stage"] = "churned"
                changes["churn_date"] = churn_dates[i] or as_of
                changes["churn_reason"] = reason[0] if reason else None
            else:
                changes["churn_date"] = None
                changes["churn_reason"] = None
                if (changes.get("stage") or row["stage"]) == "churned":
                    changes["stage"] = "ongoing_adoption"
        elif new_status == "churned":
            if churn_dates[i] and churn_dates[i] != row.get("churn_date"):
                changes["churn_date"] = churn_dates[i]
            if reason and reason[0] and reason[0] != row.get("churn_reason"):
                changes["churn_reason"] = reason[0]
        if new_status == "churned" and changes.get("stage", "churned") != "churned":
            del changes["stage"]  # a churned account stays at the churned stage, whatever the sheet's phase
        was = ledger.row_state(old_status, old_mrr)
        if old_status == "active" and new_status == "churned" and new_mrr > 0:
            was = ledger.State(True, new_mrr, new_mrr, True)  # the export's last MRR is the one lost
        move = ledger.classify(was, new_status == "active", new_mrr if new_status == "active" else 0)
        on = (changes.get("churn_date") if move and move[0] == "churn" else None) or as_of
        if move is not None and isinstance(target, int):
            if last_days is None:
                last_days = ledger.last_days(p.session)
            if last_days.get(target, date.min) > on:
                # An export older than the account's revenue history: dated history wins.
                if "status" in changes:
                    changes.pop("stage", None)  # the stage followed the status
                for column in ("mrr_cents", "mrr_as_of", "status", "churn_date", "churn_reason"):
                    changes.pop(column, None)
                move = None
                stale += 1
        if not changes:
            plan.count("unchanged")
            continue
        book.set(target, changes)
        plan.touched.add(target)
        plan.count("updated")
        if isinstance(target, int) and changes.get("contract_start"):
            redates.append((target, changes["contract_start"]))
        if move is not None:
            kind, before, after = move
            p.revenue(
                target, kind, before, after, on, reason=reason[1] if reason and kind == "churn" else None
            )
    plan.unchanged += unchanged
    plan.created += created
    if stale:
        plan.warnings.append(
            tr(
                "{count} accounts have revenue history newer than this file's date: their MRR and status were kept.",
                count=stale,
            )
        )
    if redates:
        _plan_redates(p, redates)


def _plan_redates(p: Planner, wanted: list[tuple[int, date]]) -> None:
    """A contract start now known re-dates an account's first movement (csdesk.ledger.redate_first)."""
    moves = ledger.movements_of(p.session, [target for target, _start in wanted])
    for target, start in wanted:
        for table_name, row_id, values, before in ledger.redate_first(
            p.session, moves.get(target, []), start
        ):
            p.plan.updates.append((table_name, row_id, values, before))


def _mostly_known(book: Book, source: str, exts: list[Any], cnpjs: list[Any], domains: list[Any]) -> bool:
    """True if most rows (judged on a sample) carry an external id, CNPJ or domain of the book."""
    count = len(exts)
    if not count or not (book.by_external or book.by_cnpj or book.by_domain):
        return False
    sample = range(0, count, max(1, count // 512))
    known = sum(
        1
        for i in sample
        if (exts[i] and (source, exts[i]) in book.by_external)
        or (cnpjs[i] and cnpjs[i] in book.by_cnpj)
        or (domains[i] and domains[i] in book.by_domain)
    )
    return known * 2 > len(sample)


def _only_new(book: Book, source: str, *keys_by_kind: list[Any]) -> bool:
    """True if no row of the file can match an account: none of its external ids, CNPJs,
    domains or name keys is in the book or on two rows. (Then every valid row creates one.)"""
    exts, cnpjs, domains, names = ([value for value in values if value] for values in keys_by_kind)
    known_exts = {ext for src, ext in book.by_external if src == source}
    for values, known in (
        (exts, known_exts),
        (cnpjs, book.by_cnpj),
        (domains, book.by_domain),
        (names, book.by_name),
    ):
        distinct = set(values)
        if len(distinct) != len(values) or not distinct.isdisjoint(known):
            return False
    return True


def _plan_new_accounts(p: Planner, names: list[str], keys: list[str], reason_header: str) -> None:
    """plan_accounts for a file whose rows all create accounts (see _only_new), column-wise.

    The same rejections, accounts, revenue and counts as the row-by-row loop: its
    checks in the same order, its values column by column. A first import of a
    big file into an empty book goes this way.
    """
    book, plan, as_of, source = p.book, p.plan, p.as_of, p.source
    message = tr("Matching accounts…")
    exts, mrrs, arrs = p.col("external_id"), p.col("mrr"), p.col("arr")
    statuses, churn_dates, reasons = p.col("status"), p.col("churn_date"), p.col("churn_reason")
    direct = {f: p.col(f) for f in DIRECT_FIELDS if p.has(f)}
    starts, renewals = direct.get("contract_start"), direct.get("renewal_date")
    mrr_of = [
        m if m is not None or a is None else int(round(a / 12)) for m, a in zip(mrrs, arrs, strict=True)
    ]
    created: list[int] = []
    for i in p.rows(message):
        if not names[i]:
            p.reject(i, "name", tr("The account name is empty."))
        elif mrr_of[i] is not None and mrr_of[i] < 0:
            p.reject(i, "mrr" if mrrs[i] is not None else "arr", tr("MRR cannot be negative."))
        elif (
            starts is not None
            and renewals is not None
            and starts[i]
            and renewals[i]
            and renewals[i] < starts[i]
        ):
            p.reject(i, "renewal_date", tr("The renewal date is before the contract start."))
        else:
            created.append(i)

    def pick(values: list[Any]) -> list[Any]:
        p.progress.heartbeat()  # short steps after the pass over the rows: keep the reports going
        return [values[i] for i in created]

    count = len(created)
    status = [value or "active" for value in pick(statuses)]
    churned = [value == "churned" for value in status]
    reason = pick(reasons)
    ext = pick(exts)
    columns: dict[str, list[Any]] = {
        "name": pick(names),
        "name_key": pick(keys),
        "source": [source if value else None for value in ext],
        "external_id": [value if value else None for value in ext],
    }
    for f in DIRECT_FIELDS:  # a mapped field's value where the cell has one, else the default
        default = "BRL" if f == "currency" else None
        values = pick(direct[f]) if f in direct else [default] * count
        columns[f] = values if default is None else [default if v is None else v for v in values]
    columns["mrr_cents"] = [value or 0 for value in pick(mrr_of)]
    columns["status"] = status
    churn_date = pick(churn_dates)
    columns["churn_date"] = [
        (day or as_of) if gone else None for day, gone in zip(churn_date, churned, strict=True)
    ]
    columns["churn_reason"] = [
        (why[0] if why else None) if gone else None for why, gone in zip(reason, churned, strict=True)
    ]
    columns["stage"] = [
        "churned" if gone else (stage or _default_stage(state, start, as_of))
        for stage, state, start, gone in zip(
            columns["stage"], status, columns["contract_start"], churned, strict=True
        )
    ]
    p.progress.heartbeat()
    columns["custom_fields"] = [{reason_header: why[1]} if why and why[0] is None else {} for why in reason]
    for name in ("last_touch_at", "last_nps", "health_score", "health_band", "health_trend"):
        columns[name] = [None] * count
    columns["mrr_as_of"] = [as_of] * count
    columns = {name: columns[name] for name in _NEW_ACCOUNT_KEYS}
    p.progress.heartbeat()
    targets = [NewAccount(i) for i in created]
    p.progress.heartbeat()
    book.add_new(targets, columns, p.progress.heartbeat)
    plan.created += count

    first_revenue, touched = plan.first_revenue, plan.touched.add
    first_movement = ledger.first_movement
    starts, churn_days = columns["contract_start"], columns["churn_date"]
    for position, target in enumerate(targets):
        if not position % 8192:
            p.progress.heartbeat()
        mrr = columns["mrr_cents"][position]
        if not mrr:
            continue
        gone = churned[position]
        kind, start_day = first_movement(starts[position], churn_days[position] if gone else None, as_of)
        if start_day.__class__ is date and mrr > 0:  # revenue()'s own shortcut
            first_revenue[kind].append((target, start_day, mrr))
            touched(target)
        else:
            p.revenue(target, kind, 0, mrr, start_day)
        if gone:
            why = reason[position]
            p.revenue(
                target, "churn", mrr, 0, columns["churn_date"][position], reason=why[1] if why else None
            )


# The keys of a created account's row, in plan_accounts' order: what an import reads and
# writes of an account, less what the database assigns, plus the health columns.
_NEW_ACCOUNT_KEYS = (
    *(name for name in ACCOUNT_COLUMNS if name not in ("id", "created_at")),
    "health_score",
    "health_band",
    "health_trend",
)


# Contacts ------------------------------------------------------------------------

CONTACT_FIELDS = ("email", "phone", "job_title", "role", "is_primary")


def plan_contacts(p: Planner) -> None:
    existing: dict[int, dict[str, Any]] = {}
    by_email: dict[str, int] = {}
    by_external: dict[str, int] = {}
    by_name: dict[tuple[int, str], int] = {}
    cols = (
        "id",
        "account_id",
        "name",
        "email",
        "phone",
        "job_title",
        "role",
        "is_primary",
        "external_id",
        "source",
    )
    for values in p.session.execute(select(*[getattr(Contact, c) for c in cols])):
        row = dict(zip(cols, values, strict=True))
        existing[row["id"]] = row
        if row["email"]:
            by_email[row["email"].lower()] = row["id"]
        if row["external_id"] and row["source"] == p.source:
            by_external[row["external_id"]] = row["id"]
        by_name[(row["account_id"], fold(row["name"]).strip())] = row["id"]
    new_by_key: dict[Any, int] = {}
    for i in p.rows(tr("Matching contacts…")):
        email = p.col("email")[i]
        target = p.resolve_account(i, email)
        if target is None:
            continue
        name = p.col("name")[i] or " ".join(x for x in (p.col("first_name")[i], p.col("last_name")[i]) if x)
        last = p.col("last_name")[i]
        if p.col("name")[i] and last and not name.endswith(last):
            name = f"{name} {last}"  # "Nome" beside "Sobrenome" is the first name
        name = name.strip() or (email.split("@")[0] if email else "")
        if not name:
            p.reject(i, "name", tr("The contact has no name or e-mail."), "")
            continue
        ext = p.col("external_id")[i]
        account_id = target if isinstance(target, int) else None
        contact_id = (
            (by_external.get(ext) if ext else None)
            or (by_email.get(email) if email else None)
            or (by_name.get((account_id, fold(name).strip())) if account_id else None)
        )
        values = {f: p.col(f)[i] for f in CONTACT_FIELDS if p.has(f) and p.col(f)[i] is not None}
        if contact_id is None:
            key = ext or email or (id(target), fold(name))
            if key in new_by_key:
                p.reject(i, "name", tr("The same contact as row {row}.", row=new_by_key[key]))
                continue
            new_by_key[key] = p.table.row_numbers[i]
            p.plan.inserts["contacts"].append(
                {
                    "account_id": target,
                    "name": name,
                    "role": None,
                    "job_title": None,
                    "email": None,
                    "phone": None,
                    "is_primary": False,
                    "external_id": ext,
                    "source": p.source if ext else None,
                    **values,
                }
            )
            p.plan.touched.add(target)
            p.plan.count("created")
            continue
        row = existing[contact_id]
        changes = {f: v for f, v in values.items() if row.get(f) != v}
        if name != row["name"]:
            changes["name"] = name
        if changes:
            p.plan.updates.append(("contacts", contact_id, changes, {f: row.get(f) for f in changes}))
            row.update(changes)
            p.plan.touched.add(row["account_id"])
            p.plan.count("updated")
        else:
            p.plan.count("unchanged")


# Deals ---------------------------------------------------------------------------


def plan_deals(p: Planner) -> None:
    book, plan, as_of = p.book, p.plan, p.as_of
    keys = p.existing_keys(TimelineEvent)
    last_revenue = dict(
        p.session.execute(
            select(RevenueChange.account_id, func.max(RevenueChange.effective_date)).group_by(
                RevenueChange.account_id
            )
        ).all()
    )
    skipped = 0
    for i in p.rows(tr("Matching deals…")):
        status = p.col("status")[i]
        title = p.col("title")[i] or tr("Deal")
        org = p.col("account")[i]
        value = p.col("value")[i] or 0
        ext = p.col("external_id")[i]
        when = p.col("won_date")[i]
        identity = f"{p.source}:{ext}" if ext else f"{name_key(org or '')}:{fold(title)}:{when}"
        key = import_key("deal", identity, status)
        if key in keys:
            plan.count("unchanged")
            continue
        keys.add(key)
        target = book.resolve(org)
        if target is AMBIGUOUS:
            p.reject(i, "account", tr('"{name}" matches several accounts; use its id or CNPJ.', name=org))
            continue
        if value < 0:
            p.reject(i, "value", tr("The deal value cannot be negative."))
            continue
        data = {
            "deal": title,
            "status": status,
            "value_cents": value,
            "external_id": ext,
            "one_off_cents": p.col("one_off_value")[i],
            "owner": p.col("owner")[i],
            "stage": p.col("stage")[i],
        }
        if status != "won":
            if target is None:
                skipped += 1
                plan.count("unchanged")
                continue
            on = as_datetime(when or as_of)
            label = (
                tr("Deal lost: {title}", title=title)
                if status == "lost"
                else tr("Open deal: {title}", title=title)
            )
            body = p.col("lost_reason")[i]
            p.event(target, on, "expansion_opportunity", label, subkind=status, body=body, key=key, data=data)
            plan.count("created")
            continue
        won_on = when or as_of
        if not org:
            p.reject(i, "account", tr("The account is empty."))
            continue
        if target is None:
            values = {
                "name": org,
                "name_key": name_key(org),
                "source": None,
                "external_id": None,
                "cnpj": None,
                "domain": None,
                "segment": None,
                "tier": None,
                "industry": None,
                "plan": None,
                "mrr_cents": value,
                "currency": p.col("currency")[i] or "BRL",
                "contract_start": won_on,
                "renewal_date": None,
                "stage": _default_stage("active", won_on, as_of),
                "status": "active",
                "churn_date": None,
                "churn_reason": None,
                "owner": None,
                "licensed_users": None,
                "active_users": None,
                "custom_fields": {},
                "last_touch_at": None,
                "last_nps": None,
                "mrr_as_of": as_of,
                "health_score": None,
                "health_band": None,
                "health_trend": None,
            }
            target = book.create(i, values)
            plan.count("created")
            if value:
                p.revenue(target, "new", 0, value, won_on, reason=title, key=key, extra={"deal": title})
            else:
                p.event(
                    target,
                    as_datetime(won_on),
                    "revenue_change",
                    tr("Deal won: {title}", title=title),
                    subkind="deal_won",
                    key=key,
                    data=data,
                )
            continue
        row = book.get(target)
        known = row.get("mrr_as_of") or (row["created_at"].date() if row.get("created_at") else None)
        if isinstance(target, int) and target in last_revenue:
            known = max(known or date.min, last_revenue[target])
        if isinstance(target, NewAccount) or not value or (known is not None and won_on <= known):
            # Already in the MRR the book holds: history for the timeline only.
            p.event(
                target,
                as_datetime(won_on),
                "revenue_change",
                tr("Deal won: {title} ({value})", title=title, value=formatting.money(value)),
                subkind="deal_won",
                key=key,
                data={**data, "applied": False},
            )
        else:
            # Expansion of a customer; a churned account that signs again is a reactivation.
            state = ledger.row_state(row["status"], row["mrr_cents"])
            kind, before, after = ledger.classify(state, True, (state.mrr if state.active else 0) + value)
            changes = {
                **ledger.account_values(ledger.after(state, kind, before, after), won_on),
                "mrr_as_of": won_on,
            }
            if row["status"] == "churned":
                changes["stage"] = "ongoing_adoption"
            book.set(target, {k: v for k, v in changes.items() if row.get(k) != v})
            p.revenue(target, kind, before, after, won_on, reason=title, key=key, extra={"deal": title})
        plan.count("created")
    if skipped:
        plan.warnings.append(
            tr(
                "{count} lost or open deals of organisations that are not accounts were skipped.",
                count=skipped,
            )
        )


# Activities ----------------------------------------------------------------------

ACTIVITY_CHANNELS = {"call": "phone", "email": "email", "meeting": None, "note": None}


def plan_activities(p: Planner) -> None:
    events = p.existing_keys(TimelineEvent)
    tasks = p.existing_keys(Task)
    types, subjects, dates = p.col("type"), p.col("subject"), p.col("date")
    notes, dones = p.col("note"), p.col("done")
    for i in p.rows(tr("Matching activities…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        kind = types[i] or "note"
        moment = dates[i]
        title = subjects[i] or tr(vocab_label(kind))
        done = dones[i] if dones[i] is not None else moment <= datetime.combine(p.as_of, time.max)
        key = import_key("activity", p._identity(target), kind, moment, title)
        if done:
            if key in events:
                p.plan.count("unchanged")
                continue
            events.add(key)
            p.event(
                target,
                moment,
                kind,
                title,
                body=notes[i],
                channel=ACTIVITY_CHANNELS.get(kind),
                key=key,
                data={
                    "type": p.table.rows[i][p.prepared.field_column("type")] if p.has("type") else None,
                    "owner": p.col("owner")[i],
                },
            )
            if kind in vocab.TOUCH_KINDS:
                p.touch(target, moment)
        else:
            if key in tasks:
                p.plan.count("unchanged")
                continue
            tasks.add(key)
            p.plan.inserts["tasks"].append(
                {
                    "account_id": target,
                    "title": title[:300],
                    "notes": notes[i],
                    "due_date": moment.date(),
                    "priority": "normal",
                    "kind": "follow_up",
                    "status": "open",
                    "owner_side": "ours",
                    "origin": "manual",
                    "import_key": key,
                }
            )
            p.plan.touched.add(target)
        p.plan.count("created")


def vocab_label(kind: str) -> str:
    return {"meeting": "Meeting", "call": "Call", "email": "E-mail", "note": "Note"}.get(kind, "Note")


# Surveys -------------------------------------------------------------------------


def plan_surveys(p: Planner) -> None:
    keys = p.existing_keys(SurveyResponse)
    latest_nps = dict(
        p.session.execute(
            select(SurveyResponse.account_id, func.max(SurveyResponse.answered_at))
            .where(SurveyResponse.kind == "nps")
            .group_by(SurveyResponse.account_id)
        ).all()
    )
    contacts = {
        e.lower(): (cid, aid)
        for cid, aid, e in p.session.execute(
            select(Contact.id, Contact.account_id, Contact.email).where(Contact.email.is_not(None))
        )
    }
    kinds = [k for k in ("nps", "csat", "ces") if p.has(k)]
    for i in p.rows(tr("Matching answers…")):
        respondent = p.col("respondent")[i]
        email = respondent if respondent and "@" in respondent else None
        target = p.resolve_account(i, email)
        if target is None:
            continue
        answered = p.col("answered_at")[i]
        scores = {k: p.col(k)[i] for k in kinds if p.col(k)[i] is not None}
        if not scores:
            key = kinds[0] if kinds else "nps"
            p.reject(i, key, tr("The answer has no score."), "")
            continue
        comment = p.col("comment")[i]
        contact = contacts.get((email or "").lower())
        contact_id = contact[0] if contact and contact[1] == target else None
        created = False
        for kind, score in scores.items():
            key = import_key("survey", p._identity(target), kind, answered, respondent, score)
            if key in keys:
                continue
            keys.add(key)
            created = True
            p.plan.inserts["survey_responses"].append(
                {
                    "account_id": target,
                    "contact_id": contact_id,
                    "kind": kind,
                    "score": score,
                    "comment": comment,
                    "respondent": respondent,
                    "answered_at": answered,
                    "source": "import",
                    "import_key": key,
                }
            )
            p.event(
                target,
                answered,
                kind,
                tr("{kind} answer: {score}", kind=kind.upper(), score=score),
                body=comment,
                key=key,
                data={"score": score, "respondent": respondent},
            )
            if kind == "nps":
                last = latest_nps.get(target)
                if last is None or answered >= last:
                    latest_nps[target] = answered
                    p.book.set(target, {"last_nps": score})
        p.plan.count("created" if created else "unchanged")


# Usage ---------------------------------------------------------------------------


def plan_usage(p: Planner) -> None:
    metrics = [m for m in D.USAGE_METRICS if p.has(m)]
    existing: dict[tuple[int, str, date], tuple[int, float]] = {}
    latest: dict[tuple[Any, str], date] = {}
    for mid, account_id, metric, as_of, value in p.session.execute(
        select(Measure.id, Measure.account_id, Measure.metric, Measure.as_of, Measure.value).where(
            Measure.metric.in_(metrics)
        )
    ):
        existing[(account_id, metric, as_of)] = (mid, value)
        if latest.get((account_id, metric), date.min) < as_of:
            latest[(account_id, metric)] = as_of
    planned: dict[tuple[Any, str, date], int] = {}
    for i in p.rows(tr("Matching usage…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        day = p.col("date")[i]
        outcome = "unchanged"
        for metric in metrics:
            value = p.col(metric)[i]
            if value is None:
                continue
            if value < 0:
                p.reject(i, metric, tr("A usage figure cannot be negative."))
                outcome = "rejected"
                break
            slot = (target, metric, day)
            if slot in planned:
                p.reject(i, metric, tr("The same account, measure and date as row {row}.", row=planned[slot]))
                outcome = "rejected"
                break
            planned[slot] = p.table.row_numbers[i]
            found = existing.get(slot) if isinstance(target, int) else None
            if found is None:
                p.plan.inserts["measures"].append(
                    {
                        "account_id": target,
                        "metric": metric,
                        "as_of": day,
                        "value": float(value),
                        "source": "import",
                    }
                )
                outcome = "created"
            elif not math.isclose(found[1], value):
                p.plan.updates.append(("measures", found[0], {"value": float(value)}, {"value": found[1]}))
                outcome = "created" if outcome == "created" else "updated"
            else:
                continue
            p.plan.touched.add(target)
            if metric in ("active_users", "licensed_users") and day >= latest.get((target, metric), date.min):
                latest[(target, metric)] = day
                if p.book.get(target).get(metric) != int(value):
                    p.book.set(target, {metric: int(value)})
        if outcome != "rejected":
            p.plan.count(outcome)


# MRR history ---------------------------------------------------------------------


def plan_mrr(p: Planner) -> None:
    points: dict[Target, list[tuple[date, int]]] = defaultdict(list)
    seen: dict[tuple[Target, date], int] = {}
    for i in p.rows(tr("Matching MRR history…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        mrr = p.col("mrr")[i]
        if mrr is None and p.col("arr")[i] is not None:
            mrr = int(round(p.col("arr")[i] / 12))
        if mrr is None:
            p.reject(i, "mrr", tr("The MRR is empty."), "")
            continue
        if mrr < 0:
            p.reject(i, "mrr", tr("MRR cannot be negative."))
            continue
        day = p.col("date")[i]
        if (target, day) in seen:
            p.reject(i, "date", tr("The same account and date as row {row}.", row=seen[(target, day)]))
            continue
        seen[(target, day)] = p.table.row_numbers[i]
        points[target].append((day, mrr))
    stored = ledger.movements_of(p.session, [t for t in points if isinstance(t, int)])
    for target, series in points.items():
        series.sort()
        row = p.book.get(target)
        moves = stored.get(target, []) if isinstance(target, int) else []
        fallback = ledger.row_state(row["status"], row["mrr_cents"]) if row.get("mrr_cents") else ledger.NEVER
        merged = ledger.merge_history(
            moves, series, fallback=fallback, start_known=row.get("contract_start") is not None
        )
        for move, values in merged.updates:
            before = {
                "effective_date": move.day,
                "mrr_before_cents": move.before,
                "mrr_after_cents": move.after,
            }
            p.plan.updates.append(("revenue_changes", move.id, values, {k: before[k] for k in values}))
            if "effective_date" in values:
                event = ledger.event_of(p.session, move)
                if event is not None:
                    event_id, event_title, occurred = event
                    p.plan.updates.append(
                        (
                            "timeline_events",
                            event_id,
                            {
                                "occurred_at": as_datetime(values["effective_date"]),
                                "title": ledger.title(move.kind, 0, values["mrr_after_cents"])[:300],
                            },
                            {"occurred_at": occurred, "title": event_title},
                        )
                    )
        for kind, before, after, day in merged.inserts:
            p.revenue(target, kind, before, after, day)
        p.plan.created += len(merged.inserts)
        p.plan.unchanged += len(series) - len(merged.inserts)
        if merged.inserts or merged.updates:
            p.plan.touched.add(target)
        if not merged.latest_is_history or merged.final_day is None:
            continue
        values = ledger.account_values(merged.final, merged.final_day, row.get("churn_reason"))
        changes = {k: v for k, v in values.items() if row.get(k) != v}
        if changes:
            changes["mrr_as_of"] = merged.final_day
            if "status" in changes:
                changes["stage"] = "churned" if not merged.final.active else "ongoing_adoption"
            p.book.set(target, changes)
            p.plan.touched.add(target)


PLANNERS = {
    "accounts": plan_accounts,
    "contacts": plan_contacts,
    "deals": plan_deals,
    "activities": plan_activities,
    "surveys": plan_surveys,
    "usage": plan_usage,
    "mrr": plan_mrr,
}


# Applying ------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_datetime(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DateTime format, always with microseconds.
    if value is None:
        return None
    text = value.isoformat(" ")
    return text if value.microsecond else text + ".000000"


def _sqlite_json(value: Any) -> str:
    return _JSON(value) if value else ("{}" if isinstance(value, dict) else _JSON(value))


def _sql_literal(value: Any) -> str | None:
    """``value`` as an SQL literal SQLite reads back exactly, or None if it has none."""
    if value is None:
        return "NULL"
    if value.__class__ is int and -(2**63) <= value < 2**63:  # wider ones would be read as REAL
        return str(value)
    if value.__class__ is str and len(value) <= 200 and "\x00" not in value:  # long texts: bound
        return "'" + value.replace("'", "''") + "'"
    return None  # floats (decimal text may round), bytes, anything else: bound


def _column_converter(kind) -> Callable[[Any], Any] | None:
    if isinstance(kind, DateTime):
        return _sqlite_datetime
    if isinstance(kind, Date):
        return _sqlite_date
    if isinstance(kind, JSON):
        return _sqlite_json
    return None


def _insert_rows(conn: Connection, table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert; on SQLite straight through the driver's executemany, values converted by column."""
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    # Transposed in C (itemgetter + zip) rather than a Python loop per column.
    if len(columns) == 1:
        values_by_column = [[row[columns[0]] for row in rows]]
    else:
        values_by_column = list(zip(*map(operator.itemgetter(*columns), rows), strict=True))
    _insert_columns(conn, table, dict(zip(columns, values_by_column, strict=True)))


def _insert_columns(conn: Connection, table, columns: dict[str, Sequence[Any]]) -> None:
    """INSERT rows given column-wise (SQLite, through the driver).

    A column holding one value in every row (NULL, the run id, ``{}``, the
    currency...) is written into the statement as a literal rather than bound
    per row: binding is most of executemany's cost, and an account row has
    many such columns.
    """
    names: list[str] = []
    placeholders: list[str] = []
    bound: list[Sequence[Any]] = []
    for name, values in columns.items():
        convert = _column_converter(table.c[name].type)
        if convert is _sqlite_json:  # dicts and lists are not hashable: convert each (but empty ones)
            values = ["{}" if value.__class__ is dict and not value else convert(value) for value in values]
        elif convert is not None:  # dates repeat: convert each distinct one once
            converted = {value: convert(value) for value in set(values)}
            values = list(map(converted.__getitem__, values))
        first = values[0]
        literal = _sql_literal(first) if values.count(first) == len(values) else None
        if literal is not None and first.__class__ is int and set(map(type, values)) != {int}:
            literal = None  # 1 == 1.0 == True: the same value only if the same type
        names.append(name)
        if literal is not None:
            placeholders.append(literal)
        else:
            placeholders.append("?")
            bound.append(values)
    count = len(next(iter(columns.values())))
    values_sql = f"({', '.join(placeholders)})"
    rows = list(zip(*bound, strict=True)) if bound else [()] * count
    _insert_values(
        conn, f"INSERT INTO {table.name} ({', '.join(names)})", lambda _before: values_sql, len(bound), rows
    )


def _new_account_columns(book: Book, targets: list[NewAccount], run_id: int) -> dict[str, list[Any]]:
    """Accounts the import creates, column-wise (transposed in C, no copy of each row)."""
    planned = book.new_columns(targets)
    if planned is not None:
        planned.pop("created_at", None)
        planned["import_run_id"] = [run_id] * len(targets)
        return planned
    states = [book.get(target) for target in targets]
    names = [name for name in states[0] if name != "created_at"]
    width = len(states[0])
    if any(len(state) != width for state in states):  # not all alike: each row's own keys, via dicts
        rows = [{k: v for k, v in state.items() if k != "created_at"} for state in states]
        names = list(dict.fromkeys(k for row in rows for k in row))
        columns = {name: [row.get(name) for row in rows] for name in names}
    else:
        picked = map(operator.itemgetter(*names), states)
        columns = dict(zip(names, map(list, zip(*picked, strict=True)), strict=True))
    columns["import_run_id"] = [run_id] * len(states)
    return columns


def _chunks(rows: list[Any], size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def apply_plan(session: Session, planner: Planner, run_id: int, progress: Progress) -> None:
    plan, book = planner.plan, planner.book
    total = max(
        1,
        len(book.new)
        + sum(len(r) for r in plan.inserts.values())
        + 2 * sum(map(len, plan.first_revenue.values()))
        + len(plan.updates)
        + len(book.original),
    )
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress.step(done, total, tr("Writing…"))

    def indexed(count: int, of: int) -> None:
        progress.step(count, of, tr("Indexing for search…"))

    def reindexed(count: int, of: int) -> None:
        progress.step(count, of, tr("Indexing…"))

    accounts = Account.__table__
    conn = session.connection()
    if book.new:
        with bulk.deferred_indexes(conn, "accounts", len(book.new), reindexed):
            for _start, targets in _chunks(book.new, NEW_ACCOUNTS_CHUNK):
                chunk = _new_account_columns(book, targets, run_id)
                if conn.dialect.name == "sqlite":
                    _insert_columns(conn, accounts, chunk)
                else:
                    rows = zip(*chunk.values(), strict=True)
                    conn.execute(insert(accounts), [dict(zip(chunk, row, strict=True)) for row in rows])
                step(len(chunk["import_run_id"]))
        ids = session.scalars(
            select(Account.id).where(Account.import_run_id == run_id).order_by(Account.id)
        ).all()
        for target, new_id in zip(book.new, ids, strict=True):
            target.id = new_id

    changes_rows: list[dict[str, Any]] = []
    _write_updates(session, "accounts", book.account_updates(), run_id, changes_rows, step)

    # First movements written by SQL made per kind (SQLite); elsewhere the rows as any others, first.
    derived: dict[str, list[tuple[tuple[str, RowSQL], list[tuple[Target, date, int]]]]] = {}
    for kind, entries in plan.first_revenue.items():
        if not entries:
            continue
        sql = (
            ledger.first_movement_sql(kind, run_id, _money_sql, _sql_literal)
            if conn.dialect.name == "sqlite"
            else None
        )
        if sql is None:
            expanded = [planner.revenue_rows(target, kind, 0, after, on) for target, on, after in entries]
            for position, table_name in enumerate(("revenue_changes", "timeline_events")):
                plan.inserts[table_name][:0] = [pair[position] for pair in expanded]
        else:
            for table_name, table_sql in sql.items():
                derived.setdefault(table_name, []).append((table_sql, entries))
    tables = [*derived, *(name for name in plan.inserts if name not in derived)]
    for table_name in tables:
        table = TABLES[table_name]
        rows = plan.inserts.get(table_name, [])
        for row in rows:
            target = row["account_id"]
            if isinstance(target, NewAccount):
                row["account_id"] = target.id
            row["import_run_id"] = run_id
        adding = len(rows) + sum(len(entries) for _sql, entries in derived.get(table_name, ()))
        with ExitStack() as stack:
            if table_name == "timeline_events" and adding > 500:
                stack.enter_context(search.bulk_insert(conn, indexed))
            stack.enter_context(bulk.deferred_indexes(conn, table_name, adding, reindexed))
            for table_sql, entries in derived.get(table_name, ()):
                _write_first_revenue(conn, table_sql, entries, step)
            for _start, chunk in _chunks(rows):
                if table_name == "revenue_changes":
                    ledger.insert_movements(conn, chunk, _insert_rows)
                else:
                    _insert_rows(conn, table, chunk)
                step(len(chunk))

    updates_by_table: dict[str, list[tuple[int, dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for table_name, row_id, changed, before in plan.updates:
        updates_by_table[table_name].append((row_id, changed, before))
    for table_name, updates in updates_by_table.items():
        _write_updates(session, table_name, updates, run_id, changes_rows, step)
    for _start, chunk in _chunks(changes_rows):
        session.execute(insert(ImportChange.__table__), chunk)
    progress.step(total, total, tr("Writing…"), force=True)


def _money_sql(value: str) -> str | None:
    """SQL (SQLite) for ``formatting.money`` of the non-negative integer cents ``value``.

    The symbol and separators are read off ``formatting.money``'s own output, and
    the result is checked against it: None if it does not have the usual shape.
    """
    sample = formatting.money(123456789)
    prefix = sample[: sample.find("1")]
    if not prefix or sample.find("1") < 0 or len(sample) != len(prefix) + 12:
        return None
    group, decimal = sample[len(prefix) + 1], sample[-3]
    if group.isdigit() or decimal.isdigit() or group == decimal:
        return None
    expected = {
        123456789: f"{prefix}1{group}234{group}567{decimal}89",
        5: f"{prefix}0{decimal}05",
        100000: f"{prefix}1{group}000{decimal}00",
    }
    if any(formatting.money(cents) != text for cents, text in expected.items()):
        return None
    if None in (_sql_literal(prefix), _sql_literal(group), _sql_literal(decimal)):
        return None
    return (
        f"{_sql_literal(prefix)} || replace(printf('%,d', {value} / 100), ',', {_sql_literal(group)}) || "
        f"{_sql_literal(decimal)} || printf('%02d', {value} % 100)"
    )


RowSQL = Callable[[int], str]  # the VALUES tuple of the row whose parameters start after the given one


ROWS_PER_STATEMENT = 500
MAX_PARAMETERS = 30_000  # under SQLite's smallest default limit (32,766)
MAX_STATEMENT_CHARS = 250_000  # well under SQLite's statement length limit


def _insert_values(conn: Connection, head: str, row: RowSQL, width: int, params: Sequence[tuple]) -> None:
    """``head VALUES row, row, ...`` for rows of ``width`` parameters each (SQLite).

    Several hundred rows per statement: executemany's per-row work (reset, clear,
    step) was a third of inserting a narrow row. The remainder goes by executemany.
    """
    per = min(ROWS_PER_STATEMENT, MAX_PARAMETERS // max(width, 1), MAX_STATEMENT_CHARS // len(row(0)))
    per = max(per, 1)
    full = len(params) - len(params) % per
    if full:
        sql = f"{head} VALUES {', '.join(row(k * width) for k in range(per))}"
        for start in range(0, full, per):
            conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(params[start : start + per])))
    if full < len(params):
        conn.exec_driver_sql(f"{head} VALUES {row(0)}", list(params[full:]))


def _write_first_revenue(
    conn: Connection,
    sql: tuple[str, RowSQL],
    entries: list[tuple[Target, date, int]],
    step: Callable[[int], None],
) -> None:
    days: dict[date, str] = {}
    params = []
    for target, on, after in entries:
        day = days.get(on)
        if day is None:
            day = days[on] = on.isoformat()
        params.append((target.id if isinstance(target, NewAccount) else target, day, after))
    head, row = sql
    for _start, chunk in _chunks(params, 10_000):
        _insert_values(conn, head, row, 3, chunk)
        step(len(chunk))


def _write_updates(
    session: Session,
    table_name: str,
    updates: Iterable[tuple[int, dict[str, Any], dict[str, Any]]],
    run_id: int,
    changes_rows: list[dict[str, Any]],
    step: Callable[[int], None],
) -> None:
    """UPDATE rows of one table, grouped by the columns that changed (one executemany
    per group), and note each row's before-values for undo in ``changes_rows``."""
    table = TABLES[table_name]
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_id, changed, before in updates:
        grouped[tuple(sorted(changed))].append({"b_id": row_id, **{f"v_{k}": v for k, v in changed.items()}})
        changes_rows.append(
            {
                "run_id": run_id,
                "table_name": table_name,
                "row_id": row_id,
                "action": "updated",
                "before": {k: _to_json(v) for k, v in before.items()},
                "after": {k: _to_json(changed[k]) for k in before if k in changed},
            }
        )
    for columns, rows in grouped.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"v_{c}") for c in columns} | version_raise(table))
        )
        for _start, chunk in _chunks(rows):
            session.execute(statement, chunk)
            step(len(chunk))


def restore_value(table_name: str, column: str, value: Any) -> Any:
    """A before-value from ImportChange JSON back to its column's Python type."""
    if value is None:
        return None
    column_type = TABLES[table_name].c[column].type
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


# Running -------------------------------------------------------------------------


def guess_date_order(prepared: Prepared) -> str:
    english = prepared.source in ("salesforce", "zoho") and prepared.table.delimiter != ";"
    return "mdy" if english else "dmy"


def run_import(
    db: Database,
    prepared: Prepared,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    accept_rejects: bool = False,
    progress: Progress = SILENT,
) -> ImportResult:
    """Plan (``dry_run``) or plan and apply ``prepared`` in one transaction.

    Rows that cannot be imported raise :class:`RejectedRows` before anything is
    written, unless ``accept_rejects`` (the CLI's ``--yes``).
    """
    as_of = as_of or clock.today()
    table = prepared.table
    result = ImportResult(
        kind=prepared.kind,
        source=prepared.source,
        file=table.name,
        as_of=as_of,
        dry_run=dry_run,
        warnings=list(prepared.warnings),
    )
    missing = prepared.missing_fields()
    if missing:
        raise UserError(
            tr(
                "{file}: no column is mapped to {fields}. Map it in the column mapping (--mapping) and try again.",
                file=table.name,
                fields=", ".join(missing),
            )
        )
    ambiguous = prepared.ambiguous_columns()
    if ambiguous:
        if not accept_rejects:
            raise AmbiguousDates(table.name, ambiguous)
        prepared.date_order = guess_date_order(prepared)
        prepared.refresh()
        result.warnings.append(
            tr(
                'Dates in "{columns}" were read as {order} (they fit both orders).',
                columns='", "'.join(ambiguous),
                order=prepared.date_order,
            )
        )
    with _no_cyclic_gc():
        return _run(db, prepared, result, as_of, dry_run, accept_rejects, progress)


@contextmanager
def _no_cyclic_gc():
    """Pause the cycle collector: a big import allocates millions of plain rows, none in cycles,
    and full collections over them took half-second pauses (and a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(db, prepared, result, as_of, dry_run, accept_rejects, progress) -> ImportResult:
    parsed = parse_columns(prepared, progress)
    # A real import plans and writes in one transaction that takes the write lock first
    # (waiting for another writer, cancellable); a dry run only reads, and never waits.
    writer = db.connect(write=not dry_run, waiting=write_waiting(progress))
    with writer as conn, _import_pragmas(conn, progress) as finish:
        return _plan_and_apply(
            db, conn, prepared, parsed, result, as_of, dry_run, accept_rejects, progress, finish
        )


CHECKPOINT_REPORT_SECONDS = 0.05


@contextmanager
def _import_pragmas(conn: Connection, progress: Progress):
    """The import's connection tuned for bulk writes (``db.bulk``); yields a callback run after the commit.

    The WAL checkpoint is held back during the import and run after the commit as
    its own reported step, while the planner's rows are given back.
    """
    committed = False
    leftovers: list[Planner] = []

    def finish(planner: Planner) -> None:
        """Called after the commit; ``planner``'s rows are freed while the checkpoint runs."""
        nonlocal committed
        committed = True
        leftovers.append(planner)

    checkpoint = None
    try:
        with bulk.tuned_for_bulk_writes(conn, progress.heartbeat) as tuned:
            try:
                yield finish
            finally:
                if committed:
                    # Past the commit: nothing can be cancelled any more (the wizard hides Cancel).
                    progress.note(0, 0, tr("Finishing…"))
                    checkpoint = tuned.start_checkpoint()
    finally:
        # Meanwhile (the checkpoint runs on its own thread, outside the GIL): give back the
        # import's page cache (restored settings) and the planner's hundreds of thousands of rows.
        progress.heartbeat()
        for planner in leftovers:
            planner.release(progress.heartbeat)
        leftovers.clear()
        if checkpoint is not None:
            failure = checkpoint(progress.heartbeat, CHECKPOINT_REPORT_SECONDS)
            progress.note(0, 0, tr("Finishing…"))  # the last step is done
            if failure is not None:  # nothing is lost: the import is committed in the WAL
                log.warning("checkpoint after import failed: %s", failure)


def after_commit_messages() -> frozenset[str]:
    """Progress messages of an import's steps after its commit, when it can no longer be cancelled."""
    return frozenset((tr("Saved."), tr("Finishing…")))


def _plan_and_apply(db, conn, prepared, parsed, result, as_of, dry_run, accept_rejects, progress, finish):
    table = prepared.table
    columns, bad_rows = parsed
    with db.sessions(bind=conn) as session, session.begin():
        planner = Planner(session, prepared, columns, bad_rows, as_of, progress)
        PLANNERS[prepared.kind](planner)
        plan = planner.plan
        plan.errors.sort(key=lambda e: e.row)
        result.created, result.updated, result.unchanged = plan.created, plan.updated, plan.unchanged
        result.rejected = len({e.row for e in plan.errors})
        result.errors = plan.errors
        result.warnings.extend(plan.warnings)
        if dry_run:
            if prepared.kind == "accounts":
                result.preview = preview_of(planner)
            session.rollback()
            return result
        if plan.errors and not accept_rejects:
            raise RejectedRows(result)
        if not plan.created and not plan.updated:
            return result  # nothing to change: no run to record or undo
        run = ImportRun(
            file_name=str(table.path)[:500],
            file_sha256=table.sha256,
            kind=prepared.kind,
            source=prepared.source,
            preset=prepared.preset,
            as_of=as_of,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            rejected=result.rejected,
            status="done",
        )
        session.add(run)
        session.flush()
        apply_plan(session, planner, run.id, progress)
        result.run_id = run.id
        result.account_ids = sorted(
            t.id if isinstance(t, NewAccount) else t
            for t in plan.touched
            if not isinstance(t, NewAccount) or t.id
        )
        # The commit is one SQLite call (it writes the last pages and syncs the WAL):
        # report just before it (no measurable share: total 0) and check for cancellation
        # one last time.
        progress.step(0, 0, tr("Saving…"), force=True)
    finish(planner)
    progress.note(0, 0, tr("Saved."))
    return result


def write_rejects_csv(path, errors: list[RowError]) -> None:
    """The rejected rows as a CSV report (row, column, value, reason) that Excel opens as it is."""
    import csv

    from csdesk.exporting import neutralize

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([tr("row"), tr("column"), tr("value"), tr("reason")])
        for error in errors:
            writer.writerow([neutralize(v) for v in (error.row, error.column, error.value, error.message)])


def rejects_report_path(result: ImportResult):
    """Where the rejected rows of ``result`` are saved: the data folder's import-reports."""
    from csdesk.paths import data_dir

    folder = data_dir() / "import-reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = result.file.rsplit(".", 1)[0]
    return folder / f"{stem}-{result.run_id or 'dry-run'}-{tr('rejected')}.csv"
