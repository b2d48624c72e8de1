"""Property-based: whatever sequence of imports, history files, edits, churns, returns and undos,
the movements of any period reconcile, GRR stays at or under 100% and accounts follow the ledger."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csdesk import accounts, importing, ledger, metrics
from csdesk.errors import UserError
from db import open_database
from db.models import Account

NAMES = ("Padaria Sol", "Hotel Lua", "Clinica Mar", "Escola Rio")
DAY0 = date(2025, 1, 1)
SPAN = 720  # days

days = st.integers(0, SPAN).map(lambda n: DAY0 + timedelta(days=n))
mrrs = st.sampled_from([0, 50_000, 100_000, 120_000, 300_000])
accounts_st = st.sampled_from(NAMES)

snapshot = st.tuples(
    st.just("snapshot"),
    days,
    st.lists(
        st.tuples(accounts_st, mrrs, st.sampled_from(["Ativo", "Cancelado", ""]), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda r: r[0],
    ),
)
history = st.tuples(
    st.just("history"),
    days,
    st.lists(st.tuples(accounts_st, days, mrrs), min_size=1, max_size=6, unique_by=lambda r: (r[0], r[1])),
)
edit = st.tuples(st.just("edit"), days, st.tuples(accounts_st, mrrs, st.sampled_from(["active", "churned"])))
undo = st.tuples(st.just("undo"), days, st.none())
operations = st.lists(st.one_of(snapshot, history, edit, undo), min_size=1, max_size=7)
periods = st.lists(st.tuples(days, st.integers(0, 400)), min_size=1, max_size=4)


def money(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def run(db, folder: Path, ops) -> None:
    done: list[tuple[str, object]] = []  # what undo can take back, newest last
    for n, (op, day, payload) in enumerate(ops):
        if op == "snapshot":
            lines = ["Cliente;Mensalidade;Início do contrato;Status"]
            for name, cents, status, dated in payload:
                start = "15/01/2024" if dated else ""
                lines.append(f"{name};{money(cents)};{start};{status}")
            path = folder / f"s{n}.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            prepared = importing.prepare(path, importing.ImportOptions(kind="accounts", date_order="dmy"))
            result = importing.run_import(db, prepared, as_of=day, accept_rejects=True)
            if result.run_id:
                done.append(("run", result.run_id))
        elif op == "history":
            known = {a.name for a in accounts.list_accounts(db)}
            rows = [(name, when, cents) for name, when, cents in payload if name in known]
            if not rows:
                continue
            path = folder / f"h{n}.csv"
            path.write_text(
                "conta,data,mrr\n" + "".join(f"{a},{d.isoformat()},{c / 100:.2f}\n" for a, d, c in rows),
                encoding="utf-8",
            )
            prepared = importing.prepare(path, importing.ImportOptions(kind="mrr"))
            result = importing.run_import(db, prepared, as_of=day, accept_rejects=True)
            if result.run_id:
                done.append(("run", result.run_id))
        elif op == "edit":
            name, cents, status = payload
            found = [a for a in accounts.list_accounts(db) if a.name == name]
            if not found:
                continue
            before = accounts.AccountData(
                **{k: getattr(found[0], k) for k in accounts.AccountData.__dataclass_fields__}
            )
            after = replace(before, mrr_cents=cents, status=status)
            if status == "churned" and before.status != "churned":
                after = replace(after, churn_date=None, churn_reason="price")
            try:
                result = accounts.edit_account(db, after, effective=day)
            except UserError:
                continue  # a date before the account's last movement: refused, nothing written
            done.append(("edit", (before, result.movement)))
        elif op == "undo" and done:
            what, detail = done.pop()
            if what == "run":
                importing.undo(db, detail)
            else:
                before, movement = detail
                accounts.revert_edit(db, before, movement)


def check(db, spans) -> None:
    book = metrics.load_book(db)
    chosen = [(start, start + timedelta(days=length)) for start, length in spans]
    for m in metrics.compute_periods(book, chosen):
        assert m.bridge_end == m.mrr_end, m
        assert (
            m.accounts_start + m.new_accounts + m.reactivated_accounts - m.churned_accounts == m.accounts_end
        )
        assert m.grr is None or 0 <= m.grr <= 1 + 1e-12
        assert min(m.new_mrr, m.reactivation_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr) >= 0
    # Every account row agrees with its ledger: status, and MRR (a churned one keeps its last MRR).
    with db.session() as s:
        moves = ledger.movements_of(s)
        for account in s.query(Account):
            if account.id not in moves:
                continue
            state = ledger.replay(moves[account.id])
            assert (account.status == "active") == state.active, (account.name, moves[account.id])
            if state.active:
                assert account.mrr_cents == state.mrr, (account.name, moves[account.id])


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, spans=periods)
def test_any_sequence_of_changes_reconciles(ops, spans):
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "book.sqlite")
        try:
            run(db, Path(folder), ops)
            check(db, spans)
        finally:
            db.dispose()
