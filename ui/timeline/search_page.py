"""Search every account's timeline by words (accent- and case-insensitive).

Filters narrow by kind, account and period; the words found are highlighted in
the list and in the note beside it (the search's own word-prefix rule,
``csdesk.timeline.match_spans``).
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, timeline, vocab
from csdesk.accounts import list_accounts
from csdesk.i18n import label, tr
from csdesk.note_markup import plain_preview
from ui.context import AppContext
from ui.errors import show_error
from ui.timeline.model import EventRole, IsHeaderRole, TimelineDelegate, kind_text
from ui.timeline.notes import SafeTextBrowser, event_html, list_beside_note
from ui.workers import run_in_background

HitRole = Qt.ItemDataRole.UserRole + 10
RESULT_LIMIT = 200
MATCH_COLOR = QColor(250, 204, 21, 120)  # a marker pen over the text, readable on light and selected rows
SNIPPET_BEFORE = 24  # a match further into the note than this starts the line near it

# Period filter: key and how many days back from today it starts (None = any time).
PERIODS = (("any", None), ("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365))


def period_labels() -> dict[str, str]:
    return {
        "any": tr("Any time"),
        "7d": tr("Last 7 days"),
        "30d": tr("Last 30 days"),
        "90d": tr("Last 90 days"),
        "365d": tr("Last 12 months"),
    }


def period_start(key: str, today: date) -> date | None:
    days = dict(PERIODS).get(key)
    return None if days is None else today - timedelta(days=days - 1)


def snippet(text: str, wanted: list[str], width: int = 120) -> str:
    """One line of ``text`` that shows its first match early (the row is narrow: the account and
    kind come first), or the note's start when nothing in it matches."""
    flat = " ".join(plain_preview(line, 10_000) for line in (text or "").splitlines() if line.strip())
    spans = timeline.match_spans(flat, wanted)
    if not spans or spans[0][0] <= SNIPPET_BEFORE:
        return flat if len(flat) <= width else flat[: width - 1] + "…"
    start = flat.rfind(" ", 0, spans[0][0] - SNIPPET_BEFORE // 2) + 1  # from a word's start
    piece = flat[start : start + width - 1]
    return "…" + piece + ("…" if start + width - 1 < len(flat) else "")


class SearchResultsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._hits: list[timeline.SearchHit] = []
        self.wanted: list[str] = []  # the folded words searched for, to highlight

    def set_hits(self, hits: list[timeline.SearchHit], wanted: list[str] | None = None) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.wanted = list(wanted or [])
        self.endResetModel()

    def hit_at(self, row: int) -> timeline.SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def subtitle(self, event: timeline.EventData) -> str:
        """Account first: across accounts, whose event it is matters most."""
        hit = next((h for h in self._hits if h.event is event), None)
        text = snippet(event.body or "", self.wanted)
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


class SearchDelegate(TimelineDelegate):
    """The timeline's event row, with the words found marked in the title and the second line."""

    def paint(self, painter: QPainter, option, index) -> None:
        super().paint(painter, option, index)
        event = index.data(EventRole)
        model = index.model()
        wanted = getattr(model, "wanted", [])
        if event is None or not wanted:
            return
        line1, line2, bold, small = self.text_lines(option, event)
        painter.save()
        for rect, font, text in (
            (line1, bold, event.title),
            (line2, small, model.subtitle(event)),
        ):
            self._mark(painter, rect, QFontMetrics(font), text, wanted)
        painter.restore()

    @staticmethod
    def _mark(painter: QPainter, rect: QRect, metrics: QFontMetrics, text: str, wanted: list[str]) -> None:
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        visible = len(shown) - (1 if shown != text else 0)  # the ellipsis hides the rest
        top = rect.top() + (rect.height() - metrics.height()) // 2
        for start, end in timeline.match_spans(text, wanted):
            if start >= visible:
                break
            end = min(end, visible)
            x = rect.left() + metrics.horizontalAdvance(shown[:start])
            painter.fillRect(
                QRect(x, top, metrics.horizontalAdvance(shown[start:end]), metrics.height()), MATCH_COLOR
            )


def highlight_document(browser, wanted: list[str]) -> int:
    """Mark the words found in a text browser's document; how many were marked."""
    document = browser.document()
    text = document.toPlainText()
    fmt = QTextCharFormat()
    fmt.setBackground(MATCH_COLOR)
    spans = timeline.match_spans(text, wanted)
    for start, end in spans:
        cursor = QTextCursor(document)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)
    return len(spans)


