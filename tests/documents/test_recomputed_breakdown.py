"""A document shows the breakdown of a recomputed score (kept per account, not in the snapshot row)."""

from __future__ import annotations

from datetime import date

from csdesk import health
from csdesk.documents import context
from db.models import Account, Measure

TODAY = date(2026, 11, 25)


def test_a_recomputed_score_s_breakdown_reaches_the_document(db):
    with db.session() as s, s.begin():
        account = Account(
            name="A", name_key="a", status="active", contract_start=date(2025, 1, 1), licensed_users=10
        )
        s.add(account)
        s.flush()
        s.add_all(
            Measure(account_id=account.id, metric=m, as_of=date(2026, 11, 20), value=v)
            for m, v in (("logins", 25.0), ("active_users", 7.0), ("key_feature_use", 55.0))
        )
        account_id = account.id
    health.recompute(db, today=TODAY, alerts=False)
    expected = health.explain(db, account_id).current

    data = context.build(
        db, account_id, "en", context.Period.quarter_to(TODAY), today=TODAY, show_health=True
    )

    components = data.data["health"]["components"]
    assert [(c["key"], c["points"]) for c in components] == [(c.key, c.points) for c in expected.components]
    assert any(c["points"] is not None for c in components)
