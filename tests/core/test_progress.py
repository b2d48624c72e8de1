"""Progress says whether work can still be cancelled: the window asks it, never matches messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from csdesk import importing
from csdesk.progress import Cancelled, Progress

SAMPLES = Path(__file__).resolve().parent.parent / "importing" / "samples"


def test_committed_work_can_no_longer_be_cancelled():
    seen = []
    progress = Progress(
        lambda done, total, message: seen.append((message, progress.cancellable)), min_interval=0
    )
    progress.step(1, 2, "Writing…")
    progress.committed()
    progress.cancel()
    progress.step(2, 2, "Tidying")  # past the commit: no Cancelled
    assert seen == [("Writing…", True), ("Tidying", False)]
    fresh = Progress()
    fresh.cancel()
    with pytest.raises(Cancelled):
        fresh.step(0, 1)


def test_an_import_is_cancellable_until_its_commit(db):
    seen = []
    progress = Progress(
        lambda done, total, message: seen.append((message, progress.cancellable)), min_interval=0
    )
    prepared = importing.prepare(SAMPLES / "planilha_carteira_pt-BR.csv")
    importing.run_import(db, prepared, accept_rejects=True, progress=progress)
    states = dict(seen)
    assert states["Saving…"] is True and states["Saved."] is False
    assert all(cancellable for message, cancellable in seen[: seen.index(("Saving…", True))])
