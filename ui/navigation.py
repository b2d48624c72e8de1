"""Browser-like history of what the main window showed: pages and account pages."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QListWidget

MAX_ENTRIES = 100


@dataclass(frozen=True)
class Place:
    page: str  # a top-level page key, or "account"
    account_id: int | None = None


class History(QObject):
    """Visited places with a cursor; going back then visiting drops the forward part."""

    changed = Signal(bool, bool)  # can go back, can go forward

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.places: list[Place] = []
        self.index = -1

    @property
    def current(self) -> Place | None:
        return self.places[self.index] if 0 <= self.index < len(self.places) else None

    def visit(self, place: Place) -> None:
        if place == self.current:
            return
        del self.places[self.index + 1 :]
        self.places.append(place)
        if len(self.places) > MAX_ENTRIES:
            del self.places[0]
        self.index = len(self.places) - 1
        self._emit()

    def clear(self) -> None:
        self.places.clear()
        self.index = -1
        self._emit()

    def can_go_back(self) -> bool:
        return self.index > 0

    def can_go_forward(self) -> bool:
        return self.index < len(self.places) - 1

    def back(self) -> Place | None:
        if not self.can_go_back():
            return None
        self.index -= 1
        self._emit()
        return self.current

    def forward(self) -> Place | None:
        if not self.can_go_forward():
            return None
        self.index += 1
        self._emit()
        return self.current

    def _emit(self) -> None:
        self.changed.emit(self.can_go_back(), self.can_go_forward())


class MouseNavigation(QObject):
    """Application-wide event filter: the mouse's back / forward buttons."""

    back = Signal()
    forward = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.MouseButtonPress:
            button = event.button()
            if button == Qt.MouseButton.BackButton:
                self.back.emit()
                return True
            if button == Qt.MouseButton.ForwardButton:
                self.forward.emit()
                return True
        return False


class Sidebar(QListWidget):
    """The page list; ``pageRequested`` fires only when the user picks a row (click or arrow keys).

    A list view that gains focus without a current row makes its first row current
    (QAbstractItemView::focusInEvent). While an account page is shown the sidebar has
    no current row, and Qt hands it the focus when the focused widget of a tab is
    hidden by a tab switch: the first row is Today, so a click on a tab used to open
    Today. Rows made current that way are undone and never navigate.
    """

    pageRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._focusing = False
        self.currentRowChanged.connect(self._on_current_row)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        had_current = self.currentIndex().isValid()
        self._focusing = True
        try:
            super().focusInEvent(event)
        finally:
            self._focusing = False
        if not had_current and self.currentIndex().isValid():
            self.blockSignals(True)
            self.selectionModel().setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
            self.blockSignals(False)

    def show_key(self, key: str | None) -> None:
        """Mark the row of ``key`` (None: no row, as on an account page) without navigating."""
        self.blockSignals(True)
        try:
            row = next(
                (r for r in range(self.count()) if self.item(r).data(Qt.ItemDataRole.UserRole) == key), -1
            )
            if row < 0:
                self.clearSelection()
            self.setCurrentRow(row)
        finally:
            self.blockSignals(False)

    def _on_current_row(self, row: int) -> None:
        if row >= 0 and not self._focusing:
            self.pageRequested.emit(self.item(row).data(Qt.ItemDataRole.UserRole))
