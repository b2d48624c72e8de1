"""Showing a note safely: rendered Markdown in a browser that fetches and follows nothing."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QSplitter, QTextBrowser, QWidget

from csdesk import formatting, vocab
from csdesk.i18n import label, tr
from csdesk.note_markup import is_safe_link, render_markdown
from csdesk.timeline import EventData
from ui.timeline.model import kind_text


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that loads no resource and opens only web/mail links, only on a click."""

    linkRefused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor)
        self.opened: list[str] = []  # for tests: what a click asked the desktop to open
        self.open_url = QDesktopServices.openUrl

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802 (Qt override)
        # Images, style sheets, anything a document refers to: never fetched, local or remote.
        return None

    def _on_anchor(self, url: QUrl) -> None:
        target = url.toString()
        if not is_safe_link(target):
            self.linkRefused.emit(target)
            return
        self.opened.append(target)
        self.open_url(url)


def list_beside_note(events: QWidget, note: QWidget) -> QSplitter:
    """The event list on the left, the selected note on the right: both timeline views look alike."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(events)
    splitter.addWidget(note)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    splitter.setSizes([640, 420])
    splitter.setChildrenCollapsible(False)
    return splitter


def event_html(event: EventData, account_name: str | None = None) -> str:
    """The detail view of one event: a heading, facts, then the rendered note."""
    facts = [
        kind_text(event),
        formatting.moment(event.occurred_at),
        label(vocab.EVENT_SOURCE_LABELS, event.source),
    ]
    if event.channel:
        facts.append(label(vocab.CHANNEL_LABELS, event.channel))
    if account_name:
        facts.insert(0, account_name)
    body = render_markdown(event.body) or f"<p><i>{html.escape(tr('No details.'))}</i></p>"
    return (
        f"<h3>{html.escape(event.title)}</h3>"
        f"<p style='color:#666'>{' · '.join(html.escape(f) for f in facts)}</p>"
        f"{body}"
    )
