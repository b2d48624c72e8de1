"""Showing errors: a user-world problem gets its message, a bug is logged and shown once."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from csdesk.errors import is_user_error
from csdesk.i18n import tr
from csdesk.paths import log_file

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, error: BaseException, title: str | None = None) -> None:
    if is_user_error(error):
        QMessageBox.warning(parent, title or tr("CSDesk"), str(error))
        return
    log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
    QMessageBox.critical(
        parent,
        title or tr("CSDesk"),
        tr(
            "Something went wrong inside CSDesk. Details were written to {path}.",
            path=str(log_file()),
        )
        + "\n\n"
        + f"{type(error).__name__}: {error}",
    )
