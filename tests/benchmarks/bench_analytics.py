"""Cohorts and the health check on the 50,000-account, two-year demo book, each beside a pandas floor.

Each floor reads the same rows with ``pandas.read_sql`` and computes the same table with
plain pandas (``merge_asof`` for the state at each day, ``groupby`` for the cells), in the
same run; the results are checked equal, so the floor is a real computation of the table,
not a partial one. Goal: within 3x of the floor.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from csdesk import clock, cohorts, health, health_check, metrics
from csdesk.rules.calendar import add_months, month_start
from db import open_database
from tests.benchmarks.conftest import best_of
from tests.benchmarks.demo_cache import demo_copy

pytestmark = pytest.mark.benchmark

ACCOUNTS = int(os.environ.get("CSDESK_BENCH_ACCOUNTS", "50000"))  # smaller to try the benchmark out


def _read(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    accounts = pd.read_sql(
        "SELECT id, contract_start, mrr_cents FROM accounts", conn, parse_dates=["contract_start"]
    )
    revenue = pd.read_sql(
        "SELECT account_id, effective_date, kind, mrr_after_cents FROM revenue_changes ORDER BY id",
        conn,
        parse_dates=["effective_date"],
    )
    conn.close()
    return accounts, revenue


def _state(revenue: pd.DataFrame, probes: pd.DataFrame, on: str) -> pd.DataFrame:
    """The last movement on or before each probe's day: active unless it was a churn, its MRR."""
    rev = revenue.sort_values(["effective_date"], kind="stable")
    rev["effective_date"] = rev["effective_date"].astype("datetime64[ns]")
    probes = probes.assign(**{on: probes[on].astype("datetime64[ns]")})
    out = pd.merge_asof(
        probes.sort_values(on),
        rev,
        left_on=on,
        right_on="effective_date",
        by="account_id",
        direction="backward",
    )
    out["active"] = out["kind"].notna() & (out["kind"] != "churn")
    out["mrr"] = np.where(out["active"], out["mrr_after_cents"], 0)
    return out


def pandas_cohorts(path: str, first: date, last: date, as_of: date) -> pd.DataFrame:
    """Logo and revenue retention by (start month, months since start), plain pandas."""
    accounts, revenue = _read(path)
    accounts = accounts.dropna(subset=["contract_start"])
    accounts["cohort"] = accounts["contract_start"].dt.to_period("M")
    members = accounts[
        (accounts["cohort"] >= pd.Period(first, "M")) & (accounts["cohort"] <= pd.Period(last, "M"))
    ].rename(columns={"id": "account_id"})
    start = _state(revenue, members[["account_id", "contract_start", "cohort"]], "contract_start")
    base = start.groupby("cohort")["mrr"].sum()
    n_months = (pd.Period(as_of, "M") - pd.Period(first, "M")).n + 1
    grid = members[["account_id", "cohort"]].merge(pd.DataFrame({"k": np.arange(n_months)}), how="cross")
    grid["month_end"] = (grid["cohort"] + grid["k"]).dt.end_time.dt.normalize()
    grid = grid[grid["month_end"] <= pd.Timestamp(as_of)]
    state = _state(revenue, grid, "month_end")
    table = state.groupby(["cohort", "k"]).agg(logos=("active", "mean"), mrr=("mrr", "sum"))
    table["revenue"] = table["mrr"] / base.reindex(table.index.get_level_values(0)).to_numpy()
    return table


