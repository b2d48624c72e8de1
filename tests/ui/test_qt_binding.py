"""The Qt binding in use must not corrupt reference counts (PySide6 6.12.0 on Python 3.11 did)."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)


def test_emitting_signals_keeps_true_false_alive(qapp):
    emitter = _Emitter()
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(3000):
        emitter.changed.emit(i)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert all(abs(a - b) < 100 for a, b in zip(after, before, strict=True)), (before, after)
