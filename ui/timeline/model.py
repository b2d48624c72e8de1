"""The timeline list: events newest first under month headers, painted by a delegate.

One model row per event (plus one per month header); nothing is a widget, so
an account with tens of thousands of events shows at once. Filtering by kind,
period and words happens in memory on the loaded events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from csdesk import formatting, timeline, vocab
from csdesk.i18n import label, tr
from csdesk.note_markup import plain_preview
from csdesk.rules.names import fold
from csdesk.timeline import EventData, words
from ui.timeline.icons import kind_pixmap

EventRole = Qt.ItemDataRole.UserRole + 1
IsHeaderRole = Qt.ItemDataRole.UserRole + 2
EventIdRole = Qt.ItemDataRole.UserRole + 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_title(year: int, month: int) -> str:
    return tr("{month} {year}", month=tr(_MONTHS[month - 1]), year=year)


def kind_text(event: EventData) -> str:
    return timeline.kind_text(event)


@dataclass(frozen=True)
class MonthHeader:
    year: int
    month: int
    count: int


@dataclass(frozen=True)
class TimelineFilter:
    kinds: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None  # inclusive
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.start or self.end or self.text.strip())


class TimelineModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._events: list[EventData] = []
        self._rows: list[EventData | MonthHeader] = []
        self._filter = TimelineFilter()
        self._folded: dict[int, str] = {}
        self._previews: dict[int, str] = {}

    # Loading and filtering -------------------------------------------------

    def set_events(self, events: list[EventData]) -> None:
        """Replace all events (already newest first)."""
        self._events = events
        self._folded.clear()
        self._previews.clear()
        self._rebuild()

    def events(self) -> list[EventData]:
        return self._events

    def set_filter(self, value: TimelineFilter) -> None:
        if value != self._filter:
            self._filter = value
            self._rebuild()

    def filter(self) -> TimelineFilter:
        return self._filter

    def _visible(self) -> list[EventData]:
        f = self._filter
        events = self._events
        if f.kinds:
            events = [e for e in events if e.kind in f.kinds]
        if f.start:
            start = datetime.combine(f.start, time.min)
            events = [e for e in events if e.occurred_at >= start]
        if f.end:
            end = datetime.combine(f.end + timedelta(days=1), time.min)
            events = [e for e in events if e.occurred_at < end]
        wanted = words(f.text)
        if wanted:
            patterns = [re.compile(r"\b" + re.escape(w)) for w in wanted]
            events = [e for e in events if all(p.search(self._folded_text(e)) for p in patterns)]
        return events

    def _folded_text(self, event: EventData) -> str:
        key = event.id or 0
        text = self._folded.get(key)
        if text is None:
            text = fold(timeline.searchable_text(event))
            self._folded[key] = text
        return text

    def _rebuild(self) -> None:
        self.beginResetModel()
        rows: list[EventData | MonthHeader] = []
        visible = self._visible()
        current: tuple[int, int] | None = None
        header_at = 0
        count = 0
        for event in visible:
            key = (event.occurred_at.year, event.occurred_at.month)
            if key != current:
                if current is not None:
                    rows[header_at] = MonthHeader(current[0], current[1], count)
                current, count, header_at = key, 0, len(rows)
                rows.append(MonthHeader(key[0], key[1], 0))
            rows.append(event)
            count += 1
        if current is not None:
            rows[header_at] = MonthHeader(current[0], current[1], count)
        self._rows = rows
        self.endResetModel()

    # Lookup -------------------------------------------------------------------

    def visible_count(self) -> int:
        return sum(1 for r in self._rows if isinstance(r, EventData))

    def row_of_event(self, event_id: int) -> int:
        for row, item in enumerate(self._rows):
            if isinstance(item, EventData) and item.id == event_id:
                return row
        return -1

    def event_at(self, row: int) -> EventData | None:
        if 0 <= row < len(self._rows):
            item = self._rows[row]
            return item if isinstance(item, EventData) else None
        return None

    def preview(self, event: EventData) -> str:
        key = event.id or 0
        text = self._previews.get(key)
        if text is None:
            text = plain_preview(event.body)
            self._previews[key] = text
        return text

    # Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if isinstance(self._rows[index.row()], MonthHeader):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if role == IsHeaderRole:
            return isinstance(item, MonthHeader)
        if isinstance(item, MonthHeader):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return month_title(item.year, item.month)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.title
        if role == EventRole:
            return item
        if role == EventIdRole:
            return item.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{kind_text(item)} — {formatting.moment(item.occurred_at)} — {source_text(item)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{kind_text(item)}, {formatting.moment(item.occurred_at)}, {source_text(item)}: {item.title}"
        return None


def source_text(event: EventData) -> str:
    """Where an event came from, and who logged it (a shared book's CSMs): "Imported · Ana"."""
    source = label(vocab.EVENT_SOURCE_LABELS, event.source)
    if not event.author:
        return source
    return tr("{source} · {author}", source=source, author=event.author)


HEADER_HEIGHT = 30
EVENT_HEIGHT = 50
ICON = 28


class TimelineDelegate(QStyledItemDelegate):
    """Paints a month header or an event: icon, title, kind, preview, date and source."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        height = HEADER_HEIGHT if index.data(IsHeaderRole) else EVENT_HEIGHT
        return QSize(200, height)

    def text_lines(self, option: QStyleOptionViewItem, event: EventData) -> tuple[QRect, QRect, QFont, QFont]:
        """Where an event's title (bold) and second line (small) are drawn, with their fonts."""
        rect: QRect = option.rect
        left = rect.left() + 10 + ICON + 10
        right = rect.right() - 10
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.9)
        small_metrics = QFontMetrics(small)
        when = formatting.moment(event.occurred_at)
        source = source_text(event)
        side_width = max(small_metrics.horizontalAdvance(when), small_metrics.horizontalAdvance(source)) + 4
        line1 = QRect(left, rect.top() + 6, right - left - side_width - 12, rect.height() // 2 - 6)
        line2 = QRect(
            left, rect.top() + rect.height() // 2, right - left - side_width - 12, rect.height() // 2 - 6
        )
        bold = QFont(option.font)
        bold.setBold(True)
        return line1, line2, bold, small

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        rect: QRect = option.rect
        palette = option.palette
        if index.data(IsHeaderRole):
            font = QFont(option.font)
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.05)
            painter.setFont(font)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            text_rect = rect.adjusted(8, 0, -8, -4)
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, index.data()
            )
            painter.setPen(QColor(palette.color(QPalette.ColorRole.Mid)))
            painter.drawLine(rect.left() + 8, rect.bottom() - 1, rect.right() - 8, rect.bottom() - 1)
            painter.restore()
            return
        event: EventData = index.data(EventRole)
        model = index.model()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        dim = QColor(text_color)
        dim.setAlpha(150)

        icon_top = rect.top() + (rect.height() - ICON) // 2
        painter.drawPixmap(
            rect.left() + 10, icon_top, kind_pixmap(event.kind, ICON, painter.device().devicePixelRatioF())
        )
        right = rect.right() - 10

        line1, line2, bold, small = self.text_lines(option, event)
        small_metrics = QFontMetrics(small)
        when = formatting.moment(event.occurred_at)
        source = source_text(event)
        side_width = max(small_metrics.horizontalAdvance(when), small_metrics.horizontalAdvance(source)) + 4

        painter.setFont(bold)
        painter.setPen(text_color)
        title = QFontMetrics(bold).elidedText(event.title, Qt.TextElideMode.ElideRight, line1.width())
        painter.drawText(line1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)

        painter.setFont(small)
        painter.setPen(dim)
        if hasattr(model, "subtitle"):
            second = model.subtitle(event)
        else:
            preview = model.preview(event) if hasattr(model, "preview") else ""
            second = kind_text(event) + (f" — {preview}" if preview else "")
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            small_metrics.elidedText(second, Qt.TextElideMode.ElideRight, line2.width()),
        )
        side1 = QRect(right - side_width, line1.top(), side_width, line1.height())
        side2 = QRect(right - side_width, line2.top(), side_width, line2.height())
        painter.setPen(text_color)
        painter.drawText(side1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setPen(dim)
        painter.drawText(side2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, source)
        painter.restore()
