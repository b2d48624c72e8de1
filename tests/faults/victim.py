"""A CSDesk operation run in its own process, killed with SIGKILL at a chosen point.

The tests call :func:`main` in a forked child; ``python -m tests.faults.victim SPEC`` (SPEC
is JSON) runs one by hand. Kill points:

- ``{"at": "never"}``: run to completion; write what could be counted to ``spec["counts"]``
  (statements SQLite ran, progress reports, their messages);
- ``{"at": "statement", "n": N}``: just before the N-th SQL statement (1-based) any
  connection of this process runs (SQLite's trace callback, called before each statement);
- ``{"at": "sql", "prefix": P, "n": N}``: before the N-th statement that starts with P
  (``BEGIN IMMEDIATE``, ``INSERT``, ``COMMIT``, ``ALTER``…); ``"after": true`` kills at the
  statement that follows it instead (the one that ran is then complete);
- ``{"at": "progress", "n": N}``: at the N-th progress report;
- ``{"at": "message", "text": T, "n": N}``: at the N-th progress report with message T;
- ``{"at": "backup", "share": S}``: in a copy made with SQLite's backup API (the
  one before a schema upgrade), once ``S`` of its pages are written;
- ``{"at": "end"}``: when the operation has returned, before anything is closed (no
  checkpoint: the committed work is only in the WAL).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import threading
from datetime import date

_lock = threading.Lock()
_state = {"statements": 0, "progress": 0, "messages": [], "matched": 0, "armed": False}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install(kill: dict) -> None:
    real_connect = sqlite3.connect
    at = kill["at"]

    def trace(sql: str) -> None:
        with _lock:
            _state["statements"] += 1
            if at == "statement" and _state["statements"] >= kill["n"]:
                _die()
            if at == "sql":
                if _state["armed"]:
                    _die()
                if sql.lstrip().upper().startswith(tuple(kill["prefix"]) if isinstance(kill["prefix"], list) else kill["prefix"]):
                    _state["matched"] += 1
                    if _state["matched"] == kill["n"]:
                        if kill.get("after"):
                            _state["armed"] = True
                        else:
                            _die()

    class Killed(sqlite3.Connection):
        def backup(self, target, *, pages=-1, progress=None, **kwargs):
            """The same copy a page at a time, killed when ``fraction`` of it is written."""

            def report(status, remaining, total):
                if total and (total - remaining) >= kill["share"] * total:
                    _die()

            return super().backup(target, pages=1, progress=report, **kwargs)

    def connect(*args, **kwargs):
        if at == "backup":
            kwargs.setdefault("factory", Killed)
        connection = real_connect(*args, **kwargs)
        connection.set_trace_callback(trace)
        return connection

    sqlite3.connect = connect
    sqlite3.dbapi2.connect = connect


def _progress(kill: dict):
    from csdesk.progress import Progress

    def report(done: int, total: int, message: str) -> None:
        with _lock:
            _state["progress"] += 1
            _state["messages"].append(message)
            if kill["at"] == "progress" and _state["progress"] >= kill["n"]:
                _die()
            if kill["at"] == "message" and _state["messages"].count(kill["text"]) >= kill["n"]:
                _die()

    return Progress(report, min_interval=0)


def main(spec: dict) -> None:
    kill = spec["kill"]
    _install(kill)
    from csdesk import demo, importing
    from db import open_database

    progress = _progress(kill)
    op = spec["op"]
    database = open_database(spec["db"])
    if op == "import":
        prepared = importing.prepare(spec["file"])
        importing.run_import(database, prepared, as_of=date(2026, 11, 25), progress=progress)
    elif op == "undo":
        importing.undo(database, spec["run"], progress=progress, later_work=importing.DISCARD)
    elif op == "demo":
        demo.create_book(database, accounts=spec["accounts"], seed=1, progress=progress, today=date(2026, 11, 25))
    elif op != "open":  # "open": opening is the operation (a schema upgrade)
        raise ValueError(op)
    if kill["at"] == "end" or _state["armed"]:  # "after" the operation's last statement
        _die()
    database.dispose()
    if "counts" in spec:
        with open(spec["counts"], "w", encoding="utf-8") as handle:
            json.dump({k: _state[k] for k in ("statements", "progress", "messages")}, handle)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
