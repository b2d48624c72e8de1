"""Progress reporting and cancellation for long work, without Qt.

A service that can take long takes a ``Progress`` and calls ``step()`` as it
goes; the GUI passes one whose callback forwards to a signal, the CLI a silent
one. ``step()`` raises :class:`Cancelled` once the user asked to stop, so the
service's transaction rolls back and nothing is half done. Once the work is
committed it calls ``committed()``: from then on it can no longer be cancelled
(``cancellable`` is False, and ``step()`` no longer raises), which a window
reads to take its Cancel button away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from csdesk.i18n import tr


class Cancelled(Exception):
    """The user cancelled; the work's transaction must roll back."""


class Progress:
    def __init__(
        self,
        callback: Callable[[int, int, str], None] | None = None,
        min_interval: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._callback = callback
        self._cancel = threading.Event()
        self._min_interval = min_interval
        self._clock = clock
        # None until the first report: the first one always goes out, whatever
        # the clock reads (monotonic time may start near zero after boot).
        self._last: float | None = None
        self._state: tuple[int, int, str] | None = None
        self._cancellable = True

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def cancellable(self) -> bool:
        """Whether cancelling can still stop the work (False once it is committed)."""
        return self._cancellable

    def committed(self) -> None:
        """The work is committed: what remains (tidying up) runs to its end, whatever Cancel says."""
        self._cancellable = False

    def step(self, done: int, total: int, message: str = "", *, force: bool = False) -> None:
        """Report ``done`` of ``total``; throttled so callers may call it per row."""
        if self._cancellable and self._cancel.is_set():
            raise Cancelled()
        if self._callback is None:
            return
        self._state = (done, total, message)
        now = self._clock()
        if force or done >= total or self._due(now):
            self._last = now
            self._callback(done, total, message)

    def _due(self, now: float) -> bool:
        return self._last is None or now - self._last >= self._min_interval

    def heartbeat(self) -> None:
        """Repeat the last report if none went out for ``min_interval``.

        Called from inside one long database call (SQLite's progress handler),
        so the GUI keeps hearing from work that cannot step by itself.
        """
        if self._callback is None or self._state is None:
            return
        now = self._clock()
        if self._due(now):
            self._last = now
            self._callback(*self._state)

    def note(self, done: int, total: int, message: str = "") -> None:
        """Report now, unthrottled and without checking for cancellation.

        For steps that can no longer be cancelled (after a commit) and for
        reporting just before a single long call.
        """
        if self._callback is not None:
            self._state = (done, total, message)
            self._last = self._clock()
            self._callback(done, total, message)


SILENT = Progress()


def write_waiting(progress: Progress) -> Callable[[], None] | None:
    """What a write transaction calls while another program writes to the database.

    It reports "Waiting for another CSDesk…" and raises :class:`Cancelled` when
    the user cancels, so a job waits as long as it takes but never past Cancel.
    None for ``SILENT``: nothing to report to, nobody to cancel (the database's
    own default applies: the CLI's note on stderr, else a bounded wait).
    """
    if progress is SILENT:
        return None

    def waiting() -> None:
        progress.step(0, 0, tr("Waiting for another CSDesk…"), force=True)

    return waiting
