"""Portfolio metrics: the worked examples of domain.md §3 as real rows, and invariants."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from csdesk import metrics
from tests.support.health_data import add_accounts, add_revenue, add_surveys

START = date(2026, 1, 1)
END = date(2026, 1, 31)
BEFORE = date(2025, 6, 1)
IN = date(2026, 1, 15)


def test_logo_churn_800_customers_50_cancel(db):
    ids = add_accounts(db, [{"contract_start": BEFORE, "mrr_cents": 10000} for _ in range(800)])
    add_revenue(db, [(a, IN, "churn", 10000, 0) for a in ids[:50]])
    m = metrics.compute(db, START, END)
    assert m.accounts_start == 800
    assert m.churned_accounts == 50
    assert m.logo_churn_rate == pytest.approx(0.0625)
    assert m.customer_retention_rate == pytest.approx(0.9375)
    assert m.accounts_end == 750


def test_nps_60_20_20_is_40_and_csat_80_percent(db):
    (a,) = add_accounts(db, [{"contract_start": BEFORE}])
    when = datetime(2026, 1, 10, 14, 0)
    scores = [10] * 30 + [9] * 30 + [8] * 10 + [7] * 10 + [6] * 10 + [0] * 10
    csat = [5] * 50 + [4] * 30 + [3] * 10 + [1] * 10
    add_surveys(db, [(a, "nps", s, when) for s in scores] + [(a, "csat", s, when) for s in csat])
    # Answers outside the period do not count.
    add_surveys(db, [(a, "nps", 0, datetime(2025, 12, 31, 23, 59)), (a, "nps", 0, datetime(2026, 2, 1))])
    m = metrics.compute(db, START, END)
    assert (m.promoters, m.passives, m.detractors, m.nps_responses) == (60, 20, 20, 100)
    assert m.nps == pytest.approx(40)
    assert m.csat == pytest.approx(0.80)
    assert m.csat_responses == 100


def test_revenue_churn_worked_example(db):
    # Start MRR R$ 100.000; one account of R$ 5.000 cancels; downgrades of R$ 3.000.
    ids = add_accounts(
        db,
        [{"contract_start": BEFORE, "mrr_cents": 500_000}]
        + [{"contract_start": BEFORE, "mrr_cents": 1_000_000}] * 9
        + [{"contract_start": BEFORE, "mrr_cents": 500_000}],
    )
    add_revenue(
        db,
        [
            (ids[0], IN, "churn", 500_000, 0),
            (ids[1], IN, "contraction", 1_000_000, 800_000),
            (ids[2], IN, "contraction", 1_000_000, 900_000),
        ],
    )
    m = metrics.compute(db, START, END)
    assert m.mrr_start == 10_000_000
    assert m.churned_mrr == 500_000
    assert m.contraction_mrr == 300_000
    assert m.revenue_churn_rate == pytest.approx(0.08)
    assert m.grr == pytest.approx(0.92)
    assert m.to_json()["mrr_start"] == 100_000.0
    # R$ 92.000 over 10 customers at the end: ticket médio R$ 9.200.
    assert m.arpa == 920_000
    # ARPA ÷ monthly revenue churn: 9.200 ÷ 0.08 = R$ 115.000.
    assert m.ltv_forward == 11_500_000
    assert m.annualised_revenue_churn == pytest.approx(1 - 0.92**12)
    data = m.to_json()
    assert data["arpa"] == 9200.0
    assert data["ltv_forward"] == 115_000.0


def test_nrr_110_percent_and_new_logos_are_not_expansion(db):
    ids = add_accounts(
        db, [{"contract_start": BEFORE, "mrr_cents": c} for c in (1_000_000, 2_000_000, 2_000_000, 5_000_000)]
    )
    (newcomer,) = add_accounts(db, [{"contract_start": IN, "mrr_cents": 5_000_000}])
    add_revenue(
        db,
        [
            (ids[0], IN, "churn", 1_000_000, 0),
            (ids[1], IN, "contraction", 2_000_000, 1_500_000),
            (ids[2], IN, "expansion", 2_000_000, 4_500_000),
            (newcomer, IN, "new", 0, 5_000_000),
            (newcomer, IN + timedelta(days=3), "expansion", 5_000_000, 6_000_000),
        ],
    )
    m = metrics.compute(db, START, END)
    # ids[0] goes down by 10k with kind churn but keeps MRR: counted as churned MRR.
    assert m.mrr_start == 10_000_000
    assert m.churned_mrr == 1_000_000
    assert m.contraction_mrr == 500_000
    assert m.expansion_mrr == 2_500_000
    assert m.nrr == pytest.approx(1.10)
    assert m.net_revenue_churn_rate == pytest.approx(-0.10)
    assert m.new_accounts == 1
    assert m.new_mrr == 6_000_000
    assert m.mrr_end == m.mrr_start + m.new_mrr + m.expansion_mrr - m.contraction_mrr - m.churned_mrr


def test_state_at_start_is_end_of_previous_day(db):
    (a, b) = add_accounts(
        db,
        [{"contract_start": START, "mrr_cents": 1000}, {"contract_start": BEFORE, "mrr_cents": 2000}],
    )
    # b churns on the first day of the period: it was a customer at start, and churned in it.
    add_revenue(db, [(b, START, "churn", 2000, 0)])
    m = metrics.compute(db, START, END)
    assert m.accounts_start == 1
    assert m.new_accounts == 1
    assert m.churned_accounts == 1
    assert m.mrr_start == 2000
    # The day after: a churn on the last day of the previous period is out of this one.
    m2 = metrics.compute(db, START + timedelta(days=1), END)
    assert m2.accounts_start == 1 and m2.churned_accounts == 0


def test_accounts_without_revenue_rows_use_contract_and_churn_dates(db):
    add_accounts(
        db,
        [
            {"contract_start": BEFORE, "mrr_cents": 1000},
            {
                "contract_start": BEFORE,
                "mrr_cents": 3000,
                "status": "churned",
                "churn_date": IN,
                "churn_reason": "price",
            },
        ],
    )
    m = metrics.compute(db, START, END)
    assert (m.accounts_start, m.accounts_end, m.churned_accounts) == (2, 1, 1)
    assert m.churned_mrr == 3000
    assert m.churn_by_reason == (("price", 1, 3000),)


def test_empty_start_gives_undefined_rates_not_zero(db):
    add_accounts(db, [{"contract_start": IN, "mrr_cents": 1000}])
    m = metrics.compute(db, START, END)
    assert m.accounts_start == 0
    for value in (
        m.logo_churn_rate,
        m.customer_retention_rate,
        m.grr,
        m.nrr,
        m.revenue_churn_rate,
        m.net_revenue_churn_rate,
        m.nps,
        m.csat,
    ):
        assert value is None
    data = m.to_json()
    assert data["grr"] is None and data["nps"] is None


def test_segment_filter(db):
    add_accounts(
        db,
        [
            {"contract_start": BEFORE, "mrr_cents": 1000, "segment": "high_touch"},
            {"contract_start": BEFORE, "mrr_cents": 5000, "segment": "tech_touch"},
        ],
    )
    assert metrics.compute(db, START, END, "high_touch").mrr_start == 1000
    assert metrics.compute(db, START, END).mrr_start == 6000


def test_random_books_keep_the_invariants(db):
    rng = random.Random(7)
    specs = []
    for _ in range(120):
        specs.append(
            {
                "contract_start": BEFORE + timedelta(days=rng.randint(0, 400)),
                "mrr_cents": rng.randint(1, 50) * 1000,
                "segment": rng.choice(["high_touch", "low_touch"]),
            }
        )
    ids = add_accounts(db, specs)
    rows = []
    for a, spec in zip(ids, specs, strict=True):
        mrr = spec["mrr_cents"]
        day = spec["contract_start"]
        rows.append((a, day, "new", 0, mrr))
        for _ in range(rng.randint(0, 4)):
            day += timedelta(days=rng.randint(5, 90))
            kind = rng.choice(["expansion", "contraction", "churn"])
            after = 0 if kind == "churn" else max(1000, mrr + rng.randint(-20, 20) * 1000)
            rows.append((a, day, kind, mrr, after))
            mrr = after
            if kind == "churn":
                break
    add_revenue(db, rows)
    book = metrics.load_book(db)
    for start in (date(2025, 9, 1), date(2025, 12, 1), date(2026, 3, 1)):
        for length in (30, 90, 365):
            m = metrics.compute_book(book, start, start + timedelta(days=length))
            if m.mrr_start == 0:
                assert m.grr is None and m.nrr is None
                continue
            assert m.grr <= 1
            assert m.nrr - m.grr == pytest.approx(m.expansion_mrr / m.mrr_start)
            assert m.revenue_churn_rate == pytest.approx(1 - m.grr)
            assert m.mrr_end == m.mrr_start + m.new_mrr + m.expansion_mrr - m.contraction_mrr - m.churned_mrr
            if m.accounts_start:
                assert m.logo_churn_rate + m.customer_retention_rate == pytest.approx(1)


def test_month_periods_and_annualised_churn():
    assert metrics.month_periods(date(2026, 1, 15), date(2026, 3, 2)) == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]
    assert metrics.annualised_churn(0.02) == pytest.approx(1 - 0.98**12)
    assert metrics.annualised_churn(None) is None
