"""Where CSDesk keeps its files, and where its bundled resources are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "CSDesk"


def data_dir() -> Path:
    """The user's data folder (``CSDESK_DATA_DIR`` overrides it, for tests and portable use)."""
    override = os.environ.get("CSDESK_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Files CSDesk can always rebuild (under the data folder when ``CSDESK_DATA_DIR`` is set)."""
    override = os.environ.get("CSDESK_DATA_DIR")
    path = (
        Path(override) / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database() -> Path:
    return data_dir() / "csdesk.sqlite"


def log_file() -> Path:
    return data_dir() / "csdesk.log"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder, also inside a frozen build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
