"""Indicadores: the new figures, the health score's check, the cohorts and the executive report button."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import demo

TODAY = date(2026, 11, 25)


@pytest.fixture
def page(qtbot, context):
    from ui.health.portfolio_page import PortfolioPage

    demo.create_book(context.db, accounts=60, seed=2, today=TODAY)
    widget = PortfolioPage(context)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.data is not None, timeout=30_000)
    yield widget
    QThreadPool.globalInstance().waitForDone(10_000)


def test_cards_and_panels_show_the_analytics(page):
    m = page.data.metrics
    assert page.cards["arpa"].value.text() not in ("—", "")
    assert m.arpa == round(m.mrr_end / m.accounts_end)
    assert page.cards["annual_churn"].value.text().endswith("%")
    check = page.data.check
    assert check is not None and check.as_of <= TODAY
    assert page.verdict.text() == check.verdict("en")
    assert page.charts["health_check"].figure is not None
    assert page.charts["cohorts"].figure is not None
    assert page.data.cohorts.cohorts  # the period has contract starts


def test_report_button_writes_the_deck(page, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "board.pptx"
    monkeypatch.setattr(type(page), "ask_save_path", staticmethod(lambda *args: str(target)))
    page.report_button.click()
    qtbot.waitUntil(lambda: page.report_written is not None, timeout=60_000)
    assert target.exists() and target.stat().st_size > 20_000
    assert page.report_button.isEnabled()


def test_cards_bars_and_cells_open_the_accounts_behind_them(page, qtbot):
    from PySide6.QtCore import Qt

    from csdesk import metrics

    start, end = page.period()
    book = metrics.load_book(page.context.db)
    asked = []
    page.context.hub.requestBookFilter.connect(asked.append)

    qtbot.mouseClick(page.cards["logo_churn"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    churned = set(metrics.period_accounts(book, start, end, "churned"))
    assert asked[0].accounts == churned and len(churned) == page.data.metrics.churned_accounts
    assert asked[0].status == "all" and "Logo churn" in asked[0].accounts_label

    page.chart_clicked("bridge", 3.1, 100.0)  # the expansion bar
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=10_000)
    assert asked[1].accounts == set(metrics.period_accounts(book, start, end, "expansion"))

    page.chart_clicked("bands", 0.0, 0.1)  # the lowest bar: red (or no data)
    assert asked[2].bands in ({"red"}, {"none"})

    first = page.data.cohorts.cohorts[0]
    page.chart_clicked("cohorts", 0.0, 0.0)
    qtbot.waitUntil(lambda: len(asked) == 4, timeout=10_000)
    assert asked[3].accounts and asked[3].accounts <= set(cohorts_ids(page.context.db, first.month))


def cohorts_ids(db, month):
    from csdesk import cohorts

    return cohorts.accounts_in_cell(db, month, 0, True) + cohorts.accounts_in_cell(db, month, 0, False)


def test_the_book_shows_a_drill_down_and_saves_it_as_a_view(qtbot, context):
    from csdesk.book import BookFilter
    from ui.book.page import BookPage

    demo.create_book(context.db, accounts=30, seed=2, today=TODAY)
    book = BookPage(context)
    qtbot.addWidget(book)
    book.reload()
    qtbot.waitUntil(lambda: book.loaded, timeout=15_000)
    book.set_filter(BookFilter(status="all", accounts=frozenset([2, 5, 7]), accounts_label="Churn · jan"))
    assert book.model.rowCount() == 3
    assert not book.accounts_chip.isHidden() and "Churn · jan (3)" in book.accounts_chip.text()
    book.save_view("Lost in January")
    book.clear_filters()
    assert book.model.rowCount() > 3 and book.accounts_chip.isHidden()
    assert book.load_view("Lost in January")
    assert book.model.rowCount() == 3
    book.accounts_chip.click()  # the chip clears the drill-down, the other filters stay
    assert book.model.rowCount() > 3 and book.current_filter().status == "all"
