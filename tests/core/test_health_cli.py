"""csdesk metrics / health / chart on the command line."""

from __future__ import annotations

import json
from datetime import date, timedelta

from cli.main import main
from csdesk import charts, clock, formatting, health
from csdesk.rules import calendar
from db.models import Measure
from tests.support.health_data import add_accounts, add_revenue

TODAY = clock.today()


def _book(db):
    ids = add_accounts(
        db,
        [
            {
                "name": "Padaria Pitanga",
                "contract_start": date(2024, 1, 1),
                "mrr_cents": 100_000,
                "licensed_users": 10,
                "renewal_date": TODAY + timedelta(days=40),
            },
            {
                "name": "Café Paraíso",
                "contract_start": date(2024, 1, 1),
                "mrr_cents": 50_000,
                "licensed_users": 5,
            },
        ],
    )
    add_revenue(db, [(ids[1], TODAY - timedelta(days=10), "churn", 50_000, 0)])
    with db.session() as s, s.begin():
        # Usage, adoption and key features: 60 % of the default model's weight, enough for a score.
        s.add_all(
            Measure(account_id=a, metric=metric, as_of=TODAY - timedelta(days=2), value=value)
            for a in ids
            for metric, value in (("logins", 30.0), ("active_users", 4.0), ("key_feature_use", 40.0))
        )
    health.recompute(db)
    return ids


def test_metrics_json_keys_and_values(db, db_path, capsys):
    _book(db)
    start = (TODAY - timedelta(days=30)).isoformat()
    assert (
        main(
            ["--db", str(db_path), "metrics", "--from", start, "--to", TODAY.isoformat(), "--format", "json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "from",
        "to",
        "accounts_start",
        "accounts_end",
        "new_accounts",
        "churned_accounts",
        "logo_churn_rate",
        "customer_retention_rate",
        "mrr_start",
        "mrr_end",
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "revenue_churn_rate",
        "net_revenue_churn_rate",
        "grr",
        "nrr",
        "nps",
        "nps_responses",
        "csat",
        "csat_responses",
        "reactivated_accounts",
        "reactivation_mrr",
        "base_currency",
        "accounts_without_rate",
        "history_complete_from",
        "renewals_due",
        "renewals_closed",
        "gross_renewal_rate",
        "net_renewal_rate",
        "nps_zone",
        "csat_scale",
        "arpa",
        "ltv_forward",
        "annualised_logo_churn",
        "annualised_revenue_churn",
        "ces",
        "ces_responses",
        "ces_easy_rate",
        "ttfv_days_median",
        "ttfv_accounts",
        "ttfv_days_median_by_segment",
        "onboarding_completion_rate",
        "onboarding_started",
        "onboarding_completed",
        "time_to_first_green_days_median",
        "time_to_first_green_accounts",
    ]
    assert data["base_currency"] == "BRL" and data["history_complete_from"] is None
    assert data["accounts_without_rate"] == {}
    assert data["reactivated_accounts"] == 0 and data["reactivation_mrr"] == 0
    assert data["accounts_start"] == 2 and data["churned_accounts"] == 1
    assert data["logo_churn_rate"] == 0.5
    assert data["mrr_start"] == 1500.0 and data["churned_mrr"] == 500.0
    assert data["nps"] is None and data["csat"] is None


def test_metrics_text_and_bad_period(db, db_path, capsys):
    _book(db)
    assert main(["--db", str(db_path), "--lang", "pt-BR", "metrics"]) == 0
    out = capsys.readouterr().out
    assert "Churn de clientes" in out and "R$ 1.500,00" in out
    assert main(["--db", str(db_path), "metrics", "--from", "2026-02-01", "--to", "2026-01-01"]) == 2
    assert "before" in capsys.readouterr().err


def test_health_for_one_account(db, db_path, capsys):
    _book(db)
    assert main(["--db", str(db_path), "health", "--account", "Padaria", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["band"] in ("green", "yellow", "red")
    assert data["complete"] is False  # no NPS, no touches...
    assert {c["key"] for c in data["components"]} >= {"usage", "nps"}
    assert abs(sum(c["weight"] for c in data["components"]) - 1) < 1e-9
    assert "change_7d" in data and "change_30d" in data
    assert main(["--db", str(db_path), "health", "--account", "Padaria", "--recompute"]) == 0
    assert "Padaria Pitanga" in capsys.readouterr().out


def test_chart_to_png_and_svg(db, db_path, tmp_path):
    _book(db)
    png = tmp_path / "h.png"
    assert (
        main(["--db", str(db_path), "chart", "account-health", "--account", "Padaria", "--out", str(png)])
        == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "b.svg"
    assert main(["--db", str(db_path), "chart", "mrr-bridge", "--out", str(svg)]) == 0
    assert b"<svg" in svg.read_bytes()[:500]
    assert main(["--db", str(db_path), "chart", "bands", "--out", str(tmp_path / "x.pdf")]) == 2


def test_every_chart_draws_on_a_book_and_on_an_empty_one(db):
    for name in charts.CHART_NAMES:
        fig = charts.build(db, charts.ChartRequest(name, account_id=1), "pt_BR")
        assert charts.render(fig, "png", dpi=40)[:4] == b"\x89PNG"
    ids = _book(db)
    for name in charts.CHART_NAMES:
        fig = charts.build(db, charts.ChartRequest(name, account_id=ids[0]), "pt_BR")
        assert charts.render(fig, "svg")[:100]


def test_axis_money_and_month_labels():
    assert formatting.axis_money(123_456_789, "BRL", "pt_BR") == "R$ 1,2 mi"
    assert formatting.axis_money(77_500_000, "BRL", "pt_BR") == "R$ 775 mil"
    assert formatting.axis_money(77_500_000, "BRL", "en") == "R$775k"
    assert charts.month_label(date(2026, 2, 1), "pt_BR") == "fev/26"
    assert calendar.month_start(date(2026, 2, 17)) == date(2026, 2, 1)
