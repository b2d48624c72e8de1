"""The revenue ledger's rules (csdesk.ledger), one by one."""

from __future__ import annotations

from datetime import date

from csdesk import ledger
from csdesk.ledger import NEVER, Movement, State


def test_classify_each_kind_of_movement():
    paying = State(True, 100_000, 100_000, True)
    assert ledger.classify(NEVER, True, 50_000) == ("new", 0, 50_000)
    assert ledger.classify(NEVER, True, 50_000, start_known=False) == ("opening", 0, 50_000)
    assert ledger.classify(paying, True, 150_000) == ("expansion", 100_000, 150_000)
    assert ledger.classify(paying, True, 80_000) == ("contraction", 100_000, 80_000)
    assert ledger.classify(paying, True, 100_000) is None
    assert ledger.classify(paying, False, 0) == ("churn", 100_000, 0)
    gone = ledger.after(paying, "churn", 100_000, 0)
    assert ledger.classify(gone, True, 90_000) == ("reactivation", 0, 90_000)
    assert ledger.classify(gone, False, 0) is None


def test_an_mrr_of_0_for_a_paying_customer_is_a_churn_of_its_last_mrr():
    paying = State(True, 100_000, 100_000, True)
    assert ledger.classify(paying, True, 0) == ("churn", 100_000, 0)
    # Active at R$ 0 (never paid): leaving loses the last MRR above zero it ever had.
    assert ledger.classify(State(True, 0, 70_000, True), False, 0) == ("churn", 70_000, 0)


def test_first_movement_is_dated_at_the_known_start_or_is_an_opening_balance():
    as_of = date(2026, 11, 25)
    assert ledger.first_movement(date(2024, 5, 1), None, as_of) == ("new", date(2024, 5, 1))
    assert ledger.first_movement(date(2027, 1, 1), None, as_of) == ("new", as_of)
    assert ledger.first_movement(None, None, as_of) == ("opening", as_of)
    assert ledger.first_movement(None, date(2026, 3, 1), as_of) == ("opening", date(2026, 3, 1))


def test_merge_history_re_dates_the_opening_and_keeps_a_newer_snapshot():
    opening = Movement(1, 7, date(2026, 6, 15), "opening", 0, 150_000)
    plan = ledger.merge_history([opening], [(date(2026, 3, 1), 100_000), (date(2026, 4, 1), 120_000)])
    assert plan.updates == [(opening, {"effective_date": date(2026, 3, 1), "mrr_after_cents": 100_000})]
    assert plan.inserts == [
        ("expansion", 100_000, 120_000, date(2026, 4, 1)),
        ("expansion", 120_000, 150_000, date(2026, 6, 15)),  # the sheet of June still says 1.500
    ]
    assert plan.final == State(True, 150_000, 150_000, True)


def test_merge_history_re_chains_later_movements_and_churn_loses_the_expanded_mrr():
    first = Movement(1, 7, date(2025, 1, 1), "new", 0, 100_000)
    churn = Movement(2, 7, date(2026, 11, 25), "churn", 100_000, 0)
    plan = ledger.merge_history([first, churn], [(date(2026, 8, 1), 150_000)])
    assert plan.inserts == [("expansion", 100_000, 150_000, date(2026, 8, 1))]
    assert plan.updates == [(churn, {"mrr_before_cents": 150_000})]
    assert plan.final == State(False, 0, 150_000, True) and not plan.latest_is_history