class SearchPage(QWidget):
    searched = Signal(str, int)  # text, number of hits
    accountsLoaded = Signal()

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
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(tr("All kinds"), None)
        for kind in vocab.EVENT_KINDS:
            self.kind_filter.addItem(label(vocab.EVENT_KIND_LABELS, kind), kind)
        self.account_filter = QComboBox()
        self.account_filter.addItem(tr("All accounts"), None)
        self.account_filter.setMinimumContentsLength(18)
        self.account_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.period_filter = QComboBox()
        labels = period_labels()
        for key, _days in PERIODS:
            self.period_filter.addItem(labels[key], key)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(tr("Kind")))
        filters.addWidget(self.kind_filter)
        filters.addSpacing(8)
        filters.addWidget(QLabel(tr("Account")))
        filters.addWidget(self.account_filter, 1)
        filters.addSpacing(8)
        filters.addWidget(QLabel(tr("Period")))
        filters.addWidget(self.period_filter)
        self.model = SearchResultsModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(SearchDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setMouseTracking(True)
        self.detail = SafeTextBrowser()
        splitter = list_beside_note(self.view, self.detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(self.run_search)
        for combo in (self.kind_filter, self.account_filter, self.period_filter):
            combo.currentIndexChanged.connect(self.run_search)
        self.today = None  # None = the clock's today (tests pin a day)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.view.activated.connect(lambda _i: self.open_current())
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        self.open_button.clicked.connect(self.open_current)
        context.hub.timelineChanged.connect(
            lambda _a: self.run_search() if self.query.text().strip() else None
        )
        context.hub.databaseChanged.connect(self._on_database_changed)
        context.hub.accountsChanged.connect(lambda _ids: self.load_accounts())
        self.status.setText(tr("Type a word: accents and capitals do not matter; word beginnings match."))
        self.load_accounts()

    def load_accounts(self) -> None:
        """The account filter's choices, read in the background (the choice is kept when it still exists)."""
        db = self.context.db

        def done(rows: list[tuple[int, str]]) -> None:
            chosen = self.account_filter.currentData()
            self.account_filter.blockSignals(True)
            self.account_filter.clear()
            self.account_filter.addItem(tr("All accounts"), None)
            for account_id, name in rows:
                self.account_filter.addItem(name, account_id)
            self.account_filter.setCurrentIndex(max(0, self.account_filter.findData(chosen)))
            self.account_filter.blockSignals(False)
            if chosen is not None and self.account_filter.currentData() != chosen:
                self.run_search()
            self.accountsLoaded.emit()

        run_in_background(
            lambda _p: sorted(((a.id, a.name) for a in list_accounts(db)), key=lambda r: r[1].casefold()),
            done,
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_database_changed(self) -> None:
        # The hits belong to the last database: opening one would ask for an account it lacks.
        self.query.clear()
        self.account_filter.setCurrentIndex(0)
        self.load_accounts()
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
        kind = self.kind_filter.currentData()
        account_id = self.account_filter.currentData()
        start = period_start(self.period_filter.currentData(), self.today or clock.today())
        run_in_background(
            lambda _p: timeline.search(
                db,
                text,
                limit=RESULT_LIMIT,
                account_id=account_id,
                kinds=None if kind is None else [kind],
                start=start,
            ),
            lambda hits: self._on_hits(generation, text, hits),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_hits(self, generation: int, text: str, hits: list[timeline.SearchHit]) -> None:
        if generation != self._generation:
            return
        self.model.set_hits(hits, timeline.words(text))
        self.detail.clear()
        self.open_button.setEnabled(False)
        filtered = any(
            c.currentIndex() > 0 for c in (self.kind_filter, self.account_filter, self.period_filter)
        )
        if not hits and filtered:
            self.status.setText(tr('Nothing found for "{text}" with these filters.', text=text.strip()))
        elif not hits:
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
            highlight_document(self.detail, self.model.wanted)

    def open_current(self) -> None:
        hit = self.view.currentIndex().data(HitRole) if self.view.currentIndex().isValid() else None
        if hit is not None:
            self.context.hub.requestEvent.emit(hit.event.account_id, hit.event.id)
