"""Logging to a file in the data folder: bugs keep their tracebacks there."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

from csdesk.paths import log_file


def setup_logging() -> None:
    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return
    try:
        handler = RotatingFileHandler(log_file(), maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return  # an unwritable data folder must not stop a command
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
