"""Demo books for benchmarks, generated once and reused across runs.

A 50,000-account book takes a couple of minutes to generate, so it is cached
under ``.bench-cache/`` (or ``$CSDESK_BENCH_CACHE``), keyed by size, seed, day
and the code that shapes it. Use the cached file read-only; call
:func:`demo_copy` for a private copy a benchmark may write to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

from csdesk import clock

ROOT = Path(__file__).resolve().parents[2]
SHAPING_CODE = ("csdesk/demo", "db/models.py", "db/schema.py", "db/search.py")


def cache_dir() -> Path:
    path = Path(os.environ.get("CSDESK_BENCH_CACHE") or ROOT / ".bench-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _code_key() -> str:
    digest = hashlib.sha1()
    for name in SHAPING_CODE:
        path = ROOT / name
        for file in sorted(path.glob("*.py")) if path.is_dir() else (path,):
            digest.update(file.read_bytes())
    return digest.hexdigest()[:10]


def demo_database(accounts: int = 50_000, seed: int = 1, today: date | None = None) -> Path:
    """Path of a demo book of ``accounts`` accounts, generating it if not cached."""
    from csdesk.demo import generate
    from db import open_database

    today = today or clock.today()
    path = cache_dir() / f"demo-{accounts}-s{seed}-{today.isoformat()}-{_code_key()}.sqlite"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    db = open_database(partial)
    try:
        generate(db, accounts=accounts, seed=seed, today=today)
        with db.engine.connect() as conn:  # fold the WAL in, so the file stands alone
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()
    partial.rename(path)
    return path


def demo_copy(target: Path, accounts: int = 50_000, seed: int = 1, today: date | None = None) -> Path:
    """A private copy of a cached demo book at ``target`` (safe to modify)."""
    source = demo_database(accounts, seed, today)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    except sqlite3.Error:
        shutil.copyfile(source, target)
    return target
