"""A CSDesk killed (SIGKILL) at any point of a write leaves a whole book: as before, or as after.

Each operation (an import into an empty book, a re-import that updates, an undo, the
schema upgrade of a stored v1 database, the demo) runs in its own process
(``tests/faults/victim.py``, forked) and kills itself at fixed points (before the write
lock, at the first write, just before and just after a commit, before anything is closed,
during the import's checkpoint; for the upgrade also in its backup and mid-step) and at
points drawn from a seeded generator (``CSDESK_FAULT_SEED``, printed with every failure).
A checkpoint killed part-way is reproduced from the WAL (``tear_checkpoint``). The same
operation run to the end in another copy gives the "after" state. After each kill the
file must pass SQLite's integrity and foreign-key checks, equal the "before" or the
"after" state, open with ``db.open_database``, and the operation done again (the
upgrade: by that opening) must give the complete result."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import sys
import traceback
from datetime import date
from pathlib import Path

import pytest

from csdesk import demo, importing
from db import open_database
from tests.faults import victim

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "tests" / "db" / "fixtures" / "v1.sqlite"
SEED = int(os.environ.get("CSDESK_FAULT_SEED", "20261206"))
AS_OF = date(2026, 11, 25)
ROWS = 800
DEMO_ACCOUNTS = 40


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["Cliente;Mensalidade;Status", *rows]) + "\n", encoding="utf-8")
    return path


# --- the books each operation starts from, built once -------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    first = write_csv(folder / "carteira.csv", [f"Empresa {i};R$ {100 + i},00;Ativo" for i in range(ROWS)])
    # The same accounts a month later: a third with a new MRR, some churned, new ones.
    second = write_csv(
        folder / "carteira_dezembro.csv",
        [
            f"Empresa {i};R$ {100 + i + (50 if i % 3 == 0 else 0)},00;{'Cancelado' if i % 17 == 0 else 'Ativo'}"
            for i in range(ROWS)
        ]
        + [f"Nova {i};R$ {300 + i},00;Ativo" for i in range(300)],
    )
    return {"first": first, "second": second}


@pytest.fixture(scope="module")
def books(tmp_path_factory, files):
    """Start files, closed (no -wal beside them): empty, with data, with data and a re-import."""
    folder = tmp_path_factory.mktemp("books")
    empty = folder / "empty.sqlite"
    open_database(empty).dispose()
    with_data = folder / "with_data.sqlite"
    shutil.copyfile(empty, with_data)
    database = open_database(with_data)
    importing.run_import(database, importing.prepare(files["first"]), as_of=AS_OF)
    database.dispose()
    reimported = folder / "reimported.sqlite"
    shutil.copyfile(with_data, reimported)
    database = open_database(reimported)
    second = importing.run_import(database, importing.prepare(files["second"]), as_of=AS_OF)
    database.dispose()
    assert second.updated and second.created
    return {"empty": empty, "with_data": with_data, "reimported": reimported, "undo_run": second.run_id}


def operation(name: str, books: dict, files: dict) -> tuple[Path, dict]:
    """The start file of operation ``name`` and the victim's spec for it."""
    if name == "import-into-empty":
        return books["empty"], {"op": "import", "file": str(files["first"])}
    if name == "reimport-with-updates":
        return books["with_data"], {"op": "import", "file": str(files["second"])}
    if name == "undo":
        return books["reimported"], {"op": "undo", "run": books["undo_run"]}
    if name == "migration":
        return V1, {"op": "open"}
    if name == "demo":
        return books["empty"], {"op": "demo", "accounts": DEMO_ACCOUNTS}
    raise ValueError(name)


# --- running and inspecting ------------------------------------------------------------------


