"""A dry run of an accounts file lists what it would create and update, and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from csdesk import i18n, importing
from csdesk.importing import preview
from db.models import Account, ImportRun
from tests.importing.conftest import AS_OF, SAMPLES, import_json

BASE = SAMPLES / "planilha_carteira_pt-BR.csv"
FIRST = "Indústria Ipê Amarelo EPP"  # the sample's first row: R$ 890,68, Adoção contínua


def modified_copy(folder, new_accounts: int = 1):
    """The sample with its first account's MRR and stage changed, new accounts and one bad row."""
    lines = BASE.read_text(encoding="cp1252").splitlines()
    first = lines[1].split(";")
    assert first[0] == FIRST
    first[3], first[4] = "Onboarding", "R$ 1.500,00"
    lines[1] = ";".join(first)
    for i in range(new_accounts):
        lines.append(
            f"Nova Conta {i:02d} Ltda;;Mid Touch;Onboarding;R$ 2.000,00;01/10/2026;01/10/2027;Ana Souza;Ativo;"
        )
    lines.append("Conta Ruim SA;;Mid Touch;Onboarding;dez reais;01/10/2026;01/10/2027;Ana Souza;Ativo;")
    path = folder / "carteira_nova.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    return path, len(lines)  # the bad row's number (the header is row 1)


def book(db):
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Account)),
            s.scalar(select(Account.mrr_cents).where(Account.name == FIRST)),
            s.scalar(select(Account.stage).where(Account.name == FIRST)),
            s.scalar(select(func.count()).select_from(ImportRun)),
        )


@pytest.fixture
def imported(db):
    importing.run_import(db, importing.prepare(BASE), as_of=date(2026, 11, 25))
    return db


def test_dry_run_lists_created_updated_and_rejected(imported, tmp_path):
    db = imported
    path, bad_row = modified_copy(tmp_path)
    before = book(db)
    result = importing.run_import(db, importing.prepare(path), as_of=date(2026, 11, 25), dry_run=True)
    assert book(db) == before == (40, 89068, "ongoing_adoption", 1)
    listed = result.preview
    assert [a.name for a in listed.to_create] == ["Nova Conta 00 Ltda"]
    created = listed.to_create[0]
    assert created.row == bad_row - 1
    assert created.values["mrr_cents"] == 200000 and created.values["stage"] == "onboarding"
    assert [(a.name, [(c.field, c.before, c.after) for c in a.changes]) for a in listed.to_update] == [
        (FIRST, [("mrr_cents", 89068, 150000), ("stage", "ongoing_adoption", "onboarding")])
    ]
    assert (listed.create_total, listed.update_total) == (result.created, result.updated) == (1, 1)
    assert [(e.row, e.column, e.value) for e in result.errors] == [(bad_row, "Mensalidade", "dez reais")]


def test_changes_and_cells_are_written_the_pt_br_way(imported, tmp_path):
    i18n.set_language("pt_BR")
    path, _ = modified_copy(tmp_path)
    result = importing.run_import(imported, importing.prepare(path), as_of=date(2026, 11, 25), dry_run=True)
    changes = [c.text() for c in result.preview.to_update[0].changes]
    assert changes == ["MRR: R$ 890,68 → R$ 1.500,00", "Etapa: Adoção contínua → Onboarding"]
    created = result.preview.to_create[0]
    cells = [created.cell(c) for c in ("mrr_cents", "segment", "status", "renewal_date")]
    assert cells == ["R$ 2.000,00", "Médio contato", "Ativa", "01/10/2027"]


def test_lists_are_bounded_and_keep_the_totals(imported, tmp_path, monkeypatch):
    monkeypatch.setattr(preview, "PREVIEW_LIMIT", 3)
    path, _ = modified_copy(tmp_path, new_accounts=5)
    result = importing.run_import(imported, importing.prepare(path), as_of=date(2026, 11, 25), dry_run=True)
    assert [a.name for a in result.preview.to_create] == [f"Nova Conta {i:02d} Ltda" for i in range(3)]
    assert (result.preview.create_total, result.preview.create_more) == (5, 2)


def test_a_real_import_gathers_no_lists(imported, tmp_path):
    path, _ = modified_copy(tmp_path)
    result = importing.run_import(
        imported, importing.prepare(path), as_of=date(2026, 11, 25), accept_rejects=True
    )
    assert result.preview is None and "to_create" not in result.as_dict()
    assert book(imported)[:3] == (41, 150000, "onboarding")


def test_cli_json_and_text_list_the_same(cli, tmp_path):
    import_json(cli, BASE)
    path, bad_row = modified_copy(tmp_path)
    data = import_json(cli, path, "--dry-run")
    assert [a["name"] for a in data["to_create"]] == ["Nova Conta 00 Ltda"]
    assert (
        data["to_create"][0]["mrr_cents"] == 200000 and data["to_create"][0]["renewal_date"] == "2027-10-01"
    )
    assert data["to_update"] == [
        {
            "account_id": data["to_update"][0]["account_id"],
            "name": FIRST,
            "changes": [
                {"field": "mrr_cents", "before": 89068, "after": 150000},
                {"field": "stage", "before": "ongoing_adoption", "after": "onboarding"},
            ],
        }
    ]
    assert (data["to_create_total"], data["to_update_total"]) == (1, 1)
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(bad_row, "Mensalidade")]
    code, text, _err = cli("import", str(path), "--dry-run", "--as-of", AS_OF)
    assert code == 0
    assert "Nova Conta 00 Ltda" in text
    assert f"{FIRST}: MRR: R$890.68 → R$1,500.00; Stage: Ongoing adoption → Onboarding" in text
    data = import_json(cli, BASE, "--dry-run")  # the file as imported: nothing to list
    assert (data["to_create"], data["to_update"]) == ([], [])
    _code, runs, _err = cli("imports", "--format", "json")
    assert len(runs) == 1  # the dry runs wrote nothing


def test_updates_past_the_limit_are_counted(imported, tmp_path, monkeypatch):
    monkeypatch.setattr(preview, "PREVIEW_LIMIT", 1)
    lines = BASE.read_text(encoding="cp1252").splitlines()
    for i in (1, 2, 3):
        cells = lines[i].split(";")
        cells[4] = "R$ 7.777,77"
        lines[i] = ";".join(cells)
    path = tmp_path / "tres.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    result = importing.run_import(imported, importing.prepare(path), as_of=date(2026, 11, 25), dry_run=True)
    assert [a.name for a in result.preview.to_update] == [FIRST]
    assert (result.preview.update_total, result.preview.update_more, result.updated) == (3, 2, 3)
