"""Keeps health scores current in the GUI: after imports, timeline edits and on demand.

Recomputes run in the background (never on the GUI thread); a request that
arrives while one runs is queued and merged, so bursts of edits cost one run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar, QStatusBar

from csdesk.i18n import tr
from ui.context import AppContext
from ui.workers import run_in_background

if TYPE_CHECKING:
    from csdesk import health


class HealthService(QObject):
    started = Signal()
    finished = Signal(object)  # RecomputeResult or an exception

    def __init__(self, context: AppContext, status_bar: QStatusBar | None = None, parent=None):
        super().__init__(parent)
        self.context = context
        self.status_bar = status_bar
        self.job = None
        self._pending: set[int] | None | bool = False  # False: nothing queued; None: everything
        # The imports behind the queued accounts (their scores change from the first day they
        # wrote); None: some request changed an account's whole history.
        self._runs: list[int] | None = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(400)
        self._timer.timeout.connect(self._run_pending)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.hide()
        if status_bar is not None:
            status_bar.addPermanentWidget(self.progress)
        hub = context.hub
        hub.importFinished.connect(lambda run, account_ids: self.request(list(account_ids), run))
        hub.timelineChanged.connect(lambda account_id: self.request([account_id]) if account_id else None)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def request(self, account_ids: list[int] | None, run_id: int | None = None) -> None:
        """Recompute these accounts (None = all) soon; ``run_id``: the import that changed them."""
        if account_ids is not None and not account_ids:
            return  # nothing changed (an import whose rows were all unchanged)
        if run_id is None or account_ids is None:
            self._runs = None
        elif self._runs is not None:
            self._runs.append(run_id)
        if account_ids is None or self._pending is None:
            self._pending = None
        elif self._pending is False:
            self._pending = set(account_ids)
        else:
            self._pending |= set(account_ids)
        self._timer.start()

    def recompute_all(self) -> None:
        self.request(None)
        self._timer.stop()
        self._run_pending()

    def _run_pending(self) -> None:
        if self._pending is False:
            return
        if self.running:
            self._timer.start()
            return
        from csdesk import health  # scoring needs pandas: loaded with the first recompute

        wanted = self._pending
        runs = self._runs
        self._pending = False
        self._runs = []
        ids = None if wanted is None else sorted(wanted)
        db = self.context.db

        def work(progress):
            since = None
            if ids is not None and runs:
                firsts = [health.rescore_since(db, run) for run in runs]
                since = None if None in firsts else min(firsts)
            return health.recompute(db, ids, progress=progress, since=since)

        self.progress.setRange(0, 0)
        self.progress.show()
        if self.status_bar is not None:
            self.status_bar.showMessage(tr("Computing health scores…"))
        self.started.emit()
        self.job = run_in_background(
            work,
            lambda result: self._done(result, ids),
            self._failed,
            parent=self,
        )
        self.job.progressed.connect(self._on_progress)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if self.status_bar is not None and message:
            self.status_bar.showMessage(message)

    def _done(self, result: health.RecomputeResult, ids: list[int] | None) -> None:
        self.progress.hide()
        if self.status_bar is not None:
            self.status_bar.showMessage(
                tr(
                    "Health scores updated: {accounts} accounts, {alerts} new alerts.",
                    accounts=result.accounts,
                    alerts=result.alerts,
                ),
                6000,
            )
        self.context.hub.healthChanged.emit(ids or [])
        if result.alerts:
            self.context.hub.tasksChanged.emit(0)
        self.finished.emit(result)

    def _failed(self, error: BaseException) -> None:
        from ui.errors import show_error

        self.progress.hide()
        if self.status_bar is not None:
            self.status_bar.clearMessage()
        self.finished.emit(error)
        show_error(None, error)