def run_victim(spec: dict) -> int:
    """Run the victim in a child forked from this process (already past its imports, so a
    kill point costs milliseconds, not an interpreter start); returns its exit code or -signal."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            victim.main(spec)
            code = 0
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def copy_book(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "book.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def rows(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """A table's rows without its timestamps (they say when a copy was written, not what)."""
    columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if not r[1].endswith("_at")]
    listed = ", ".join(f'"{c}"' for c in columns)
    return conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY id').fetchall()


def state(path: Path) -> dict:
    """Open ``path`` as any SQLite program would; check it is sound; return what it holds."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {
            "version": conn.execute("SELECT version FROM schema_info").fetchone()[0],
            "counts": {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables},
            "accounts": rows(conn, "accounts"),
            "revenue_changes": rows(conn, "revenue_changes"),
        }
    finally:
        conn.close()


def compared(path: Path) -> dict:
    """``state`` of a copy, so the file itself is next opened by CSDesk as the kill left it."""
    return state(copy_book(path, path.parent / "inspected"))


@pytest.fixture(scope="module")
def references(tmp_path_factory, books, files):
    """Per operation: the state before, the state after a complete run, and what it counted."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            folder = tmp_path_factory.mktemp(name)
            start, spec = operation(name, books, files)
            path = copy_book(start, folder / "complete")
            counts = folder / "counts.json"
            done = run_victim({**spec, "db": str(path), "kill": {"at": "never"}, "counts": str(counts)})
            assert done == 0, "the complete run failed (its traceback is above)"
            cache[name] = {
                "before": compared(copy_book(start, folder / "before")),
                "after": compared(path),
                **json.loads(counts.read_text(encoding="utf-8")),
            }
            assert cache[name]["before"] != cache[name]["after"]
        return cache[name]

    return get


def tear_checkpoint(path: Path, fraction: float) -> None:
    """Do to ``path`` what a checkpoint killed part-way does: copy some of the WAL's pages
    (in page order, as SQLite does) into the database file, leaving the WAL as it is."""
    wal = Path(f"{path}-wal").read_bytes()
    page_size = int.from_bytes(wal[8:12], "big")
    salts = wal[16:24]
    latest: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    offset = 32
    while offset + 24 + page_size <= len(wal):
        header = wal[offset : offset + 24]
        if header[8:16] != salts:
            break
        pending[int.from_bytes(header[0:4], "big")] = wal[offset + 24 : offset + 24 + page_size]
        if int.from_bytes(header[4:8], "big"):  # a commit frame: its transaction counts
            latest.update(pending)
            pending.clear()
        offset += 24 + page_size
    assert latest, "nothing committed in the WAL"
    pages = sorted(latest)[: max(1, int(len(latest) * fraction))]
    with path.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size)
            handle.write(latest[page])


# --- the kill points ---------------------------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE", "ALTER", "CREATE")
FIXED = {
    "before-the-lock": {"at": "sql", "prefix": "BEGIN IMMEDIATE", "n": 1},
    "at-the-first-write": {"at": "sql", "prefix": WRITES, "n": 1},
    "just-before-the-first-commit": {"at": "sql", "prefix": "COMMIT", "n": 1},
    "just-after-the-first-commit": {"at": "sql", "prefix": "COMMIT", "n": 1, "after": True},
    "before-closing": {"at": "end"},
    "checkpoint-torn-halfway": {"at": "end", "tear": 0.5},
}
IMPORT_ONLY = {
    "saving": {"at": "message", "text": "Saving…", "n": 1},
    "during-the-checkpoint": {"at": "message", "text": "Finishing…", "n": 2},
}
MIGRATION_ONLY = {
    "backup-begun": {"at": "backup", "share": 0.0},
    "backup-halfway": {"at": "backup", "share": 0.5},
    # v2's step alters tables (5 ALTERs), copies the health history into a compact new table,
    # drops the old one and renames the new (its 6th ALTER): killed there, the step is applied
    # but for that last change, and not committed.
    "mid-step": {"at": "sql", "prefix": "ALTER", "n": 6},
    "after-the-data-rewrite": {"at": "sql", "prefix": "INSERT INTO HEALTH_SNAPSHOTS_V2", "n": 1, "after": True},
}
OPERATIONS = ("import-into-empty", "reimport-with-updates", "undo", "migration", "demo")
RANDOM_STATEMENTS = 3
RANDOM_REPORTS = 1


