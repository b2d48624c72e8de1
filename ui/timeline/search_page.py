"""Search every account's timeline by words (accent- and case-insensitive)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import timeline
from csdesk.i18n import tr
from csdesk.markup import plain_preview
from ui.context import AppContext
from ui.errors import show_error
from ui.timeline.model import EventRole, IsHeaderRole, TimelineDelegate, kind_text
from ui.timeline.notes import SafeTextBrowser, event_html, list_beside_note
from ui.workers import run_in_background

HitRole = Qt.ItemDataRole.UserRole + 10
RESULT_LIMIT = 200


class SearchResultsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._hits: list[timeline.SearchHit] = []

    def set_hits(self, hits: list[timeline.SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit_at(self, row: int) -> timeline.SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def subtitle(self, event: timeline.EventData) -> str:
        """Account first: across accounts, whose event it is matters most."""
        hit = next((h for h in self._hits if h.event is event), None)
        text = plain_preview(event.body, 120)
        parts = f"{hit.account_name} · {kind_text(event)}" if hit else kind_text(event)
        return parts + (f" — {text}" if text else "")

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.event.title
        if role == EventRole:
            return hit.event
        if role == HitRole:
            return hit
        if role == IsHeaderRole:
            return False
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.account_name
        return None


class SearchPage(QWidget):
    searched = Signal(str, int)  # text, number of hits

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.show_error = show_error
        self._generation = 0
        self.query = QLineEdit()
        self.query.setPlaceholderText(tr("Search notes, calls, meetings and e-mails of every account…"))
        self.query.setClearButtonEnabled(True)
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(mid);")
        self.open_button = QPushButton(tr("Open account"))
        self.open_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.open_button)
        self.model = SearchResultsModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(TimelineDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setMouseTracking(True)
        self.detail = SafeTextBrowser()
        splitter = list_beside_note(self.view, self.detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(self.run_search)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.view.activated.connect(lambda _i: self.open_current())
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        self.open_button.clicked.connect(self.open_current)
        context.hub.timelineChanged.connect(
            lambda _a: self.run_search() if self.query.text().strip() else None
        )
        context.hub.databaseChanged.connect(self._on_database_changed)
        self.status.setText(tr("Type a word: accents and capitals do not matter; word beginnings match."))

    def _on_database_changed(self) -> None:
        # The hits belong to the last database: opening one would ask for an account it lacks.
        self.query.clear()
        self.run_search()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.query.setFocus()

    def run_search(self) -> None:
        text = self.query.text()
        self._generation += 1
        generation, db = self._generation, self.context.db
        if not timeline.words(text):
            self.model.set_hits([])
            self.detail.clear()
            self.status.setText(tr("Type a word: accents and capitals do not matter; word beginnings match."))
            return
        run_in_background(
            lambda _p: timeline.search(db, text, limit=RESULT_LIMIT),
            lambda hits: self._on_hits(generation, text, hits),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_hits(self, generation: int, text: str, hits: list[timeline.SearchHit]) -> None:
        if generation != self._generation:
            return
        self.model.set_hits(hits)
        self.detail.clear()
        self.open_button.setEnabled(False)
        if not hits:
            self.status.setText(tr('Nothing found for "{text}".', text=text.strip()))
        elif len(hits) >= RESULT_LIMIT:
            self.status.setText(tr("The {n} newest matches; add a word to narrow down.", n=len(hits)))
        else:
            self.status.setText(tr("{n} matches, newest first.", n=len(hits)))
        if hits:
            self.view.setCurrentIndex(self.model.index(0))
        self.searched.emit(text, len(hits))

    def _on_current(self, current: QModelIndex, _previous=None) -> None:
        hit = current.data(HitRole) if current.isValid() else None
        self.open_button.setEnabled(hit is not None)
        if hit is None:
            self.detail.clear()
        else:
            self.detail.setHtml(event_html(hit.event, hit.account_name))

    def open_current(self) -> None:
        hit = self.view.currentIndex().data(HitRole) if self.view.currentIndex().isValid() else None
        if hit is not None:
            self.context.hub.requestEvent.emit(hit.event.account_id, hit.event.id)
