"""The book table's item model: a thin view over the column arrays of a ``Book``.

Why not a ``QSortFilterProxyModel``: its ``filterAcceptsRow`` and ``lessThan``
are called from C++ once per row (and per comparison) and each call crosses
into Python; at 50,000 accounts one keystroke costs seconds. Instead the
model holds an array of the visible row positions, computed by
``csdesk.book`` with numpy/pandas over whole columns, and resets in bulk.
Display strings are formatted on demand in ``data()``: only the ~40 rows on
screen are ever asked for, so formatting 50,000 rows up front would be waste.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from csdesk import book as core
from csdesk import formatting, i18n, palette, vocab
from csdesk.book import Book, BookFilter
from csdesk.i18n import label, tr
from csdesk.nps import nps_group
from csdesk.rules.cnpj import format_cnpj

AccountIdRole = Qt.ItemDataRole.UserRole
SortRole = Qt.ItemDataRole.UserRole + 1  # native value (numbers, ISO dates) for sorting and tests
BandRole = Qt.ItemDataRole.UserRole + 2  # green | yellow | red | None
TrendRole = Qt.ItemDataRole.UserRole + 3  # points over 30 days or None

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCOUNT_ID = int(AccountIdRole)
_SORT = int(SortRole)
_BAND = int(BandRole)
_TREND = int(TrendRole)
_ROLES = frozenset((_DISPLAY, _ALIGN, _FOREGROUND, _TOOLTIP, _ACCOUNT_ID, _SORT, _BAND, _TREND))
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags

MUTED = QColor("#8a94a6")
NPS_COLORS = {group: QColor(colour) for group, colour in palette.NPS_TEXT.items()}
SOON = QColor("#b45309")


@dataclass(frozen=True)
class Column:
    key: str  # also the csdesk.book sort key and the export key
    title: str  # English; translated when shown
    align: int = _LEFT
    visible: bool = True  # by default
    width: int = 110


COLUMNS: tuple[Column, ...] = (
    Column("name", "Account", width=180),
    Column("segment", "Segment", width=110),
    Column("stage", "Stage", width=124),
    Column("mrr", "MRR", _RIGHT, width=108),
    Column("arr", "ARR", _RIGHT, width=94),
    Column("renewal", "Renewal", _RIGHT, width=142),
    Column("health", "Health", _CENTER, width=100),  # room for the grey "Sem dados" chip
    Column("last_touch", "Last touch", _RIGHT, width=124),
    Column("nps", "NPS", _CENTER, width=54),
    Column("owner", "Owner", width=120),
    Column("plan", "Success plan", _CENTER, width=104),
    Column("cnpj", "CNPJ", visible=False, width=140),
    Column("domain", "Domain", visible=False, width=140),
    Column("status", "Status", visible=False, width=90),
)
STATUS_LABELS = {"active": "Active", "churned": "Churned"}


def trend_arrow(trend: float | None) -> str:
    """▲ / ▼ for a move of at least one point over 30 days, else nothing."""
    if trend is None or trend != trend:
        return ""
    return "▲" if trend >= 1 else "▼" if trend <= -1 else ""


class BookModel(QAbstractTableModel):
    """Visible accounts of a ``Book`` in display order; filter and sort are vectorised."""

    viewChanged = Signal()  # rows changed (filter, search, sort or data): KPIs follow

    def __init__(self, parent=None):
        super().__init__(parent)
        self.book: Book = core.build_book([])
        self.rows: np.ndarray = self.book.all_rows
        self.filter = BookFilter()
        self.sort_key: str | None = None
        self.descending = False
        self._lists: dict[str, list | np.ndarray] = {}

    # What is shown ------------------------------------------------------------

    def set_book(self, book: Book) -> None:
        """New data (after a reload): keep the same filter and sort."""
        self.beginResetModel()
        self.book = book
        self._lists = book.lists  # built in the loading thread (Book.prepare)
        self.rows = core.visible_rows(book, self.filter, self.sort_key, self.descending)
        self.endResetModel()
        self.viewChanged.emit()

    def set_filter(self, flt: BookFilter) -> None:
        previous = self.filter
        if flt == previous:
            return
        if (
            flt.without_search() == previous.without_search()
            and core.search_terms(flt.search)
            and flt.search.startswith(previous.search)
        ):
            # Typing on: the new matches are a subset of the shown rows, already sorted.
            rows = core.search_rows(self.book, flt.search, self.rows)
        else:
            rows = core.visible_rows(self.book, flt, self.sort_key, self.descending)
        self.filter = flt
        self._reset_rows(rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D102
        key = COLUMNS[column].key if 0 <= column < len(COLUMNS) else None
        self.set_sort(key, order == Qt.SortOrder.DescendingOrder)

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        self.sort_key, self.descending = key, descending
        rows = core.sort_rows(self.book, self.rows, key, descending)
        self.layoutAboutToBeChanged.emit()
        self.rows = rows
        self.layoutChanged.emit()  # same rows, new order: the KPIs do not change

    def _reset_rows(self, rows: np.ndarray) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()
        self.viewChanged.emit()

    def account_id(self, row: int) -> int:
        return int(self._lists["id"][self.rows[row]])

    def row_of(self, account_id: int) -> int | None:
        position = self.book.position_of(account_id)
        if position is None:
            return None
        hits = np.flatnonzero(self.rows == position)
        return int(hits[0]) if len(hits) else None

    def kpis(self) -> core.Kpis:
        return core.compute_kpis(self.book, self.rows)

    # Qt model interface ---------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return _title(column.title, i18n.current_language())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.align
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Called from C++ for every role of every painted cell (~1,000 calls a repaint):
        # roles the model never answers (font, background, decoration, size hint...) return
        # before any other work, and role tests are on plain ints.
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        row = index.row()
        if row >= len(self.rows):
            return None
        position = int(self.rows[row])
        column = COLUMNS[index.column()]
        key = column.key
        if role == _DISPLAY:
            return self._display(key, position)
        if role == _ALIGN:
            return column.align
        if role == _FOREGROUND:
            return self._foreground(key, position)
        if role == _SORT:
            return self._native(key, position)
        if role == _ACCOUNT_ID:
            return int(self._lists["id"][position])
        if key != "health":
            return self._tooltip(key, position) if role == _TOOLTIP else None
        if role == _BAND:
            band = self._lists["health_band"][position]
            # An active account without a score is its own (grey) group: No data.
            if band is None and self._lists["status"][position] == "active":
                return core.NO_SCORE
            return band
        if role == _TREND:
            return _optional_float(self._lists["health_trend"][position])
        return self._tooltip(key, position)

    # Cells ----------------------------------------------------------------------

    def display_at(self, key: str, position: int) -> str:
        """The text of column ``key`` for the book's row at ``position`` (shown or not)."""
        return self._display(key, position)

    def _display(self, key: str, p: int) -> str:
        lists = self._lists
        if key == "name":
            return lists["name"][p]
        if key == "segment":
            return label(vocab.SEGMENT_LABELS, lists["segment"][p])
        if key == "stage":
            return label(vocab.STAGE_LABELS, lists["stage"][p])
        if key == "status":
            return label(STATUS_LABELS, lists["status"][p])
        if key == "mrr":
            return formatting.money(lists["mrr_cents"][p], lists["currency"][p] or "BRL")
        if key == "arr":
            return formatting.money(lists["arr_cents"][p], lists["currency"][p] or "BRL", decimals=False)
        if key == "renewal":
            day = lists["renewal_date"][p]
            if day is None:
                return ""
            days = int(lists["renewal_days"][p])
            if days < 0:
                return tr("{date} · {days} d ago", date=formatting.day(day), days=-days)
            return tr("{date} · {days} d", date=formatting.day(day), days=days)
        if key == "health":
            score = _optional_float(lists["health_score"][p])
            if score is None:
                return tr(vocab.HEALTH_NO_DATA) if lists["status"][p] == "active" else ""
            arrow = trend_arrow(lists["health_trend"][p])
            return f"{score:.0f} {arrow}".strip()
        if key == "last_touch":
            days = _optional_float(lists["touch_days"][p])
            if days is None:
                return tr("never")
            if days <= 0:
                return tr("today")
            return tr("{days} d ago", days=int(days))
        if key == "nps":
            nps = _optional_float(lists["last_nps"][p])
            return "" if nps is None else str(int(nps))
        if key == "owner":
            return lists["owner"][p] or ""
        if key == "cnpj":
            return format_cnpj(lists["cnpj"][p])
        if key == "domain":
            return lists["domain"][p] or ""
        if key == "plan":
            return label(vocab.PLAN_STATUS_LABELS, lists["plan_status"][p])
        return ""

    def _native(self, key: str, p: int):
        lists = self._lists
        if key in ("mrr", "arr"):
            return int(lists["mrr_cents" if key == "mrr" else "arr_cents"][p])
        if key == "renewal":
            day = lists["renewal_date"][p]
            return day.isoformat() if day else None
        if key == "health":
            return _optional_float(lists["health_score"][p])
        if key == "last_touch":
            return _optional_float(lists["touch_days"][p])
        if key == "nps":
            nps = _optional_float(lists["last_nps"][p])
            return None if nps is None else int(nps)
        if key == "name":
            return lists["name"][p]
        if key == "plan":
            return lists["plan_status"][p]
        value = lists[key][p]
        return value if isinstance(value, str) else None

    def _foreground(self, key: str, p: int):
        lists = self._lists
        if lists["status"][p] == "churned":
            return MUTED
        if key == "last_touch" and (_optional_float(lists["touch_days"][p]) or 0) >= 0:
            days = _optional_float(lists["touch_days"][p])
            return MUTED if days is None or days >= 60 else None
        if key == "renewal":
            days = _optional_float(lists["renewal_days"][p])
            return SOON if days is not None and 0 <= days <= 30 else None
        if key == "nps":
            nps = _optional_float(lists["last_nps"][p])
            return None if nps is None else NPS_COLORS[nps_group(int(nps))]
        if key == "plan" and lists["plan_status"][p] == "late":
            return NPS_COLORS["detractor"]
        return None

    def _tooltip(self, key: str, p: int):
        lists = self._lists
        if key == "health":
            score = _optional_float(lists["health_score"][p])
            if score is None:
                return tr("No data: too few of the health model's inputs for a score")
            trend = _optional_float(lists["health_trend"][p])
            text = f"{label(vocab.HEALTH_BAND_LABELS, lists['health_band'][p])} · {score:.0f}"
            if trend is not None:
                text += " · " + tr("{points} points in 30 days", points=f"{trend:+.0f}")
            return text
        if key == "name":
            parts = [lists["name"][p], format_cnpj(lists["cnpj"][p]), lists["domain"][p] or ""]
            return "\n".join(part for part in parts if part)
        return None


@lru_cache(maxsize=256)
def _title(title: str, language: str) -> str:
    return tr(title, language)


def _optional_float(value) -> float | None:
    if value is None or value != value:  # NaN
        return None
    return float(value)
