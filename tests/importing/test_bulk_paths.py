"""The big-file paths of an import: deferred indexes, chunked search fill, tail progress, PRAGMAs."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import importing
from csdesk.importing import engine
from csdesk.progress import Progress
from db import bulk, search
from tests.importing.test_undo_and_safety import snapshot


def indexes(db) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        return sorted(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type='index'").all())


def pragma(db, name: str):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_deferred_indexes_and_chunked_search_fill_give_the_same_book(db, samples, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 1)
    monkeypatch.setattr(search, "FILL_CHUNK", 2)
    before = indexes(db)
    cache = pragma(db, "cache_size")
    messages: list[str] = []
    progress = Progress(lambda done, total, message: messages.append(message), min_interval=0)
    result = importing.run_import(
        db,
        importing.prepare(samples / "planilha_carteira_pt-BR.csv"),
        as_of=date(2026, 1, 1),
        progress=progress,
    )
    assert result.created > 0
    assert indexes(db) == before
    assert pragma(db, "integrity_check") == "ok"
    assert pragma(db, "cache_size") == cache  # the import's PRAGMAs were its own
    assert "Indexing…" in messages
    # The tail reports: before the commit, after it, before the checkpoint.
    assert messages[-3:] == ["Saving…", "Saved.", "Finishing…"]
    with db.engine.connect() as conn:
        assert search.search_event_ids(conn, ["new", "revenue"])  # every event is in the search index
        count = conn.exec_driver_sql("SELECT count(*) FROM timeline_events").scalar()
        indexed = conn.exec_driver_sql(f"SELECT count(*) FROM {search.FTS_TABLE}").scalar()
    assert indexed == count


def test_a_failure_with_indexes_dropped_restores_them(db, samples, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 1)
    before_indexes, before = indexes(db), snapshot(db)
    real = engine._chunks
    calls = {"n": 0}

    def failing(rows, size=engine.CHUNK):
        calls["n"] += 1
        if calls["n"] > 1:  # after the accounts went in with their indexes dropped
            raise OSError(28, "No space left on device")
        yield from real(rows, size)

    monkeypatch.setattr(engine, "_chunks", failing)
    with pytest.raises(OSError):
        importing.run_import(db, importing.prepare(samples / "planilha_carteira_pt-BR.csv"))
    assert indexes(db) == before_indexes
    assert snapshot(db) == before


def test_heartbeat_repeats_the_last_report_only_after_the_interval():
    seen: list[tuple[int, int, str]] = []
    progress = Progress(lambda *report: seen.append(report), min_interval=3600)
    progress.heartbeat()  # nothing reported yet: nothing to repeat
    progress.step(1, 10, "Indexing…")
    progress.heartbeat()  # too soon
    assert seen == [(1, 10, "Indexing…")]
    progress._min_interval = 0
    progress.heartbeat()
    assert seen == [(1, 10, "Indexing…")] * 2
