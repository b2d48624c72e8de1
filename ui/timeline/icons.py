"""Event-kind icons: a coloured disc with a symbol, drawn once and cached."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from csdesk import vocab

# The colour and symbol of each kind live in the one table of kinds (csdesk.vocab).
KIND_STYLE: dict[str, tuple[str, str]] = vocab.EVENT_KIND_STYLE
DEFAULT_STYLE = ("#64748b", "•")


@cache
def kind_pixmap(kind: str, size: int = 28, ratio: float = 1.0) -> QPixmap:
    color, symbol = KIND_STYLE.get(kind, DEFAULT_STYLE)
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    font = QFont()
    font.setPixelSize(int(size * 0.55))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, symbol)
    painter.end()
    return pixmap


def kind_icon(kind: str) -> QIcon:
    return QIcon(kind_pixmap(kind, 32))
