"""Screens that fit a small laptop: the window, the KPI cards, the table's header."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage
from PySide6.QtWidgets import QScrollArea, QStyleOptionHeader

from tests.support.book_data import make_book
from ui.book.model import COLUMNS, SortRole
from ui.book.page import BookPage


def col(key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.key == key)


@pytest.fixture
def page(qtbot, context, db):
    make_book(db)
    widget = BookPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.loaded, timeout=5000)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drawn_arrow(header, section: int) -> str:
    """Read the arrow off the painted header: a ▲ is narrowest at its top row of ink, a ▼ at its bottom."""
    image: QImage = header.grab().toImage()
    right = header.sectionViewportPosition(section) + header.sectionSize(section)
    background = QColor(image.pixel(right - 2, 1)).lightness()
    rows = []
    for y in range(image.height() - 2):  # the bottom border line is not ink
        ink = sum(
            1
            for x in range(right - 28, right - 1)
            if abs(QColor(image.pixel(x, y)).lightness() - background) > 50
        )
        if ink:
            rows.append(ink)
    if len(rows) < 2 or rows[0] == rows[-1]:
        return "none"
    return "up" if rows[0] < rows[-1] else "down"


def test_the_sort_arrow_points_up_for_ascending_and_down_for_descending(page):
    header = page.table.horizontalHeader()
    mrr = col("mrr")
    page.table.sortByColumn(mrr, Qt.SortOrder.AscendingOrder)
    values = [page.model.index(r, mrr).data(SortRole) for r in range(page.model.rowCount())]
    assert values == sorted(values)  # ascending: the smallest first
    assert header.sort_arrow(mrr) == QStyleOptionHeader.SortIndicator.SortUp
    option = QStyleOptionHeader()
    header.initStyleOptionForIndex(option, mrr)
    assert option.sortIndicator == QStyleOptionHeader.SortIndicator.SortUp  # what the style draws
    page.table.sortByColumn(mrr, Qt.SortOrder.DescendingOrder)
    values = [page.model.index(r, mrr).data(SortRole) for r in range(page.model.rowCount())]
    assert values == sorted(values, reverse=True)
    header.initStyleOptionForIndex(option, mrr)
    assert option.sortIndicator == QStyleOptionHeader.SortIndicator.SortDown
    name = col("name")  # left-aligned title: the arrow stands alone at the section's right end
    page.table.sortByColumn(name, Qt.SortOrder.AscendingOrder)
    assert drawn_arrow(header, name) == "up"
    page.table.sortByColumn(name, Qt.SortOrder.DescendingOrder)
    assert drawn_arrow(header, name) == "down"
    assert drawn_arrow(header, col("segment")) == "none"
    other = QStyleOptionHeader()
    header.initStyleOptionForIndex(other, col("stage"))
    assert other.sortIndicator == QStyleOptionHeader.SortIndicator.None_


# The window at 1024 × 700 and 1920 × 1080, in pt-BR, with a demo book ------------------

SMALL, WIDE = (1024, 700), (1920, 1080)


@pytest.fixture
def demo_window(qtbot, context, db):
    from csdesk import demo, i18n
    from ui.main_window import MainWindow

    demo.create_book(db, accounts=40, today=date(2026, 11, 25))
    i18n.set_language("pt_BR")
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.pages["book"].loaded, timeout=10000)
    window.show_page("book")
    return window


def settle(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    qtbot.wait(50)  # layouts run on posted events


def text_fits(label) -> bool:
    return QFontMetrics(label.font()).horizontalAdvance(label.full_text()) <= label.contentsRect().width()


def test_the_window_shrinks_to_1024_px_with_the_book_shown(qtbot, demo_window):
    window = demo_window
    assert window.stack.currentWidget() is window.pages["book"]
    assert window.minimumSizeHint().width() <= SMALL[0]
    settle(qtbot, window, SMALL)
    assert window.width() == SMALL[0]
    page = window.pages["book"]
    assert page.content.width() <= window.width() - window.sidebar.width()  # nothing off the right edge


def test_every_main_page_fits_1024_px(qtbot, demo_window):
    window = demo_window
    window.open_account(window.pages["book"].model.account_id(0))
    qtbot.wait(300)  # the account page fills in
    for key in ("today", "book", "portfolio", "templates"):
        window.show_page(key)
    room = SMALL[0] - window.sidebar.width()
    for i in range(window.stack.count()):
        page = window.stack.widget(i)
        assert page.minimumSizeHint().width() <= room, type(page).__name__
    assert window.minimumSizeHint().width() <= SMALL[0]


def test_no_kpi_card_text_is_cut_at_1024_by_700_in_pt_br(qtbot, demo_window):
    window = demo_window
    settle(qtbot, window, SMALL)
    header = window.pages["book"].kpis
    assert header.grid.columns_for(header.grid_widget.width()) == 3  # 3 × 2 at 1024 px
    for key, card in header.cards.items():
        assert card.geometry().right() <= header.width(), key
        for label in card.labels():
            assert not label.is_elided() and text_fits(label), (key, label.full_text(), label.text())
    assert header.cards["health"].note.full_text().endswith("contas pontuadas")
    settle(qtbot, window, WIDE)
    assert header.grid.columns_for(header.grid_widget.width()) == 6  # one row on a wide screen
    for card in header.cards.values():
        assert all(text_fits(label) for label in card.labels())


def test_a_card_too_narrow_elides_with_the_full_text_in_its_tooltip(qtbot):
    from ui.book.widgets import KpiCard

    card = KpiCard("renewals", "Renovações em 90 dias")
    qtbot.addWidget(card)
    card.set("R$ 1.017.233.456", "R$ 146.085 de MRR", "R$ 1.017.233.456,00")
    card.resize(110, card.sizeHint().height())
    card.show()
    qtbot.waitExposed(card)
    for label in card.labels():
        shown = QFontMetrics(label.font()).horizontalAdvance(label.text())
        assert shown <= label.contentsRect().width()
        if label.is_elided():
            assert label.text().endswith("…") and label.full_text() in label.toolTip()
    assert card.value.is_elided() and "R$ 1.017.233.456,00" in card.value.toolTip()
    card.resize(card.sizeHint())
    qtbot.waitUntil(lambda: not card.value.is_elided(), timeout=2000)
    assert card.value.toolTip() == "R$ 1.017.233.456,00"  # the exact figure stays in the tooltip


def test_indicadores_cards_wrap_instead_of_overflowing_sideways(qtbot, demo_window):
    window = demo_window
    window.show_page("portfolio")
    settle(qtbot, window, SMALL)
    page = window.pages["portfolio"]
    scroll = page.findChild(QScrollArea)
    assert scroll.widget().width() <= scroll.viewport().width()  # no sideways scrolling
    assert not scroll.horizontalScrollBar().isVisible()
    for key, card in page.cards.items():
        assert card.mapTo(scroll.widget(), card.rect().bottomRight()).x() <= scroll.viewport().width(), key
        for label in card.labels():
            assert text_fits(label) or label.full_text() in label.toolTip(), (key, label.full_text())


def test_filters_show_their_whole_text_and_wrap_under_the_search_at_1024(qtbot, demo_window):
    window = demo_window
    page = window.pages["book"]
    settle(qtbot, window, SMALL)
    page.renewal_filter.setCurrentIndex(3)  # "Renova em 90 d", cut to "Renova em 90 c" before
    qtbot.wait(50)
    combos = (page.status_filter, page.segment_filter, page.stage_filter, page.band_filter)
    for combo in (*combos, page.renewal_filter, page.touch_filter):
        text = combo.currentText()
        assert QFontMetrics(combo.font()).horizontalAdvance(text) < combo.width() - 20, text
        assert combo.mapTo(page, combo.rect().topRight()).x() <= page.width()
    assert page.search.y() < page.status_filter.y()  # the filters wrapped under the search field
    settle(qtbot, window, WIDE)
    assert page.search.y() == page.status_filter.y()  # one line on a wide window


def test_a_wide_window_gives_its_extra_width_to_the_account_names(qtbot, demo_window):
    window = demo_window
    page = window.pages["book"]
    header = page.table.horizontalHeader()
    settle(qtbot, window, WIDE)
    name = col("name")
    assert header.sectionSize(name) > COLUMNS[name].width
    for key in ("owner", "plan"):
        assert header.sectionSize(col(key)) < header.sectionSize(name), key
    used = sum(header.sectionSize(i) for i in range(len(COLUMNS)) if not header.isSectionHidden(i))
    assert abs(used - page.table.viewport().width()) <= 1  # no gap, no sideways scrolling
    # Titles and amounts are never cut ("ano de suces", "R$ 1.017....").
    bold = QFont(header.font())
    bold.setBold(True)
    for i in range(len(COLUMNS)):
        if not header.isSectionHidden(i):
            title = page.model.headerData(i, Qt.Orientation.Horizontal)
            assert QFontMetrics(bold).horizontalAdvance(title) + 20 <= header.sectionSize(i), title
    for key in ("mrr", "arr"):
        widest = max(
            (page.model.index(r, col(key)).data() for r in range(page.model.rowCount())),
            key=lambda t: QFontMetrics(page.table.font()).horizontalAdvance(t),
        )
        assert QFontMetrics(page.table.font()).horizontalAdvance(widest) + 8 <= header.sectionSize(col(key))
