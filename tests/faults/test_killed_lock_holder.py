"""A CSDesk killed while it holds the write lock does not block the next writer.

(Two live imports into one book both completing is tests/importing/test_concurrent_writers.py.)
"""

from __future__ import annotations

import os
import signal
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from csdesk import importing
from csdesk.progress import Progress
from db import engine, open_database
from db.models import Account, ImportRun, Setting
from tests.importing.test_concurrent_writers import WAITING, write_accounts


def hold_the_write_lock(path, die: bool) -> int:
    """A forked CSDesk halfway through a write transaction; returns its pid.

    With ``die`` it kills itself there; otherwise it waits to be killed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            database = open_database(path)
            with database.transaction() as session:
                session.add(Setting(key="half-written", value=1))
                session.flush()
                os.write(write_end, b"holding")
                if die:
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(120)
        finally:
            os._exit(1)
    os.close(write_end)
    assert os.read(read_end, 7) == b"holding"
    os.close(read_end)
    return pid


def killed(pid: int) -> None:
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.parametrize("when", ["before the import starts", "while the import waits for it"])
def test_a_writer_killed_holding_the_lock_does_not_block_the_next(when, db_path, tmp_path):
    open_database(db_path).dispose()
    csv = write_accounts(tmp_path / "contas.csv", "A", 50)
    holder = hold_the_write_lock(db_path, die=when == "before the import starts")
    if when == "before the import starts":
        killed(holder)
    messages: list[str] = []

    def on_progress(done, total, message):
        messages.append(message)
        if message == WAITING and messages.count(WAITING) == 1:
            os.kill(holder, signal.SIGKILL)  # the other CSDesk dies, lock held, mid-transaction
            killed(holder)
        # The import retries every WRITE_WAIT_SLICE_MS: this many retries means the dead writer's lock stayed.
        assert messages.count(WAITING) < 10 * 1000 // engine.WRITE_WAIT_SLICE_MS, "still blocked by a dead writer"

    database = open_database(db_path)
    try:
        result = importing.run_import(
            database, importing.prepare(csv), as_of=date(2026, 11, 25), progress=Progress(on_progress)
        )
        with database.session() as s:
            assert s.scalar(select(func.count()).select_from(Account)) == 50
            assert s.scalar(select(func.count()).select_from(ImportRun)) == 1
            assert s.get(Setting, "half-written") is None  # the killed writer's change is gone
    finally:
        database.dispose()
    assert result.created == 50
    assert (WAITING in messages) == (when == "while the import waits for it")