def pandas_health_check(path: str, as_of: date, horizon: int) -> tuple[pd.DataFrame, float]:
    """Churned and contracted by band, and the AUC, plain pandas."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    snaps = pd.read_sql(
        "SELECT account_id, as_of, score, band FROM health_snapshots WHERE as_of <= ? AND as_of > ?",
        conn,
        # The compact history: days as day numbers, bands as 0-2 (db.models.HealthSnapshot).
        params=((as_of - date(1970, 1, 1)).days, (as_of - timedelta(days=7) - date(1970, 1, 1)).days),
    )
    conn.close()
    snaps["band"] = np.array(metrics.BAND_KEYS, dtype=object)[snaps["band"].to_numpy()]
    _accounts, revenue = _read(path)
    snaps = snaps.sort_values(["account_id", "as_of"]).drop_duplicates("account_id", keep="last")
    probes = snaps[["account_id", "score", "band"]].copy()
    probes["day"] = pd.Timestamp(as_of)
    before = _state(revenue, probes, "day").set_index("account_id")
    probes["day"] = pd.Timestamp(as_of + timedelta(days=horizon))
    after = _state(revenue, probes, "day").set_index("account_id").reindex(before.index)
    frame = before[before["active"]].copy()
    frame["churned"] = ~after.loc[frame.index, "active"]
    frame["contracted"] = ~frame["churned"] & (after.loc[frame.index, "mrr"] < frame["mrr"])
    by_band = frame.groupby("band").agg(
        accounts=("score", "size"), churned=("churned", "sum"), contracted=("contracted", "sum")
    )
    ranks = (-frame["score"]).rank(method="average")
    pos = frame["churned"].to_numpy()
    n_pos, n_neg = pos.sum(), len(pos) - pos.sum()
    auc = (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return by_band, float(auc)


def test_cohorts_and_health_check_50k(bench_report, tmp_path):
    path = demo_copy(tmp_path / "book.sqlite", ACCOUNTS)
    db = open_database(path)
    today = clock.today()
    start = time.perf_counter()
    health.recompute(db, today=today, alerts=False)  # the weekly history the check reads
    recompute_s = time.perf_counter() - start

    first, last = add_months(month_start(today), -23), today
    table: list = []
    ours_ms = best_of(lambda: table.append(cohorts.cohorts(db, first, last)), repeat=3)
    floor: list = []
    floor_ms = best_of(lambda: floor.append(pandas_cohorts(str(path), first, last, today)), repeat=3)
    got, expected = table[-1], floor[-1]
    for c in got.cohorts:
        period = pd.Period(c.month, "M")
        for k, (logo, revenue) in enumerate(zip(c.logos, c.revenue, strict=True)):
            row = expected.loc[(period, k)]
            assert logo == pytest.approx(row["logos"]) and revenue == pytest.approx(row["revenue"])
    cells = sum(len(c.logos) for c in got.cohorts)
    bench_report.add(
        f"cohorts: 24 start months, {cells} cells, {ACCOUNTS:,} accounts (load + table)",
        ours_ms,
        baseline_name="pandas floor: read_sql + merge_asof + groupby, same table",
        baseline=floor_ms,
        goal="<= 3x",
    )

    as_of = health_check.default_as_of(90, today)
    checks: list = []
    ours_ms = best_of(lambda: checks.append(health_check.health_check(db, as_of, 90)), repeat=3)
    floors: list = []
    floor_ms = best_of(lambda: floors.append(pandas_health_check(str(path), as_of, 90)), repeat=3)
    by_band, auc = floors[-1]
    check = checks[-1]
    for b in check.scored:
        if b.accounts:
            row = by_band.loc[b.band]
            assert (b.accounts, b.churned, b.contracted) == (
                row["accounts"],
                row["churned"],
                row["contracted"],
            )
    assert check.auc == pytest.approx(auc)
    bench_report.add(
        f"health check: {check.accounts:,} scored customers, AUC {check.auc:.2f}, {ACCOUNTS:,} accounts",
        ours_ms,
        baseline_name="pandas floor: read_sql + merge_asof + groupby + ranks, same table",
        baseline=floor_ms,
        goal="<= 3x",
    )
    bench_report.add(
        "health: weekly history recompute before the check (setup)",
        recompute_s * 1000,
        baseline_name="",
    )
    db.dispose()
