"""The health model editor says each rule in words and previews how many accounts change band."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import QThreadPool

from csdesk import demo, health
from csdesk.health_preview import preview_model

TODAY = date(2026, 11, 25)


@pytest.fixture
def dialog(qtbot, context):
    from ui.health.model_editor import HealthModelDialog

    demo.create_book(context.db, accounts=30, today=TODAY)
    widget = HealthModelDialog(context)
    widget.today = TODAY
    qtbot.addWidget(widget)
    yield widget
    QThreadPool.globalInstance().waitForDone(5000)


def test_rules_are_said_in_words(dialog):
    usage = next(r for r in dialog.rows if r.key == "usage")
    assert "3 or more: 10 pts · 2 to under 3: 7 pts" in usage.explanation.text()
    usage.bands.setText("4 → 10; 0 → 2")
    assert "4 or more: 10 pts · 0 to under 4: 2 pts" in usage.explanation.text()
    adoption = next(r for r in dialog.rows if r.key == "adoption")
    assert "in proportion" in adoption.explanation.text()


def test_live_preview_counts_the_accounts_that_change_band(qtbot, dialog, context):
    with qtbot.waitSignal(dialog.previewReady, timeout=10_000) as first:
        dialog.run_preview()
    assert first.args[0].changed == 0
    assert "no account changes band" in dialog.preview.text()

    with qtbot.waitSignal(dialog.previewReady, timeout=10_000) as blocker:
        dialog.green.setValue(92)  # a stricter green band: the preview follows after a pause
    result = blocker.args[0]
    expected = preview_model(context.db, replace(health.model_for(context.db, None), green=92), TODAY)
    assert result == expected and result.changed > 0
    assert f"{result.changed} of {result.accounts} accounts change band" in dialog.preview.text()
    assert health.model_for(context.db, None).green != 92  # nothing saved


def test_no_preview_for_a_model_that_cannot_be_read(qtbot, dialog):
    dialog.rows[0].bands.setText("muitos → 10")
    assert "complete the model" in dialog.preview.text()
    assert not dialog.preview_timer.isActive()
