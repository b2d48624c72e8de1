"""The main window: a navigation sidebar, the pages, menus and the status bar.

Other areas add pages through ``page_factories()`` and actions to the menus
(``file_menu``, ``edit_menu``, ``view_menu``, ``help_menu``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from csdesk import i18n
from csdesk.i18n import tr
from csdesk.paths import resources_dir
from db import DatabaseError, open_database
from db.engine import FULL_CHECK_MAX_BYTES, verify_integrity
from ui.context import AppContext
from ui.errors import show_error
from ui.navigation import History, MouseNavigation, Place, Sidebar
from ui.workers import run_in_background

if TYPE_CHECKING:
    from ui.today.reminders import ReminderService

PageFactory = Callable[[AppContext], QWidget]

RECENT_KEY = "databases/recent"
MAX_RECENT = 8
DATABASE_FILTER = "CSDesk (*.sqlite *.db *.csdesk);;*"
LANGUAGE_NAMES = {"pt_BR": "Português (Brasil)", "en": "English"}
PAGE_KEY = "main_window/page"
SIDEBAR_WIDTH = 172  # "Carteira de clientes" and room to spare; every page fits beside it at 1024 px
START_PAGE = "book"  # the book of business, until the user leaves the app on another page


def _deferred(module: str, name: str) -> PageFactory:
    """A factory that imports its page's module only when the page is first built."""

    def factory(context: AppContext) -> QWidget:
        return getattr(importlib.import_module(module), name)(context)

    return factory


def page_factories() -> list[tuple[str, str, PageFactory]]:
    """(key, title, factory) of each top-level page, in sidebar order."""
    return [
        ("today", tr("Today"), _deferred("ui.today.page", "TodayPage")),
        ("book", tr("Book of business"), _deferred("ui.book.page", "BookPage")),
        ("portfolio", tr("Portfolio"), _deferred("ui.health.portfolio_page", "PortfolioPage")),
        ("search", tr("Search timelines"), _deferred("ui.timeline.search_page", "SearchPage")),
        ("templates", tr("Templates"), _deferred("ui.templates.page", "TemplatesPage")),
        ("playbooks", tr("Playbooks"), _deferred("ui.playbooks.page", "PlaybooksPage")),
    ]


def load_style_sheet() -> str:
    path = resources_dir() / "styles" / "app.qss"
    if not path.is_file():
        return ""
    icons = (resources_dir() / "icons").as_posix()
    return path.read_text(encoding="utf-8").replace("@icons@", icons)


class LazyPages(Mapping[str, QWidget]):
    """The top-level pages by key, in sidebar order; each is built the first time it is asked for.

    Building every page up front cost seconds at start-up (imports, widgets, first
    queries) for pages the user may never open; ``pages["x"]`` and ``pages.get("x")``
    build on demand, ``in``/``len``/iteration only look at the keys.
    """

    def __init__(self, build: Callable[[str, PageFactory], QWidget]):
        self._build = build
        self._factories: dict[str, PageFactory] = {}
        self._built: dict[str, QWidget] = {}
        self._hooks: dict[str, list[Callable[[QWidget], None]]] = {}

    def register(self, key: str, factory: PageFactory) -> None:
        self._factories[key] = factory

    def put(self, key: str, widget: QWidget) -> None:
        self._factories[key] = lambda _context: widget
        self._built[key] = widget

    def __getitem__(self, key: str) -> QWidget:
        widget = self._built.get(key)
        if widget is None:
            factory = self._factories[key]  # KeyError for an unknown page, as a dict would
            widget = self._build(key, factory)
            self._built[key] = widget
            for hook in self._hooks.pop(key, []):
                hook(widget)
        return widget

    def __contains__(self, key: object) -> bool:
        return key in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def is_built(self, key: str) -> bool:
        return key in self._built

    def built(self) -> dict[str, QWidget]:
        """The pages built so far (building none)."""
        return dict(self._built)

    def when_built(self, key: str, hook: Callable[[QWidget], None]) -> None:
        """Call ``hook(page)`` once the page exists (now, if it already does)."""
        if key in self._built:
            hook(self._built[key])
        elif key in self._factories:
            self._hooks.setdefault(key, []).append(hook)


def _navigation_keys(key: str, media_key: Qt.Key) -> list[QKeySequence]:
    """``key`` and the keyboard's own Back / Forward key, each bound once.

    Not the platform's StandardKey.Back: on Linux and Windows it is Alt+Left again
    (bound twice, Qt finds the shortcut ambiguous and runs neither) plus Backspace,
    which would leave the page from any table.
    """
    return [QKeySequence(key), QKeySequence(media_key)]


