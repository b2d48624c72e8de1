"""The Health tab, the Portfolio page, the model editor and the health service, driven as a user would."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from csdesk import clock, health
from db.models import Measure
from tests.support.health_data import add_accounts, add_revenue, add_surveys

TODAY = clock.today()


@pytest.fixture
def book(db):
    ids = add_accounts(
        db,
        [
            {
                "name": "Padaria Pitanga",
                "contract_start": TODAY - timedelta(days=500),
                "mrr_cents": 100_000,
                "licensed_users": 10,
                "segment": "high_touch",
                "renewal_date": TODAY + timedelta(days=60),
            },
            {
                "name": "Café Paraíso",
                "contract_start": TODAY - timedelta(days=500),
                "mrr_cents": 50_000,
                "licensed_users": 5,
                "segment": "tech_touch",
            },
        ],
    )
    add_revenue(db, [(ids[1], TODAY - timedelta(days=20), "contraction", 50_000, 40_000)])
    with db.session() as s, s.begin():
        for a in ids:
            s.add(Measure(account_id=a, metric="logins", as_of=TODAY - timedelta(days=12), value=35.0))
            s.add(Measure(account_id=a, metric="logins", as_of=TODAY - timedelta(days=1), value=12.0))
            # Adoption and key features: with usage, enough of the weight for a score.
            for back in (12, 1):
                s.add(
                    Measure(
                        account_id=a, metric="active_users", as_of=TODAY - timedelta(days=back), value=4.0
                    )
                )
                s.add(
                    Measure(
                        account_id=a, metric="key_feature_use", as_of=TODAY - timedelta(days=back), value=50.0
                    )
                )
    add_surveys(db, [(ids[0], "nps", 9, datetime.combine(TODAY - timedelta(days=30), datetime.min.time()))])
    health.recompute(db)
    return ids


def test_account_tab_explains_the_score(qtbot, qtmodeltester, context, book, tmp_path):
    from ui.health.account_tab import AccountHealthTab

    tab = AccountHealthTab(context)
    qtbot.addWidget(tab)
    tab.set_account(book[0])
    assert tab.view is None  # hidden: nothing loads yet
    tab.resize(1100, 900)
    tab.show()
    qtbot.waitUntil(lambda: tab.view is not None, timeout=10_000)
    snap = tab.view.explanation.current
    assert tab.score_label.text() == f"{snap.score:.1f}"
    assert "Usage" in tab.why_label.text()
    assert tab.missing_label.isVisibleTo(tab)
    assert "Engagement" in tab.missing_label.text()
    qtmodeltester.check(tab.model)
    assert tab.model.rowCount() == 6
    assert tab.model.index(0, 0).data() == "Usage"
    # Export the history chart as SVG and PNG.
    target = tmp_path / "chart"
    tab.history_chart.ask_path = lambda *a: (str(target), "")
    assert tab.history_chart.export("svg") == str(target) + ".svg"
    assert (tmp_path / "chart.svg").read_bytes()[:200].find(b"<svg") >= 0
    assert tab.history_chart.export("png").endswith(".png")
    # Recompute on demand: the hub hears about it and the tab reloads.
    with qtbot.waitSignal(context.hub.healthChanged, timeout=20_000) as blocker:
        tab.recompute_button.click()
    assert blocker.args == [[book[0]]]


def test_portfolio_page_shows_metrics_and_charts(qtbot, context, book):
    from ui.health.portfolio_page import PortfolioPage

    page = PortfolioPage(context)
    qtbot.addWidget(page)
    page.resize(1300, 900)
    page.show()
    qtbot.waitUntil(lambda: page.data is not None, timeout=15_000)
    # "Last 12 months" are the twelve full months before this one: this month's contraction is in "This year".
    opened = page.data
    page.preset.setCurrentIndex(page.preset.findData("this_year"))
    qtbot.waitUntil(lambda: page.data is not opened, timeout=15_000)
    m = page.data.metrics
    assert m.accounts_start == 2 and m.contraction_mrr == 10_000
    assert page.cards["accounts"].value.text() == "2 → 2"
    assert page.cards["revenue_churn"].value.text() == "6.67%"
    assert all(view.figure is not None for view in page.charts.values())
    # Picking a segment reloads for that segment only.
    first = page.data
    page.segment.setCurrentIndex(page.segment.findData("tech_touch"))
    qtbot.waitUntil(lambda: page.data is not first, timeout=15_000)
    assert page.data.metrics.mrr_start == 50_000
    # A preset sets both dates.
    page.preset.setCurrentIndex(page.preset.findData("last_month"))
    start, end = page.period()
    assert start.day == 1 and end == TODAY.replace(day=1) - timedelta(days=1)


def test_model_editor_refuses_weights_not_adding_to_100(qtbot, context):
    from ui.health.model_editor import HealthModelDialog, parse_bands

    dialog = HealthModelDialog(context)
    qtbot.addWidget(dialog)
    assert len(dialog.rows) == 6 and dialog.save_button.isEnabled()
    assert "100" in dialog.total_label.text()
    dialog.rows[0].weight.setValue(20)
    assert not dialog.save_button.isEnabled()
    assert "95" in dialog.total_label.text() and "100%" in dialog.total_label.text()
    assert "95" in dialog.errors.text()
    dialog.rows[1].weight.setValue(25)
    assert dialog.save_button.isEnabled()
    dialog.rows[0].bands.setText("muitos → 10")
    assert not dialog.save_button.isEnabled() and "bands" in dialog.errors.text()
    dialog.rows[0].bands.setText("4 → 10; 2 → 6; 0 → 0")
    dialog.rows[0].name.setText("Uso semanal")
    dialog.drop_points.setValue(20)
    saved = []
    dialog.on_saved = saved.append
    dialog.save()
    assert saved and saved[0].components[0].label == "Uso semanal"
    model = health.model_for(context.db, None)
    assert model.components[0].scale.bands == ((4, 10), (2, 6), (0, 0))
    assert model.components[1].weight == 25
    assert health.get_alert_settings(context.db)["drop_points"] == 20
    assert parse_bands("0,5 → 3; 2 -> 10") == ((2, 10), (0.5, 3))


def test_model_editor_segment_models(qtbot, context):
    from ui.health.model_editor import HealthModelDialog

    dialog = HealthModelDialog(context)
    qtbot.addWidget(dialog)
    dialog.segment.setCurrentIndex(dialog.segment.findData("high_touch"))
    assert "default" in dialog.segment_note.text()
    dialog.rows[-1].remove.click()
    assert len(dialog.rows) == 5 and not dialog.save_button.isEnabled()
    dialog.rows[0].weight.setValue(40)
    assert dialog.save_button.isEnabled()
    dialog.save()
    assert health.model_for(context.db, "high_touch").segment == "high_touch"
    assert len(health.model_for(context.db, "high_touch").components) == 5
    assert len(health.model_for(context.db, "low_touch").components) == 6


def test_main_window_has_portfolio_and_recomputes_after_import(qtbot, context, book):
    from ui.main_window import MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    assert "portfolio" in window.pages
    assert window.health_model_action.text()
    service = window.health_service
    with qtbot.waitSignal(service.finished, timeout=20_000) as blocker:
        context.hub.importFinished.emit(1, list(book))
    assert isinstance(blocker.args[0], health.RecomputeResult)
    assert blocker.args[0].accounts == 2


def test_account_page_health_tab_loads_when_opened(qtbot, context, book):
    from ui.account.page import AccountPage
    from ui.health.account_tab import AccountHealthTab

    page = AccountPage(context)
    qtbot.addWidget(page)
    page.resize(1200, 900)
    page.show()
    page.set_account(book[1])
    assert isinstance(page.health_tab, AccountHealthTab)
    page.tabs.setCurrentWidget(page.health_tab)
    qtbot.waitUntil(lambda: page.health_tab.view is not None, timeout=10_000)
    assert page.health_tab.view.account_id == book[1]
