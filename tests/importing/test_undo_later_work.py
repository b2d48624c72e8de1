"""Undo never loses work done by hand since the import without naming it first."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from csdesk import accounts, importing, plans, tasks
from db.models import Account, ImportChange, RevenueChange, SuccessPlan, Task, TimelineEvent
from tests.importing.conftest import import_json
from tests.importing.test_samples import count

HEADER = "Cliente;Mensalidade;Status;CSM;Segmento"


def write(path, *rows: str):
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def accounts_file(tmp_path):
    return write(
        tmp_path / "carteira.csv",
        "Padaria Pitanga;R$ 1.000,00;Ativo;Ana Souza;High Touch",
        "Hotel Maranhão;R$ 2.000,00;Ativo;Bruno Lima;Mid Touch",
        "Editora Tocantins;R$ 3.000,00;Ativo;Carla Ribeiro;Low Touch",
    )


def by_name(db, name: str) -> Account | None:
    with db.session() as s:
        return s.scalars(select(Account).where(Account.name == name)).one_or_none()


def add_later_work(cli, db):
    """A meeting, a task and a success plan typed by hand on two accounts the import created."""
    code, _, err = cli(
        "log",
        "Padaria Pitanga",
        "--kind",
        "meeting",
        "--title",
        "Kickoff com a diretoria",
        "--date",
        "2026-11-26",
    )
    assert code == 0, err
    hotel = by_name(db, "Hotel Maranhão")
    tasks.save_task(db, tasks.TaskData(account_id=hotel.id, title="Enviar proposta"))
    plans.save_plan(db, plans.PlanData(account_id=hotel.id, title="Plano 2027"))


def test_undo_refuses_and_names_later_work_then_changes_nothing(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    add_later_work(cli, db)

    code, out, err = cli("import", "--undo", str(run["run_id"]))

    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--keep-later-work" in err and "--discard-later-work" in err
    assert "2 account(s)" in err
    assert "Padaria Pitanga: timeline entry “Kickoff com a diretoria”" in out
    assert "Hotel Maranhão: task “Enviar proposta”" in out
    assert "Hotel Maranhão: success plan “Plano 2027”" in out
    assert count(db, Account) == 3 and count(db, SuccessPlan) == 1
    assert importing.list_runs(db)[0].status == "done"


def test_undo_keeping_later_work_keeps_those_accounts_detached(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    add_later_work(cli, db)

    code, out, err = cli("import", "--undo", str(run["run_id"]), "--keep-later-work")

    assert code == 0, err
    assert "undone" in out and "Kept: 2 account(s)" in out
    assert by_name(db, "Editora Tocantins") is None  # nothing done on it: removed
    pitanga, hotel = by_name(db, "Padaria Pitanga"), by_name(db, "Hotel Maranhão")
    assert pitanga.import_run_id is None and hotel.import_run_id is None
    assert pitanga.mrr_cents == 100000
    with db.session() as s:
        assert s.scalars(select(TimelineEvent.title).where(TimelineEvent.source == "manual")).all() == [
            "Kickoff com a diretoria"
        ]
        assert s.scalars(select(Task.title)).all() == ["Enviar proposta"]
        # The kept accounts keep their revenue history: their MRR still has its movement.
        assert sorted(s.scalars(select(RevenueChange.account_id))) == sorted([pitanga.id, hotel.id])
        assert s.scalars(select(RevenueChange.import_run_id).distinct()).all() == [None]
    assert importing.list_runs(db)[0].status == "undone"


def test_undo_discarding_later_work_removes_it_too(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    add_later_work(cli, db)

    code, out, err = cli("import", "--undo", str(run["run_id"]), "--discard-later-work", "--format", "json")

    assert code == 0, err
    assert out["undone"] and out["later_work"] == "discard"
    assert count(db, Account) == 0 and count(db, TimelineEvent) == 0 and count(db, SuccessPlan) == 0


def test_undo_without_later_work_needs_no_option(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    code, out, err = cli("import", "--undo", str(run["run_id"]))
    assert code == 0, err
    assert count(db, Account) == 0


def hand_edit(db, name: str, **values):
    summary = accounts.get_account(db, by_name(db, name).id)
    accounts.update_account(db, replace(summary, **values))


def test_fields_edited_by_hand_since_an_update_keep_their_hand_value(cli, db, tmp_path):
    import_json(cli, accounts_file(tmp_path))
    newer = write(
        tmp_path / "carteira_nova.csv",
        "Padaria Pitanga;R$ 1.000,00;Ativo;Diego Alves;Mid Touch",
        "Hotel Maranhão;R$ 2.000,00;Ativo;Bruno Lima;Mid Touch",
        "Editora Tocantins;R$ 3.000,00;Ativo;Carla Ribeiro;Low Touch",
    )
    second = import_json(cli, newer)
    assert by_name(db, "Padaria Pitanga").owner == "Diego Alves"
    hand_edit(db, "Padaria Pitanga", owner="Eva Martins")

    code, out, err = cli("import", "--undo", str(second["run_id"]))
    assert code == 2 and "1 field(s) edited since the import" in err
    assert 'Padaria Pitanga: Owner (CSM) changed since the import ("Diego Alves" → "Eva Martins")' in out

    code, out, err = cli("import", "--undo", str(second["run_id"]), "--keep-later-work")
    assert code == 0, err
    pitanga = by_name(db, "Padaria Pitanga")
    assert pitanga.owner == "Eva Martins"  # typed by hand: kept
    assert pitanga.segment == "high_touch"  # only the import wrote it: restored


def test_discarding_reverts_fields_edited_since(cli, db, tmp_path):
    import_json(cli, accounts_file(tmp_path))
    newer = write(tmp_path / "carteira_nova.csv", "Padaria Pitanga;R$ 1.000,00;Ativo;Diego Alves;High Touch")
    second = import_json(cli, newer)
    hand_edit(db, "Padaria Pitanga", owner="Eva Martins")

    code, _, err = cli("import", "--undo", str(second["run_id"]), "--discard-later-work")

    assert code == 0, err
    assert by_name(db, "Padaria Pitanga").owner == "Ana Souza"


def test_only_later_imports_of_the_same_rows_block_an_undo(cli, db, tmp_path):
    first = import_json(cli, accounts_file(tmp_path))
    other = import_json(
        cli, write(tmp_path / "outros.csv", "Grupo Itapuã;R$ 500,00;Ativo;Ana Souza;Low Touch")
    )

    # The second import touched none of the first one's rows: the first can go.
    code, _, err = cli("import", "--undo", str(first["run_id"]))
    assert code == 0, err
    assert by_name(db, "Grupo Itapuã") is not None and by_name(db, "Padaria Pitanga") is None

    again = import_json(cli, accounts_file(tmp_path))
    later = import_json(
        cli, write(tmp_path / "pitanga.csv", "Padaria Pitanga;R$ 1.500,00;Ativo;Ana Souza;High Touch")
    )
    code, _, err = cli("import", "--undo", str(again["run_id"]), "--discard-later-work")
    assert code == 2
    assert (
        f"Import {later['run_id']} (pitanga.csv) changed the same rows after import {again['run_id']}" in err
    )
    assert by_name(db, "Padaria Pitanga").mrr_cents == 150000
    assert other["run_id"] not in (later["run_id"], again["run_id"])


def test_a_new_import_records_what_it_wrote(cli, db, tmp_path):
    import_json(cli, accounts_file(tmp_path))
    second = import_json(
        cli, write(tmp_path / "b.csv", "Padaria Pitanga;R$ 1.000,00;Ativo;Diego Alves;High Touch")
    )
    with db.session() as s:
        change = s.scalars(
            select(ImportChange).where(
                ImportChange.run_id == second["run_id"], ImportChange.table_name == "accounts"
            )
        ).one()
    assert change.before["owner"] == "Ana Souza" and change.after["owner"] == "Diego Alves"


def test_the_plan_is_read_only_and_lists_the_work(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    add_later_work(cli, db)
    plan = importing.plan_undo(db, run["run_id"])
    assert plan.created_accounts == 3 and not plan.blocked_by
    assert [name for _, name in plan.kept_accounts] == ["Padaria Pitanga", "Hotel Maranhão"]
    assert sorted(w.kind for w in plan.later_work) == ["event", "plan", "task"]
    assert count(db, Account) == 3


def test_the_later_work_labels_are_translated():
    from csdesk import i18n
    from csdesk.importing import runs

    catalog = i18n.catalog("pt_BR")
    labels = [*runs._WORK_LABELS.values(), *runs._WORK_PLURALS.values(), *runs._WORK_SINGULARS.values()]
    assert [text for text in labels if text not in catalog] == []


def revenue_rows(db, name: str) -> list[tuple[str, int, int]]:
    with db.session() as s:
        account_id = s.scalar(select(Account.id).where(Account.name == name))
        return [
            (r.kind, r.mrr_before_cents, r.mrr_after_cents)
            for r in s.scalars(
                select(RevenueChange).where(RevenueChange.account_id == account_id).order_by(RevenueChange.id)
            )
        ]


def mrr_hand_edit(cli, db, tmp_path):
    import_json(cli, accounts_file(tmp_path))
    second = import_json(
        cli, write(tmp_path / "nova.csv", "Padaria Pitanga;R$ 1.500,00;Ativo;Ana Souza;High Touch")
    )
    # First seen without a contract start: an opening balance (csdesk.ledger).
    assert revenue_rows(db, "Padaria Pitanga") == [("opening", 0, 100000), ("expansion", 100000, 150000)]
    hand_edit(db, "Padaria Pitanga", mrr_cents=180000)  # a movement of the ledger too
    return second["run_id"]


def test_a_kept_hand_edited_mrr_keeps_the_movement_it_builds_on(cli, db, tmp_path):
    run_id = mrr_hand_edit(cli, db, tmp_path)
    code, _, err = cli("import", "--undo", str(run_id), "--keep-later-work")
    assert code == 0, err
    assert by_name(db, "Padaria Pitanga").mrr_cents == 180000
    assert revenue_rows(db, "Padaria Pitanga") == [
        ("opening", 0, 100000),
        ("expansion", 100000, 150000),
        ("expansion", 150000, 180000),
    ]


def test_a_discarded_hand_edited_mrr_goes_back_with_its_movement(cli, db, tmp_path):
    run_id = mrr_hand_edit(cli, db, tmp_path)
    code, _, err = cli("import", "--undo", str(run_id), "--discard-later-work")
    assert code == 0, err
    assert by_name(db, "Padaria Pitanga").mrr_cents == 100000
    assert revenue_rows(db, "Padaria Pitanga") == [("opening", 0, 100000)]  # the hand movement went too


def test_the_refusal_in_json_carries_the_plan(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    add_later_work(cli, db)
    code, out, err = cli("import", "--undo", str(run["run_id"]), "--format", "json")
    assert code == 2 and "--keep-later-work" in err
    assert out["run_id"] == run["run_id"] and out["created_accounts"] == 3
    assert [(w["kind"], w["account"], w["title"]) for w in out["later_work"]] == [
        ("event", "Padaria Pitanga", "Kickoff com a diretoria"),
        ("task", "Hotel Maranhão", "Enviar proposta"),
        ("plan", "Hotel Maranhão", "Plano 2027"),
    ]


def test_runs_recorded_before_written_values_were_kept_undo_as_before(cli, db, tmp_path):
    """Schema 1 runs have no written values: nothing to compare, their undo restores as it did."""
    from sqlalchemy import update

    import_json(cli, accounts_file(tmp_path))
    newer = write(tmp_path / "nova.csv", "Padaria Pitanga;R$ 1.000,00;Ativo;Diego Alves;High Touch")
    second = import_json(cli, newer)
    with db.transaction() as s:
        s.execute(update(ImportChange).values(after=None))
    hand_edit(db, "Padaria Pitanga", owner="Eva Martins")
    assert not importing.plan_undo(db, second["run_id"]).has_later_work
    code, _, err = cli("import", "--undo", str(second["run_id"]))
    assert code == 0, err
    assert by_name(db, "Padaria Pitanga").owner == "Ana Souza"


def test_the_options_need_undo(cli, tmp_path):
    code, _, err = cli("import", str(accounts_file(tmp_path)), "--keep-later-work")
    assert code == 2 and "go with --undo" in err
