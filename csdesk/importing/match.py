"""Matching a file's rows to the book's accounts: the book as an import sees it (:class:`ImportBook`).

Existing accounts are matched by external id of the same source, then domain or CNPJ, then
normalised name, plus the accounts the file creates.
"""

from __future__ import annotations

import hashlib
import operator
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress
from csdesk.rules.cnpj import normalize_cnpj
from csdesk.rules.names import name_key, normalize_domain
from db import bulk
from db.models import Account

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


class _Rows(dict):
    """Accounts' rows by id; an existing account's dict is made from its stored values on first use.

    A re-import of a 100k-row file leaves most accounts unchanged: the planner
    compares those on the stored values (:meth:`ImportBook.unread`) and never needs them
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


class ImportBook:
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
        for part in bulk.read_columns(session, Account.__table__, columns):
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
            number = normalize_cnpj(text)
            if len(number) == 14 and self.by_cnpj.get(number):
                return self._one(self.by_cnpj[number])
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
