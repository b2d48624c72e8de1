"""The Indicadores page: the wheel scrolls the page over a chart; presets distinct; an empty book guides."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QThreadPool
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea

DECEMBER = date(2026, 12, 6)


@pytest.fixture
def page(qtbot, context):
    from ui.health.portfolio_page import PortfolioPage

    widget = PortfolioPage(context)
    qtbot.addWidget(widget)
    widget.resize(1024, 600)
    widget.show()
    qtbot.waitUntil(lambda: widget.data is not None, timeout=15_000)
    qtbot.waitUntil(lambda: all(v.canvas is not None for v in widget.charts.values()), timeout=5000)
    yield widget
    QThreadPool.globalInstance().waitForDone(5000)


def wheel(widget, steps: int = -3) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_chart_scrolls_the_page(page):
    bar = page.findChild(QScrollArea).verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    canvas = page.charts["bridge"].canvas
    wheel(canvas)
    assert bar.value() > 0


def test_presets_are_distinct_in_december(page):
    page.today = DECEMBER
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    page.preset.setCurrentIndex(page.preset.findData("last_12_months"))
    assert page.period() == (date(2025, 12, 1), date(2026, 11, 30))
    page.preset.setCurrentIndex(page.preset.findData("this_year"))
    assert page.period() == (date(2026, 1, 1), DECEMBER)


def test_empty_book_cards_show_a_dash_not_undefined(page):
    assert page.cards["grr"].value.text() == "—"
    assert page.cards["nps"].value.text() == "—"
    assert "Import the MRR history" in " ".join(
        t.get_text() for t in page.charts["bridge"].figure.axes[0].texts
    )
