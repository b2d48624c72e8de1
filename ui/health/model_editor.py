"""The health model editor: 3 to 7 components, weights adding up to 100 %, bands, alerts.

The dialog validates as the user types (the weight total is always shown) and
refuses to save a model that ``csdesk.health.validate_model`` rejects. Each
points rule is also said in words under its row, and a live preview (computed
off the GUI thread) says how many accounts the model as typed would move to
another band.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, health, health_preview, vocab
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

PREVIEW_DELAY_MS = 400  # typing pauses this long before the preview is recomputed

_SEPARATOR = re.compile(r"\s*(?:→|->|:|=)\s*")


def parse_bands(text: str) -> tuple[tuple[float, float], ...]:
    """'5 → 10; 3 → 7; 0 → 0' (decimal comma or point) -> ((5, 10), (3, 7), (0, 0)); ValueError if unreadable."""
    bands = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        pieces = _SEPARATOR.split(part)
        if len(pieces) != 2:
            raise ValueError(part)
        low, points = (float(p.strip().lstrip("≥>").replace(",", ".")) for p in pieces)
        bands.append((low, points))
    if not bands:
        raise ValueError(text)
    return tuple(sorted(bands, reverse=True))


def format_bands(bands: tuple[tuple[float, float], ...]) -> str:
    return "; ".join(
        f"{formatting.number(a, 2 if a % 1 else 0)} → {formatting.number(b, 1 if b % 1 else 0)}"
        for a, b in bands
    )


class ComponentRow(QWidget):
    """The widgets of one component (they sit in the dialog's grid, not in this widget)."""

    changed = Signal()
    removeRequested = Signal(object)

    def __init__(self, component: health.Component, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = component.key
        self.name = QLineEdit(component.label or "")
        self.name.setPlaceholderText(health.measure_short_label(component.measure))
        self.name.setMinimumWidth(150)
        self.measure = QComboBox()
        for key in health.MEASURES:
            self.measure.addItem(health.measure_label(key), key)
        self.measure.setCurrentIndex(self.measure.findData(component.measure))
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 100)
        self.weight.setDecimals(1)
        self.weight.setSingleStep(5)
        self.weight.setSuffix(" %")
        self.weight.setValue(component.weight)
        self.kind = QComboBox()
        self.kind.addItem(tr("Bands"), "bands")
        self.kind.addItem(tr("Linear"), "linear")
        self.kind.setCurrentIndex(self.kind.findData(component.scale.kind))
        self.bands = QLineEdit(format_bands(component.scale.bands) if component.scale.bands else "")
        self.bands.setPlaceholderText("5 → 10; 3 → 7; 1 → 3; 0 → 0")
        self.bands.setToolTip(
            tr(
                "From each value up, the points it earns (0-10), separated by ';'. Below the lowest value: 0 points."
            )
        )
        self.low = QDoubleSpinBox()
        self.high = QDoubleSpinBox()
        for spin, value in ((self.low, component.scale.low), (self.high, component.scale.high)):
            spin.setRange(-100000, 100000)
            spin.setDecimals(2)
            spin.setValue(value)
        linear = QWidget()
        lin = QHBoxLayout(linear)
        lin.setContentsMargins(0, 0, 0, 0)
        lin.addWidget(QLabel(tr("0 pts at")))
        lin.addWidget(self.low)
        lin.addWidget(QLabel(tr("10 pts at")))
        lin.addWidget(self.high)
        self.rule = QStackedWidget()
        self.rule.addWidget(self.bands)
        self.rule.addWidget(linear)
        self.rule.setCurrentIndex(0 if component.scale.kind == "bands" else 1)
        self.remove = QPushButton("✕")
        self.remove.setToolTip(tr("Remove this component"))
        self.remove.setFixedWidth(32)
        self.remove.clicked.connect(lambda: self.removeRequested.emit(self))
        self.explanation = QLabel("")
        self.explanation.setObjectName("ruleExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("color: #6b7385; font-size: 11px;")
        self.changed.connect(self._explain)
        self._explain()

        self.name.textChanged.connect(self.changed)
        self.measure.currentIndexChanged.connect(self._on_measure)
        self.weight.valueChanged.connect(self.changed)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.bands.textChanged.connect(self.changed)
        self.low.valueChanged.connect(self.changed)
        self.high.valueChanged.connect(self.changed)

    def widgets(self) -> list[QWidget]:
        return [self.name, self.measure, self.weight, self.kind, self.rule, self.remove]

    def _explain(self) -> None:
        """The points rule in words, under the row ('3 or more: 10 pts · 2 to under 3: 7 pts …')."""
        try:
            text = health_preview.describe_scale(self.component().scale)
        except ValueError:
            text = tr("Write the bands as 'value → points; …', e.g. 5 → 10; 3 → 7; 0 → 0.")
        measure = health.measure_short_label(self.measure.currentData())
        self.explanation.setText(f"{measure}: {text}" if text else "")

    def _on_measure(self) -> None:
        self.name.setPlaceholderText(health.measure_short_label(self.measure.currentData()))
        self.changed.emit()

    def _on_kind(self) -> None:
        self.rule.setCurrentIndex(0 if self.kind.currentData() == "bands" else 1)
        self.changed.emit()

    def component(self) -> health.Component:
        """The component as typed; raises ValueError when the bands cannot be read."""
        if self.kind.currentData() == "bands":
            scale = health.Scale("bands", parse_bands(self.bands.text()))
        else:
            scale = health.Scale("linear", (), self.low.value(), self.high.value())
        return health.Component(
            key=self.key,
            measure=self.measure.currentData(),
            weight=round(self.weight.value(), 2),
            scale=scale,
            label=self.name.text().strip() or None,
        )


class HealthModelDialog(QDialog):
    """Edit the default model or a segment's model, and the alert rules."""

    saved = Signal(object)  # the saved Model
    previewReady = Signal(object)  # the BandPreview of the model as typed

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        on_saved: Callable[[health.Model], None] | None = None,
    ):
        super().__init__(parent)
        self.context = context
        self.on_saved = on_saved
        self.setWindowTitle(tr("Health Score model"))
        self.setMinimumWidth(980)
        self.rows: list[ComponentRow] = []
        self.models = {m.segment: m for m in health.list_models(context.db)}
        self._counter = 0

        self.segment = QComboBox()
        self.segment.addItem(tr("Default model (all segments)"), None)
        for key in vocab.SEGMENTS:
            self.segment.addItem(label(vocab.SEGMENT_LABELS, key), key)
        self.segment_note = QLabel("")
        self.segment_note.setObjectName("pageSubtitle")
        self.delete_button = QPushButton(tr("Use the default model for this segment"))
        self.delete_button.clicked.connect(self._delete_segment_model)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Model for")))
        top.addWidget(self.segment)
        top.addWidget(self.segment_note, 1)
        top.addWidget(self.delete_button)

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        for col, text in enumerate(
            (tr("Name"), tr("Measure"), tr("Weight"), tr("Scale"), tr("Points rule"), "")
        ):
            head = QLabel(text)
            head.setStyleSheet("font-weight: 600; color: #6b7385;")
            self.grid.addWidget(head, 0, col)
        self.grid.setColumnStretch(4, 1)
        self.add_button = QPushButton(tr("Add component"))
        self.add_button.clicked.connect(self._add_clicked)
        self.total_label = QLabel("")
        self.total_label.setObjectName("weightTotal")
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        add_row.addWidget(self.total_label)

        self.green = QDoubleSpinBox()
        self.yellow = QDoubleSpinBox()
        for spin in (self.green, self.yellow):
            spin.setRange(1, 100)
            spin.setDecimals(0)
            spin.valueChanged.connect(self._validate)
        bands = QHBoxLayout()
        bands.addWidget(QLabel(tr("Healthy (green) from")))
        bands.addWidget(self.green)
        bands.addSpacing(16)
        bands.addWidget(QLabel(tr("At risk (yellow) from")))
        bands.addWidget(self.yellow)
        bands.addSpacing(16)
        self.red_note = QLabel("")
        bands.addWidget(self.red_note)
        bands.addStretch(1)

        # No data, no score: the share of the weight the inputs present must carry.
        self.min_weight = QDoubleSpinBox()
        self.min_weight.setObjectName("minWeight")
        self.min_weight.setRange(1, 100)
        self.min_weight.setDecimals(0)
        self.min_weight.setSuffix("%")
        self.min_weight.valueChanged.connect(self._validate)
        self.min_weight.setToolTip(
            tr(
                "Below this share of the weight present, an account has no score (No data) "
                "instead of a score resting on one or two inputs."
            )
        )
        min_row = QHBoxLayout()
        min_row.addWidget(QLabel(tr("Score only with at least")))
        min_row.addWidget(self.min_weight)
        min_row.addWidget(QLabel(tr("of the weight present; below it: No data")))
        min_row.addStretch(1)

        alerts = health.get_alert_settings(context.db)
        self.drop_points = QDoubleSpinBox()
        self.drop_points.setRange(1, 100)
        self.drop_points.setDecimals(0)
        self.drop_points.setValue(float(alerts["drop_points"]))
        self.drop_days = QSpinBox()
        self.drop_days.setRange(1, 90)
        self.drop_days.setValue(int(alerts["drop_days"]))
        self.red_alert = QCheckBox(tr("Alert when an account enters the red band"))
        self.red_alert.setChecked(bool(alerts["red"]))
        alert_row = QHBoxLayout()
        alert_row.addWidget(QLabel(tr("Alert on a drop of")))
        alert_row.addWidget(self.drop_points)
        alert_row.addWidget(QLabel(tr("points in")))
        alert_row.addWidget(self.drop_days)
        alert_row.addWidget(QLabel(tr("days")))
        alert_row.addSpacing(16)
        alert_row.addWidget(self.red_alert)
        alert_row.addStretch(1)

        self.preview = QLabel("")
        self.preview.setObjectName("modelPreview")
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("font-weight: 600;")
        self.today = None  # None = the clock's day (tests pin one)
        self._preview_generation = 0
        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(PREVIEW_DELAY_MS)
        self.preview_timer.timeout.connect(self.run_preview)

        self.errors = QLabel("")
        self.errors.setObjectName("formSummary")
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(tr("Save and recompute"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        def section(text: str) -> QLabel:
            lab = QLabel(text)
            lab.setStyleSheet("font-weight: 600; font-size: 14px; margin-top: 8px;")
            return lab

        hint = QLabel(
            tr(
                "Each component turns one measure into 0-10 points; Score = Σ weight × points × 10. "
                "Use 3 to 7 components whose weights add up to 100%."
            )
        )
        hint.setObjectName("pageSubtitle")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(section(tr("Components")))
        layout.addLayout(self.grid)
        layout.addLayout(add_row)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addWidget(section(tr("Bands")))
        layout.addLayout(bands)
        layout.addLayout(min_row)
        layout.addWidget(section(tr("Alerts (become risk tasks in Today)")))
        layout.addLayout(alert_row)
        from ui.health.calibration import CalibrationPanel

        layout.addWidget(section(tr("Calibration on this book's churn")))
        self.calibration = CalibrationPanel(self)
        layout.addWidget(self.calibration)
        layout.addWidget(self.preview)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

        self.segment.currentIndexChanged.connect(lambda _i: self.load_segment(self.segment.currentData()))
        self.load_segment(None)

    # Loading ------------------------------------------------------------------------

    def load_segment(self, segment: str | None) -> None:
        own = self.models.get(segment)
        model = own or self.models[None]
        self.delete_button.setVisible(own is not None and segment is not None)
        if segment is None:
            self.segment_note.setText(tr("Used by every segment without a model of its own."))
        elif own is None:
            self.segment_note.setText(tr("This segment uses the default model; saving creates its own."))
        else:
            self.segment_note.setText(tr("This segment has its own model."))
        for row in list(self.rows):
            self._remove_row(row, validate=False)
        for comp in model.components:
            self._add_row(comp)
        for spin, value in (
            (self.green, model.green),
            (self.yellow, model.yellow),
            (self.min_weight, model.min_weight),
        ):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self._validate()

    def _add_clicked(self) -> None:
        used = {r.measure.currentData() for r in self.rows}
        measure = next((m for m in health.MEASURES if m not in used), health.MEASURES[0])
        self._add_row(health.Component("", measure, 0, health.Scale("linear", (), 0, 10)))
        self._validate()

    def _add_row(self, comp: health.Component) -> None:
        self._counter += 1
        key = comp.key or f"component_{self._counter}"
        while key in {r.key for r in self.rows}:
            self._counter += 1
            key = f"component_{self._counter}"
        row = ComponentRow(health.Component(key, comp.measure, comp.weight, comp.scale, comp.label), self)
        row.hide()
        row.changed.connect(self._validate)
        row.removeRequested.connect(self._remove_row)
        self.rows.append(row)
        self._relayout()

    def _remove_row(self, row: ComponentRow, validate: bool = True) -> None:
        self.rows.remove(row)
        for widget in [*row.widgets(), row.explanation]:
            self.grid.removeWidget(widget)
            widget.setParent(None)
            widget.deleteLater()
        row.deleteLater()
        self._relayout()
        if validate:
            self._validate()

    def _relayout(self) -> None:
        # Each component takes two grid rows: its fields, then its rule in words.
        for i, row in enumerate(self.rows):
            for col, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, 1 + 2 * i, col)
            self.grid.addWidget(row.explanation, 2 + 2 * i, 1, 1, 5)
        self.add_button.setEnabled(len(self.rows) < health.MAX_COMPONENTS)

    # Validation and saving ----------------------------------------------------------

    def current_model(self) -> tuple[health.Model | None, list[str]]:
        segment = self.segment.currentData()
        components = []
        errors = []
        for row in self.rows:
            try:
                components.append(row.component())
            except ValueError:
                name = row.name.text().strip() or health.measure_short_label(row.measure.currentData())
                errors.append(
                    tr(
                        "{name}: write the bands as 'value → points; …', e.g. 5 → 10; 3 → 7; 0 → 0.",
                        name=name,
                    )
                )
        own = self.models.get(segment)
        model = health.Model(
            name=own.name
            if own
            else ("Standard" if segment is None else label(vocab.SEGMENT_LABELS, segment)),
            components=tuple(components),
            segment=segment,
            green=self.green.value(),
            yellow=self.yellow.value(),
            id=own.id if own else None,
            min_weight=self.min_weight.value(),
        )
        errors += health.validate_model(model) if not errors or components else []
        return (model if not errors else None), errors

    def _validate(self) -> None:
        total = sum(r.weight.value() for r in self.rows)
        ok_total = abs(total - 100) <= 0.01
        text = tr("Total: {total}%", total=formatting.number(total, 1))
        if ok_total:
            self.total_label.setText(text + " ✓")
            self.total_label.setStyleSheet("color: #1F7A45; font-weight: 600;")
        else:
            self.total_label.setText(text + " — " + tr("the weights must add up to 100%"))
            self.total_label.setStyleSheet("color: #B42318; font-weight: 600;")
        self.red_note.setText(
            tr("Critical (red) below {yellow}", yellow=formatting.number(self.yellow.value(), 0))
        )
        model, errors = self.current_model()
        self.errors.setVisible(bool(errors))
        self.errors.setText("\n".join(errors))
        self.save_button.setEnabled(model is not None)
        if model is None:
            self._preview_generation += 1  # a preview on its way is for a model no longer typed
            self.preview_timer.stop()
            self.preview.setText(tr("Preview: complete the model to see how many accounts change band."))
        else:
            self.preview.setText(tr("Preview: computing…"))
            self.preview_timer.start()

    def run_preview(self) -> None:
        """Score today with the model as typed, in the background; the latest request wins."""
        model, _errors = self.current_model()
        if model is None:
            return
        self._preview_generation += 1
        generation, db, today = self._preview_generation, self.context.db, self.today
        run_in_background(
            lambda _p: health_preview.preview_model(db, model, today),
            lambda result: self._on_preview(generation, result),
            lambda error: self._on_preview_failed(generation, error),
            parent=self,
        )

    def _on_preview(self, generation: int, result: health_preview.BandPreview) -> None:
        if generation != self._preview_generation:
            return
        self.preview.setText(health_preview.preview_text(result))
        self.previewReady.emit(result)

    def _on_preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._preview_generation:
            return
        self.preview.setText(tr("Preview unavailable: {error}", error=str(error)))
        if not isinstance(error, UserError):
            show_error(self, error)

    def save(self) -> None:
        model, errors = self.current_model()
        if model is None:
            self._validate()
            return
        try:
            saved = health.save_model(self.context.db, model)
            health.set_alert_settings(
                self.context.db,
                {
                    "drop_points": self.drop_points.value(),
                    "drop_days": self.drop_days.value(),
                    "red": self.red_alert.isChecked(),
                },
            )
        except UserError as exc:
            self.errors.setText(str(exc))
            self.errors.show()
            return
        except Exception as exc:  # a bug: reported, dialog stays open
            show_error(self, exc)
            return
        self.models[saved.segment] = saved
        self.saved.emit(saved)
        if self.on_saved is not None:
            self.on_saved(saved)
        self.accept()

    def _delete_segment_model(self) -> None:
        segment = self.segment.currentData()
        own = self.models.get(segment)
        if own is None or own.id is None or segment is None:
            return
        health.delete_model(self.context.db, own.id)
        del self.models[segment]
        self.load_segment(segment)
        if self.on_saved is not None:
            self.on_saved(self.models[None])
