"""The model editor's preview: band changes of an edited model, exactly what saving would do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from csdesk import demo, health, i18n
from csdesk.health_preview import describe_scale, preview_model, preview_text
from db.models import Account

TODAY = date(2026, 11, 25)


@pytest.fixture
def demo_db(db):
    demo.create_book(db, accounts=40, today=TODAY)
    return db


def bands(db) -> dict[int, str | None]:
    with db.session() as s:
        return {a.id: a.health_band for a in s.query(Account).filter(Account.status == "active")}


def test_unchanged_model_moves_nobody(demo_db):
    model = health.model_for(demo_db, None)
    preview = preview_model(demo_db, model, TODAY)
    assert preview.accounts > 0 and preview.changed == 0


def test_preview_matches_what_saving_and_recomputing_does(demo_db):
    db = demo_db
    health.recompute(db, today=TODAY)
    before = bands(db)
    stricter = replace(health.model_for(db, None), green=90, yellow=75)
    preview = preview_model(db, stricter, TODAY)
    assert preview.changed > 0 and preview.worse == preview.changed and preview.better == 0
    health.save_model(db, stricter)
    health.recompute(db, today=TODAY)
    after = bands(db)
    assert preview.changed == sum(1 for k in before if before[k] != after[k])
    assert sum(n for _a, _b, n in preview.moves) == preview.changed


def test_preview_text_in_portuguese(demo_db):
    stricter = replace(health.model_for(demo_db, None), green=95, yellow=85)
    preview = preview_model(demo_db, stricter, TODAY)
    text = preview_text(preview, "pt_BR")
    assert text.startswith(f"Com este modelo: {preview.changed} de {preview.accounts} contas mudam de faixa")
    assert "Saudável → Em risco" in text or "Em risco → Crítico" in text


def test_rules_in_words():
    bands_scale = health.Scale("bands", ((3, 10), (2, 7), (1, 3), (0, 0)))
    assert describe_scale(bands_scale, "en") == (
        "3 or more: 10 pts · 2 to under 3: 7 pts · 1 to under 2: 3 pts · 0 to under 1: 0 pts"
    )
    i18n.set_language("pt_BR")
    assert describe_scale(health.Scale("bands", ((5, 10), (2.5, 4))), "pt_BR") == (
        "5 ou mais: 10 pts · de 2,5 a menos de 5: 4 pts · abaixo de 2,5: 0 pts"
    )
    assert describe_scale(health.Scale("linear", (), 20, 80), "en") == (
        "20 or less: 0 pts · 80 or more: 10 pts · in between, in proportion"
    )
    assert describe_scale(health.Scale("linear", (), 60, 0), "en").startswith("Lower is better")
