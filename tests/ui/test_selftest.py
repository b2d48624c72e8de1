"""``csdesk --selftest``: passes on a working install, reports each broken part."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ui.selftest import run_selftest


def test_selftest_process_passes_without_a_display(tmp_path):
    env = {**os.environ, "CSDESK_DATA_DIR": str(tmp_path / "data")}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-m", "csdesk", "--selftest"], capture_output=True, text=True, timeout=170, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout
    assert "ok   main window" in done.stdout
    # No user database or settings were created: the self-test runs on temporary ones.
    assert not (tmp_path / "data" / "csdesk.sqlite").exists()


def test_selftest_reports_a_broken_part_and_exits_1(qapp, tmp_path, monkeypatch, capsys):
    def broken():
        raise FileNotFoundError("pptx/templates/default.pptx")

    monkeypatch.setattr("csdesk.selftest.check_documents", broken)
    assert run_selftest(str(tmp_path / "book.sqlite"), "pt-BR") == 1
    captured = capsys.readouterr()
    assert "FAIL documents" in captured.out and "default.pptx" in captured.out
    assert "ok   main window" in captured.out
    assert "FAILED (documents)" in captured.err
    assert (tmp_path / "book.sqlite").exists()  # --db is honoured


def test_selftest_fails_cleanly_on_a_bad_database(qapp, tmp_path, capsys):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database")
    assert run_selftest(str(bad), "en") == 1
    assert "FAIL database" in capsys.readouterr().out
    assert bad.read_text() == "not a database"


@pytest.mark.postgresql
def test_selftest_on_a_server_runs_every_check_and_never_shows_the_password(qapp, db_path, capsys):
    from sqlalchemy.engine import make_url

    password = make_url(str(db_path)).password
    assert run_selftest(str(db_path), "en") == 0
    out = capsys.readouterr().out
    for check in ("resources", "translations", "database", "documents", "charts", "templates", "main window"):
        assert f"ok   {check}" in out
    assert "indexed search" in out
    assert password and f":{password}@" not in out and ":***@" in out
