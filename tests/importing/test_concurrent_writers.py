"""An import waits for other writers (other CSDesks, another import, notes being logged) and completes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk import importing
from csdesk.progress import Cancelled, Progress
from db import open_database
from db.models import Account, ImportRun, TimelineEvent
from tests.support.servers import WriteLockHolder

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-25"
WAITING = "Waiting for another CSDesk…"


def write_accounts(path: Path, tag: str, rows: int) -> Path:
    lines = ["Cliente;Mensalidade;Status"] + [f"Empresa {tag} {i};R$ {100 + i},00;Ativo" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db_path: Path, model, *where) -> int:
    database = open_database(db_path)
    try:
        with database.session() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        database.dispose()


Holder = WriteLockHolder  # another program's write transaction, held until released


@pytest.fixture
def book(db_path):
    open_database(db_path).dispose()
    return db_path


def csdesk(db_path: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "csdesk", "--lang", "en", "--db", str(db_path), *args],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_an_import_waits_for_another_writer_saying_so(book, tmp_path):
    path = write_accounts(tmp_path / "contas.csv", "A", 50)
    database = open_database(book)
    holder = Holder(book)
    messages = []

    def on_progress(done, total, message):
        messages.append(message)
        if message == WAITING:
            holder.release()  # the other program finishes while the import waits

    try:
        result = importing.run_import(
            database, importing.prepare(path), as_of=date(2026, 11, 25), progress=Progress(on_progress)
        )
    finally:
        holder.close()
        database.dispose()
    assert result.created == 50
    assert WAITING in messages
    assert count(book, Account) == 50


def test_an_import_cancelled_while_waiting_writes_nothing(book, tmp_path):
    path = write_accounts(tmp_path / "contas.csv", "A", 50)
    database = open_database(book)
    holder = Holder(book)
    progress = Progress(lambda done, total, message: progress.cancel() if message == WAITING else None)
    try:
        with pytest.raises(Cancelled):
            importing.run_import(
                database, importing.prepare(path), as_of=date(2026, 11, 25), progress=progress
            )
    finally:
        holder.close()
        database.dispose()
    assert count(book, Account) == 0
    assert count(book, ImportRun) == 0


def test_a_dry_run_does_not_wait_for_a_writer(book, tmp_path):
    path = write_accounts(tmp_path / "contas.csv", "A", 50)
    database = open_database(book)
    holder = Holder(book)
    messages = []
    try:
        result = importing.run_import(
            database,
            importing.prepare(path),
            as_of=date(2026, 11, 25),
            dry_run=True,
            progress=Progress(lambda done, total, message: messages.append(message)),
        )
    finally:
        holder.close()
        database.dispose()
    assert result.created == 50
    assert WAITING not in messages


def test_two_csdesk_imports_started_together_both_complete(book, tmp_path):
    """Both processes reach the write lock while a third holds it; both must then wait their turn."""
    files = [write_accounts(tmp_path / f"{tag}.csv", tag, 300) for tag in ("A", "B")]
    holder = Holder(book)
    processes = []
    try:
        for path in files:
            processes.append(csdesk(book, "import", str(path), "--as-of", AS_OF, "--format", "json"))
        # Each says it waits (on stderr) once it found the write lock taken.
        waited = [process.stderr.readline() for process in processes]
    finally:
        holder.close()
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert json.loads(out)["created"] == 300
    assert waited == [f"csdesk: {WAITING}\n"] * 2
    assert count(book, Account) == 600
    assert count(book, ImportRun) == 2


LOGGER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cli.main import main

    db, stop, started = sys.argv[1:4]
    logged = 0
    while not Path(stop).exists():
        code = main(["--lang", "en", "--db", db, "log", "Empresa Padaria 0", "--kind", "note", "--title", f"Nota {logged}"])
        if code != 0:
            sys.exit(code)
        logged += 1
        Path(started).touch()
        time.sleep(0.1)
    print(logged)
    """
)


def run_import_while_logging(
    book: Path, csv: Path, tmp_path: Path
) -> tuple[subprocess.CompletedProcess, int]:
    """Import ``csv`` with ``csdesk import`` while another process logs a note every 100 ms.

    The logger has logged before the import starts and keeps logging until it ends.
    """
    stop, started = tmp_path / "stop", tmp_path / "started"
    logger = subprocess.Popen(
        [sys.executable, "-c", LOGGER, str(book), str(stop), str(started)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not started.exists() and logger.poll() is None:
            time.sleep(0.05)
        imported = subprocess.run(
            [sys.executable, "-m", "csdesk", "--lang", "en", "--db", str(book), "import", str(csv)]
            + ["--as-of", AS_OF, "--format", "json"],
            cwd=ROOT,
            env={**os.environ},
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        stop.touch()
        out, err = logger.communicate(timeout=300)
    assert logger.returncode == 0, err
    return imported, int(out.split()[-1])


def test_an_import_completes_while_another_process_logs_notes(book, tmp_path):
    database = open_database(book)
    try:
        importing.run_import(
            database,
            importing.prepare(write_accounts(tmp_path / "padaria.csv", "Padaria", 1)),
            as_of=date(2026, 11, 25),
        )
    finally:
        database.dispose()
    csv = write_accounts(tmp_path / "contas.csv", "B", 3000)
    imported, logged = run_import_while_logging(book, csv, tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 3000
    assert logged >= 1
    assert count(book, TimelineEvent, TimelineEvent.title.like("Nota %")) == logged
    assert count(book, Account) == 3001


def test_the_same_file_imported_twice_at_once_creates_each_account_once(book, tmp_path):
    """Two CSMs import one export at the same moment: one creates the accounts, the other
    finds them there; both say so and succeed."""
    path = write_accounts(tmp_path / "contas.csv", "A", 300)
    holder = Holder(book)
    processes = []
    try:
        for _ in range(2):
            processes.append(csdesk(book, "import", str(path), "--as-of", AS_OF, "--format", "json"))
        waited = [process.stderr.readline() for process in processes]
    finally:
        holder.close()
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    reports = sorted((json.loads(out) for out, _err in outputs), key=lambda r: r["created"])
    assert waited == [f"csdesk: {WAITING}\n"] * 2
    assert [r["created"] for r in reports] == [0, 300]
    assert reports[0]["unchanged"] == 300 and reports[0]["updated"] == 0
    assert count(book, Account) == 300
    assert count(book, ImportRun) == 1
