"""The main window: a navigation sidebar, the pages, menus and the status bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from csdesk.i18n import tr
from ui.context import AppContext

PageFactory = Callable[[AppContext], QWidget]


def page_factories() -> list[tuple[str, str, PageFactory]]:
    """(key, title, factory) of each top-level page, in sidebar order."""
    from ui.book.page import BookPage

    return [
        ("book", tr("Book of business"), BookPage),
    ]


class MainWindow(QMainWindow):
    pageChanged = Signal(str)

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setWindowTitle(tr("CSDesk"))
        self.resize(1360, 820)
        self.pages: dict[str, QWidget] = {}

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(190)
        self.sidebar.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        for key, title, factory in page_factories():
            self.add_page(key, title, factory(context))
        self.sidebar.currentRowChanged.connect(self._on_sidebar_row)
        context.hub.requestPage.connect(self.show_page)
        self._build_menus()
        self.statusBar().showMessage(context.db.location)
        if self.pages:
            self.show_page(next(iter(self.pages)))

    def add_page(self, key: str, title: str, widget: QWidget) -> None:
        self.pages[key] = widget
        self.stack.addWidget(widget)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.sidebar.addItem(item)

    def show_page(self, key: str) -> None:
        widget = self.pages.get(key)
        if widget is None:
            return
        self.stack.setCurrentWidget(widget)
        keys = list(self.pages)
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(keys.index(key))
        self.sidebar.blockSignals(False)
        self.pageChanged.emit(key)

    def _on_sidebar_row(self, row: int) -> None:
        if row >= 0:
            self.show_page(self.sidebar.item(row).data(Qt.ItemDataRole.UserRole))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu(tr("&File"))
        self.edit_menu = bar.addMenu(tr("&Edit"))
        self.view_menu = bar.addMenu(tr("&View"))
        self.help_menu = bar.addMenu(tr("&Help"))

        undo = self.context.undo_stack.createUndoAction(self, tr("&Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.context.undo_stack.createRedoAction(self, tr("&Redo"))
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.edit_menu.addAction(undo)
        self.edit_menu.addAction(redo)

        quit_action = QAction(tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.context.settings.setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
