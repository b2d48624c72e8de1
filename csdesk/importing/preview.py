"""What a dry run of an accounts file would do, account by account.

Read off the planner a dry run already ran (:func:`preview_of`): the accounts it
would create (as it planned them) and the accounts it would update, each changed
field's value before and after — the same values a real import writes, no rule
of its own. Only a dry run gathers it, so a real import pays nothing; each list
keeps its first :data:`PREVIEW_LIMIT` entries and the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from csdesk import formatting, vocab
from csdesk.exporting import STATUS_LABELS
from csdesk.i18n import label, tr
from csdesk.importing.detect import FIELDS

if TYPE_CHECKING:
    from csdesk.importing.plan.base import Planner

PREVIEW_LIMIT = 1000
# The fields listed for an account to be created, after its name and MRR.
KEY_FIELDS = ("segment", "stage", "status", "owner", "renewal_date")
# Columns the planner keeps for itself: never shown as changes.
HIDDEN = frozenset(("id", "name_key", "mrr_as_of", "created_at", "source", "custom_fields"))
_VOCABULARIES = {
    "segment": vocab.SEGMENT_LABELS,
    "stage": vocab.STAGE_LABELS,
    "account_status": STATUS_LABELS,
    "churn_reason": vocab.CHURN_REASON_LABELS,
}


def _spec(column: str):
    key = column.removesuffix("_cents")
    return next((s for s in FIELDS["accounts"] if s.key == key), None)


def field_label(column: str) -> str:
    """An account column as the mapping step names its field (``mrr_cents`` -> MRR)."""
    spec = _spec(column)
    return tr(spec.label) if spec is not None else column


def shown(column: str, value: Any, currency: str | None = None) -> str:
    """An account column's value as the UI language writes it: R$ 1.234,56, 25/11/2026, labels."""
    if value is None or value == "":
        return ""
    spec = _spec(column)
    kind = spec.type if spec is not None else "text"
    if kind == "money" and isinstance(value, int):
        return formatting.money(value, currency or "BRL")
    if isinstance(value, datetime):
        return formatting.moment(value)
    if isinstance(value, date):
        return formatting.day(value)
    if kind in _VOCABULARIES:
        return label(_VOCABULARIES[kind], str(value))
    if kind == "int" and isinstance(value, int):
        return formatting.number(value)
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class FieldChange:
    field: str  # the account column
    before: Any
    after: Any
    currency: str | None = None

    def text(self) -> str:
        """``MRR: R$ 1.000,00 → R$ 1.500,00``; an empty side is written as a dash."""
        return tr(
            "{field}: {before} → {after}",
            field=field_label(self.field),
            before=shown(self.field, self.before, self.currency) or "—",
            after=shown(self.field, self.after, self.currency) or "—",
        )

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": _json(self.before), "after": _json(self.after)}


@dataclass(frozen=True)
class AccountToCreate:
    row: int  # the file's row number
    values: dict[str, Any]  # name, mrr_cents, currency and KEY_FIELDS

    @property
    def name(self) -> str:
        return self.values.get("name") or ""

    def cell(self, column: str) -> str:
        return shown(column, self.values.get(column), self.values.get("currency"))

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, **{k: _json(v) for k, v in self.values.items()}}


@dataclass(frozen=True)
class AccountToUpdate:
    account_id: int
    name: str
    changes: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass
class ImportPreview:
    to_create: list[AccountToCreate] = field(default_factory=list)
    to_update: list[AccountToUpdate] = field(default_factory=list)
    create_total: int = 0
    update_total: int = 0

    @property
    def create_more(self) -> int:
        return self.create_total - len(self.to_create)

    @property
    def update_more(self) -> int:
        return self.update_total - len(self.to_update)

    def as_dict(self) -> dict[str, Any]:
        return {
            "to_create": [a.as_dict() for a in self.to_create],
            "to_create_total": self.create_total,
            "to_update": [a.as_dict() for a in self.to_update],
            "to_update_total": self.update_total,
        }


def _changes(before: dict[str, Any], now: dict[str, Any]) -> tuple[FieldChange, ...]:
    currency = now.get("currency") or before.get("currency")
    return tuple(
        FieldChange(column, before.get(column), value, currency)
        for column, value in now.items()
        if column not in HIDDEN and before.get(column) != value
    )


def preview_of(planner: Planner, limit: int | None = None) -> ImportPreview:
    """The accounts ``planner`` would create and update (the first ``limit`` of each,
    :data:`PREVIEW_LIMIT` by default) and their totals."""
    limit = PREVIEW_LIMIT if limit is None else limit
    book = planner.book
    row_numbers = planner.table.row_numbers
    out = ImportPreview(create_total=len(book.new))
    columns = ("name", "mrr_cents", "currency", *KEY_FIELDS)
    for target in book.new[:limit]:
        state = book.get(target)
        row = row_numbers[target.row] if 0 <= target.row < len(row_numbers) else target.row
        out.to_create.append(AccountToCreate(row, {c: state.get(c) for c in columns}))
    state = book.state
    for account_id, before in book.original.items():
        now = state[account_id]
        if len(out.to_update) < limit:
            changes = _changes(before, now)
            if changes:
                out.to_update.append(AccountToUpdate(account_id, now.get("name") or "", changes))
                out.update_total += 1
        elif any(v != before.get(c) for c, v in now.items() if c not in HIDDEN):  # only counted
            out.update_total += 1
    return out
