"""The CSM's rhythm in the window: quick add of every CS event kind, the renewal dialog from the
account page and from Today, and the renewal rates on Indicadores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import accounts, clock, health, renewals, timeline, vocab
from csdesk.accounts import AccountData

TODAY = clock.today()


@pytest.fixture
def book(db):
    acme = accounts.create_account(
        db,
        AccountData(
            name="Padaria Pitanga Ltda",
            segment="high_touch",
            mrr_cents=150000,
            renewal_date=TODAY + timedelta(days=20),
            contract_start=TODAY - timedelta(days=345),
        ),
    ).id
    other = accounts.create_account(
        db,
        AccountData(
            name="Beta Alimentos",
            mrr_cents=80000,
            renewal_date=TODAY + timedelta(days=70),
            contract_start=TODAY - timedelta(days=300),
        ),
    ).id
    return {"acme": acme, "other": other}


@pytest.fixture
def window(qtbot, context, book):
    from ui.main_window import PAGE_KEY, MainWindow

    context.settings.setValue(PAGE_KEY, "today")
    win = MainWindow(context)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.pages["today"].today_view is not None, timeout=5000)
    yield win
    win.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)


def open_account(qtbot, window, context, account_id):
    tab = window.account_page.timeline_tab
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        context.hub.requestAccount.emit(account_id)
    return window.account_page


def test_quick_add_offers_every_loggable_kind_and_logs_a_ticket_and_a_pulse(
    qtbot, window, context, book, monkeypatch
):
    page = open_account(qtbot, window, context, book["acme"])
    tab = page.timeline_tab
    seen = {}

    def log_ticket(dialog):
        seen["kinds"] = [dialog.kind.itemData(i) for i in range(dialog.kind.count())]
        dialog.kind.setCurrentIndex(dialog.kind.findData("ticket"))
        seen["severity shown"] = dialog.severity.isVisibleTo(dialog)
        seen["score shown"] = dialog.score.isVisibleTo(dialog)
        dialog.severity.setCurrentIndex(dialog.severity.findData("critical"))
        dialog.title.setText("NF-e não emite")
        dialog.accept()
        return True

    monkeypatch.setattr(tab, "exec_dialog", log_ticket)
    with qtbot.waitSignal(context.hub.timelineChanged, timeout=5000):
        tab.new_action.trigger()  # Ctrl+N
    assert seen["kinds"] == list(vocab.LOG_KINDS)
    assert seen["severity shown"] and not seen["score shown"]

    def log_pulse(dialog):
        dialog.kind.setCurrentIndex(dialog.kind.findData("pulse"))
        seen["pulse title"] = dialog.title.text()  # the kind's name, editable
        seen["pulse severity shown"] = dialog.severity.isVisibleTo(dialog)
        dialog.score.setCurrentIndex(dialog.score.findData(2))
        dialog.accept()
        return True

    monkeypatch.setattr(tab, "exec_dialog", log_pulse)
    with qtbot.waitSignal(context.hub.timelineChanged, timeout=5000):
        tab.new_action.trigger()
    assert seen["pulse title"] == "CSM pulse" and not seen["pulse severity shown"]

    stored = {e.kind: e for e in timeline.list_events(context.db, book["acme"])}
    assert stored["ticket"].severity == "critical"
    assert timeline.pulse_score(stored["pulse"]) == 2
    qtbot.waitUntil(lambda: tab.model.visible_count() >= 3, timeout=5000)
    texts = [tab.model.data(tab.model.index(r)) for r in range(tab.model.rowCount())]
    assert "NF-e não emite" in texts
    from ui.timeline.model import kind_text

    assert kind_text(stored["pulse"]) == "CSM pulse · 2/5"
    assert kind_text(stored["ticket"]) == "Support ticket · Critical"
    # The timeline's kind filter offers the new kinds too.
    assert tab.kind_filter.findData("pulse") >= 0 and tab.kind_filter.findData("escalation") >= 0
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("pulse"))
    assert tab.model.visible_count() == 1


def test_renewal_dialog_from_the_account_page_records_an_upsell_and_undo_reopens(
    qtbot, window, context, book, monkeypatch
):
    page = open_account(qtbot, window, context, book["acme"])
    seen = {}

    def upsell(dialog):
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("upsell"))
        seen["mrr shown"] = dialog.mrr.isVisibleTo(dialog)
        seen["reason shown"] = dialog.reason.isVisibleTo(dialog)
        dialog.mrr.setText("1,200.00")  # below the current R$ 1,500: refused, the dialog stays
        dialog.accept()
        seen["error"] = dialog.errors.text()
        seen["still open"] = dialog.closed is None
        dialog.mrr.setText("1800")
        dialog.term.setValue(24)
        seen["next"] = dialog.next_label.text()
        dialog.accept()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(page, "exec_dialog", upsell)
    page.record_renewal()
    assert seen["mrr shown"] and not seen["reason shown"]
    assert "above the current" in seen["error"] and seen["still open"]
    due = TODAY + timedelta(days=20)
    rolled = date(due.year + 2, due.month, due.day)
    assert seen["next"] == f"Next renewal: {rolled:%b} {rolled.day}, {rolled.year}."
    a = accounts.get_account(context.db, book["acme"])
    assert (a.mrr_cents, a.renewal_date) == (180000, rolled)
    (row,) = renewals.history(context.db, book["acme"])
    assert (row.outcome, row.term_months) == ("upsell", 24)

    context.undo_stack.undo()
    a = accounts.get_account(context.db, book["acme"])
    assert (a.mrr_cents, a.renewal_date) == (150000, due)
    assert renewals.history(context.db, book["acme"]) == []
    context.undo_stack.redo()
    assert accounts.get_account(context.db, book["acme"]).mrr_cents == 180000


def test_today_lists_renewals_with_their_health_and_records_one(qtbot, window, context, book, monkeypatch):
    from ui.today.page import RenewalRole

    with context.db.session() as s, s.begin():
        from db.models import Account

        s.get(Account, book["acme"]).health_score = 55.0
        s.get(Account, book["acme"]).health_band = "red"
    today = window.pages["today"]
    today.reload()
    qtbot.waitUntil(
        lambda: today.today_view is not None and today.today_view.renewals[0].health_band == "red",
        timeout=5000,
    )
    from tests.ui.test_cockpit import section_rows

    rows, head = section_rows(today.model, "renewals")
    assert [r[1] for r in rows] == ["Padaria Pitanga Ltda", "Beta Alimentos"]
    assert rows[0][3].endswith("Critical 55") and rows[1][3].endswith(health.no_data_label())
    assert head.child(0, 0).data(RenewalRole) == book["acme"]

    def renew(dialog):
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("renewed"))
        dialog.accept()
        return True

    monkeypatch.setattr(today, "exec_dialog", renew)
    assert today.record_renewal(book["acme"])
    qtbot.waitUntil(
        lambda: [a.name for a in today.today_view.renewals] == ["Beta Alimentos"], timeout=5000
    )  # rolled a year on: no longer due


def test_indicadores_show_the_renewal_rates(qtbot, context, book):
    from ui.health.portfolio_page import PortfolioPage

    renewals.close_renewal(context.db, book["acme"], "downsell", mrr_cents=120000)
    renewals.close_renewal(context.db, book["other"], "renewed")
    page = PortfolioPage(context)
    qtbot.addWidget(page)
    page.show()
    page.set_period(TODAY, TODAY + timedelta(days=90))  # both renewals were due in it
    qtbot.waitUntil(lambda: page.cards["gross_renewal"].value.text() not in ("", "—"), timeout=10000)
    # (1,200 + 800) ÷ (1,500 + 800) = 86.96 %: the downsell lost 300 of 2,300.
    assert page.cards["gross_renewal"].value.text() == "87.0%"
    assert page.cards["net_renewal"].value.text() == "87.0%"


def test_a_lost_renewal_asks_why_and_writes_the_post_mortem(
    qtbot, window, context, book, monkeypatch, tmp_path
):
    from csdesk import churn

    page = open_account(qtbot, window, context, book["acme"])
    target = tmp_path / "post-mortem.md"
    monkeypatch.setattr(page.documents, "ask_save_path", lambda *_args: str(target))
    seen = {}

    def fill(dialog):
        from ui.renewals.churn_dialog import ChurnDialog

        if isinstance(dialog, ChurnDialog):
            seen["reason"] = dialog.reason.currentData()  # the lost renewal's reason, carried over
            dialog.reason.setCurrentIndex(dialog.reason.findData("nonpayment"))
            seen["type"] = dialog.churn_type.currentData()
            dialog.root_cause.setPlainText("Caixa apertado desde a troca de diretoria")
            dialog.save_attempts.setPlainText("Parcelamento oferecido em outubro")
            assert dialog.postmortem.isChecked()
        else:
            dialog.outcome.setCurrentIndex(dialog.outcome.findData("lost"))
            seen["term shown"] = dialog.term.isVisibleTo(dialog)
            dialog.reason.setCurrentIndex(dialog.reason.findData("price"))
        dialog.accept()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(page, "exec_dialog", fill)
    with qtbot.waitSignal(page.documents.generated, timeout=20000):
        page.record_renewal()
    assert not seen["term shown"] and seen["reason"] == "price" and seen["type"] == "involuntary"
    record = churn.latest_details(context.db, book["acme"])
    assert (record.reason, record.churn_type, record.mrr_lost_cents) == ("nonpayment", "involuntary", 150000)
    text = target.read_text(encoding="utf-8")
    assert "Caixa apertado desde a troca de diretoria" in text and "R$1,500.00" in text
    page.documents.last_box.close()


def test_marking_churned_in_the_book_asks_why(qtbot, window, context, book, monkeypatch):
    from dataclasses import replace

    from csdesk import churn
    from ui.renewals.churn_dialog import ChurnDialog

    summary = accounts.get_account(context.db, book["other"])
    data = AccountData(**{n: getattr(summary, n) for n in AccountData.__dataclass_fields__})
    accounts.edit_account(
        context.db, replace(data, status="churned", churn_date=TODAY, churn_reason="competition")
    )
    book_page = window.pages["book"]

    def fill(dialog):
        assert isinstance(dialog, ChurnDialog)
        assert dialog.reason.currentData() == "competition"
        dialog.postmortem.setChecked(False)
        dialog.root_cause.setPlainText("Concorrente com app móvel")
        dialog.accept()
        return True

    monkeypatch.setattr(book_page, "exec_churn_dialog", fill)
    assert book_page.ask_churn_details(book["other"])
    record = churn.latest_details(context.db, book["other"])
    assert (record.reason, record.churn_type, record.root_cause) == (
        "competition",
        "voluntary",
        "Concorrente com app móvel",
    )
