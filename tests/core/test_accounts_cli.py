"""``csdesk accounts`` in its three formats, and the CLI's exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date

import pytest

from cli import main as cli
from cli.main import main
from csdesk.accounts import AccountData, create_account
from db.models import Account

KEYS = [
    "id", "name", "external_id", "source", "segment", "stage", "status",
    "mrr", "arr", "currency", "renewal_date", "owner", "health", "health_band", "ltv_historic",
]  # fmt: skip


@pytest.fixture
def filled(db, db_path):
    create_account(
        db,
        AccountData(
            name="Padaria Pitanga S/A",
            external_id="HS-1",
            source="hubspot",
            segment="high_touch",
            stage="renewal",
            mrr_cents=123456,
            renewal_date=date(2026, 12, 31),
            owner="Ana Souza",
        ),
    )
    create_account(db, AccountData(name="Açougue São João", status="churned", mrr_cents=50))
    with db.session() as s, s.begin():
        a = s.query(Account).filter_by(external_id="HS-1").one()
        a.health_score, a.health_band = 72.34, "yellow"
    return db_path


def test_json_has_exactly_the_documented_keys_and_numbers(filled, capsys):
    assert main(["--db", str(filled), "accounts", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [list(r) for r in records] == [KEYS, KEYS]
    by_name = {r["name"]: r for r in records}
    pitanga = by_name["Padaria Pitanga S/A"]
    assert pitanga["mrr"] == 1234.56 and pitanga["arr"] == 14814.72
    assert pitanga["renewal_date"] == "2026-12-31"
    assert pitanga["status"] == "active" and pitanga["segment"] == "high_touch"
    assert pitanga["health"] == 72.3 and pitanga["health_band"] == "yellow"
    assert pitanga["currency"] == "BRL" and pitanga["source"] == "hubspot"
    joao = by_name["Açougue São João"]
    assert joao["status"] == "churned" and joao["stage"] == "churned"
    assert joao["mrr"] == 0.5 and joao["renewal_date"] is None and joao["health"] is None


def test_csv_is_machine_friendly(filled, capsys):
    assert main(["--db", str(filled), "accounts", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == KEYS
    pitanga = next(r for r in rows if r["external_id"] == "HS-1")
    assert pitanga["mrr"] == "1234.56" and pitanga["renewal_date"] == "2026-12-31"
    assert pitanga["health_band"] == "yellow"


def test_table_speaks_the_language(filled, capsys):
    assert main(["--db", str(filled), "--lang", "pt-BR", "accounts"]) == 0
    out = capsys.readouterr().out
    assert "R$ 1.234,56" in out and "31/12/2026" in out and "Renovação" in out and "Alto contato" in out
    assert "Em risco" in out
    assert main(["--db", str(filled), "--lang", "en", "accounts"]) == 0
    out = capsys.readouterr().out
    assert "R$1,234.56" in out and "Dec 31, 2026" in out and "High Touch" in out


def test_empty_book_gives_an_empty_list(db_path, capsys):
    assert main(["--db", str(db_path), "accounts", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_user_errors_exit_2_with_one_line_on_stderr(tmp_path, capsys):
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("not a database")
    cases = [
        ["--db", str(not_a_db), "accounts"],
        ["accounts", "--format", "xml"],
        ["no-such-command"],
        ["--lang", "klingon", "accounts"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("csdesk: ") and err.count("\n") == 1, (argv, err)
    assert not_a_db.read_text() == "not a database"


def test_a_bug_exits_1_and_points_to_the_log(db_path, monkeypatch, capsys):
    def broken(_db):
        raise RuntimeError("boom")

    monkeypatch.setattr("csdesk.accounts.list_accounts", broken)
    assert main(["--db", str(db_path), "accounts"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and err.count("\n") == 1
    assert "boom" not in err


def test_real_process_exit_codes(tmp_path, isolated_data_dir):
    path = tmp_path / "p.sqlite"
    run = [sys.executable, "-m", "csdesk", "--db", str(path)]
    ok = subprocess.run([*run, "accounts", "--format", "json"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout) == []
    bad = subprocess.run([*run, "accounts", "--format", "yaml"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stdout == ""


def test_commands_do_not_load_qt():
    code = (
        "import sys; from cli.main import build_parser; build_parser(); "
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"
    assert cli.COMMAND_MODULES


def test_plain_csdesk_starts_the_gui_without_loading_the_commands(tmp_path):
    """`csdesk [--db PATH] [--lang L]` goes straight to the window; commands load only when named."""
    script = """
import sys
import ui.app
ui.app.run_gui = lambda db, language=None, selftest=False: print(db, language, selftest) or 0
from cli.main import main
code = main(sys.argv[1:])
print(code, sorted(m for m in sys.modules if m.startswith("cli.commands.")))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, "--db", str(tmp_path / "b.sqlite"), "--lang", "en"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == [f"{tmp_path / 'b.sqlite'} en False", "0 []"]


def test_an_unknown_option_still_gets_the_full_parsers_message(capsys):
    assert main(["--nope"]) == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err
