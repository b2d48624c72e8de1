"""The model editor's calibration panel: side by side, Accept / Edit / Ignore, honest refusal."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import health, health_check

TODAY = date(2026, 11, 25)


def _calibration(model: health.Model, enough: bool = True) -> health_check.Calibration:
    weights = {c.key: w for c, w in zip(model.components, (40, 20, 20, 5, 5, 10), strict=True)}
    return health_check.Calibration(
        model,
        90,
        enough,
        0.71 if enough else None,
        0.78 if enough else None,
        weights if enough else None,
        1000,
        60,
        12,
        "tested" if enough else "Too few churns to fit weights",
    )


@pytest.fixture
def dialog(qtbot, context):
    from ui.health.model_editor import HealthModelDialog

    dlg = HealthModelDialog(context)
    qtbot.addWidget(dlg)
    yield dlg
    # No preview or fit of this dialog left running for the next test's thread pool.
    dlg.preview_timer.stop()
    QThreadPool.globalInstance().waitForDone(20_000)


def test_suggestion_side_by_side_then_edit_puts_it_in_the_model(dialog):
    panel = dialog.calibration
    model = health.model_for(dialog.context.db, None)
    panel.show_result(_calibration(model))
    assert not panel.details.isHidden()
    texts = [panel.table.itemAt(i).widget().text() for i in range(panel.table.count())]
    assert "0.71" in texts and "0.78" in texts and "40%" in texts
    panel.edit_button.click()
    assert [r.weight.value() for r in dialog.rows] == [40, 20, 20, 5, 5, 10]
    assert panel.details.isHidden()
    # Not saved: the stored model keeps its weights until the user saves.
    assert health.model_for(dialog.context.db, None).components[0].weight == model.components[0].weight


def test_accept_saves_the_suggested_weights(dialog, monkeypatch):
    monkeypatch.setattr(health, "recompute", lambda *a, **k: None)
    model = health.model_for(dialog.context.db, None)
    dialog.calibration.show_result(_calibration(model))
    dialog.calibration.accept_button.click()
    saved = health.model_for(dialog.context.db, None)
    assert [c.weight for c in saved.components] == [40, 20, 20, 5, 5, 10]


def test_ignore_keeps_the_model_and_refusal_shows_no_suggestion(dialog):
    panel = dialog.calibration
    model = health.model_for(dialog.context.db, None)
    before = [r.weight.value() for r in dialog.rows]
    panel.show_result(_calibration(model))
    panel.ignore_button.click()
    assert panel.details.isHidden() and panel.result is None
    assert [r.weight.value() for r in dialog.rows] == before
    panel.show_result(_calibration(model, enough=False))
    assert panel.details.isHidden()
    assert "Too few churns" in panel.message.text()


def test_the_button_runs_the_fit_in_the_background(dialog, qtbot):
    panel = dialog.calibration
    panel.today = TODAY
    with qtbot.waitSignal(panel.calibrated, timeout=20_000) as signal:
        panel.suggest_button.click()
    # An empty book: nothing to learn from, said plainly.
    assert signal.args[0].enough_data is False
    assert panel.message.text()
