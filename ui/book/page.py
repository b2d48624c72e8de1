"""The book of business page: KPI header, search and filters, the accounts table.

An empty database shows a welcome screen instead. The book is loaded in the
background (one query, column-wise) and the model is reset in one go; data
changes announced on the hub trigger a debounced reload.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QByteArray, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QStyleOptionHeader,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, i18n, vocab
from csdesk.book import NO_SCORE, Book, BookFilter, load_book, load_snapshot, save_snapshot, snapshot_path
from csdesk.i18n import label, plural, tr
from ui.book.icons import icon
from ui.book.model import COLUMNS, AccountIdRole, BookModel
from ui.book.widgets import HealthDelegate, KpiHeader, WelcomePage
from ui.context import AppContext
from ui.errors import show_error
from ui.layouts import FitComboBox, FlowRow
from ui.workers import run_in_background

if TYPE_CHECKING:
    from csdesk import accounts

RENEWAL_CHOICES = (30, 60, 90, 180)
NO_TOUCH_CHOICES = (14, 30, 60, 90)
RELOAD_DELAY_MS = 150
DEMO_ACCOUNTS = 300
MAX_TEXT_COLUMN = 240  # an owner column fitted to its longest name stops here

VIEWS_KEY = "book/views"
STATE_KEY = "book/state"
HEADER_KEY = "book/header"


class BookHeader(QHeaderView):
    """The table's header, its sort arrow pointing the way the values grow: ▲ ascending, ▼ descending.

    Qt hands the style ``SortDown`` for an ascending sort (an old Windows
    convention), so every style draws ▼ over A→Z: the arrow is flipped here.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:  # noqa: N802
        super().initStyleOptionForIndex(option, logical_index)
        option.sortIndicator = self.sort_arrow(logical_index)

    def sort_arrow(self, logical_index: int) -> QStyleOptionHeader.SortIndicator:
        """The arrow drawn on a section: up for ascending, down for descending, none when unsorted."""
        if not self.isSortIndicatorShown() or self.sortIndicatorSection() != logical_index:
            return QStyleOptionHeader.SortIndicator.None_
        if self.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder:
            return QStyleOptionHeader.SortIndicator.SortUp
        return QStyleOptionHeader.SortIndicator.SortDown


