"""Editable table models over a plan's parts (milestones, outcomes, criteria)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from csdesk import clock, formatting, i18n, plans
from csdesk.forms import InputError, parse_day
from csdesk.i18n import tr

SortRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Field:
    key: str
    header: str  # English; translated when shown
    kind: str = "text"  # text | day | number | percent | choice | bool
    choices: dict[str, str] | None = None  # key -> English label


MILESTONE_FIELDS = (
    Field("title", "Milestone"),
    Field("owner_side", "Owner", "choice", plans.OWNER_SIDE_LABELS),
    Field("due_date", "Due", "day"),
    Field("status", "Status", "choice", plans.MILESTONE_STATUS_LABELS),
    Field("progress", "Progress", "percent"),
    Field("is_quick_win", "Quick win", "bool"),
)
OUTCOME_FIELDS = (
    Field("required_outcome", "Required outcome"),
    Field("appropriate_experience", "Appropriate experience"),
    Field("result", "Result so far"),
)
CRITERION_FIELDS = (
    Field("metric", "Metric"),
    Field("unit", "Unit"),
    Field("baseline", "Baseline", "number"),
    Field("current", "Current", "number"),
    Field("target", "Target", "number"),
    Field("due_date", "Due", "day"),
)


class PlanPartModel(QAbstractTableModel):
    """Rows are frozen dataclasses; an edit replaces the row and emits ``edited``."""

    edited = Signal(list)  # the new list of items
    invalidInput = Signal(str)

    def __init__(self, fields: tuple[Field, ...], parent=None):
        super().__init__(parent)
        self.fields = fields
        self.items: list[Any] = []
        self.today = clock.today()

    def set_items(self, items: list[Any]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.today = clock.today()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.fields)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.fields):
                return tr(self.fields[section].header)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.fields[index.column()].kind == "bool":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def _text(self, item: Any, f: Field) -> str:
        value = getattr(item, f.key)
        if value is None:
            return ""
        if f.kind == "day":
            return formatting.day(value)
        if f.kind == "number":
            return formatting.number(value, 1)
        if f.kind == "percent":
            return f"{value}%"
        if f.kind == "choice":
            return i18n.label(f.choices or {}, value)
        if f.kind == "bool":
            return ""
        return str(value)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item, f = self.items[index.row()], self.fields[index.column()]
        value = getattr(item, f.key)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, f)
        if role == Qt.ItemDataRole.EditRole:
            if f.kind == "day":
                return formatting.day(value, "pt_BR") if value else ""
            if f.kind == "number":
                return "" if value is None else formatting.number(value, 2)
            if f.kind == "percent":
                return int(value or 0)
            return value if value is not None else ""
        if role == Qt.ItemDataRole.CheckStateRole and f.kind == "bool":
            return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and isinstance(item, plans.MilestoneData):
            if item.is_late(self.today) and f.key in ("due_date", "status"):
                return QBrush(QColor("#C8443A"))
        if role == SortRole:
            return value
        return None

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        item, f = self.items[index.row()], self.fields[index.column()]
        try:
            if role == Qt.ItemDataRole.CheckStateRole and f.kind == "bool":
                new = Qt.CheckState(value) == Qt.CheckState.Checked
            elif role != Qt.ItemDataRole.EditRole:
                return False
            elif f.kind == "day":
                new = parse_day(str(value))
            elif f.kind == "number":
                text = (
                    str(value).strip().replace(".", "").replace(",", ".")
                    if i18n.current_language() == "pt_BR"
                    else str(value).strip().replace(",", "")
                )
                new = float(text) if text else None
            elif f.kind == "percent":
                new = max(0, min(100, int(value)))
            elif f.kind == "text":
                new = str(value).strip()
                if not new:
                    if f.key not in ("appropriate_experience", "result", "unit"):
                        self.invalidInput.emit(tr("This field cannot be empty."))
                        return False
                    new = None
            else:
                new = value
        except (InputError, ValueError) as exc:
            self.invalidInput.emit(str(exc) if isinstance(exc, InputError) else tr("Type a number."))
            return False
        changes = {f.key: new}
        if f.key == "status" and new == "done":
            changes["progress"] = 100
        items = list(self.items)
        items[index.row()] = replace(item, **changes)
        self.edited.emit(items)
        return True
