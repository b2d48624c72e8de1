"""Playbooks while the app runs: evaluated in the background, never on the GUI thread.

The whole book is checked once the book is on screen and again whenever the
reminder rules run (start-up, a new day); one account is checked after an
edit or a logged event; an import's accounts after the import, for the
triggers an import brings (answers, events). Evaluations queue one behind the
other: each takes the write lock, and asking again while one runs merges.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ui.context import AppContext
from ui.workers import run_in_background

START_DELAY_MS = 6000  # after the reminder rules' first run


class PlaybookService(QObject):
    evaluated = Signal(object)  # csdesk.playbooks.EvaluationResult

    def __init__(self, context: AppContext, parent: QObject | None = None):
        super().__init__(parent)
        self.context = context
        self._running = False
        self._whole_book = False
        self._accounts: set[int] = set()
        self._imports: list[tuple[int, list[int]]] = []
        hub = context.hub
        hub.timelineChanged.connect(self._on_account)
        hub.accountsChanged.connect(self._on_accounts)
        hub.importFinished.connect(self._on_import)
        # Another book opened: the reminder rules run again, and the book check follows them.

    def start(self) -> None:
        QTimer.singleShot(START_DELAY_MS, self.check_book)

    def check_book(self) -> None:
        self._whole_book = True
        self._next()

    def check_accounts(self, account_ids: list[int]) -> None:
        self._accounts.update(i for i in account_ids if i)
        self._next()

    def _on_account(self, account_id: int) -> None:
        if account_id:
            self.check_accounts([account_id])

    def _on_accounts(self, account_ids: list) -> None:
        # Empty means "many": an import (handled on its own) or a bulk change the next book check sees.
        if account_ids and len(account_ids) <= 50:
            self.check_accounts(list(account_ids))

    def _on_import(self, run_id: int, account_ids: list) -> None:
        if account_ids:
            self._imports.append((run_id, list(account_ids)))
            self._next()

    def _next(self) -> None:
        if self._running or self.context.db.read_only:  # a read-only book gets no tasks written
            return
        from csdesk import i18n, playbooks

        db, language = self.context.db, i18n.current_language()
        if self._imports:
            run_id, ids = self._imports.pop(0)
            job = lambda progress: playbooks.evaluate(  # noqa: E731
                db,
                account_ids=ids,
                triggers=playbooks.IMPORT_TRIGGERS,
                import_run_id=run_id,
                progress=progress,
                language=language,
            )
        elif self._whole_book:
            self._whole_book = False
            self._accounts.clear()
            job = lambda progress: playbooks.evaluate(db, progress=progress, language=language)  # noqa: E731
        elif self._accounts:
            ids = sorted(self._accounts)
            self._accounts.clear()
            job = lambda progress: playbooks.evaluate(  # noqa: E731
                db, account_ids=ids, progress=progress, language=language
            )
        else:
            return
        self._running = True
        run_in_background(job, self._on_done, self._on_failed, parent=self)

    def _on_done(self, result) -> None:
        self._running = False
        if result.created:
            self.context.hub.tasksChanged.emit(0)
        self.evaluated.emit(result)
        self._next()

    def _on_failed(self, _error: BaseException) -> None:
        # Logged by the worker; a playbook must never interrupt the CSM with a dialog.
        self._running = False
        self._next()