class BookTable(QTableView):
    """The accounts table; Enter opens the current account like a double-click."""

    openRequested = Signal(QModelIndex)
    resized = Signal()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.resized.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class BookPage(QWidget):
    bookLoaded = Signal()  # a load from the database finished and the model shows it
    snapshotShown = Signal()  # the last session's book is shown while the database loads

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setObjectName("bookPage")
        self.model = BookModel(self)
        self.loaded = False  # the model shows the database's rows (not the start-up snapshot)
        self._generation = 0
        self._pending_select: int | None = None
        self._restoring = True  # no state saving while the widgets are being built
        # A drill-down from the Indicadores page: the accounts behind a figure (no widget of its own
        # but the chip that names it and clears it).
        self._accounts: frozenset[int] = frozenset()
        self._accounts_label = ""

        self.stack = QStackedWidget()
        self.welcome = WelcomePage()
        self.content = QWidget()
        self.stack.addWidget(self.content)
        self.stack.addWidget(self.welcome)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self._header_timer = QTimer(self)
        self._header_timer.setSingleShot(True)
        self._header_timer.setInterval(400)
        self._header_timer.timeout.connect(self.save_state)
        self._build_actions()
        self._build_content()
        self.welcome.importRequested.connect(lambda: context.hub.requestImport.emit(""))
        self.welcome.demoRequested.connect(self.generate_demo)
        self.welcome.newAccountRequested.connect(self.new_account)

        self.model.viewChanged.connect(self._on_view_changed)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        hub = context.hub
        hub.accountsChanged.connect(self._schedule_reload)
        hub.healthChanged.connect(self._schedule_reload)
        hub.timelineChanged.connect(self._schedule_reload)
        hub.plansChanged.connect(self._schedule_reload)
        hub.importFinished.connect(self._schedule_reload)
        hub.databaseChanged.connect(self._on_database_changed)
        hub.requestNewAccount.connect(self.new_account)

        self._restoring = False
        self.restore_state()
        self._show_snapshot_then_reload()

    # Building -------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.new_account_action = QAction(icon("add"), tr("&New account…"), self)
        self.new_account_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_account_action.triggered.connect(self.new_account)
        self.edit_action = QAction(icon("edit"), tr("&Edit account…"), self)
        self.edit_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.edit_action.triggered.connect(self.edit_selected)
        self.delete_action = QAction(icon("delete"), tr("&Delete account…"), self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.triggered.connect(self.delete_selected)
        self.find_action = QAction(icon("search"), tr("&Find account"), self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_search)
        self.export_action = QAction(icon("export"), tr("&Export visible rows…"), self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.export_visible)
        self.clear_filters_action = QAction(icon("clear"), tr("Clear filters"), self)
        self.clear_filters_action.triggered.connect(self.clear_filters)
        for action in (self.edit_action, self.delete_action):
            # Only while the table has focus: Del and F2 belong to text fields elsewhere.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _build_content(self) -> None:
        title = QLabel(tr("Book of business"))
        title.setObjectName("pageTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("pageSubtitle")
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(title)
        titles.addWidget(self.count_label)

        self.views_button = QToolButton()
        self.views_button.setObjectName("viewsButton")
        self.views_button.setIcon(icon("views"))
        self.views_button.setText(tr("Views"))
        self.views_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.views_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.views_menu = QMenu(self.views_button)
        self.views_menu.aboutToShow.connect(self._fill_views_menu)
        self.views_button.setMenu(self.views_menu)
        export_button = QToolButton()
        export_button.setDefaultAction(self.export_action)
        export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        export_button.setText(tr("Export"))
        self.new_button = new_button = QPushButton(icon("add", "#ffffff"), tr("New account"))
        new_button.setObjectName("primaryButton")
        new_button.clicked.connect(self.new_account)
        new_button.setToolTip(tr("New account (Ctrl+Shift+N)"))

        top = QHBoxLayout()
        top.addLayout(titles)
        top.addStretch(1)
        top.addWidget(self.views_button)
        top.addWidget(export_button)
        top.addWidget(new_button)

        self.kpis = KpiHeader()

        self.search = QLineEdit()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText(tr("Search name, CNPJ, domain or owner  (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search", "#8a94a6"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(240)
        self.search.textChanged.connect(self._on_filters_edited)

        self.status_filter = self._filter_combo(
            [(tr("Active"), "active"), (tr("Churned"), "churned"), (tr("Active and churned"), "all")]
        )
        self.segment_filter = self._filter_combo(
            [(tr("Segment"), None)] + [(label(vocab.SEGMENT_LABELS, s), s) for s in vocab.SEGMENTS]
        )
        self.stage_filter = self._filter_combo(
            [(tr("Stage"), None)] + [(label(vocab.STAGE_LABELS, s), s) for s in vocab.STAGES]
        )
        self.band_filter = self._filter_combo(
            [(tr("Health"), None)]
            + [(label(vocab.HEALTH_BAND_LABELS, b), b) for b in vocab.HEALTH_BANDS]
            + [(tr("At risk or critical"), "yellow,red"), (tr(vocab.HEALTH_NO_DATA), NO_SCORE)]
        )
        self.renewal_filter = self._filter_combo(
            [(tr("Renewal"), None)] + [(tr("Renews in {n} d", n=n), n) for n in RENEWAL_CHOICES]
        )
        self.touch_filter = self._filter_combo(
            [(tr("Last touch"), None)] + [(tr("No touch {n}+ d", n=n), n) for n in NO_TOUCH_CHOICES]
        )
        # Green accounts with an expansion signal (csdesk.expansion.candidate_mask).
        self.expansion_filter = QToolButton()
        self.expansion_filter.setObjectName("expansionFilter")
        self.expansion_filter.setText(tr("Expansion candidates"))
        self.expansion_filter.setToolTip(
            tr("Green band, and a promoter NPS (9–10) or 80%+ of the licences in use")
        )
        self.expansion_filter.setCheckable(True)
        self.expansion_filter.toggled.connect(self._on_filters_edited)
        clear = QToolButton()
        clear.setDefaultAction(self.clear_filters_action)
        clear.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self._build_scope()
        self.accounts_chip = QToolButton()
        self.accounts_chip.setObjectName("drillDownChip")
        self.accounts_chip.setToolTip(
            tr("Accounts behind a figure of the Indicadores page; click to show all")
        )
        self.accounts_chip.clicked.connect(self._clear_accounts)
        self.accounts_chip.hide()

        # One line on a wide window; on a small one the filters wrap under the search field.
        self.filter_bar = QWidget()
        filters = FlowRow(self.filter_bar, spacing=6, line_spacing=8)
        filters.add(self.scope)
        filters.add(self.search, stretch=1)
        for combo in (
            self.status_filter,
            self.segment_filter,
            self.stage_filter,
            self.band_filter,
            self.renewal_filter,
            self.touch_filter,
            self.expansion_filter,
        ):
            filters.add(combo)
        filters.add(self.accounts_chip)
        filters.add(clear)

        self.table = BookTable()
        self.table.setObjectName("bookTable")
        self.table.setHorizontalHeader(BookHeader(self.table))
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setItemDelegateForColumn(self._column_index("health"), HealthDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        # The extra width of a wide window goes to the account names (_fill_width), not the last column.
        header.setStretchLastSection(False)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        # Saved a moment later, not per click or keystroke: QSettings writes its file each time.
        header.sortIndicatorChanged.connect(lambda *_: self._save_header_later())
        header.sectionResized.connect(lambda *_: self._save_header_later())
        header.sectionMoved.connect(lambda *_: self._save_header_later())
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, column.width)
            header.setSectionHidden(i, not column.visible)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.resized.connect(self._fill_width)
        header.sectionResized.connect(self._on_section_resized)
        self.table.doubleClicked.connect(self._on_open)
        self.table.openRequested.connect(self._on_open)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.addAction(self.edit_action)
        self.table.addAction(self.delete_action)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self._update_actions()

        self.empty_label = QLabel(tr("No account matches the search and filters."))
        self.empty_label.setObjectName("emptyHint")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(16, 16, 16, 10)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addWidget(self.kpis)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)

    def _build_scope(self) -> None:
        """Team mode: *My book* (the accounts I own) or *Whole book*, one click apart."""
        self.scope = QWidget()
        self.scope.setObjectName("bookScope")
        row = QHBoxLayout(self.scope)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.mine_button = QToolButton()
        self.mine_button.setObjectName("scopeMine")
        self.mine_button.setText(tr("My book"))
        self.all_button = QToolButton()
        self.all_button.setObjectName("scopeAll")
        self.all_button.setText(tr("Whole book"))
        self.all_button.setToolTip(tr("Every account of the team"))
        self._scope_group = QButtonGroup(self)
        for button in (self.mine_button, self.all_button):
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._scope_group.addButton(button)
            row.addWidget(button)
        self.all_button.setChecked(True)
        self._scope_group.buttonToggled.connect(lambda *_: self._on_filters_edited())
        self.context.hub.userChanged.connect(self._on_user_changed)
        self._update_scope()

    def _update_scope(self) -> None:
        db = self.context.db
        self.scope.setVisible(db.team)
        self.mine_button.setEnabled(bool(db.user))
        self.mine_button.setToolTip(
            tr("The accounts whose owner is {name}", name=db.user)
            if db.user
            else tr("Set your name first: Edit > Your name…")
        )

    def _on_user_changed(self, _name: str) -> None:
        self._update_scope()
        if self.context.db.team and self.context.db.user:
            self.mine_button.setChecked(True)  # a CSM who just said who they are sees their book
        self._on_filters_edited()

    def team_filter(self, flt: BookFilter) -> BookFilter:
        """In team mode the book opens on *My book*: ``flt`` narrowed to my accounts."""
        db = self.context.db
        return replace(flt, owner=db.user) if db.team and db.user else flt

    def _filter_combo(self, items: list[tuple[str, Any]]) -> QComboBox:
        combo = FitComboBox()
        combo.setObjectName("filterCombo")
        for text, data in items:
            combo.addItem(text, data)
        combo.currentIndexChanged.connect(self._on_filters_edited)
        return combo

    # Column widths ----------------------------------------------------------------------

    def column_text_widths(self) -> dict[int, int]:
        """Per column, the width its title (bold, with the sort arrow) and widest amount need."""
        header = self.table.horizontalHeader()
        bold = QFont(header.font())
        bold.setBold(True)
        titles = QFontMetrics(bold)
        cells = QFontMetrics(self.table.font())
        needed: dict[int, int] = {}
        for i in range(len(COLUMNS)):
            title = str(self.model.headerData(i, Qt.Orientation.Horizontal) or "")
            needed[i] = titles.horizontalAdvance(title) + 40  # padding and the sort arrow
        # Labels of a small vocabulary and the owners' names fit whole; account names take the rest.
        texts = {
            "segment": [label(vocab.SEGMENT_LABELS, k) for k in vocab.SEGMENTS],
            "stage": [label(vocab.STAGE_LABELS, k) for k in vocab.STAGES],
            "plan": [label(vocab.PLAN_STATUS_LABELS, k) for k in vocab.PLAN_STATUS_LABELS],
            "owner": self.model.book.owners()[:200],
        }
        for key, values in texts.items():
            widest = max((cells.horizontalAdvance(v) for v in values), default=0) + 24
            i = self._column_index(key)
            needed[i] = max(needed[i], min(widest, MAX_TEXT_COLUMN))
        lists = self.model.book.lists if len(self.model.book) else {}
        for key, cents_key in (("mrr", "mrr_cents"), ("arr", "arr_cents")):
            if cents_key in lists and len(lists[cents_key]):
                widest = int(np.argmax(np.abs(np.asarray(lists[cents_key], dtype=float))))
                text = self.model.display_at(key, widest)
                needed[self._column_index(key)] = max(
                    needed[self._column_index(key)], cells.horizontalAdvance(text) + 24
                )
        return needed

    def fit_columns(self) -> None:
        """Widen the columns whose title or amounts would be cut ("ano de suces", "R$ 1.017....")."""
        header = self.table.horizontalHeader()
        self._fitting = True
        try:
            for i, width in self.column_text_widths().items():
                if header.sectionSize(i) < width:
                    header.resizeSection(i, width)
        finally:
            self._fitting = False
        self._fill_width()

    def _on_section_resized(self, index: int, _old: int, _new: int) -> None:
        if index != self._column_index("name"):
            self._fill_width()

    def _fill_width(self) -> None:
        """Give the width the columns leave free to the account names (never less than their default)."""
        if getattr(self, "_fitting", False):
            return
        header = self.table.horizontalHeader()
        name = self._column_index("name")
        others = sum(
            header.sectionSize(i) for i in range(len(COLUMNS)) if i != name and not header.isSectionHidden(i)
        )
        free = self.table.viewport().width() - others
        width = max(COLUMNS[name].width, free)
        if header.sectionSize(name) != width:
            self._fitting = True
            try:
                header.resizeSection(name, width)
            finally:
                self._fitting = False

    @staticmethod
    def _column_index(key: str) -> int:
        return next(i for i, c in enumerate(COLUMNS) if c.key == key)

    # Loading ---------------------------------------------------------------------------

    def _schedule_reload(self, *_args) -> None:
        self._reload_timer.start()

    def _on_database_changed(self) -> None:
        # Another book: the last one's search, filters and selected row mean nothing here
        # (a search kept across the switch showed "0 of 25 accounts" after an import).
        self.loaded = False
        self._pending_select = None
        self.table.selectionModel().clear()
        self._update_scope()
        self.set_filter(self.team_filter(BookFilter()))
        self.reload()

    def _show_snapshot_then_reload(self) -> None:
        """Show the book as the last session left it (if kept), then load the database's rows."""
        db = self.context.db
        path = snapshot_path(db)
        if path is None or not path.is_file():
            self.reload()
            return
        generation = self._generation
        run_in_background(
            lambda progress: load_snapshot(path, db.sqlite_path),
            lambda book: self._on_snapshot(book, generation),
            lambda _error: self.reload(),
            parent=self,
        )

    def _on_snapshot(self, book: Book | None, generation: int) -> None:
        if generation == self._generation and book is not None and len(book):
            self.model.set_book(book)
            self.stack.setCurrentWidget(self.content)
            self.snapshotShown.emit()
        if generation == self._generation:
            self.reload()

    def keep_snapshot(self) -> None:
        """Save the book shown (if it came from the database) for the next start's first paint."""
        db = self.context.db
        path = snapshot_path(db)
        if self.loaded and path is not None:
            save_snapshot(self.model.book, path, db.sqlite_path)

    def reload(self) -> None:
        """Load the book in the background; the newest request wins."""
        self._generation += 1
        generation = self._generation
        db = self.context.db
        run_in_background(
            lambda progress: load_book(db).prepare(),
            lambda book: self._on_loaded(book, generation),
            lambda error: self._on_load_failed(error, generation),
            parent=self,
        )

    def _on_loaded(self, book: Book, generation: int) -> None:
        if generation != self._generation:
            return  # a newer load is on its way
        selected = self._pending_select or self.current_account_id()
        self._pending_select = None
        self.loaded = True
        self.model.set_book(book)
        self.stack.setCurrentWidget(self.welcome if len(book) == 0 else self.content)
        self.fit_columns()
        if selected is not None:
            self.select_account(selected)
        self.bookLoaded.emit()

    def _on_load_failed(self, error: BaseException, generation: int) -> None:
        if generation == self._generation:
            show_error(self, error)

    # View state ------------------------------------------------------------------------

    def current_filter(self) -> BookFilter:
        bands = self.band_filter.currentData()
        segment = self.segment_filter.currentData()
        stage = self.stage_filter.currentData()
        return BookFilter(
            search=self.search.text(),
            status=self.status_filter.currentData(),
            segments=frozenset([segment]) if segment else frozenset(),
            stages=frozenset([stage]) if stage else frozenset(),
            bands=frozenset(bands.split(",")) if bands else frozenset(),
            renewal_within=self.renewal_filter.currentData(),
            no_touch_for=self.touch_filter.currentData(),
            expansion=self.expansion_filter.isChecked(),
            owner=self.context.db.user if self.mine_button.isChecked() and self.context.db.user else None,
            accounts=self._accounts,
            accounts_label=self._accounts_label,
        )

    def set_filter(self, flt: BookFilter) -> None:
        """Show ``flt`` in the filter widgets and apply it."""
        self._restoring = True
        try:
            self.search.setText(flt.search)
            self._set_combo(self.status_filter, flt.status)
            self._set_combo(
                self.segment_filter, next(iter(flt.segments), None) if len(flt.segments) == 1 else None
            )
            self._set_combo(self.stage_filter, next(iter(flt.stages), None) if len(flt.stages) == 1 else None)
            bands = ",".join(sorted(flt.bands, key=lambda b: ("green", "yellow", "red", NO_SCORE).index(b)))
            self._set_combo(self.band_filter, bands or None)
            self._set_combo(self.renewal_filter, flt.renewal_within)
            self._set_combo(self.touch_filter, flt.no_touch_for)
            self.expansion_filter.setChecked(flt.expansion)
            (self.mine_button if flt.owner else self.all_button).setChecked(True)
            self._accounts, self._accounts_label = flt.accounts, flt.accounts_label
            self.accounts_chip.setText(
                f"{flt.accounts_label or tr('Selected accounts')} ({len(flt.accounts)}) ✕"
            )
            self.accounts_chip.setVisible(bool(flt.accounts))
        finally:
            self._restoring = False
        self._on_filters_edited()

    def _clear_accounts(self) -> None:
        self.set_filter(replace(self.current_filter(), accounts=frozenset(), accounts_label=""))

    @staticmethod
    def _set_combo(combo: QComboBox, value: Any) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(index if index >= 0 else 0)

    def _on_filters_edited(self, *_args) -> None:
        if self._restoring:
            return
        self.model.set_filter(self.current_filter())
        self._save_header_later()

    def clear_filters(self) -> None:
        self.set_filter(BookFilter())

    def _on_view_changed(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.book)
        self.kpis.show_kpis(self.model.kpis())
        if shown == total:
            count = plural(total, "{n} account", "{n} accounts", n=formatting.number(total))
        else:
            count = plural(
                total,
                "{shown} of {total} account",
                "{shown} of {total} accounts",
                shown=formatting.number(shown),
                total=formatting.number(total),
            )
        # The last session's snapshot is on screen until the database's rows arrive.
        self.count_label.setText(count if self.loaded else f"{count} · {tr('updating…')}")
        self.empty_label.setVisible(shown == 0 and total > 0)
        self.clear_filters_action.setEnabled(self.model.filter != BookFilter())
        self._update_actions()

    def visible_column_keys(self) -> list[str]:
        header = self.table.horizontalHeader()
        order = sorted(range(len(COLUMNS)), key=header.visualIndex)
        return [COLUMNS[i].key for i in order if not header.isSectionHidden(i)]

    def view_state(self) -> dict[str, Any]:
        """Search, filters, sort and columns: what a saved view remembers."""
        return {
            "filter": self.model.filter.to_dict(),
            "sort": self.model.sort_key,
            "descending": self.model.descending,
            "columns": self.visible_column_keys(),
        }

    def apply_view_state(self, state: dict[str, Any]) -> None:
        columns = state.get("columns")
        if isinstance(columns, list) and columns:
            header = self.table.horizontalHeader()
            for i, column in enumerate(COLUMNS):
                header.setSectionHidden(i, column.key not in columns)
            for visual, key in enumerate(k for k in columns if k in {c.key for c in COLUMNS}):
                header.moveSection(header.visualIndex(self._column_index(key)), visual)
        sort_key = state.get("sort")
        descending = bool(state.get("descending"))
        keys = [c.key for c in COLUMNS]
        header = self.table.horizontalHeader()
        if sort_key in keys:
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(keys.index(sort_key), order)  # sorts the model too
        else:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.model.set_sort(None)
        self.set_filter(BookFilter.from_dict(state.get("filter") or {}))

    def save_state(self) -> None:
        if self._restoring:
            return
        settings = self.context.settings
        settings.setValue(STATE_KEY, json.dumps(self.view_state()))
        settings.setValue(HEADER_KEY, self.table.horizontalHeader().saveState())

    def _save_header_later(self) -> None:
        self._header_timer.start()

    def restore_state(self) -> None:
        settings = self.context.settings
        try:
            state = json.loads(settings.value(STATE_KEY, "", str) or "{}")
        except ValueError:
            state = {}
        header_state = settings.value(HEADER_KEY)
        self._restoring = True  # restoring the header emits signals that would save half a state
        try:
            if isinstance(header_state, QByteArray | bytes) and header_state:
                self.table.horizontalHeader().restoreState(QByteArray(header_state))
        finally:
            self._restoring = False
        if state:
            # Filters, sort and columns come back at the next start; a search does not:
            # typed to find one account, it would hide the whole book next time.
            if isinstance(state.get("filter"), dict):
                state["filter"] = {**state["filter"], "search": "", "accounts": []}
            self.apply_view_state(state)
        else:
            self.model.set_filter(self.current_filter())
        if self.context.db.team:
            self.set_filter(self.team_filter(self.model.filter))

    # Saved views -------------------------------------------------------------------

    def saved_views(self) -> dict[str, dict[str, Any]]:
        try:
            views = json.loads(self.context.settings.value(VIEWS_KEY, "", str) or "{}")
        except ValueError:
            return {}
        return views if isinstance(views, dict) else {}

    def save_view(self, name: str) -> None:
        views = self.saved_views()
        views[name] = self.view_state()
        self.context.settings.setValue(VIEWS_KEY, json.dumps(views, ensure_ascii=False))

    def load_view(self, name: str) -> bool:
        state = self.saved_views().get(name)
        if state is None:
            return False
        self.apply_view_state(state)
        self.save_state()
        return True

    def delete_view(self, name: str) -> None:
        views = self.saved_views()
        views.pop(name, None)
        self.context.settings.setValue(VIEWS_KEY, json.dumps(views, ensure_ascii=False))

    def _fill_views_menu(self) -> None:
        menu = self.views_menu
        menu.clear()
        views = self.saved_views()
        for name in sorted(views, key=str.casefold):
            menu.addAction(name, lambda n=name: self.load_view(n))
        if views:
            menu.addSeparator()
        menu.addAction(tr("Save current view…"), self._ask_save_view)
        if views:
            delete_menu = menu.addMenu(tr("Delete view"))
            for name in sorted(views, key=str.casefold):
                delete_menu.addAction(name, lambda n=name: self.delete_view(n))
        menu.addSeparator()
        menu.addAction(tr("Reset to the default view"), self.reset_view)

    def _ask_save_view(self) -> None:
        name, ok = QInputDialog.getText(self, tr("Save view"), tr("Name of this view:"))
        if ok and name.strip():
            self.save_view(name.strip())

    def reset_view(self) -> None:
        self.apply_view_state({"columns": [c.key for c in COLUMNS if c.visible]})
        header = self.table.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, column.width)
        self.save_state()

    # Columns ------------------------------------------------------------------------

    def column_menu(self) -> QMenu:
        """Show or hide columns (the header's context menu, also under View)."""
        menu = QMenu(tr("Columns"), self)
        menu.setIcon(icon("columns"))
        header = self.table.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            action = menu.addAction(tr(column.title))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setEnabled(column.key != "name")
            action.toggled.connect(lambda on, i=i: self.set_column_visible(COLUMNS[i].key, on))
        return menu

    def set_column_visible(self, key: str, visible: bool) -> None:
        self.table.horizontalHeader().setSectionHidden(self._column_index(key), not visible)
        self.save_state()

    def _header_menu(self, pos: QPoint) -> None:
        self.column_menu().exec(self.table.horizontalHeader().mapToGlobal(pos))

    # Accounts -----------------------------------------------------------------------

    def current_account_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.account_id(index.row()) if index.isValid() else None

    def selected_account_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.account_id(r) for r in rows]

    def select_account(self, account_id: int) -> bool:
        row = self.model.row_of(account_id)
        if row is None:
            return False
        index = self.model.index(row, self._column_index("name"))
        self.table.setCurrentIndex(index)
        self.table.selectRow(row)
        self.table.scrollTo(index)
        return True

    def _update_actions(self) -> None:
        selected = bool(self.table.selectionModel().selectedRows())
        self.edit_action.setEnabled(selected)
        self.delete_action.setEnabled(selected)

    def focus_search(self) -> None:
        self.context.hub.requestPage.emit("book")
        self.search.setFocus()
        self.search.selectAll()

    def _on_open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.context.hub.requestAccount.emit(int(index.data(AccountIdRole)))

    def _table_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.edit_action)
        menu.addAction(self.delete_action)
        menu.addSeparator()
        documents = menu.addMenu(tr("Documents"))
        for action in self.document_actions().actions():
            documents.addAction(action)
        documents.setEnabled(self.current_account_id() is not None)
        menu.addSeparator()
        menu.addAction(self.new_account_action)
        menu.addAction(self.export_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def document_actions(self):
        """QBR deck, kickoff, plans and follow-up email for the current account (made on first use)."""
        if getattr(self, "_documents", None) is None:
            from ui.documents.actions import DocumentActions

            self._documents = DocumentActions(self.context, self.current_account_id, self)
        return self._documents

    def _owners(self) -> list[str]:
        return self.model.book.owners()

    def report(self, error: BaseException) -> None:
        show_error(self, error)

    # Editing: the dialogs and commands (with the ORM behind them) are imported on first use,
    # keeping SQLAlchemy out of start-up.

    def new_account(self) -> None:
        from ui.book.commands import CreateAccountCommand
        from ui.book.dialogs import AccountDialog

        dialog = AccountDialog(owners=self._owners(), parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        edit = dialog.result_edit()
        command = CreateAccountCommand(self.context, edit.data, edit.contacts, self.report)
        self.context.undo_stack.push(command)
        if command.account_ids:
            self._pending_select = command.account_ids[0]

    def edit_account(self, account_id: int) -> None:
        from csdesk import accounts
        from ui.book.dialogs import AccountDialog

        try:
            summary = accounts.get_account(self.context.db, account_id)
            contacts = accounts.list_contacts(self.context.db, account_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            show_error(self, exc)
            return
        before = _account_data(summary)
        dialog = AccountDialog(before, contacts, owners=self._owners(), parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.save_edit(before, summary.version, contacts, dialog.result_edit())

    def save_edit(self, before, seen_version: int, contacts, edit) -> None:
        """Save an account dialog's edit of ``before`` (read at ``seen_version``) as one undo step.

        Changed by someone else meanwhile, nothing is saved until the user chooses in
        the conflict dialog: keep theirs, keep mine, or cancel.
        """
        from csdesk import accounts
        from ui.book.commands import EditAccountCommand

        if edit.data == before and not edit.contacts and not edit.removed:
            return
        conflicts: list[accounts.EditConflict] = []

        def report(error: BaseException) -> None:
            if isinstance(error, accounts.EditConflict) and not conflicts:
                conflicts.append(error)
            else:
                self.report(error)

        command = EditAccountCommand(
            self.context,
            before,
            edit.data,
            contacts,
            edit.contacts,
            edit.removed,
            report,
            effective=edit.effective,
            seen_version=seen_version,
        )
        self.context.undo_stack.push(command)
        if not conflicts:
            if before.status != "churned" and edit.data.status == "churned" and before.id is not None:
                self.ask_churn_details(before.id)
            return
        theirs = conflicts[0].theirs
        self.context.hub.remoteChanged.emit()  # what is shown is stale: show their version
        choice = self.resolve_conflict(before, edit.data, theirs.data())
        if choice is None:
            return
        merged = accounts.merge_edit(before, edit.data, theirs.data(), prefer=choice)
        self.save_edit(theirs.data(), theirs.version, contacts, replace(edit, data=merged))

    def resolve_conflict(self, base, mine, theirs) -> str | None:
        """Ask how to save over another CSM's change: "mine", "theirs" or None (save nothing)."""
        from ui.team import ConflictDialog

        dialog = ConflictDialog(base, mine, theirs, self)
        self.conflict_dialog = dialog
        dialog.exec()
        return dialog.choice

    def ask_churn_details(self, account_id: int) -> bool:
        """A churn asks why (reason, voluntary or not, root cause, save attempts) and offers the post-mortem."""
        from ui.renewals.churn_dialog import ask_churn_details

        try:
            return ask_churn_details(
                self.context, account_id, self, self.exec_churn_dialog, self.document_actions()
            )
        except Exception as exc:  # noqa: BLE001 - shown to the user
            show_error(self, exc)
            return False

    def exec_churn_dialog(self, dialog: QDialog) -> bool:
        """Run the churn dialog modally; tests replace this to fill it in."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def edit_selected(self) -> None:
        account_id = self.current_account_id()
        if account_id is not None:
            self.edit_account(account_id)

    def delete_selected(self) -> None:
        ids = self.selected_account_ids()
        if not ids:
            return
        names = [self.model.book.column("name")[self.model.book.position_of(i)] for i in ids]
        if len(ids) == 1:
            question = tr(
                'Delete "{name}" with its contacts, timeline and plans? You can undo this with Ctrl+Z.',
                name=names[0],
            )
        else:
            question = tr(
                "Delete {n} accounts with their contacts, timelines and plans? You can undo this with Ctrl+Z.",
                n=len(ids),
            )
        answer = QMessageBox.question(
            self,
            tr("Delete accounts") if len(ids) > 1 else tr("Delete account"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        from ui.book.commands import DeleteAccountsCommand

        self.context.undo_stack.push(DeleteAccountsCommand(self.context, ids, names, self.report))

    # Export -------------------------------------------------------------------------

    def export_visible(self) -> None:
        csv_filter = tr("CSV for Excel (*.csv)")
        xlsx_filter = tr("Excel workbook (*.xlsx)")
        path, chosen = QFileDialog.getSaveFileName(
            self, tr("Export visible rows"), tr("accounts") + ".xlsx", f"{xlsx_filter};;{csv_filter}"
        )
        if not path:
            return
        if not path.lower().endswith((".csv", ".xlsx")):
            path += ".csv" if chosen == csv_filter else ".xlsx"
        self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the visible rows and columns to ``path`` (.csv or .xlsx) in the background."""
        from csdesk.exporting import export_book

        book, rows, keys = self.model.book, self.model.rows.copy(), self.visible_column_keys()
        language = i18n.current_language()

        def done(count: int) -> None:
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(
                    plural(
                        count,
                        "{n} account exported to {path}",
                        "{n} accounts exported to {path}",
                        n=formatting.number(count),
                        path=path,
                    ),
                    8000,
                )
            self.exportFinished.emit(path)

        run_in_background(
            lambda progress: export_book(path, book, rows, keys, language),
            done,
            lambda error: show_error(self, error),
            parent=self,
        )

    exportFinished = Signal(str)

    # Demo data ------------------------------------------------------------------------

    def generate_demo(self) -> None:
        """Fill the empty database with the demo book, in the background, with progress."""
        try:
            from csdesk import demo
        except ImportError as exc:  # the demo generator ships with the app; a broken install
            show_error(self, exc)
            return
        dialog = QProgressDialog(tr("Creating the demo book of business…"), tr("Cancel"), 0, 100, self)
        dialog.setWindowTitle(tr("Demo data"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setValue(0)
        db = self.context.db
        job = run_in_background(
            # Accounts, then their health scores, then plans: the book opens with its health.
            lambda progress: demo.create_book(db, accounts=DEMO_ACCOUNTS, progress=progress),
            lambda _result: self._on_demo_done(dialog),
            lambda error: (dialog.close(), show_error(self, error)),
            parent=self,
        )

        def show_progress(done: int, total: int, message: str) -> None:
            if message:
                dialog.setLabelText(message)
            dialog.setValue(int(done * 100 / max(total, 1)))

        job.progressed.connect(show_progress)
        # Cancelled while scoring, the accounts are there already: show them (Sem dados until a recompute).
        job.cancelled.connect(lambda: (dialog.close(), self.context.hub.accountsChanged.emit([])))
        dialog.canceled.connect(job.cancel)
        self.demo_job = job

    def _on_demo_done(self, dialog: QProgressDialog) -> None:
        dialog.close()
        self.context.hub.accountsChanged.emit([])
        self.context.hub.healthChanged.emit([])


def _account_data(summary: accounts.AccountSummary) -> accounts.AccountData:
    """The editable part of an account summary."""
    from dataclasses import fields

    from csdesk import accounts

    names = {f.name for f in fields(accounts.AccountData)}
    return accounts.AccountData(**{n: getattr(summary, n) for n in names})
