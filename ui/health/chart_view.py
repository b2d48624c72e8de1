"""A matplotlib chart inside Qt (no pyplot), with export to PNG and SVG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QFileDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import tr
from ui.errors import show_error

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_canvas_class = None


def canvas_class():
    """FigureCanvasQTAgg that lets the mouse wheel scroll the page it sits in.

    matplotlib's canvas takes every wheel event (for its own zoom callbacks, which
    these charts do not use): over a chart, the Indicadores page stopped
    scrolling. Built on first use, as matplotlib is imported lazily.
    """
    global _canvas_class
    if _canvas_class is None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        class ScrollThroughCanvas(FigureCanvasQTAgg):
            def wheelEvent(self, event) -> None:  # noqa: N802 (Qt override)
                # Handed to the page's scroll area explicitly: Qt does not pass a wheel
                # event on to the parents once a widget has seen it, unless it came
                # from the window system.
                area = self.parentWidget()
                while area is not None and not isinstance(area, QAbstractScrollArea):
                    area = area.parentWidget()
                if area is None:
                    event.ignore()
                    return
                viewport = area.viewport()
                position = QPointF(self.mapTo(viewport, event.position().toPoint()))
                forwarded = QWheelEvent(
                    position,
                    event.globalPosition(),
                    event.pixelDelta(),
                    event.angleDelta(),
                    event.buttons(),
                    event.modifiers(),
                    event.phase(),
                    event.inverted(),
                )
                QApplication.sendEvent(viewport, forwarded)
                event.accept()

        _canvas_class = ScrollThroughCanvas
    return _canvas_class


class ChartView(QWidget):
    """Shows one ``Figure``; right-click or the ⋯ button saves it as PNG or SVG."""

    def __init__(self, name: str, parent: QWidget | None = None, min_height: int = 300):
        super().__init__(parent)
        self.name = name  # file name suggested on export
        self.figure: Figure | None = None
        self.canvas: QWidget | None = None
        # Injected in tests instead of the modal file dialog.
        self.ask_path = QFileDialog.getSaveFileName
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(tr("Loading…"))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("emptyHint")
        self._layout.addWidget(self.placeholder)
        self.menu_button = QToolButton(self)
        self.menu_button.setText(tr("Export"))
        self.menu_button.setToolTip(tr("Save this chart as PNG or SVG"))
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setAutoRaise(True)
        self.menu_button.setFixedHeight(22)
        self.menu_button.setStyleSheet(
            "QToolButton { border: none; background: transparent; color: #6b7385; font-size: 11px; text-decoration: underline; }"
            "QToolButton::menu-indicator { image: none; }"
        )
        menu = QMenu(self.menu_button)
        self.png_action = menu.addAction(tr("Save as PNG…"), lambda: self.export("png"))
        self.svg_action = menu.addAction(tr("Save as SVG…"), lambda: self.export("svg"))
        self.menu_button.setMenu(menu)
        self.menu_button.hide()  # shown with the first figure
        self.menu_button.raise_()
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(lambda pos: menu.exec(self.mapToGlobal(pos)))

    def set_figure(self, figure: Figure) -> None:
        """Show ``figure`` (replacing the previous one)."""
        self.figure = figure
        canvas = canvas_class()(figure)
        canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.setMinimumSize(240, 180)  # the figure's inches must not set the page's minimum width
        old = self.canvas
        self.canvas = canvas
        if old is not None:
            self._layout.replaceWidget(old, canvas)
            old.setParent(None)
            old.deleteLater()
        else:
            self._layout.replaceWidget(self.placeholder, canvas)
            self.placeholder.hide()
        canvas.draw_idle()
        self.menu_button.show()
        self.menu_button.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.menu_button.adjustSize()
        self.menu_button.move(self.width() - self.menu_button.width() - 6, 4)

    def export(self, fmt: str) -> str | None:
        """Ask where, then write the chart; returns the path written."""
        if self.figure is None:
            return None
        filters = "PNG (*.png)" if fmt == "png" else "SVG (*.svg)"
        path, _ = self.ask_path(self, tr("Save chart"), f"{self.name}.{fmt}", filters)
        if not path:
            return None
        if not path.lower().endswith("." + fmt):
            path += "." + fmt
        from csdesk.charts import render

        try:
            render(self.figure, path, fmt)
        except (OSError, ValueError) as exc:
            show_error(self, OSError(f"{path}: {getattr(exc, 'strerror', None) or exc}"))
            return None
        return path
