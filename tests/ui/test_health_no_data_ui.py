"""No data, no score in the GUI: the book's grey group, the Saúde tab, the model editor, the demo's scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from csdesk import clock, health
from csdesk.book import NO_SCORE
from db.models import Measure
from tests.support.health_data import add_accounts
from ui.book import page as page_module
from ui.book.model import COLUMNS, AccountIdRole, BandRole
from ui.book.page import BookPage

TODAY = clock.today()


def col(key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.key == key)


@pytest.fixture
def book(db):
    """One account with usage, adoption and key features (60 % of the weight), one fresh from a CRM."""
    scored, fresh = add_accounts(
        db,
        [
            {"name": "Padaria Pitanga", "contract_start": TODAY - timedelta(days=400), "licensed_users": 10},
            {"name": "Café Paraíso", "contract_start": TODAY - timedelta(days=400), "licensed_users": 10},
        ],
    )
    with db.session() as s, s.begin():
        for metric, value in (("logins", 40.0), ("active_users", 8.0), ("key_feature_use", 60.0)):
            s.add(Measure(account_id=scored, metric=metric, as_of=TODAY - timedelta(days=1), value=value))
    health.recompute(db)
    return scored, fresh


def rows_by_name(page: BookPage) -> dict[str, int]:
    model = page.model
    return {model.index(r, col("name")).data(): r for r in range(model.rowCount())}


def test_the_book_shows_no_data_as_its_own_grey_group(qtbot, context, book):
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    rows = rows_by_name(page)
    model = page.model
    fresh = model.index(rows["Café Paraíso"], col("health"))
    scored = model.index(rows["Padaria Pitanga"], col("health"))
    assert fresh.data() == "No data" and fresh.data(BandRole) == NO_SCORE
    assert "No data" in fresh.data(Qt.ItemDataRole.ToolTipRole)
    assert scored.data(BandRole) in ("green", "yellow", "red") and scored.data()[0].isdigit()
    # The KPI card counts it apart; the filter finds it.
    assert "1 with no data" in page.kpis.cards["health"].note.text()
    page.band_filter.setCurrentIndex(page.band_filter.findData(NO_SCORE))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.index(0, 0).data(AccountIdRole) == book[1]
    assert page.band_filter.currentText() == "No data"


def test_the_health_tab_says_why_there_is_no_score(qtbot, context, book):
    from ui.health.account_tab import AccountHealthTab

    tab = AccountHealthTab(context)
    qtbot.addWidget(tab)
    tab.set_account(book[1])
    tab.resize(1000, 800)
    tab.show()
    qtbot.waitUntil(lambda: tab.view is not None, timeout=10_000)
    assert tab.score_label.text() == "—"
    assert tab.band_label.text() == "No data"
    assert "0%" in tab.trend_label.text() and "50%" in tab.trend_label.text()
    assert "Support" in tab.missing_label.text() and tab.missing_label.isVisibleTo(tab)
    assert len(tab.view.chart.days) == 0  # no history drawn before the first real input


def test_the_model_editor_sets_the_minimum_weight(qtbot, context, book):
    from ui.health.model_editor import HealthModelDialog

    dialog = HealthModelDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.min_weight.value() == 50
    dialog.min_weight.setValue(0)  # clamped to 1 by the spin box
    assert dialog.save_button.isEnabled()
    dialog.min_weight.setValue(60)
    saved = []
    dialog.on_saved = saved.append
    dialog.save()
    assert saved and saved[0].min_weight == 60
    assert health.model_for(context.db, None).min_weight == 60
    # Usage, adoption and key features carry exactly 60 %: still a score; 61 % would be none.
    health.recompute(context.db)
    assert health.score_now(context.db, book[0]) is not None


def test_a_demo_from_the_welcome_screen_opens_with_its_scores(qtbot, context, monkeypatch):
    monkeypatch.setattr(page_module, "DEMO_ACCOUNTS", 12)
    page = BookPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    page.welcome.demo_button.click()
    qtbot.waitUntil(
        lambda: page.stack.currentWidget() is page.content and page.model.rowCount() > 0, timeout=30_000
    )
    qtbot.waitUntil(lambda: page.kpis.cards["health"].value.text() != "—", timeout=10_000)
    bands = {page.model.index(r, col("health")).data(BandRole) for r in range(page.model.rowCount())}
    assert bands & {"green", "yellow", "red"}


def test_the_book_says_scores_are_being_computed_while_they_are(qtbot, context, book):
    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    page = window.pages["book"]
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    note = page.kpis.cards["health"].note
    assert "no data" in note.text()
    with qtbot.waitSignal(window.health_service.finished, timeout=20_000):
        window.health_service.recompute_all()
        assert note.text() == "Computing health scores…"
    assert "no data" in note.text()
