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
