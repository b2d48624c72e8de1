"""Background jobs that write (health recompute, reminder rules) wait for another writer,
say so through their Progress, and can be cancelled while they wait."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import health, tasks
from csdesk.progress import Cancelled, Progress
from tests.support.servers import WriteLockHolder

WAITING = "Waiting for another CSDesk…"
TODAY = date(2026, 11, 25)

JOBS = {
    "health": lambda db, progress: health.recompute(db, today=TODAY, progress=progress),
    "reminders": lambda db, progress: tasks.run_rules(db, today=TODAY, progress=progress),
}


@pytest.fixture
def holder(db, db_path):
    health.list_models(db)  # the default model is created on first use, before the other writer starts
    held = WriteLockHolder(db_path)
    yield held
    held.close()


@pytest.mark.parametrize("job", JOBS)
def test_a_job_waits_saying_so_and_runs_once_the_writer_is_done(db, holder, job):
    messages = []

    def on_progress(done, total, message):
        messages.append(message)
        if message == WAITING and holder.held:
            holder.release()

    JOBS[job](db, Progress(on_progress, min_interval=0))
    assert WAITING in messages


@pytest.mark.parametrize("job", JOBS)
def test_a_waiting_job_can_be_cancelled(db, holder, job):
    progress = Progress(lambda done, total, message: progress.cancel() if message == WAITING else None)
    with pytest.raises(Cancelled):
        JOBS[job](db, progress)
