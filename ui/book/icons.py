"""Line icons drawn from the SVGs in resources/icons, tinted to the wanted colour."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from csdesk.paths import resources_dir

DEFAULT_COLOR = "#465064"


@cache
def _svg(name: str) -> str:
    return (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")


def _pixmap(name: str, color: str, size: int) -> QPixmap:
    data = QByteArray(_svg(name).replace("currentColor", color).encode("utf-8"))
    renderer = QSvgRenderer(data)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@cache
def icon(name: str, color: str = DEFAULT_COLOR) -> QIcon:
    """A named icon (resources/icons/NAME.svg) in ``color``; sharp at the usual sizes."""
    result = QIcon()
    for size in (16, 18, 20, 24, 32, 36, 48):
        result.addPixmap(_pixmap(name, color, size))
    return result
