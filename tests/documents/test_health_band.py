"""A document's health band comes from the account's health model, whatever its thresholds."""

from __future__ import annotations

from dataclasses import replace

from csdesk import documents, health
from csdesk.documents import context
from db.models import Account, HealthSnapshot

from .conftest import TODAY
from .test_documents import slide_texts

PERIOD = context.Period.quarter_to(TODAY)


def _score_without_band(db, account_id: int, score: float) -> str | None:
    """A score the denormalised column holds with no band and no snapshot: the band must be derived."""
    with db.session() as s, s.begin():
        s.query(HealthSnapshot).filter(HealthSnapshot.account_id == account_id).delete()
        account = s.get(Account, account_id)
        account.health_score, account.health_band, account.health_trend = score, None, None
        return account.segment


def test_the_deck_bands_a_score_with_the_accounts_model_thresholds(book, tmp_path):
    db, account_id = book
    segment = _score_without_band(db, account_id, 75.0)
    default = context.build(db, account_id, "en", PERIOD, today=TODAY, show_health=True).data["health"]
    assert (default["score"], default["band"]) == (75.0, "yellow")  # the shipped 80/60

    lenient = replace(health.model_for(db, None), id=None, segment=segment, green=70, yellow=50)
    health.save_model(db, lenient)
    health_data = context.build(db, account_id, "en", PERIOD, today=TODAY, show_health=True).data["health"]
    assert (health_data["band"], health_data["band_label"]) == ("green", "Healthy")

    out = tmp_path / "qbr.pptx"
    documents.generate(db, "qbr", account_id, out, "en", PERIOD, today=TODAY, show_health=True)
    everything = "\n".join(slide_texts(out))
    assert "Healthy" in everything and "At risk" not in everything
