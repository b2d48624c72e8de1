"""A 100,000-row ``csdesk import`` while another process logs a note every 100 ms.

Both must complete: the import takes the write lock when it begins and the
notes wait their turn (and the import waits for a note being written). Baseline,
measured in the same run: the same import into the same kind of book with
nobody else writing. Also reported: the longest a note waited for its turn.
"""

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

from csdesk import importing
from db import open_database
from tests.benchmarks.bench_import import ROWS, write_accounts_csv

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-25"

LOGGER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from cli.main import main

    db, stop, started = sys.argv[1:4]
    notes = []
    while not Path(stop).exists():
        begin = time.time()
        code = main(["--lang", "en", "--db", db, "log", "Padaria Pitanga", "--kind", "note",
                     "--title", f"Nota {len(notes)}"])
        if code != 0:
            sys.exit(code)
        notes.append((begin, time.time()))
        Path(started).touch()
        time.sleep(0.1)
    print(json.dumps(notes))
    """
)


def new_book(path: Path, tmp_path: Path) -> Path:
    """A book with the one account the logger writes notes on."""
    csv = tmp_path / "padaria.csv"
    csv.write_text("Cliente;Mensalidade;Status\nPadaria Pitanga;R$ 100,00;Ativo\n", encoding="utf-8")
    db = open_database(path)
    try:
        importing.run_import(db, importing.prepare(csv), as_of=date(2026, 11, 25))
    finally:
        db.dispose()
    return path


def timed_import(book: Path, csv: Path) -> tuple[float, float, float]:
    """(start, end, seconds) of one ``csdesk import`` process; it must succeed."""
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "csdesk", "--lang", "en", "--db", str(book), "import", str(csv)]
        + ["--as-of", AS_OF, "--date-order", "dmy", "--yes", "--format", "json"],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    end = time.time()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == ROWS
    return start, end, end - start


def import_while_logging(
    book: Path, csv: Path, tmp_path: Path
) -> tuple[float, list[tuple[float, float]], float, float]:
    stop, started = tmp_path / "stop", tmp_path / "started"
    stop.unlink(missing_ok=True)
    started.unlink(missing_ok=True)
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
        start, end, seconds = timed_import(book, csv)
        time.sleep(0.5)  # a few notes after the import too
    finally:
        stop.touch()
        out, err = logger.communicate(timeout=600)
    assert logger.returncode == 0, err
    notes = [tuple(n) for n in json.loads(out.splitlines()[-1])]
    return seconds, notes, start, end


@pytest.mark.benchmark
def test_import_100k_while_another_process_logs_notes(tmp_path, bench_report):
    csv = tmp_path / "carteira_100k.csv"
    write_accounts_csv(csv)
    alone, together = [], []
    notes_during, longest_wait = [], []
    for round_ in range(2):
        alone.append(timed_import(new_book(tmp_path / f"alone{round_}.sqlite", tmp_path), csv)[2])
        book = new_book(tmp_path / f"together{round_}.sqlite", tmp_path)
        seconds, notes, start, end = import_while_logging(book, csv, tmp_path)
        together.append(seconds)
        overlapping = [n for n in notes if n[1] >= start and n[0] <= end]
        notes_during.append(len(overlapping))
        longest_wait.append(max(e - b for b, e in notes))
        db = open_database(book)
        try:
            with db.reading() as conn:
                logged = conn.execute(
                    "SELECT count(*) FROM timeline_events WHERE title LIKE 'Nota %'"
                ).fetchone()[0]
                accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
        finally:
            db.dispose()
        assert logged == len(notes) and accounts == ROWS + 1  # both complete, nothing lost
    bench_report.add(
        "import 100k while a process logs a note every 100 ms",
        min(together) * 1000,
        baseline_name="the same import alone",
        baseline=min(alone) * 1000,
        goal="both complete",
    )
    bench_report.add(
        "  notes logged during that import (fewest of 2)",
        min(notes_during),
        "n",
        goal="> 0: waited their turn",
    )
    bench_report.add(
        "  longest a note took (waiting for the import)",
        max(longest_wait) * 1000,
        baseline_name="the import alone",
        baseline=min(alone) * 1000,
    )
