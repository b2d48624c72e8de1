"""Screens that fit a small laptop: the window, the KPI cards, the table's header."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QStyleOptionHeader

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
