"""How long the demo book takes to generate, against a plain executemany of the same rows."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest

from csdesk.demo import generate
from csdesk.demo.accounts import _Generator
from csdesk.demo.rows import MEASURE_COLUMNS, _Rows
from csdesk.demo.write import _TABLES, SOURCE_CODE
from db import encoding, open_database, search
from db.models import Account

pytestmark = pytest.mark.benchmark

TODAY = date(2026, 11, 25)


def _rows(accounts: int, seed: int) -> _Rows:
    gen = _Generator(seed, TODAY)
    rows = _Rows()
    contact = 1
    for account_id in range(1, accounts + 1):
        contact += gen.account(account_id, contact, rows)
    return rows


def _plain_executemany(path: Path, tables: dict[str, list[tuple]], columns: dict[str, list[str]]) -> float:
    """Seconds to write prepared tuples with the driver's executemany in one transaction.

    Same schema, pragmas and one-pass search indexing as the generator, so the
    difference is the cost of making the data up.
    """
    db = open_database(path)
    start = time.perf_counter()
    with db.engine.begin() as conn, search.bulk_insert(conn):
        for table, params in tables.items():
            cols = columns[table]
            conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", params
            )
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed


def _prepared(rows: _Rows, only: tuple[str, ...] | None = None):
    tables, columns = {}, {}
    for name, model in _TABLES:
        batch = getattr(rows, name)
        if not batch or (only and name not in only):
            continue
        names = list(batch[0])
        # Each value in its stored form, as the one encoder writes it (db.encoding).
        encoders = [encoding.column_encoder(model.__table__.c[c].type) or (lambda v: v) for c in names]
        columns[model.__tablename__] = names
        tables[model.__tablename__] = [
            tuple(f(v) for f, v in zip(encoders, r.values(), strict=True)) for r in batch
        ]
    if rows.measures and (not only or "measures" in only):
        columns["measures"] = [*MEASURE_COLUMNS, "source"]
        tables["measures"] = [(*m, SOURCE_CODE) for m in sorted(rows.measures)]
    return tables, columns


def _generate_seconds(path: Path, accounts: int) -> tuple[float, object]:
    db = open_database(path)
    start = time.perf_counter()
    summary = generate(db, accounts=accounts, seed=1, today=TODAY)
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed, summary


def test_demo_5000_accounts_against_writing_the_same_rows(bench_report, tmp_path):
    seconds, summary = _generate_seconds(tmp_path / "gen.sqlite", 5_000)
    tables, columns = _prepared(_rows(5_000, 1))
    assert sum(len(v) for v in tables.values()) == (
        summary.accounts
        + summary.contacts
        + summary.events
        + summary.revenue_changes
        + summary.measures
        + summary.surveys
        + summary.tasks
    )
    floor = _plain_executemany(tmp_path / "floor.sqlite", tables, columns)
    bench_report.add(
        f"demo: generate 5,000 accounts ({summary.events:,} events, {summary.measures:,} measures)",
        seconds * 1000,
        baseline_name="driver executemany of the same prepared rows",
        baseline=floor * 1000,
    )


@pytest.mark.timeout(3600)
def test_demo_50000_accounts(bench_report, tmp_path):
    path = tmp_path / "gen50k.sqlite"
    seconds, summary = _generate_seconds(path, 50_000)
    size_mb = sum(p.stat().st_size for p in tmp_path.glob("gen50k.sqlite*")) / 1e6
    # Floor: only the 50,000 account rows themselves (all rows would not fit in memory comfortably).
    with sqlite3.connect(path) as conn:
        cols = [c.name for c in Account.__table__.columns if c.name not in ("created_at", "updated_at")]
        account_rows = conn.execute(f"SELECT {', '.join(cols)} FROM accounts").fetchall()
    floor = _plain_executemany(tmp_path / "floor50k.sqlite", {"accounts": account_rows}, {"accounts": cols})
    bench_report.add(
        f"demo: generate 50,000 accounts ({summary.events:,} events, {summary.measures:,} measures)",
        seconds * 1000,
        baseline_name="driver executemany of the 50,000 account rows only",
        baseline=floor * 1000,
        goal="well under 3-4 min",
    )
    bench_report.add("demo: 50,000-account database size", size_mb, "MB")
