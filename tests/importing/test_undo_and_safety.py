"""Undo restores what a run changed; a failed import leaves the database as it was.

(Killed imports, undos and upgrades: tests/faults/.)
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from csdesk import importing
from csdesk.importing import write
from db.models import Account, ImportRun, RevenueChange, TimelineEvent
from tests.importing.conftest import import_json
from tests.importing.test_samples import account, count, revenue


def snapshot(db) -> dict:
    """Every row of the tables an import writes, to compare before and after."""
    with db.session() as s:
        return {
            "accounts": sorted(
                (
                    a.id,
                    a.name,
                    a.mrr_cents,
                    a.status,
                    a.stage,
                    a.external_id,
                    a.source,
                    a.churn_date,
                    a.last_touch_at,
                    a.last_nps,
                    str(a.custom_fields),
                )
                for a in s.scalars(select(Account))
            ),
            "events": s.scalar(select(func.count()).select_from(TimelineEvent)),
            "revenue": s.scalar(select(func.count()).select_from(RevenueChange)),
        }


def test_undo_restores_updates_and_deletes_creations(cli, db, samples):
    first = import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    before = snapshot(db)
    second = import_json(cli, samples / "salesforce_accounts_report.csv")
    import_json(cli, samples / "pipedrive_atividades_pt-BR.csv")
    assert account(db, "Laboratório Cerrado EIRELI").status == "churned"

    code, _, err = cli("import", "--undo", str(second["run_id"]))
    assert code == 2 and "Import 3 (pipedrive_atividades_pt-BR.csv) changed the same rows" in err

    runs = importing.list_runs(db)
    cli("import", "--undo", str(runs[0].id))
    code, out, _ = cli("import", "--undo", str(second["run_id"]))
    assert code == 0 and "undone" in out
    assert snapshot(db) == before
    assert account(db, "Laboratório Cerrado EIRELI").external_id is None
    assert revenue(db, "Laboratório Cerrado EIRELI") == [("new", date(2025, 8, 11), 0, 185010)]

    code, _, _ = cli("import", "--undo", str(first["run_id"]))
    assert code == 0
    assert count(db, Account) == 0 and count(db, TimelineEvent) == 0 and count(db, RevenueChange) == 0
    code, runs_json, _ = cli("imports", "--format", "json")
    assert [r["status"] for r in runs_json] == ["undone", "undone", "undone"]
    code, _, err = cli("import", "--undo", str(first["run_id"]))
    assert code == 2 and "already undone" in err


def test_undo_restores_denormalised_columns(cli, db, samples):
    import_json(cli, samples / "planilha_carteira_pt-BR.csv")
    before = snapshot(db)
    for name in ("nps_respostas.csv", "uso_semanal.csv", "historico_mrr.csv", "pipedrive_negocios_pt-BR.csv"):
        import_json(cli, samples / name)
    for run in importing.list_runs(db):
        if run.status == "done" and run.kind != "accounts":
            importing.undo(db, run.id)
    assert snapshot(db) == before


def test_an_error_mid_apply_writes_nothing(db, samples, monkeypatch):
    importing.run_import(
        db, importing.prepare(samples / "planilha_carteira_pt-BR.csv"), as_of=date(2026, 1, 1)
    )
    before = snapshot(db)
    real = write._chunks
    calls = {"n": 0}

    def failing(rows, size=write.CHUNK):
        calls["n"] += 1
        if calls["n"] > 2:  # after the account updates and inserts started
            raise OSError(28, "No space left on device")
        yield from real(rows, size)

    monkeypatch.setattr(write, "_chunks", failing)
    prepared = importing.prepare(samples / "salesforce_accounts_report.csv")
    with pytest.raises(OSError):
        importing.run_import(db, prepared)
    assert snapshot(db) == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportRun)) == 1
