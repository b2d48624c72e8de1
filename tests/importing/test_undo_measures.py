"""Undo of usage imports: a measure has no id, undo names it by (account, metric, day)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from csdesk import health, importing
from db.models import Account, ImportChange, Measure
from tests.importing.conftest import import_json
from tests.importing.test_undo_later_work import accounts_file

USAGE = "Conta;Semana;Logins;Tickets abertos"


def usage_file(path, *rows: str):
    path.write_text("\n".join([USAGE, *rows]) + "\n", encoding="utf-8")
    return path


def measures(db) -> dict[tuple[str, str, date], tuple[float, str]]:
    """Every measure by (account name, metric, day): (value, source)."""
    with db.session() as s:
        rows = s.execute(
            select(Account.name, Measure.metric, Measure.as_of, Measure.value, Measure.source).join(
                Account, Account.id == Measure.account_id
            )
        ).all()
    return {(name, metric, day): (value, source) for name, metric, day, value, source in rows}


def first_and_reimport(cli, tmp_path):
    """A usage file, then a second one changing one of its figures and adding a week."""
    import_json(cli, accounts_file(tmp_path))
    first = import_json(
        cli,
        usage_file(
            tmp_path / "uso1.csv",
            "Padaria Pitanga;2026-09-07;40;2",
            "Hotel Maranhão;2026-09-07;10;0",
        ),
    )
    second = import_json(
        cli,
        usage_file(
            tmp_path / "uso2.csv",
            "Padaria Pitanga;2026-09-07;55;2",  # logins changed, tickets the same
            "Padaria Pitanga;2026-09-14;60;1",  # a new week
        ),
    )
    assert (second["created"], second["updated"]) == (1, 1)
    return first["run_id"], second["run_id"]


def hand_edit_measure(db, name: str, metric: str, day: date, value: float) -> None:
    with db.transaction() as s:
        account_id = s.scalar(select(Account.id).where(Account.name == name))
        s.execute(
            update(Measure)
            .where(Measure.account_id == account_id, Measure.metric == metric, Measure.as_of == day)
            .values(value=value)
        )


PITANGA_LOGINS = ("Padaria Pitanga", "logins", date(2026, 9, 7))


def test_undoing_a_reimport_restores_the_values_it_changed_and_removes_what_it_added(cli, db, tmp_path):
    import_json(cli, accounts_file(tmp_path))
    first = import_json(
        cli,
        usage_file(
            tmp_path / "uso1.csv", "Padaria Pitanga;2026-09-07;40;2", "Hotel Maranhão;2026-09-07;10;0"
        ),
    )
    before = measures(db)
    assert before[PITANGA_LOGINS] == (40.0, "import") and len(before) == 4
    second = import_json(
        cli,
        usage_file(
            tmp_path / "uso2.csv", "Padaria Pitanga;2026-09-07;55;2", "Padaria Pitanga;2026-09-14;60;1"
        ),
    )
    assert measures(db)[PITANGA_LOGINS] == (55.0, "import") and len(measures(db)) == 6
    with db.session() as s:  # the change names the measure by its key
        change = s.execute(
            select(ImportChange.table_name, ImportChange.before, ImportChange.after).where(
                ImportChange.run_id == second["run_id"]
            )
        ).one()
    assert change == (
        "measures",
        {"metric": "logins", "as_of": "2026-09-07", "value": 40.0},
        {"metric": "logins", "as_of": "2026-09-07", "value": 55.0},
    )
    assert importing.plan_undo(db, second["run_id"]).restored_rows == 1

    code, _, err = cli("import", "--undo", str(second["run_id"]))

    assert code == 0, err
    assert measures(db) == before
    code, _, err = cli("import", "--undo", str(first["run_id"]))
    assert code == 0, err
    assert measures(db) == {}


def test_a_later_import_of_the_same_measure_blocks_the_undo(cli, db, tmp_path):
    first, second = first_and_reimport(cli, tmp_path)

    code, _, err = cli("import", "--undo", str(first), "--discard-later-work")

    assert code == 2
    assert f"Import {second} (uso2.csv) changed the same rows after import {first}" in err
    assert measures(db)[PITANGA_LOGINS] == (55.0, "import")
    code, _, err = cli("import", "--undo", str(second))
    assert code == 0, err
    code, _, err = cli("import", "--undo", str(first))
    assert code == 0, err
    assert measures(db) == {}


def test_a_later_import_of_other_measures_of_the_same_accounts_blocks_nothing(cli, db, tmp_path):
    first, second = first_and_reimport(cli, tmp_path)
    third = import_json(
        cli,
        usage_file(
            tmp_path / "uso3.csv", "Padaria Pitanga;2026-09-14;61;1", "Padaria Pitanga;2026-09-21;62;0"
        ),
    )
    assert (third["created"], third["updated"]) == (1, 1)

    # The third changed a measure the second created: the second waits for it.
    assert [r.id for r in importing.plan_undo(db, second).blocked_by] == [third["run_id"]]
    # The first's measures were changed by the second only, not by the third.
    assert [r.id for r in importing.plan_undo(db, first).blocked_by] == [second]
    # Undoing the third restores its update of the second's measure.
    code, _, err = cli("import", "--undo", str(third["run_id"]))
    assert code == 0, err
    assert measures(db)[("Padaria Pitanga", "logins", date(2026, 9, 14))] == (60.0, "import")
    assert ("Padaria Pitanga", "logins", date(2026, 9, 21)) not in measures(db)


def test_a_measure_edited_since_is_named_and_kept_or_reverted(cli, db, tmp_path):
    _first, second = first_and_reimport(cli, tmp_path)
    hand_edit_measure(db, *PITANGA_LOGINS, 70.0)

    code, out, err = cli("import", "--undo", str(second))

    assert code == 2 and "1 field(s) edited since the import" in err
    assert 'Padaria Pitanga: Logins on 2026-09-07 changed since the import ("55.0" → "70.0")' in out
    [work] = importing.plan_undo(db, second).edited_fields
    assert (work.table, work.column, work.imported, work.current) == ("measures", "value", 55.0, 70.0)
    code, _, err = cli("import", "--undo", str(second), "--keep-later-work")
    assert code == 0, err
    assert measures(db)[PITANGA_LOGINS] == (70.0, "import")
    assert ("Padaria Pitanga", "logins", date(2026, 9, 14)) not in measures(db)


def test_discarding_reverts_a_measure_edited_since(cli, db, tmp_path):
    _first, second = first_and_reimport(cli, tmp_path)
    hand_edit_measure(db, *PITANGA_LOGINS, 70.0)
    code, _, err = cli("import", "--undo", str(second), "--discard-later-work")
    assert code == 0, err
    assert measures(db)[PITANGA_LOGINS] == (40.0, "import")


def test_a_usage_reimport_is_rescored_from_the_first_day_it_changed(cli, db, tmp_path):
    _first, second = first_and_reimport(cli, tmp_path)
    # It created 14/09 and changed 07/09: the scores from the 7th on may differ.
    assert health.rescore_since(db, second) == date(2026, 9, 7)


def test_measures_added_by_hand_to_a_created_account_are_named_by_metric_and_day(cli, db, tmp_path):
    run = import_json(cli, accounts_file(tmp_path))
    with db.transaction() as s:
        pitanga = s.scalar(select(Account.id).where(Account.name == "Padaria Pitanga"))
        s.add(Measure(account_id=pitanga, metric="logins", as_of=date(2026, 11, 20), value=3.0))
        s.add(Measure(account_id=pitanga, metric="logins", as_of=date(2026, 11, 27), value=4.0))

    plan = importing.plan_undo(db, run["run_id"])

    assert [(w.kind, w.account, w.title) for w in plan.later_work] == [
        ("measure", "Padaria Pitanga", "Logins on 2026-11-20"),
        ("measure", "Padaria Pitanga", "Logins on 2026-11-27"),
    ]
    code, _, err = cli("import", "--undo", str(run["run_id"]), "--keep-later-work")
    assert code == 0, err
    assert set(measures(db)) == {
        ("Padaria Pitanga", "logins", date(2026, 11, 20)),
        ("Padaria Pitanga", "logins", date(2026, 11, 27)),
    }
