"""The timeline page shows the titles of the events the app composes in the reader's language."""

from __future__ import annotations

from datetime import date

from csdesk import accounts, i18n, ledger
from csdesk.accounts import AccountData
from db.models import Account
from ui.timeline.model import EventRole
from ui.timeline.tab import TimelineTab


def events_shown(tab):
    rows = (tab.model.index(row, 0).data(EventRole) for row in range(tab.model.rowCount()))
    return [event.title for event in rows if event is not None]


def shown_titles(qtbot, context, account_id):
    tab = TimelineTab(context)
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.set_account(account_id)
    return tab, events_shown(tab)


def test_a_portuguese_book_shows_english_titles_to_an_english_reader_and_back(qtbot, context):
    i18n.set_language("pt_BR")
    try:
        data = AccountData(name="Padaria Pitanga", mrr_cents=100000, contract_start=date(2026, 1, 10))
        account_id = accounts.create_account(context.db, data).id
        with context.db.session() as s:
            ledger.record(s, s.get(Account, account_id), on=date(2026, 3, 10), mrr=223456)
            s.commit()
        _tab, portuguese = shown_titles(qtbot, context, account_id)
        assert portuguese == [
            i18n.tr("Expansion: MRR {before} → {after} (+{delta})").format(
                before="R$ 1.000,00", after="R$ 2.234,56", delta="R$ 1.234,56"
            ),
            i18n.tr("New revenue: MRR {after}").format(after="R$ 1.000,00"),
        ]
    finally:
        i18n.set_language("en")
    tab, english = shown_titles(qtbot, context, account_id)
    assert english == [
        "Expansion: MRR R$1,000.00 → R$2,234.56 (+R$1,234.56)",
        "New revenue: MRR R$1,000.00",
    ]
    tab.search.setText("expansão")  # the words of either language find it
    qtbot.waitUntil(lambda: len(events_shown(tab)) == 1, timeout=5000)
    assert events_shown(tab) == [english[0]]
    tab.search.clear()
    tab.resize(900, 500)
    tab.grab().save("/tmp/titles-timeline-en.png")
