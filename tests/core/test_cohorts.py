"""Cohorts (safras): a hand-computed heat-map, early churn, the CLI and the chart."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from cli.main import main
from csdesk import charts, cohorts, metrics
from tests.support.health_data import add_accounts, add_revenue

AS_OF = date(2026, 8, 31)


@pytest.fixture
def book(db):
    """January 2026: A, B, C, D start; February: E.

    A (R$ 100) churns on 15 March, 69 days in; B (R$ 100) contracts to R$ 50 on 1 May and churns
    on 20 July, 191 days in (not early); C (R$ 200) expands to R$ 300 on 10 February; D (R$ 100,
    no revenue rows) and E (R$ 100) stay.
    """
    a, b, c, d, e = add_accounts(
        db,
        [
            {"name": "A", "contract_start": date(2026, 1, 5), "mrr_cents": 0, "status": "churned"},
            {"name": "B", "contract_start": date(2026, 1, 10), "mrr_cents": 0, "status": "churned"},
            {"name": "C", "contract_start": date(2026, 1, 20), "mrr_cents": 30_000},
            {"name": "D", "contract_start": date(2026, 1, 31), "mrr_cents": 10_000},
            {"name": "E", "contract_start": date(2026, 2, 1), "mrr_cents": 10_000},
            {"name": "Old", "contract_start": date(2025, 12, 31), "mrr_cents": 10_000},
        ],
    )[:5]
    add_revenue(
        db,
        [
            (a, date(2026, 1, 5), "new", 0, 10_000),
            (a, date(2026, 3, 15), "churn", 10_000, 0),
            (b, date(2026, 1, 10), "new", 0, 10_000),
            (b, date(2026, 5, 1), "contraction", 10_000, 5_000),
            (b, date(2026, 7, 20), "churn", 5_000, 0),
            (c, date(2026, 1, 20), "new", 0, 20_000),
            (c, date(2026, 2, 10), "expansion", 20_000, 30_000),
            (e, date(2026, 2, 1), "new", 0, 10_000),
        ],
    )
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def test_hand_computed_heat_map(db, book):
    table = cohorts.cohort_table(metrics.load_book(db), date(2026, 1, 1), date(2026, 2, 28), AS_OF)
    jan, feb = table.cohorts
    assert (jan.month, jan.accounts, jan.mrr_start) == (date(2026, 1, 1), 4, 50_000)
    # End of Jan, Feb, …, Aug: A gone from March, B from July.
    assert jan.logos == (1.0, 1.0, 0.75, 0.75, 0.75, 0.75, 0.5, 0.5)
    # R$ 500 at the start; C's expansion, A's churn, B's contraction then churn.
    assert jan.revenue == pytest.approx((1.0, 1.2, 1.0, 1.0, 0.9, 0.9, 0.8, 0.8))
    # Early churn: A within 90 (and so 180) days; B left after 191 days.
    assert jan.churned_early == (1, 1)
    assert jan.early_churn(0) == 0.25
    assert (feb.accounts, feb.logos, feb.revenue) == (1, (1.0,) * 7, (1.0,) * 7)
    assert table.months == 8


def test_cells_and_early_churn_wait_until_they_are_over(db, book):
    table = cohorts.cohort_table(
        metrics.load_book(db), date(2026, 1, 1), date(2026, 1, 31), date(2026, 5, 15)
    )
    (jan,) = table.cohorts
    # April ended on the 30th; May is still running.
    assert jan.logos == (1.0, 1.0, 0.75, 0.75)
    # Ninety days after the last start (31 January) are over; 180 are not.
    assert jan.churned_early == (1, None)
    assert jan.early_churn(1) is None


def test_accounts_behind_a_cell(db, book):
    assert cohorts.accounts_in_cell(db, date(2026, 1, 1), 2, retained=False) == [book["A"]]
    assert sorted(cohorts.accounts_in_cell(db, date(2026, 1, 1), 6)) == sorted([book["C"], book["D"]])


def test_cli_json_and_csv(db, db_path, book, capsys):
    args = ["--db", str(db_path), "cohorts", "--from", "2026-01-01", "--to", "2026-08-31"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by"] == "logos"
    assert [c["cohort"] for c in data["cohorts"]] == ["2026-01", "2026-02"]
    assert data["cohorts"][0]["retention"][:3] == [1.0, 1.0, 0.75]
    assert data["cohorts"][0]["early_churn_90d"] == 0.25
    assert main([*args, "--by", "revenue", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["cohort"] == "2026-01" and rows[0]["m1"] == "1.200000" and rows[0]["mrr_start"] == "500.00"
    assert main([*args]) == 0
    assert "2026-01" in capsys.readouterr().out


def test_cli_refuses_a_reversed_period(db_path, db, capsys):
    assert main(["--db", str(db_path), "cohorts", "--from", "2026-05-01", "--to", "2026-01-01"]) == 2
    assert "--to" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_chart_files(db, db_path, book, tmp_path, suffix):
    out = tmp_path / f"cohorts.{suffix}"
    assert main(["--db", str(db_path), "chart", "cohorts", "--from", "2026-01-01", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    fig = charts.cohorts_figure(
        cohorts.cohort_table(metrics.load_book(db), date(2026, 1, 1), date(2026, 2, 28), AS_OF),
        "revenue",
        "pt_BR",
    )
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"120", "80"} <= texts  # the cells, in percent
