"""Health scores and portfolio metrics in the GUI: account tab, portfolio page, model editor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from ui.health.service import HealthService
    from ui.main_window import MainWindow


@dataclass(frozen=True)
class HealthParts:
    """What the health package gives the main window, which keeps them."""

    service: HealthService
    model_action: QAction
    recompute_action: QAction


def install(window: MainWindow) -> HealthParts:
    """The main window's health service and its Edit menu actions (model editor, recompute),
    wired to the book and portfolio pages; the window keeps what this returns."""
    from PySide6.QtGui import QKeySequence

    from csdesk.i18n import tr
    from ui.health.service import HealthService

    context = window.context
    service = HealthService(context, window.statusBar(), window)

    def open_editor() -> None:
        from ui.health.model_editor import HealthModelDialog

        HealthModelDialog(context, window, on_saved=lambda _m: service.recompute_all()).exec()

    window.edit_menu.addSeparator()
    model_action = window.edit_menu.addAction(tr("Health Score &model…"), open_editor)
    recompute_action = window.edit_menu.addAction(tr("Recompute &health scores"), service.recompute_all)
    recompute_action.setShortcut(QKeySequence("Ctrl+Shift+H"))

    # While scores are recomputed (after a demo, an import, a model change) the book says so.
    def follow_recomputes(page) -> None:
        service.started.connect(lambda: page.kpis.set_health_updating(True))
        service.finished.connect(lambda _result: page.kpis.set_health_updating(False))

    window.pages.when_built("book", follow_recomputes)
    # The portfolio page is built when first shown: give it the editor then.
    window.pages.when_built("portfolio", lambda page: setattr(page, "open_model_editor", open_editor))
    return HealthParts(service, model_action, recompute_action)
