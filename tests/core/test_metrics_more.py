"""ARPA, forward and historic LTV, annualised churn, CES, CSAT scales, NPS zones, onboarding:
each figure against a worked example computed by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from csdesk import metrics
from db.models import HealthSnapshot, Milestone, SuccessPlan, TimelineEvent
from tests.support.health_data import add_accounts, add_revenue, add_surveys

START = date(2026, 1, 1)
END = date(2026, 1, 31)
BEFORE = date(2025, 6, 1)
IN = date(2026, 1, 15)


def _events(db, rows):
    with db.session() as session, session.begin():
        session.add_all(
            TimelineEvent(account_id=a, occurred_at=at, kind=kind, subkind=sub, title=kind)
            for a, kind, sub, at in rows
        )


def test_800_customers_50_cancel_is_53_90_percent_a_year(db):
    ids = add_accounts(db, [{"contract_start": BEFORE, "mrr_cents": 10000} for _ in range(800)])
    add_revenue(db, [(a, IN, "churn", 10000, 0) for a in ids[:50]])
    m = metrics.compute(db, START, END)
    assert m.logo_churn_rate == pytest.approx(0.0625)
    # 1 − (1 − 0.0625)^12 = 0.539048… (53.90%), not 12 × 6.25% = 75%.
    assert m.annualised_logo_churn == pytest.approx(0.539048, abs=1e-6)
    assert m.to_json()["annualised_logo_churn"] == pytest.approx(0.539048, abs=1e-6)


def test_a_twelve_month_period_is_its_own_annual_rate():
    assert metrics.period_months(date(2025, 1, 1), date(2025, 12, 31)) == 12
    assert metrics.period_months(date(2026, 2, 1), date(2026, 2, 28)) == 1
    # From the 10th to the 9th of the next month is a calendar month too (rules.calendar.months_between).
    assert metrics.period_months(date(2026, 1, 10), date(2026, 2, 9)) == 1
    # Not whole months: the days left over ÷ 30.4375.
    assert metrics.period_months(date(2026, 1, 1), date(2026, 1, 15)) == pytest.approx(15 / 30.4375)
    m = metrics.monthly_rate(0.3, 12)
    assert metrics.annualised_churn(m) == pytest.approx(0.3)


def test_five_deals_worth_600_make_a_ticket_medio_of_120(db):
    add_accounts(
        db, [{"contract_start": IN, "mrr_cents": c} for c in (10_000, 10_000, 12_000, 13_000, 15_000)]
    )
    m = metrics.compute(db, START, END)
    assert m.accounts_end == 5
    assert m.arpa == 12_000
    # No churn: no finite forward LTV.
    assert m.ltv_forward is None


def test_undefined_without_customers_or_answers(db):
    m = metrics.compute(db, START, END)
    data = m.to_json()
    for key in (
        "arpa",
        "ltv_forward",
        "annualised_logo_churn",
        "annualised_revenue_churn",
        "ces",
        "ttfv_days_median",
        "onboarding_completion_rate",
        "nps_zone",
        "ces_easy_rate",
    ):
        assert data[key] is None, key
    assert data["ces_responses"] == 0


@pytest.mark.parametrize(
    ("nps", "zone"),
    [
        (-100, "critical"),
        (0, "critical"),
        (0.5, "improvement"),
        (1, "improvement"),
        (50, "improvement"),
        (51, "quality"),
        (75, "quality"),
        (75.5, "excellence"),
        (76, "excellence"),
        (100, "excellence"),
    ],
)
def test_nps_zones_follow_the_literature(nps, zone):
    assert metrics.nps_zone(nps) == zone


def test_ces_mean_and_share_answering_5_to_7(db):
    (a,) = add_accounts(db, [{"contract_start": BEFORE}])
    when = datetime(2026, 1, 10, 9)
    add_surveys(db, [(a, "ces", s, when) for s in (7, 6, 5, 4, 2)] + [(a, "ces", 1, datetime(2026, 2, 1))])
    m = metrics.compute(db, START, END)
    assert m.ces == pytest.approx(4.8)
    assert m.ces_responses == 5
    assert m.ces_easy_rate == pytest.approx(0.6)
    assert m.nps_zone is None  # no NPS answers


@pytest.mark.parametrize(
    ("answers", "scale", "csat"),
    [
        ((5, 5, 4, 3, 1), "1-5", 0.6),  # 4-5 on 1-5
        ((10, 9, 8, 7, 1), "1-10", 0.6),  # 8-10 on 1-10
        ((10, 8, 7, 5, 0), "0-10", 0.4),  # a 0 means 0-10
    ],
)
def test_csat_reads_the_scale_the_answers_use(db, answers, scale, csat):
    (a,) = add_accounts(db, [{"contract_start": BEFORE}])
    add_surveys(db, [(a, "csat", s, datetime(2026, 1, 10, 9)) for s in answers])
    m = metrics.compute(db, START, END)
    assert m.csat_scale == scale
    assert m.csat == pytest.approx(csat)


def test_ttfv_onboarding_completion_and_first_green(db):
    first, last = date(2026, 1, 1), date(2026, 6, 30)
    a, b, c, d, e = add_accounts(
        db,
        [
            {"contract_start": date(2026, 1, 5), "segment": "high_touch"},
            {"contract_start": date(2026, 1, 1), "segment": "high_touch"},
            {"contract_start": date(2026, 3, 1), "segment": "tech_touch"},
            {"contract_start": date(2026, 2, 1), "segment": "tech_touch"},
            {"contract_start": date(2026, 6, 1), "segment": "tech_touch"},
        ],
    )
    _events(
        db,
        [
            (a, "meeting", "kickoff", datetime(2026, 1, 10, 10)),  # from the kickoff: 30 days
            (a, "first_value", None, datetime(2026, 2, 9, 15)),
            (a, "first_value", None, datetime(2026, 4, 1, 15)),  # only the first counts
            (b, "first_value", None, datetime(2026, 3, 2, 9)),  # no kickoff: from the contract, 60 days
        ],
    )
    with db.session() as session, session.begin():
        plan = SuccessPlan(account_id=c, title="Plano")
        session.add(plan)
        session.flush()
        # A quick win completed is first value too: 10 days.
        session.add(
            Milestone(
                plan_id=plan.id,
                title="Primeiro relatório",
                is_quick_win=True,
                status="done",
                completed_on=date(2026, 3, 11),
            )
        )
        session.add_all(
            HealthSnapshot(account_id=acc, as_of=day, score=score, band=band)
            for acc, day, score, band in (
                (a, date(2026, 1, 12), 70.0, "yellow"),
                (a, date(2026, 2, 16), 85.0, "green"),  # 42 days after its contract start
                (b, date(2026, 1, 26), 81.0, "green"),  # 25 days
                (d, date(2026, 7, 6), 90.0, "green"),  # after the period
            )
        )
    m = metrics.compute(db, first, last)
    assert m.ttfv_accounts == 3
    assert m.ttfv_days_median == 30  # of 30, 60 and 10
    assert m.ttfv_by_segment == (("high_touch", 45.0, 2), ("tech_touch", 10.0, 1))
    # Begun by 1 April (90 days before the end): a, b, c, d; done within 90 days: a, b, c.
    assert (m.onboarding_started, m.onboarding_completed) == (4, 3)
    assert m.onboarding_completion_rate == pytest.approx(0.75)
    assert (m.first_green_days_median, m.first_green_accounts) == (33.5, 2)
    data = m.to_json()
    assert data["ttfv_days_median"] == 30
    assert data["ttfv_days_median_by_segment"]["high_touch"] == {"days": 45.0, "accounts": 2}
    assert data["onboarding_completion_rate"] == 0.75
    assert e  # too recent to judge


def test_historic_ltv_is_the_revenue_received(db):
    a, b = add_accounts(
        db,
        [
            {"contract_start": date(2025, 1, 1), "mrr_cents": 0, "status": "churned"},
            {"contract_start": date(2026, 1, 1), "mrr_cents": 20_000},
        ],
    )
    add_revenue(
        db,
        [
            (a, date(2025, 1, 1), "new", 0, 100_000),
            (a, date(2025, 7, 1), "expansion", 100_000, 150_000),
            (a, date(2026, 1, 1), "churn", 150_000, 0),
        ],
    )
    book = metrics.load_book(db)
    ltv = dict(zip(book.ids.tolist(), metrics.historic_ltv(book, date(2026, 3, 31)).tolist(), strict=True))
    # Six months of R$ 1.000 and six of R$ 1.500; nothing after the churn.
    assert ltv[a] == 1_500_000
    # No revenue rows: from the contract start, three months of R$ 200.
    assert ltv[b] == 60_000
    # Half way through a month: the day fraction counts.
    ltv_mid = metrics.historic_ltv(book, date(2026, 1, 15))
    assert ltv_mid[list(book.ids).index(b)] == round(20_000 * 15 / 30.4375)


def test_accounts_json_has_the_historic_ltv(db, db_path, capsys):
    import json

    from cli.main import main

    (a,) = add_accounts(db, [{"name": "Padaria", "contract_start": date(2026, 8, 1), "mrr_cents": 100_000}])
    add_revenue(db, [(a, date(2026, 8, 1), "new", 0, 100_000)])
    assert main(["--db", str(db_path), "accounts", "--format", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    # 1 August to the end of 25 November (the suite's today): 3 months and 25 days of R$ 1.000.
    assert record["ltv_historic"] == round(1000 * (3 + 25 / 30.4375), 2)
