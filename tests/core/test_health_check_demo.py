"""On the demo book the health score shows real separation, and the calibration can fit."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import demo, health_check
from db import open_database

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("demo") / "demo.sqlite")
    demo.create_book(db, accounts=200, seed=1, today=TODAY)
    yield db
    db.dispose()


def test_the_demo_health_score_predicts_churn(demo_db):
    check = health_check.health_check(demo_db, None, 90, today=TODAY)
    assert check.as_of == date(2026, 8, 27)
    assert check.enough, check.verdict()
    assert check.auc > 0.75
    red, green = check.band("red"), check.band("green")
    assert red.churn_rate > green.churn_rate


def test_the_demo_can_be_calibrated(demo_db):
    result = health_check.calibrate(demo_db, 90, today=TODAY)
    assert result.enough_data, result.message
    assert sum(result.suggested_weights.values()) == 100
    assert set(result.suggested_weights) == {c.key for c in result.model.components}
    assert result.current_auc > 0.6 and result.suggested_auc > 0.6
    assert result.test_days >= health_check.MIN_TEST_DAYS
    assert health_check.health.validate_model(result.suggested_model()) == []
