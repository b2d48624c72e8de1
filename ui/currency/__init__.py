"""Currencies in the GUI: Edit → Exchange rates…, also offered by the book's header."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    """Give the main window the exchange-rates dialog (Edit menu, and the book header's link)."""
    from csdesk.i18n import tr

    def open_rates() -> None:
        from ui.currency.rates_dialog import RatesDialog

        RatesDialog(window.context, window).exec()

    window.open_rates = open_rates
    window.edit_menu.addSeparator()
    window.rates_action = window.edit_menu.addAction(tr("E&xchange rates…"), open_rates)
    window.pages.when_built("book", lambda page: page.kpis.ratesRequested.connect(open_rates))
