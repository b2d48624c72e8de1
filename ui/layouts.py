"""Layouts and labels that let a screen fit a 1024×700 laptop as well as a 4K monitor.

- :class:`CardGrid` lays KPI cards out in as many equal columns as their texts allow
  (6 in a row on a wide window, 3 × 2 on a small one), never sideways off the page.
- :class:`FlowRow` lines up a toolbar's widgets and wraps them onto a second line
  when the window is too narrow, instead of clipping the last ones.
- :class:`ElidedLabel` shortens its text with "…" only when even the smallest layout
  leaves too little room, and then puts the whole text in its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QComboBox, QLabel, QLayout, QLayoutItem, QSizePolicy, QWidget, QWidgetItem


class ElidedLabel(QLabel):
    """A one-line label that asks for its whole text but accepts less, eliding then.

    ``full_text()`` is what was set; ``text()`` what is shown. When the two differ the
    tooltip holds the full text (or ``hint``, when one is set and says more).
    """

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = text
        self._hint = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        super().setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        if text == self._full:
            return
        self._full = text
        self.updateGeometry()
        self._elide()

    def full_text(self) -> str:
        return self._full

    def set_hint(self, hint: str) -> None:
        """A tooltip shown even when nothing is elided (an exact amount behind a rounded one)."""
        self._hint = hint
        self._elide()

    def is_elided(self) -> bool:
        return self.text() != self._full

    def _extra(self) -> int:
        margins = self.contentsMargins()
        return margins.left() + margins.right() + 2 * self.margin() + 2

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        height = super().sizeHint().height()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + self._extra(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = self.sizeHint()
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M…") + self._extra()), hint.height()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override): a style sheet's font arrives late
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self.updateGeometry()
            self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(room, 0))
        if shown != self._full and self.fontMetrics().horizontalAdvance(self._full) <= room:
            shown = self._full  # elidedText is conservative by a pixel or so
        if shown != super().text():
            super().setText(shown)
        tooltip = self._hint or (self._full if shown != self._full else "")
        if shown != self._full and self._hint and self._full not in self._hint:
            tooltip = f"{self._full}\n{self._hint}"
        self.setToolTip(tooltip)


def _items_width(items: Sequence[QLayoutItem]) -> int:
    return max((item.sizeHint().width() for item in items if not item.isEmpty()), default=0)


class CardGrid(QLayout):
    """Equal-width cards in rows; the column count is the largest of ``columns`` at which
    every card gets its preferred width (else the smallest, the cards then eliding)."""

    def __init__(self, parent: QWidget | None = None, columns: Sequence[int] = (6, 3, 2), spacing: int = 12):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._choices = tuple(sorted(set(columns), reverse=True))
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    # QLayout bookkeeping
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        return Qt.Orientation.Horizontal

    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def columns_for(self, width: int) -> int:
        """How many columns the cards get in ``width`` pixels (margins included)."""
        items = self._visible()
        if not items:
            return 1
        m = self.contentsMargins()
        room = width - m.left() - m.right()
        wanted = _items_width(items)
        for columns in self._choices:
            columns = min(columns, len(items))
            if (room - (columns - 1) * self.spacing()) / columns >= wanted:
                return columns
        return min(self._choices[-1], len(items))

    def _row_height(self, items: Sequence[QLayoutItem]) -> int:
        return max((item.sizeHint().height() for item in items), default=0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        items = self._visible()
        if not items:
            return 0
        columns = self.columns_for(width)
        rows = -(-len(items) // columns)
        m = self.contentsMargins()
        return rows * self._row_height(items) + (rows - 1) * self.spacing() + m.top() + m.bottom()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        items = self._visible()
        columns = min(self._choices[0], max(len(items), 1))
        m = self.contentsMargins()
        width = columns * _items_width(items) + (columns - 1) * self.spacing() + m.left() + m.right()
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        items = self._visible()
        columns = min(self._choices[-1], max(len(items), 1))
        narrowest = max((item.minimumSize().width() for item in items), default=0)
        m = self.contentsMargins()
        width = columns * narrowest + (columns - 1) * self.spacing() + m.left() + m.right()
        rows = -(-len(items) // columns) if items else 0
        height = rows * self._row_height(items) + max(rows - 1, 0) * self.spacing() + m.top() + m.bottom()
        return QSize(width, height)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(rect)
        items = self._visible()
        if not items:
            return
        area = rect.marginsRemoved(self.contentsMargins())
        columns = self.columns_for(rect.width())
        spacing = self.spacing()
        width = (area.width() - (columns - 1) * spacing) / columns
        height = self._row_height(items)
        for i, item in enumerate(items):
            row, column = divmod(i, columns)
            left = area.left() + round(column * (width + spacing))
            right = area.left() + round(column * (width + spacing) + width)
            item.setGeometry(QRect(left, area.top() + row * (height + spacing), right - left, height))


class FlowRow(QLayout):
    """Widgets side by side at their preferred widths, wrapping onto more lines when needed.

    On each line the free width goes to the items added with ``stretch`` (a search
    field); a line without one keeps its items at their preferred widths. When the
    items do not all fit on one line, a stretch item takes a whole line of its own
    (the search field above the filters, not a filter left alone on a last line).
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 8, line_spacing: int = 8):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._stretch: dict[int, int] = {}
        self._line_spacing = line_spacing
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def add(self, widget: QWidget, stretch: int = 0) -> None:
        self.addChildWidget(widget)
        item = QWidgetItem(widget)
        if stretch:
            self._stretch[id(item)] = stretch
        self.addItem(item)
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self._stretch.pop(id(item), None)
        return item

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        items = [i for i in self._items if not i.isEmpty()]
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in items) + max(len(items) - 1, 0) * self.spacing()
        width += m.left() + m.right()
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        items = [i for i in self._items if not i.isEmpty()]
        m = self.contentsMargins()
        width = max((i.minimumSize().width() for i in items), default=0) + m.left() + m.right()
        height = max((i.sizeHint().height() for i in items), default=0) + m.top() + m.bottom()
        return QSize(width, height)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def lines_for(self, width: int) -> list[list[QLayoutItem]]:
        """The items of each line at ``width`` pixels (margins included)."""
        m = self.contentsMargins()
        room = width - m.left() - m.right()
        items = [item for item in self._items if not item.isEmpty()]
        wrapped = sum(i.sizeHint().width() for i in items) + max(len(items) - 1, 0) * self.spacing() > room
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in items:
            wanted = item.sizeHint().width()
            alone = wrapped and id(item) in self._stretch
            if lines[-1] and (alone or used + self.spacing() + wanted > room):
                lines.append([])
                used = 0
            used += (self.spacing() if lines[-1] else 0) + wanted
            lines[-1].append(item)
            if alone:
                lines.append([])
                used = 0
        return [line for line in lines if line]

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m: QMargins = self.contentsMargins()
        room = rect.width() - m.left() - m.right()
        y = rect.top() + m.top()
        lines = self.lines_for(rect.width())
        for n, line in enumerate(lines):
            height = max(item.sizeHint().height() for item in line)
            if apply:
                widths = [min(item.sizeHint().width(), room) for item in line]
                free = room - sum(widths) - (len(line) - 1) * self.spacing()
                stretches = [self._stretch.get(id(item), 0) for item in line]
                if free > 0 and sum(stretches):
                    total = sum(stretches)
                    given = 0
                    for i, share in enumerate(stretches):
                        extra = free * share // total
                        widths[i] += extra
                        given += extra
                    widths[max(range(len(line)), key=lambda i: stretches[i])] += free - given
                x = rect.left() + m.left()
                for item, width in zip(line, widths, strict=True):
                    item_height = item.sizeHint().height()
                    top = y + (height - item_height) // 2
                    item.setGeometry(QRect(QPoint(x, top), QSize(max(width, 0), item_height)))
                    x += width + self.spacing()
            y += height + (self._line_spacing if n < len(lines) - 1 else 0)
        return y - rect.top() + m.bottom()


class FitComboBox(QComboBox):
    """A combo box as wide as the item it shows (not its longest item, nor a fixed guess).

    A filter reading "Renova em 90 c" hid which filter was on; this one always shows
    the whole current text, and a row of them wraps (:class:`FlowRow`) instead.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(1)
        self.currentIndexChanged.connect(lambda _index: self.updateGeometry())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()  # the frame, padding and arrow around one "x"
        metrics = self.fontMetrics()
        text = metrics.horizontalAdvance(self.currentText()) - metrics.horizontalAdvance("x")
        return QSize(hint.width() + max(text, 0), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.sizeHint()
