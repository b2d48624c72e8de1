"""Background work: a QRunnable runs a function; a GUI-thread object owns its signals.

Workers never touch widgets. Each service call opens its own Session, so a
worker thread never shares one with the GUI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from csdesk.progress import Cancelled, Progress

log = logging.getLogger(__name__)

# Jobs stay referenced until they finish, even if the caller drops its handle.
_running: set[Job] = set()


class _Signals(QObject):
    progressed = Signal(int, int, str, bool)  # ..., whether the work could still be cancelled then
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


def _emit(signal, *args) -> None:
    """Emit from a worker thread; a no-op once Qt has deleted the signals' object.

    That happens when the app quits while a job still runs: nobody is left to tell.
    """
    try:
        signal.emit(*args)
    except RuntimeError:
        log.debug("background job outlived its receiver")


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], signals: _Signals, progress: Progress):
        super().__init__()
        self._fn = fn
        self._signals = signals
        self._progress = progress

    def run(self) -> None:
        try:
            result = self._fn(self._progress)
        except Cancelled:
            _emit(self._signals.cancelled)
        except Exception as exc:  # handed to the GUI thread, which reports it
            log.exception("background job failed")
            _emit(self._signals.failed, exc)
        else:
            _emit(self._signals.succeeded, result)


class Job(QObject):
    """A handle on one background call: cancel it, or listen to its signals."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()  # after any of succeeded, failed, cancelled

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._signals = _Signals()  # lives in the GUI thread: queued delivery
        self.progress = Progress(
            lambda *args: _emit(self._signals.progressed, *args, self.progress.cancellable)
        )
        # Whether Cancel can still stop the work, as of the last report received (csdesk.progress).
        self.cancellable = True
        self._signals.progressed.connect(self._on_progressed)
        self._signals.succeeded.connect(self._on_succeeded)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self.running = False

    def cancel(self) -> None:
        self.progress.cancel()

    @Slot(int, int, str, bool)
    def _on_progressed(self, done: int, total: int, message: str, cancellable: bool) -> None:
        self.cancellable = cancellable
        self.progressed.emit(done, total, message)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.running = False
        self.succeeded.emit(result)
        self.done.emit()

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self.running = False
        self.failed.emit(error)
        self.done.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self.running = False
        self.cancelled.emit()
        self.done.emit()


def run_in_background(
    fn: Callable[[Progress], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    parent: QObject | None = None,
) -> Job:
    """Run ``fn(progress)`` on the thread pool; callbacks run on the GUI thread."""
    job = Job(parent)
    if on_success is not None:
        job.succeeded.connect(on_success)
    if on_failure is not None:
        job.failed.connect(on_failure)
    job.running = True
    _running.add(job)
    job.done.connect(lambda: _running.discard(job))
    QThreadPool.globalInstance().start(_Runnable(fn, job._signals, job.progress))
    return job