class MainWindow(QMainWindow):
    pageChanged = Signal(str)
    databaseOpened = Signal(str)  # location, after a successful swap

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        app = QApplication.instance()
        if isinstance(app, QApplication) and not app.styleSheet():
            app.setStyleSheet(load_style_sheet())
        screen = QApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else QSize(1360, 820)
        self.resize(min(1360, room.width()), min(820, room.height()))  # a 1024 × 700 laptop: all of it
        self.pages = LazyPages(self._build_page)
        self._account_page: QWidget | None = None

        self.sidebar = Sidebar()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(SIDEBAR_WIDTH)
        self.sidebar.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.history = History(self)
        self._navigating = False
        for key, title, factory in page_factories():
            self.add_lazy_page(key, title, factory)
        # The book page is built now: its actions fill the menus and its rows load in the background.
        book = self.pages.get("book")
        self._reminders = None
        self.context.hub.requestAccount.connect(self.open_account)
        self.context.hub.requestEvent.connect(self.open_account)
        self.sidebar.pageRequested.connect(self.show_page)
        context.hub.requestPage.connect(self.show_page)
        context.hub.requestImport.connect(self.open_import_wizard)
        context.hub.requestDemo.connect(lambda: (self.show_page("book"), self.pages["book"].generate_demo()))
        context.hub.requestBookFilter.connect(
            lambda f: (self.show_page("book"), self.pages["book"].set_filter(f))
        )
        self.setAcceptDrops(True)  # a CSV/XLSX dropped anywhere on the window opens the import wizard
        self._build_menus()
        self._build_navigation()
        from ui.currency import install as install_currency
        from ui.health import install as install_health
        from ui.help import install as install_help

        health = install_health(self)
        self.health_service = health.service
        self.health_model_action = health.model_action
        self.recompute_health_action = health.recompute_action
        install_currency(self)
        install_help(self)
        from ui.team import install as install_team

        install_team(self)
        self._show_location()
        if book is not None and not book.loaded:  # they would slow the book's first load down
            book.bookLoaded.connect(self._start_background_work, Qt.ConnectionType.SingleShotConnection)
        else:
            self._start_background_work()
        self.remember_database(context.db.location)
        geometry = context.settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        if self.pages:
            start = context.settings.value(PAGE_KEY, START_PAGE, str)
            self.show_page(start if start in self.pages else next(iter(self.pages)))

    def _start_background_work(self) -> None:
        """What runs beside the user once the book is on screen: the damage scan and reminders."""
        self._verify_integrity()
        if not self.context.db.read_only:  # reminder rules and playbooks write their tasks
            self.reminders.start()
            self.playbook_service.start()

    @property
    def playbook_service(self):
        """Playbooks evaluated in the background (csdesk.playbooks), created on first use."""
        if getattr(self, "_playbook_service", None) is None:
            from ui.playbooks.service import PlaybookService

            self._playbook_service = PlaybookService(self.context, self)
            self.reminders.rulesRan.connect(lambda _result: self._playbook_service.check_book())
        return self._playbook_service

    @property
    def reminders(self) -> ReminderService:
        """Reminder rules and tray notifications (created on first use: ~15 ms of start-up)."""
        if self._reminders is None:
            from ui.today.reminders import ReminderService

            self._reminders = ReminderService(self.context, self)
        return self._reminders

    # Pages --------------------------------------------------------------------------

    def add_page(self, key: str, title: str, widget: QWidget, icon=None) -> None:
        """Add a page that already exists."""
        self.pages.put(key, widget)
        self.stack.addWidget(widget)
        self._add_sidebar_item(key, title, icon)

    def add_lazy_page(self, key: str, title: str, factory: PageFactory, icon=None) -> None:
        """Add a page built by ``factory(context)`` the first time it is shown or asked for."""
        self.pages.register(key, factory)
        self._add_sidebar_item(key, title, icon)

    def _build_page(self, key: str, factory: PageFactory) -> QWidget:
        widget = factory(self.context)
        self.stack.addWidget(widget)
        return widget

    def _add_sidebar_item(self, key: str, title: str, icon=None) -> None:
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        if icon is not None:
            item.setIcon(icon)
        self.sidebar.addItem(item)

    def show_page(self, key: str) -> None:
        if key not in self.pages:
            return
        widget = self.pages[key]
        self.stack.setCurrentWidget(widget)
        self.sidebar.show_key(key)
        if not self._navigating:
            self.history.visit(Place(key))
        self.pageChanged.emit(key)

    # Account page and browser-like navigation ---------------------------------

    @property
    def account_page(self):
        """The account page, built the first time an account is opened (it costs a second)."""
        if self._account_page is None:
            from ui.account.page import AccountPage

            page = AccountPage(self.context)
            self.stack.addWidget(page)
            page.backRequested.connect(self.go_back)
            page.forwardRequested.connect(self.go_forward)
            self.history.changed.connect(page.set_history_state)
            page.set_history_state(self.history.can_go_back(), self.history.can_go_forward())
            self._account_page = page
        return self._account_page

    def open_account(self, account_id: int, event_id: int | None = None) -> None:
        """Show an account's page (optionally at one timeline event)."""
        self.account_page.set_account(account_id, event_id or None)
        self.stack.setCurrentWidget(self.account_page)
        self.sidebar.show_key(None)
        if not self._navigating:
            self.history.visit(Place("account", account_id))
        self.pageChanged.emit("account")

    def _go(self, place: Place | None) -> None:
        if place is None:
            return
        self._navigating = True
        try:
            if place.page == "account" and place.account_id is not None:
                self.open_account(place.account_id)
            else:
                self.show_page(place.page)
        finally:
            self._navigating = False

    def go_back(self) -> None:
        self._go(self.history.back())

    def go_forward(self) -> None:
        self._go(self.history.forward())

    def _build_navigation(self) -> None:
        self.back_action = QAction(tr("&Back"), self)
        self.back_action.setShortcuts(_navigation_keys("Alt+Left", Qt.Key.Key_Back))
        self.back_action.triggered.connect(self.go_back)
        self.forward_action = QAction(tr("&Forward"), self)
        self.forward_action.setShortcuts(_navigation_keys("Alt+Right", Qt.Key.Key_Forward))
        self.forward_action.triggered.connect(self.go_forward)
        for action in (self.back_action, self.forward_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.view_menu.addAction(action)
            self.addAction(action)
        self.history.changed.connect(lambda back, forward: self.back_action.setEnabled(back))
        self.history.changed.connect(lambda back, forward: self.forward_action.setEnabled(forward))
        self.back_action.setEnabled(self.history.can_go_back())
        self.forward_action.setEnabled(self.history.can_go_forward())
        self.mouse_navigation = MouseNavigation(self)
        self.mouse_navigation.back.connect(self.go_back)
        self.mouse_navigation.forward.connect(self.go_forward)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.mouse_navigation)
        self.context.hub.databaseChanged.connect(self._on_database_changed)

    def _on_database_changed(self) -> None:
        # Account ids in the history belong to the old database.
        self.history.clear()
        current = self.stack.currentWidget()
        key = next((k for k, w in self.pages.built().items() if w is current), None)
        self.show_page(key or next(iter(self.pages)))

    # Menus --------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu(tr("&File"))
        self.edit_menu = bar.addMenu(tr("&Edit"))
        self.view_menu = bar.addMenu(tr("&View"))
        self.help_menu = bar.addMenu(tr("&Help"))
        book = self.pages.get("book")

        self.new_database_action = self.file_menu.addAction(tr("&New database…"), self.new_database_dialog)
        self.open_database_action = self.file_menu.addAction(tr("&Open database…"), self.open_database_dialog)
        self.open_database_action.setShortcut(QKeySequence.StandardKey.Open)
        self.recent_menu = self.file_menu.addMenu(tr("&Recent databases"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.file_menu.addSeparator()
        self.import_action = self.file_menu.addAction(
            tr("&Import…"), lambda: self.context.hub.requestImport.emit("")
        )
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_history_action = self.file_menu.addAction(
            tr("Import &history…"), self.show_import_history
        )
        if book is not None:
            self.file_menu.addAction(book.export_action)
        self.file_menu.addSeparator()
        quit_action = QAction(tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)

        undo = self.context.undo_stack.createUndoAction(self, tr("&Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.context.undo_stack.createRedoAction(self, tr("&Redo"))
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.edit_menu.addAction(undo)
        self.edit_menu.addAction(redo)
        if book is not None:
            self.edit_menu.addSeparator()
            for action in (book.new_account_action, book.edit_action, book.delete_action):
                self.edit_menu.addAction(action)
            self.edit_menu.addSeparator()
            self.edit_menu.addAction(book.find_action)
            self.addAction(book.find_action)
            self.addAction(book.new_account_action)

            columns = self.view_menu.addMenu(tr("&Columns"))
            columns.aboutToShow.connect(lambda: self._fill_columns_menu(columns))
            self.view_menu.addAction(book.clear_filters_action)
            self.view_menu.addSeparator()

        self.language_menu = self.view_menu.addMenu(tr("&Language"))
        group = QActionGroup(self)
        current = i18n.current_language()
        self.language_actions: dict[str, QAction] = {}
        for code in i18n.LANGUAGES:
            action = self.language_menu.addAction(LANGUAGE_NAMES[code])
            action.setCheckable(True)
            action.setChecked(code == current)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            group.addAction(action)
            self.language_actions[code] = action

    def _fill_columns_menu(self, menu) -> None:
        book = self.pages["book"]
        menu.clear()
        for action in book.column_menu().actions():
            menu.addAction(action)

    def set_language(self, language: str) -> None:
        """Save the UI language; it applies at the next start."""
        settings = self.context.settings
        if settings.value("ui/language", "", str) == language and language == i18n.current_language():
            return
        settings.setValue("ui/language", language)
        if language == i18n.current_language():
            return
        QMessageBox.information(
            self,
            tr("Language"),
            tr("{language} will be used the next time you start CSDesk.", language=LANGUAGE_NAMES[language]),
        )

    # Databases ------------------------------------------------------------------------

    def _show_location(self) -> None:
        location = self.context.db.location
        self.setWindowTitle(f"{Path(location).name} — CSDesk")
        self.statusBar().showMessage(location)

    def recent_databases(self) -> list[str]:
        value = self.context.settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []][:MAX_RECENT]

    def remember_database(self, location: str) -> None:
        recent = [location] + [r for r in self.recent_databases() if r != location]
        self.context.settings.setValue(RECENT_KEY, recent[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for location in self.recent_databases():
            action = self.recent_menu.addAction(
                location, lambda p=location: self.open_database_file(p, create=False)
            )
            action.setEnabled(location != self.context.db.location)
        if not self.recent_menu.actions():
            self.recent_menu.addAction(tr("(none yet)")).setEnabled(False)

    def open_database_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Open database"), str(Path(self.context.db.location).parent), DATABASE_FILTER
        )
        if path:
            self.open_database_file(path, create=False)

    def new_database_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            tr("New database"),
            str(Path(self.context.db.location).parent / "csdesk-new.sqlite"),
            DATABASE_FILTER,
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not path:
            return
        if Path(path).exists():
            show_error(
                self, DatabaseError(tr("{path} already exists. Use Open database to open it.", path=path))
            )
            return
        self.open_database_file(path, create=True)

    def open_database_file(self, path: str, create: bool = False) -> None:
        """Open (in the background) and switch to another database; on error keep the current one."""
        message = tr("Upgrading the database: converting the health history…")
        job = run_in_background(
            lambda progress: open_database(
                path, create=create, progress=lambda done, total: progress.step(done, total, message)
            ),
            lambda db: (self.statusBar().clearMessage(), self._swap_database(db)),
            lambda error: show_error(self, error),
            parent=self,
        )
        # Only a long upgrade step reports: the status bar says how far it is.
        job.progressed.connect(
            lambda done, total, text: self.statusBar().showMessage(
                tr("{message} {percent}%", message=text, percent=done * 100 // max(total, 1))
            )
        )

    def _verify_integrity(self) -> None:
        """Scan a big database file for damage in the background (small ones were checked on open)."""
        path = Path(self.context.db.location)
        if "://" in self.context.db.location or not path.is_file():
            return
        if path.stat().st_size <= FULL_CHECK_MAX_BYTES:
            return
        run_in_background(
            lambda progress: verify_integrity(path),
            None,
            lambda error: show_error(self, error),
            parent=self,
        )

    def _swap_database(self, db) -> None:
        old = self.context.db
        db.user = old.user  # the same CSM writes in the other book
        self.context.db = db
        # Undo commands hold ids of the old database: they must not run on the new one.
        self.context.undo_stack.clear()
        self.remember_database(db.location)
        self._show_location()
        self._verify_integrity()
        if self._account_page is not None:
            # Its account id belongs to the old database: drop it before anything reloads.
            if self.stack.currentWidget() is self._account_page:
                self.show_page(START_PAGE)
            self._account_page.clear_account()
        self.context.hub.databaseChanged.emit()
        self.databaseOpened.emit(db.location)
        old.dispose()

    # Import --------------------------------------------------------------------------------

    def open_import_wizard(self, path: str = "") -> None:
        from ui.importing.wizard import ImportWizard

        wizard = ImportWizard(self.context, path or None, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_wizard = wizard
        wizard.open()

    def show_import_history(self) -> None:
        from ui.importing.runs import ImportHistoryDialog

        dialog = ImportHistoryDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            from csdesk.importing.mail import handles
            from ui.importing.touches import open_touch_import

            if handles(files[0]):  # e-mail or calendar: its own preview and import
                self.touch_import = open_touch_import(self.context, files[0], self)
                return
            self.context.hub.requestImport.emit(files[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.change_watcher.stop()  # other CSMs' changes: nobody is looking any more
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.mouse_navigation)
        self.context.settings.setValue("main_window/geometry", self.saveGeometry())
        current = next((k for k, w in self.pages.built().items() if w is self.stack.currentWidget()), None)
        if current is not None:
            self.context.settings.setValue(PAGE_KEY, current)
        book = self.pages.built().get("book")
        if book is not None and hasattr(book, "save_state"):
            book.save_state()
            book.keep_snapshot()
        super().closeEvent(event)
