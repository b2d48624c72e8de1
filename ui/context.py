"""What every view needs, handed to it at construction instead of globals."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack

from db import Database
from ui.hub import Hub


@dataclass
class AppContext:
    db: Database
    hub: Hub
    undo_stack: QUndoStack
    settings: QSettings