def kill_points() -> list:
    rng = random.Random(SEED)
    cases = []
    for name in OPERATIONS:
        points = dict(FIXED)
        if "import" in name:
            points.update(IMPORT_ONLY)
        if name == "migration":
            points.update(MIGRATION_ONLY)
            # The upgrade ends with VACUUM and a truncating checkpoint: no WAL is left to tear.
            points.pop("checkpoint-torn-halfway")
        for i in range(RANDOM_STATEMENTS):
            points[f"statement-{i}"] = {"at": "statement", "fraction": rng.random()}
        for i in range(RANDOM_REPORTS if name != "migration" else 0):  # opening reports nothing
            points[f"report-{i}"] = {"at": "progress", "fraction": rng.random()}
        cases += [pytest.param(name, kill, id=f"{name}-{point}") for point, kill in points.items()]
    return cases


@pytest.mark.parametrize(("name", "kill"), kill_points())
def test_a_killed_write_leaves_the_book_as_before_or_as_after(name, kill, tmp_path, books, files, references):
    reference = references(name)
    kill = dict(kill)
    if "fraction" in kill:  # drawn from the seed, scaled to what the complete run counted
        counted = reference["statements" if kill["at"] == "statement" else "progress"]
        kill["n"] = 1 + int(kill.pop("fraction") * counted)
    if isinstance(kill.get("prefix"), tuple):
        kill["prefix"] = list(kill["prefix"])
    tear = kill.pop("tear", None)
    why = f"{name}, kill {kill} (CSDESK_FAULT_SEED={SEED})"
    start, spec = operation(name, books, files)
    path = copy_book(start, tmp_path / "killed")

    killed = run_victim({**spec, "db": str(path), "kill": kill})
    assert killed == -9, f"{why}: not killed (exit {killed}; a traceback is printed above)"
    if tear is not None:
        tear_checkpoint(path, tear)

    found = compared(path)
    assert found in (reference["before"], reference["after"]), f"{why}: a half-written book"
    upgraded = found == reference["after"]
    if name == "migration":
        check_backups(path.parent, upgraded, why)

    database = open_database(path)  # the app's own open path accepts what the kill left
    try:
        if not upgraded:  # what was killed can simply be done again (opening upgrades by itself)
            if spec["op"] == "import":
                importing.run_import(database, importing.prepare(spec["file"]), as_of=AS_OF)
            elif spec["op"] == "undo":
                importing.undo(database, spec["run"], later_work=importing.DISCARD)
            elif spec["op"] == "demo":
                demo.create_book(database, accounts=spec["accounts"], seed=1, today=AS_OF)
    finally:
        database.dispose()
    assert compared(path) == reference["after"], f"{why}: running it again does not complete it"
    if name == "migration":
        check_backups(path.parent, True, why)
        assert not list(path.parent.glob("*.part")), f"{why}: a partial backup was left beside the database"


def check_backups(folder: Path, upgraded: bool, why: str) -> None:
    """An upgraded database has a complete v1 copy beside it; one left at v1 may have one.
    Every ``.bak`` is a complete copy (two when the kill came after the first was made)."""
    found = sorted(folder.glob("*.bak"))
    assert len(found) >= (1 if upgraded else 0), f"{why}: upgraded without a backup"
    for backup in found:
        try:
            copy = state(backup)
        except sqlite3.Error as exc:
            raise AssertionError(f"{why}: {backup.name} is not a complete copy of the v1 database ({exc})") from exc
        assert copy["version"] == 1 and copy["counts"] == state(V1)["counts"], (
            f"{why}: {backup.name} is not a complete copy of the v1 database"
        )
