"""Store a small database of the current schema version as ``tests/db/fixtures/vN.sqlite``.

Run it before bumping ``db.schema.CURRENT_VERSION`` (so the old version is
kept), then commit the file: ``tests/db/test_migrations.py`` upgrades every
stored version to the current one and checks the rows below survived.

    .venv/bin/python tests/db/make_fixture.py
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fill(db) -> None:
    """A few rows in every table, with values the upgrade test looks for."""
    from db.models import (
        Account,
        Contact,
        DesiredOutcome,
        HealthModel,
        HealthSnapshot,
        ImportChange,
        ImportPreset,
        ImportRun,
        Measure,
        Milestone,
        RevenueChange,
        Setting,
        SuccessCriterion,
        SuccessPlan,
        SurveyResponse,
        Task,
        Template,
        TimelineEvent,
    )

    with db.session() as s, s.begin():
        run = ImportRun(
            file_name="carteira.csv", kind="accounts", source="hubspot", as_of=date(2026, 1, 5), created=1
        )
        s.add(run)
        s.flush()
        pitanga = Account(
            name="Padaria Pitanga S/A",
            name_key="padaria pitanga",
            external_id="HS-1",
            source="hubspot",
            cnpj="11222333000181",
            domain="pitanga.com.br",
            segment="high_touch",
            stage="ongoing_adoption",
            mrr_cents=123456,
            contract_start=date(2025, 3, 1),
            renewal_date=date(2027, 3, 1),
            owner="Ana Souza",
            licensed_users=50,
            active_users=41,
            custom_fields={"região": "Sul"},
            last_touch_at=datetime(2026, 1, 10, 14, 30),
            health_score=81.5,
            health_band="green",
            health_trend=-2.0,
            last_nps=9,
        )
        ipe = Account(
            name="Indústria Ipê Amarelo EPP",
            name_key="industria ipe amarelo",
            status="churned",
            stage="churned",
            churn_date=date(2025, 12, 1),
            churn_reason="price",
            mrr_cents=0,
        )
        s.add_all([pitanga, ipe])
        s.flush()
        maria = Contact(
            account_id=pitanga.id,
            name="Maria Silva",
            role="champion",
            email="maria@pitanga.com.br",
            is_primary=True,
        )
        s.add(maria)
        s.flush()
        s.add_all(
            [
                TimelineEvent(
                    account_id=pitanga.id,
                    occurred_at=datetime(2026, 1, 10, 14, 30),
                    kind="meeting",
                    subkind="qbr",
                    title="QBR 1º trimestre",
                    body="## Revisão\n\n- Metas *atingidas*",
                    contact_id=maria.id,
                    data={"attendees": 3},
                ),
                TimelineEvent(
                    account_id=pitanga.id,
                    occurred_at=datetime(2026, 1, 12, 9, 0),
                    kind="ticket",
                    title="Erro ao exportar",
                    severity="high",
                    source="import",
                    import_run_id=run.id,
                ),
                RevenueChange(
                    account_id=pitanga.id,
                    effective_date=date(2025, 3, 1),
                    kind="new",
                    mrr_before_cents=0,
                    mrr_after_cents=123456,
                ),
                RevenueChange(
                    account_id=ipe.id,
                    effective_date=date(2025, 12, 1),
                    kind="churn",
                    mrr_before_cents=9900,
                    mrr_after_cents=0,
                    reason="Preço",
                ),
                Measure(account_id=pitanga.id, metric="logins", as_of=date(2026, 1, 4), value=120.0),
                SurveyResponse(
                    account_id=pitanga.id,
                    contact_id=maria.id,
                    kind="nps",
                    score=9,
                    comment="Ótimo suporte",
                    answered_at=datetime(2026, 1, 3, 10, 0),
                ),
                Task(account_id=pitanga.id, title="Preparar QBR", due_date=date(2026, 4, 1), priority="high"),
                Template(kind="qbr", language="pt_BR", name="Meu QBR", body="# {{ account.name }}"),
                Setting(key="thresholds", value={"high_touch": 15000}),
                ImportChange(run_id=run.id, table_name="accounts", row_id=pitanga.id, action="created"),
                ImportPreset(
                    name="HubSpot", kind="accounts", source="hubspot", header_signature="abc", mapping={}
                ),
            ]
        )
        model = HealthModel(
            name="Padrão", components=[{"key": "usage", "weight": 100}], thresholds={"green": 80}
        )
        s.add(model)
        s.flush()
        s.add(
            HealthSnapshot(
                account_id=pitanga.id, as_of=date(2026, 1, 4), score=81.5, band="green", model_id=model.id
            )
        )
        plan = SuccessPlan(account_id=pitanga.id, title="Plano 2026")
        plan.outcomes.append(DesiredOutcome(required_outcome="Fechar o mês em 4 dias"))
        plan.criteria.append(SuccessCriterion(metric="Dias de fechamento", baseline=10, target=4))
        plan.milestones.append(Milestone(title="Integração com o ERP", status="done"))
        s.add(plan)


def make(target: Path) -> Path:
    from db import open_database

    target.unlink(missing_ok=True)
    db = open_database(target)
    fill(db)
    db.dispose()
    conn = sqlite3.connect(target)  # one self-contained, small file: no WAL beside it
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()
    return target


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from db.schema import CURRENT_VERSION

    FIXTURES.mkdir(exist_ok=True)
    path = make(FIXTURES / f"v{CURRENT_VERSION}.sqlite")
    print(f"stored {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
