"""Edits by hand are movements of the revenue ledger: the account service and ``csdesk update``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from cli.main import main
from csdesk import accounts, currency, ledger, metrics
from db.models import Account, RevenueChange, TimelineEvent

START = date(2025, 1, 15)


def data_of(db, account_id: int) -> accounts.AccountData:
    summary = accounts.get_account(db, account_id)
    return accounts.AccountData(**{k: getattr(summary, k) for k in accounts.AccountData.__dataclass_fields__})


def moves(db, account_id: int) -> list[tuple[str, date, int, int, str | None]]:
    with db.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    RevenueChange.kind,
                    RevenueChange.effective_date,
                    RevenueChange.mrr_before_cents,
                    RevenueChange.mrr_after_cents,
                    RevenueChange.reason,
                )
                .where(RevenueChange.account_id == account_id)
                .order_by(RevenueChange.effective_date, RevenueChange.id)
            )
        ]


@pytest.fixture
def two(db):
    a = accounts.create_account(
        db, accounts.AccountData(name="Padaria Sol", mrr_cents=1_000_000, contract_start=START)
    )
    b = accounts.create_account(
        db, accounts.AccountData(name="Hotel Lua", mrr_cents=500_000, contract_start=START)
    )
    return a.id, b.id


def test_creating_a_paying_account_is_its_first_movement(db, two):
    assert moves(db, two[0]) == [("new", START, 0, 1_000_000, None)]
    undated = accounts.create_account(
        db, accounts.AccountData(name="Loja Sem Data", mrr_cents=30_000), today=date(2026, 3, 3)
    )
    assert moves(db, undated.id) == [("opening", date(2026, 3, 3), 0, 30_000, None)]


def test_raising_mrr_by_hand_is_an_expansion_in_the_metrics(db, two):
    a, _b = two
    result = accounts.edit_account(
        db, replace(data_of(db, a), mrr_cents=1_500_000), effective=date(2026, 3, 10)
    )
    assert result.movement is not None and result.movement.kind == "expansion"
    m = metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (m.expansion_mrr, m.mrr_start, m.mrr_end) == (500_000, 1_500_000, 2_000_000)
    assert m.bridge_end == m.mrr_end


def test_a_manual_churn_of_an_account_with_imported_history_counts(db, two):
    a, _b = two
    ledger_rows = [
        ledger.movement_rows(a, "expansion", 1_000_000, 1_200_000, date(2026, 1, 5))[0],
    ]
    with db.transaction() as s:
        ledger.insert_movements(s.connection(), ledger_rows)
    churned = replace(data_of(db, a), status="churned", churn_reason="price")
    result = accounts.edit_account(db, churned, effective=date(2026, 3, 20))
    assert result.movement.kind == "churn" and result.movement.before == 1_200_000
    row = data_of(db, a)
    assert (row.status, row.churn_date, row.churn_reason, row.mrr_cents) == (
        "churned",
        date(2026, 3, 20),
        "price",
        1_200_000,
    )
    m = metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (m.churned_accounts, m.churned_mrr) == (1, 1_200_000)
    assert m.churn_by_reason == (("price", 1, 1_200_000),)
    # Undo: the movement and its timeline event leave; the account is as before.
    accounts.revert_edit(
        db, replace(churned, status="active", churn_reason=None, mrr_cents=1_200_000), result.movement
    )
    assert [k for k, *_ in moves(db, a)] == ["new", "expansion"]
    with db.session() as s:
        assert not s.scalar(
            select(func.count()).select_from(TimelineEvent).where(TimelineEvent.subkind == "churn")
        )
    assert metrics.compute(db, date(2026, 3, 1), date(2026, 3, 31)).churned_accounts == 0


def test_a_date_before_the_last_movement_is_refused_and_nothing_is_written(db, two):
    a, _b = two
    accounts.edit_account(db, replace(data_of(db, a), mrr_cents=1_100_000), effective=date(2026, 5, 1))
    with pytest.raises(accounts.UserError):
        accounts.edit_account(db, replace(data_of(db, a), mrr_cents=900_000), effective=date(2026, 4, 1))
    assert data_of(db, a).mrr_cents == 1_100_000 and len(moves(db, a)) == 2


def run(db_path, capsys, *args):
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_csdesk_update_records_movements_and_prints_the_account(db, db_path, two, capsys):
    a, _b = two
    code, out, err = run(
        db_path, capsys, "update", "Padaria", "--mrr", "15000", "--date", "2026-03-10", "--format", "json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert record["mrr"] == 15000 and record["status"] == "active" and record["id"] == a
    code, out, err = run(
        db_path,
        capsys,
        "--lang",
        "pt-BR",
        "update",
        str(a),
        "--status",
        "churned",
        "--reason",
        "Preço",
        "--date",
        "2026-04-02",
        "--currency",
        "usd",
        "--format",
        "json",
    )
    assert code == 0, err
    record = json.loads(out)
    assert (record["status"], record["currency"], record["mrr"]) == ("churned", "USD", 15000)
    with db.session() as s:
        acc = s.get(Account, a)
        assert (acc.churn_reason, acc.churn_date) == ("price", date(2026, 4, 2))
    assert [m[0] for m in moves(db, a)] == ["new", "expansion", "churn"]
    code, out, err = run(
        db_path, capsys, "update", str(a), "--status", "active", "--date", "2026-06-01", "--format", "json"
    )
    assert code == 0 and json.loads(out)["status"] == "active"
    assert moves(db, a)[-1] == ("reactivation", date(2026, 6, 1), 0, 1_500_000, None)
    m = metrics.compute(db, date(2026, 5, 1), date(2026, 6, 30))
    # Now in US$ with no exchange rate: left out of the totals, and named.
    assert m.reactivated_accounts == 0 and m.unconverted == (("USD", 1),)
    currency.set_rate(db, "USD", "5", date(2026, 1, 1))
    m = metrics.compute(db, date(2026, 5, 1), date(2026, 6, 30))
    assert (m.reactivated_accounts, m.reactivation_mrr, m.new_accounts) == (1, 5 * 1_500_000, 0)


def test_csdesk_update_churn_reason_as_free_text_is_the_detail(db, db_path, two, capsys):
    _a, b = two
    code, _out, err = run(
        db_path,
        capsys,
        "update",
        str(b),
        "--status",
        "churned",
        "--reason",
        "went bankrupt",
        "--date",
        "2026-02-01",
    )
    assert code == 0, err
    assert moves(db, b)[-1] == ("churn", date(2026, 2, 1), 500_000, 0, "went bankrupt")


@pytest.mark.parametrize(
    "args",
    [
        ("--mrr", "abc"),
        ("--mrr", "-5"),
        ("--date", "31/12/2026", "--mrr", "1"),
        ("--currency", "REAL"),
        ("--reason", "price"),
        (),
        ("--mrr", "100", "--date", "2024-01-01"),  # before the account's last movement
    ],
)
def test_csdesk_update_bad_input_exits_2_on_one_line_and_writes_nothing(db, db_path, two, capsys, args):
    a, _b = two
    before = (data_of(db, a), moves(db, a))
    code, out, err = run(db_path, capsys, "update", str(a), *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert (data_of(db, a), moves(db, a)) == before


def test_the_qbr_context_counts_an_account_s_movements_as_the_metrics_do(db, two):
    from csdesk.documents import context

    a, _b = two
    for mrr, status, day in (
        (1_500_000, "active", date(2026, 2, 1)),
        (1_500_000, "churned", date(2026, 2, 10)),
        (1_200_000, "active", date(2026, 3, 1)),
    ):
        accounts.edit_account(db, replace(data_of(db, a), mrr_cents=mrr, status=status), effective=day)
    data = context.build(
        db, a, "en", period=context.Period(date(2026, 1, 1), date(2026, 4, 1)), today=date(2026, 4, 1)
    )
    bridge = data.data["metrics"]["mrr_bridge"]
    assert bridge["start_cents"] + sum(s["cents"] for s in bridge["steps"]) == bridge["end_cents"]
    # Cancelled and back within the quarter: judged by its net change, R$ 10.000 → R$ 12.000.
    assert (bridge["start_cents"], bridge["end_cents"]) == (1_000_000, 1_200_000)
    assert data.data["metrics"]["expansion_cents"] == 200_000
