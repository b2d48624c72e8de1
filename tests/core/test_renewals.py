"""Renewals with outcomes: the ledger's movement, the rolled renewal date, the history, the timeline,
the renewal rates (hand-computed worked example) and ``csdesk renew``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from cli.main import main
from csdesk import accounts, metrics, renewals, timeline
from csdesk.accounts import AccountData
from csdesk.errors import UserError
from db.models import RevenueChange

CLOSED = date(2026, 11, 25)


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


@pytest.fixture
def book(db):
    def add(name, mrr, renewal):
        return accounts.create_account(
            db,
            AccountData(
                name=name, mrr_cents=mrr * 100, contract_start=date(2025, 12, 1), renewal_date=renewal
            ),
        ).id

    return {
        "renewed": add("Alfa", 1000, date(2026, 12, 10)),
        "downsell": add("Bravo", 2000, date(2026, 12, 1)),
        "upsell": add("Charlie", 1000, date(2026, 12, 20)),
        "lost": add("Delta", 500, date(2026, 12, 5)),
        "open": add("Eco", 800, date(2026, 12, 15)),
        "later": add("Foxtrot", 900, date(2027, 3, 1)),
    }


def close_all(db, book):
    renewals.close_renewal(db, book["renewed"], "renewed", on=CLOSED)
    renewals.close_renewal(db, book["downsell"], "downsell", mrr_cents=150000, term_months=24, on=CLOSED)
    renewals.close_renewal(db, book["upsell"], "upsell", mrr_cents=130000, on=CLOSED)
    return renewals.close_renewal(db, book["lost"], "lost", reason="price", on=CLOSED)


def movements(db, account_id):
    with db.session() as s:
        return [
            (r.kind, r.mrr_before_cents, r.mrr_after_cents, r.effective_date)
            for r in s.scalars(select(RevenueChange).where(RevenueChange.account_id == account_id))
        ]


def test_each_outcome_writes_its_movement_rolls_the_date_and_keeps_the_history(db, book):
    close_all(db, book)
    assert movements(db, book["renewed"]) == [("new", 0, 100000, date(2025, 12, 1))]  # no money moved
    assert movements(db, book["downsell"])[-1] == ("contraction", 200000, 150000, CLOSED)
    assert movements(db, book["upsell"])[-1] == ("expansion", 100000, 130000, CLOSED)
    assert movements(db, book["lost"])[-1] == ("churn", 50000, 0, CLOSED)

    alfa, bravo, delta = (accounts.get_account(db, book[k]) for k in ("renewed", "downsell", "lost"))
    assert alfa.renewal_date == date(2027, 12, 10)  # 12 months from the date due, not from the close
    assert bravo.renewal_date == date(2028, 12, 1) and bravo.mrr_cents == 150000
    assert delta.status == "churned" and delta.churn_reason == "price" and delta.churn_date == CLOSED

    (row,) = renewals.history(db, book["downsell"])
    assert (row.due_date, row.outcome, row.mrr_before_cents, row.mrr_after_cents) == (
        date(2026, 12, 1),
        "downsell",
        200000,
        150000,
    )
    assert (row.term_months, row.closed_on, row.next_renewal_date) == (24, CLOSED, date(2028, 12, 1))
    (lost,) = renewals.history(db, book["lost"])
    assert lost.term_months is None and lost.next_renewal_date is None

    events = timeline.list_events(db, book["downsell"], kinds=["renewal"])
    assert [(e.subkind, e.title) for e in events] == [
        ("downsell", "Renewed with downsell: MRR R$2,000.00 → R$1,500.00")
    ]


def test_worked_example_of_renewal_rates(db, book):
    """December 2026: five renewals due, four closed.

    MRR before: 1,000 + 2,000 + 1,000 + 500 = 4,500.
    Gross = Σ min(after, before) ÷ Σ before = (1,000 + 1,500 + 1,000 + 0) ÷ 4,500 = 77.78 %.
    Net = Σ after ÷ Σ before = (1,000 + 1,500 + 1,300 + 0) ÷ 4,500 = 84.44 %.
    """
    close_all(db, book)
    rates = renewals.renewal_rates(db, date(2026, 12, 1), date(2026, 12, 31))
    assert (rates.due, rates.closed) == (5, 4)  # Eco is due and still open; Foxtrot is due in March
    assert rates.gross == pytest.approx(3500 / 4500)
    assert rates.net == pytest.approx(3800 / 4500)
    m = metrics.compute(db, date(2026, 12, 1), date(2026, 12, 31)).to_json()
    assert m["renewals_due"] == 5 and m["renewals_closed"] == 4
    assert m["gross_renewal_rate"] == pytest.approx(0.777778)
    assert m["net_renewal_rate"] == pytest.approx(0.844444)
    # Nothing closed in the period: the rates are undefined, not 0 or 100 %.
    m = metrics.compute(db, date(2027, 3, 1), date(2027, 3, 31)).to_json()
    assert (m["renewals_due"], m["renewals_closed"]) == (1, 0)
    assert m["gross_renewal_rate"] is None and m["net_renewal_rate"] is None


def test_reopen_undoes_everything(db, book):
    closed = renewals.close_renewal(db, book["upsell"], "upsell", mrr_cents=130000, on=CLOSED)
    renewals.reopen(db, closed)
    charlie = accounts.get_account(db, book["upsell"])
    assert charlie.renewal_date == date(2026, 12, 20) and charlie.mrr_cents == 100000
    assert renewals.history(db, book["upsell"]) == []
    assert timeline.list_events(db, book["upsell"], kinds=["renewal", "revenue_change"])[0].subkind == "new"
    assert movements(db, book["upsell"]) == [("new", 0, 100000, date(2025, 12, 1))]


@pytest.mark.parametrize(
    "outcome, mrr, message",
    [
        ("downsell", None, "needs the new MRR"),
        ("downsell", 250000, "below the current"),
        ("upsell", 150000, "above the current"),
        ("renewed", 210000, "record a downsell or an upsell"),
        ("lost", 100, "no new MRR"),
    ],
)
def test_an_amount_that_does_not_fit_the_outcome_is_refused_and_nothing_changes(
    db, book, outcome, mrr, message
):
    with pytest.raises(UserError, match=message):
        renewals.close_renewal(db, book["downsell"], outcome, mrr_cents=mrr, on=CLOSED)
    assert renewals.history(db) == []
    assert accounts.get_account(db, book["downsell"]).renewal_date == date(2026, 12, 1)


def test_renew_command(db_path, db, book, capsys):
    assert (
        run(db_path, "renew", "Bravo", "--outcome", "downsell", "--mrr", "1500", "--term-months", "24") == 0
    )
    out = capsys.readouterr().out
    assert "Renewed with downsell, MRR R$2,000.00 → R$1,500.00" in out and "Dec 1, 2028" in out
    assert (
        run(
            db_path,
            "renew",
            "Delta",
            "--outcome",
            "lost",
            "--reason",
            "Preço",
            "--date",
            "2026-11-30",
            "--format",
            "json",
        )
        == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert (
        record["outcome"] == "lost" and record["movement"] == "churn" and record["closed_on"] == "2026-11-30"
    )
    assert accounts.get_account(db, book["lost"]).churn_reason == "price"
    # A churned account has no renewal to record; wrong options exit 2 with one line.
    for args, message in [
        (("Delta", "--outcome", "renewed"), "has churned"),
        (("Alfa", "--outcome", "upsell"), "needs the new MRR"),
        (("Alfa", "--outcome", "renewed", "--reason", "price"), "--reason goes only with --outcome lost"),
        (("Alfa", "--outcome", "renewed", "--date", "amanhã"), "not an ISO date"),
    ]:
        assert run(db_path, "renew", *args) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
