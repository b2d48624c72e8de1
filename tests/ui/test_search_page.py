"""Search timelines: filters by kind, account and period; the words found are highlighted."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from csdesk import accounts, i18n, timeline
from csdesk.accounts import AccountData

TODAY = date(2026, 11, 25)


@pytest.fixture
def book(db):
    acme = accounts.create_account(db, AccountData(name="Acme Indústria")).id
    padaria = accounts.create_account(db, AccountData(name="Padaria Pitanga")).id
    timeline.add_event(
        db,
        acme,
        kind="call",
        title="Renovação do contrato",
        body="Falar da renovação",
        occurred_at=datetime(2026, 11, 20, 10),
    )
    timeline.add_event(
        db, acme, kind="note", title="Nota antiga sobre renovação", occurred_at=datetime(2025, 6, 1, 10)
    )
    timeline.add_event(
        db,
        padaria,
        kind="meeting",
        title="QBR",
        body="Muito texto antes. " * 10 + "Depois, a renovação anual.",
        occurred_at=datetime(2026, 11, 1, 10),
    )
    return {"acme": acme, "padaria": padaria}


@pytest.fixture
def page(qtbot, context, book):
    from ui.timeline.search_page import SearchPage

    widget = SearchPage(context)
    widget.today = TODAY
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.account_filter.count() == 3, timeout=5000)
    yield widget
    QThreadPool.globalInstance().waitForDone(5000)


def search(qtbot, page, text=None, **combos):
    with qtbot.waitSignal(page.searched, timeout=5000) as blocker:
        for name, value in combos.items():
            combo = getattr(page, f"{name}_filter")
            combo.setCurrentIndex(combo.findData(value))
        if text is not None:
            page.query.setText(text)
        page.run_search()
    return [page.model.hit_at(r).event.title for r in range(page.model.rowCount())], blocker.args


def test_filters_by_kind_account_and_period(qtbot, page, book):
    titles, _ = search(qtbot, page, "renovacao")
    assert titles == ["Renovação do contrato", "QBR", "Nota antiga sobre renovação"]
    titles, _ = search(qtbot, page, kind="call")
    assert titles == ["Renovação do contrato"]
    titles, _ = search(qtbot, page, kind=None, account=book["padaria"])
    assert titles == ["QBR"]
    titles, _ = search(qtbot, page, account=None, period="90d")
    assert titles == ["Renovação do contrato", "QBR"]
    titles, _ = search(qtbot, page, kind="email")
    assert titles == []
    assert "with these filters" in page.status.text()


def test_matches_are_highlighted_in_the_note_and_the_row(qtbot, page):
    from ui.timeline.search_page import MATCH_COLOR

    search(qtbot, page, "renova")
    page.view.setCurrentIndex(page.model.index(0))
    cursor_text = []
    document = page.detail.document()
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().background().color() == MATCH_COLOR:
                cursor_text.append(fragment.text())
            it += 1
        block = block.next()
    assert "Renova" in cursor_text and "renova" in cursor_text

    # The second line shows the match even deep in a long note.
    qbr = next(r for r in range(page.model.rowCount()) if page.model.hit_at(r).event.title == "QBR")
    event = page.model.hit_at(qbr).event
    assert "renovação anual" in page.model.subtitle(event)

    # The row paints a marker over the match: the pixels there turn yellowish.
    delegate = page.view.itemDelegate()
    index = page.model.index(0)
    option = QStyleOptionViewItem()
    option.initFrom(page.view)
    option.rect = page.view.visualRect(index).translated(-page.view.visualRect(index).topLeft())
    option.rect.setWidth(900)

    def render(words):
        page.model.wanted = words
        image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)
        image.fill(0xFFFFFFFF)
        painter = QPainter(image)
        delegate.paint(painter, option, index)
        painter.end()
        return image

    def yellow(image):
        return sum(
            1
            for x in range(0, image.width(), 2)
            for y in range(0, image.height(), 2)
            if (c := image.pixelColor(x, y)).red() > 200 and c.green() > 180 and c.blue() < 170
        )

    assert yellow(render(["renova"])) > 20
    assert yellow(render([])) == 0


def test_filters_are_translated(qtbot, page):
    i18n.set_language("pt_BR")
    from ui.timeline.search_page import SearchPage

    other = SearchPage(page.context)
    qtbot.addWidget(other)
    assert other.period_filter.itemText(0) == "Qualquer data"
    assert other.kind_filter.itemText(0) == "Todos os tipos"
    QThreadPool.globalInstance().waitForDone(5000)
