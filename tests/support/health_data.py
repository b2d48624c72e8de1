"""Hand-made books for the metrics and health tests: real rows, written in bulk."""

from __future__ import annotations

from datetime import date, datetime

from csdesk import ledger
from csdesk.rules.names import name_key
from db import Database
from db.models import Account, SurveyResponse


def add_accounts(db: Database, specs: list[dict]) -> list[int]:
    """Insert accounts (name defaults to A<n>); returns their ids in order."""
    with db.session() as session, session.begin():
        rows = []
        for n, spec in enumerate(specs):
            values = {"name": f"A{n}", "status": "active"} | spec
            values.setdefault("name_key", name_key(values["name"]))
            rows.append(Account(**values))
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def add_revenue(db: Database, rows: list[tuple[int, date, str, int, int]]) -> None:
    """Movements as given (no rule applied), through the ledger's writer."""
    with db.session() as session, session.begin():
        ledger.insert_movements(
            session.connection(),
            [
                {
                    "account_id": a,
                    "effective_date": d,
                    "kind": k,
                    "mrr_before_cents": b,
                    "mrr_after_cents": af,
                }
                for a, d, k, b, af in rows
            ],
        )


def add_surveys(db: Database, rows: list[tuple[int, str, int, datetime]]) -> None:
    with db.session() as session, session.begin():
        session.add_all(SurveyResponse(account_id=a, kind=k, score=s, answered_at=t) for a, k, s, t in rows)
