"""The book of business page (placeholder until the table lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from csdesk.i18n import tr
from ui.context import AppContext


class BookPage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Book of business")))
