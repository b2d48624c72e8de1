"""The Timeline tab of the account page: filters, the event list, the selected note."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, timeline, vocab
from csdesk.i18n import label, plural, tr
from ui.context import AppContext
from ui.errors import show_error
from ui.layouts import FitComboBox
from ui.timeline import undo
from ui.timeline.dialogs import EventDialog, date_format
from ui.timeline.icons import kind_icon
from ui.timeline.model import EventRole, TimelineDelegate, TimelineFilter, TimelineModel
from ui.timeline.notes import SafeTextBrowser, event_html, list_beside_note
from ui.workers import run_in_background

# Newest events read first; the rest follow in a second background read.
FIRST_BATCH = 150

PERIODS = (
    ("all", "All time", None),
    ("30", "Last 30 days", 30),
    ("90", "Last 90 days", 90),
    ("365", "Last 12 months", 365),
    ("custom", "Custom range…", None),
)


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class TimelineTab(QWidget):
    """Loads an account's events in the background and shows them grouped by month."""

    loaded = Signal(int)  # account id, after all its events are shown
    firstShown = Signal(int)  # account id, after the newest events are shown (long histories)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self.complete = False
        self._generation = 0
        self._pending_event: int | None = None
        self.show_error = show_error

        # As wide as the choice shown (not the longest one): the row fits a 1024 px window.
        self.kind_filter = FitComboBox()
        self.kind_filter.addItem(tr("All kinds"), None)
        self.kind_filter.addItem(tr("Touchpoints only"), "touch")
        for key in vocab.EVENT_KINDS:
            self.kind_filter.addItem(kind_icon(key), label(vocab.EVENT_KIND_LABELS, key), key)
        self.period = FitComboBox()
        for key, text, _days in PERIODS:
            self.period.addItem(tr(text), key)
        today = clock.today()
        self.start = QDateEdit(_qdate(today - timedelta(days=90)))
        self.end = QDateEdit(_qdate(today))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(date_format())
            edit.setVisible(False)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Find in this timeline…"))
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("timelineCount")

        self.add_button = QToolButton()
        self.add_button.setText(tr("Log touchpoint"))
        self.add_button.setToolTip(tr("Log a note, call, meeting, e-mail or any CS event (Ctrl+N)"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.edit_button = QToolButton()
        self.edit_button.setText(tr("Edit"))
        self.delete_button = QToolButton()
        self.delete_button.setText(tr("Delete"))

        filters = QHBoxLayout()
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.period)
        filters.addWidget(self.start)
        filters.addWidget(self.end)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count_label)
        filters.addSpacing(12)
        filters.addWidget(self.add_button)
        filters.addWidget(self.edit_button)
        filters.addWidget(self.delete_button)

        self.model = TimelineModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(TimelineDelegate(self.view))
        self.view.setUniformItemSizes(False)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setMouseTracking(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(200)
        self.detail = SafeTextBrowser()
        self.detail.setPlaceholderText(tr("Select an event to read it."))
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid); padding: 24px;")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.view, 1)
        left_layout.addWidget(self.empty, 1)
        splitter = list_beside_note(left, self.detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

        self.new_action = QAction(tr("Log touchpoint"), self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_action.triggered.connect(lambda: self.quick_add())
        self.addAction(self.new_action)
        delete_action = QAction(tr("Delete"), self)
        delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete_action.triggered.connect(self.delete_selected)
        self.view.addAction(delete_action)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._filter_timer.start)
        self.kind_filter.currentIndexChanged.connect(self._apply_filter)
        self.period.currentIndexChanged.connect(self._on_period)
        self.start.dateChanged.connect(self._apply_filter)
        self.end.dateChanged.connect(self._apply_filter)
        self.add_button.clicked.connect(lambda: self.quick_add())
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.view.doubleClicked.connect(lambda _i: self.edit_selected())
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.model.modelReset.connect(self._on_reset)
        context.hub.timelineChanged.connect(self._on_timeline_changed)
        self._update_buttons()
        self._on_reset()

    # Loading -------------------------------------------------------------------

    def set_account(self, account_id: int, select_event: int | None = None) -> None:
        """Show ``account_id``'s timeline (loaded off the GUI thread)."""
        if account_id != self.account_id:
            self.search.clear()
            self.kind_filter.setCurrentIndex(0)
            self.period.setCurrentIndex(0)
            self.model.set_events([])
            self.detail.clear()
        self.account_id = account_id
        self._pending_event = select_event
        self.reload()

    def reload(self) -> None:
        """Read the newest events first, so a long history shows at once, then all of them."""
        if self.account_id is None:
            return
        self._generation += 1
        generation, account_id, db = self._generation, self.account_id, self.context.db
        first = None if self.model.events() else FIRST_BATCH
        run_in_background(
            lambda _p: timeline.list_events(db, account_id, limit=first),
            lambda events: self._on_loaded(
                generation, account_id, events, complete=first is None or len(events) < first
            ),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _load_rest(self, generation: int, account_id: int) -> None:
        db = self.context.db
        run_in_background(
            lambda _p: timeline.list_events(db, account_id),
            lambda events: self._on_loaded(generation, account_id, events, complete=True),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_loaded(
        self, generation: int, account_id: int, events: list[timeline.EventData], complete: bool = True
    ) -> None:
        if generation != self._generation:
            return  # another account (or a newer reload) was asked for meanwhile
        self.complete = complete
        if not complete:  # the rest is read while the newest events are already on screen
            self._load_rest(generation, account_id)
        current = self.current_event()
        scroll = self.view.verticalScrollBar().value()
        self.model.set_events(events)
        self.view.verticalScrollBar().setValue(scroll)
        wanted = self._pending_event or (current.id if current else None)
        found = self.select_event(wanted) if wanted else False
        if found or complete:
            self._pending_event = None
        if complete:
            self.loaded.emit(account_id)
        else:
            self.firstShown.emit(account_id)

    def _on_timeline_changed(self, account_id: int) -> None:
        if account_id == self.account_id:
            self.reload()

    # Filters ------------------------------------------------------------------------

    def _on_period(self) -> None:
        custom = self.period.currentData() == "custom"
        self.start.setVisible(custom)
        self.end.setVisible(custom)
        self._apply_filter()

    def _apply_filter(self) -> None:
        kind = self.kind_filter.currentData()
        kinds = frozenset(vocab.TOUCH_KINDS) if kind == "touch" else frozenset([kind] if kind else [])
        period = self.period.currentData()
        start = end = None
        if period == "custom":
            start, end = _pydate(self.start.date()), _pydate(self.end.date())
        else:
            days = next(d for k, _t, d in PERIODS if k == period)
            if days:
                start = clock.today() - timedelta(days=days)
        current = self.current_event()
        self.model.set_filter(TimelineFilter(kinds=kinds, start=start, end=end, text=self.search.text()))
        if current:
            self.select_event(current.id)

    def _on_reset(self) -> None:
        shown, total = self.model.visible_count(), len(self.model.events())
        if total == 0:
            self.count_label.setText("")
            self.empty.setText(
                tr("No events yet. Log the first touchpoint with Ctrl+N.") if self.account_id else ""
            )
        elif shown == 0:
            self.empty.setText(tr("No event matches these filters."))
        self.view.setVisible(shown > 0)
        self.empty.setVisible(shown == 0)
        if total:
            self.count_label.setText(
                plural(total, "{n} event", "{n} events")
                if shown == total
                else plural(total, "{shown} of {n} event", "{shown} of {n} events", shown=shown)
            )
        if total and not self.complete:
            self.count_label.setText(tr("Loading…"))
        if not self.current_event():
            self.detail.clear()
        self._update_buttons()

    # Selection -------------------------------------------------------------------

    def current_event(self) -> timeline.EventData | None:
        index = self.view.currentIndex()
        return index.data(EventRole) if index.isValid() else None

    def select_event(self, event_id: int) -> bool:
        row = self.model.row_of_event(event_id)
        if row < 0:
            return False
        index = self.model.index(row)
        self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _on_current(self, *_args) -> None:
        event = self.current_event()
        if event is None:
            self.detail.clear()
        else:
            self.detail.setHtml(event_html(event))
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.current_event() is not None
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.add_button.setEnabled(self.account_id is not None)
        self.new_action.setEnabled(self.account_id is not None)

    # Actions -------------------------------------------------------------------------

    def exec_dialog(self, dialog: QDialog) -> bool:
        """Run a dialog modally; tests replace this to fill the dialog in."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def quick_add(self, kind: str = "note") -> timeline.EventData | None:
        if self.account_id is None:
            return None
        dialog = EventDialog(self.account_id, self, kind=kind)
        if not self.exec_dialog(dialog) or dialog.result_event is None:
            return None
        try:
            created = undo.add_event(self.context, dialog.result_event)
        except Exception as error:  # noqa: BLE001 - shown to the user, bugs logged by show_error
            self.show_error(self, error)
            return None
        self._pending_event = created.id
        return created

    def edit_selected(self) -> None:
        event = self.current_event()
        if event is None or self.account_id is None:
            return
        dialog = EventDialog(self.account_id, self, event=event)
        if not self.exec_dialog(dialog) or dialog.result_event is None:
            return
        try:
            undo.edit_event(self.context, dialog.result_event)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)

    def delete_selected(self) -> None:
        event = self.current_event()
        if event is None:
            return
        try:
            undo.delete_event(self.context, event.id)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)
        # No confirmation: Ctrl+Z brings it back (the status bar says so via the undo text).
