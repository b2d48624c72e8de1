"""A small, hand-made book of business for tests (the demo generator is for screenshots)."""

from __future__ import annotations

from datetime import datetime, timedelta

from csdesk import clock
from csdesk.accounts import AccountData, ContactData, create_account, save_contact
from db import Database
from db.models import Account, TimelineEvent

TODAY = clock.today()

# name, cnpj, domain, segment, stage, status, mrr_cents, renewal in days, health, band, touch days ago, nps, owner
ROWS = [
    (
        "Padaria Pitanga Ltda",
        "11.222.333/0001-81",
        "pitanga.com.br",
        "high_touch",
        "onboarding",
        "active",
        123456,
        30,
        85.0,
        "green",
        3,
        9,
        "Ana Souza",
    ),
    (
        "Açougue São João",
        "45.723.174/0001-10",
        "saojoao.com.br",
        "mid_touch",
        "early_adoption",
        "active",
        50000,
        200,
        65.0,
        "yellow",
        40,
        7,
        "Bruno Lima",
    ),
    (
        "Café Paraíso S/A",
        None,
        "cafeparaiso.com",
        "low_touch",
        "renewal",
        "active",
        990000,
        80,
        40.0,
        "red",
        95,
        3,
        "Ana Souza",
    ),
    (
        "Ótica Visão Clara",
        None,
        None,
        "tech_touch",
        "ongoing_adoption",
        "active",
        20000,
        None,
        None,
        None,
        None,
        None,
        "Carla Dias",
    ),
    (
        "Padaria do Zé",
        None,
        "padariaze.com.br",
        "high_touch",
        "expansion",
        "churned",
        70000,
        -10,
        30.0,
        "red",
        200,
        0,
        "Bruno Lima",
    ),
    (
        "Construtora Horizonte",
        None,
        "horizonte.eng.br",
        "mid_touch",
        "ongoing_adoption",
        "active",
        300000,
        400,
        72.0,
        "yellow",
        10,
        8,
        "Carla Dias",
    ),
]


def make_book(db: Database) -> dict[str, int]:
    """Create the ROWS accounts (with one contact and one event each); name -> id."""
    ids = {}
    for name, cnpj, domain, segment, stage, status, mrr, renewal, score, band, touch, nps, owner in ROWS:
        summary = create_account(
            db,
            AccountData(
                name=name,
                cnpj=cnpj,
                domain=domain,
                segment=segment,
                stage=stage,
                status=status,
                mrr_cents=mrr,
                owner=owner,
                contract_start=TODAY - timedelta(days=500),
                renewal_date=TODAY + timedelta(days=renewal) if renewal is not None else None,
            ),
        )
        ids[name] = summary.id
        save_contact(
            db,
            ContactData(
                account_id=summary.id,
                name=f"Contato {name.split()[0]}",
                role="champion",
                email="c@example.com",
                is_primary=True,
            ),
        )
        with db.session() as session, session.begin():
            account = session.get(Account, summary.id)
            account.health_score, account.health_band, account.last_nps = score, band, nps
            account.health_trend = -6.0 if band == "red" else 2.0 if band else None
            if touch is not None:
                account.last_touch_at = datetime.combine(TODAY, datetime.min.time()) - timedelta(days=touch)
                session.add(
                    TimelineEvent(
                        account_id=summary.id,
                        occurred_at=account.last_touch_at,
                        kind="meeting",
                        title="Check-in",
                    )
                )
    return ids
