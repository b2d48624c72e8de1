"""Rescoring from the first day an import changed: the same scores as a full recompute, fewer rows written."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from csdesk import health, importing
from csdesk.demo import generate
from db.models import Account, HealthSnapshot, Measure, SurveyResponse

TODAY = date(2026, 11, 25)  # a Wednesday
MONDAY = TODAY - timedelta(days=TODAY.weekday())
SENTINEL = 0.1


def _rows(db, ids=None) -> dict:
    with db.session() as s:
        q = select(
            HealthSnapshot.account_id,
            HealthSnapshot.as_of,
            HealthSnapshot.score,
            HealthSnapshot.band,
            HealthSnapshot.complete,
            HealthSnapshot.model_id,
        )
        if ids is not None:
            q = q.where(HealthSnapshot.account_id.in_(ids))
        rows = s.execute(q).all()
    # Each score with its breakdown as stored (layout, points, input values), byte for byte.
    stored = {a: health.stored_breakdowns(db, a) for a in {r[0] for r in rows}}
    return {
        (r[0], r[1]): (*r[2:], stored[r[0]].cell(health._day_number(r[1])) if stored[r[0]] else None)
        for r in rows
    }


def _active(db, n: int) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Account.id)
                .where(Account.status == "active", Account.health_score.is_not(None))
                .limit(n)
            )
        )


def test_rescoring_from_a_day_gives_the_full_recompute_s_scores_and_leaves_earlier_weeks_alone(db):
    generate(db, accounts=40, seed=3, today=TODAY)
    health.recompute(db, today=TODAY)
    ids = _active(db, 6)
    before = _rows(db, ids)
    assert before and all(row[-1] is not None for row in before.values())  # every score has its breakdown
    # New inputs this week and an NPS answer ten days ago.
    since = TODAY - timedelta(days=10)
    with db.session() as s, s.begin():
        for a in ids:
            s.add(Measure(account_id=a, metric="logins", as_of=MONDAY, value=1.0))
            s.add(Measure(account_id=a, metric="active_users", as_of=MONDAY, value=1.0))
        s.add(
            SurveyResponse(
                account_id=ids[0],
                kind="nps",
                score=0,
                answered_at=datetime.combine(since, datetime.min.time()),
            )
        )
        s.execute(update(HealthSnapshot).values(score=SENTINEL))  # marks what is not written again

    partial = health.recompute(db, ids, today=TODAY, since=since)
    rescored = _rows(db, ids)
    written = {key for key, row in rescored.items() if row[0] != SENTINEL}
    assert written and min(day for _a, day in written) >= health.rescore_start(TODAY)
    assert partial.snapshots == len(written)
    # The new inputs moved the recent scores.
    assert any(rescored[key][0] != before[key][0] for key in written if key in before)

    with db.session() as s, s.begin():  # the sentinel back to the stored scores, then a full recompute
        for key, row in before.items():
            if key not in written:
                s.execute(
                    update(HealthSnapshot)
                    .where(HealthSnapshot.account_id == key[0], HealthSnapshot.as_of == key[1])
                    .values(score=row[0])
                )
    kept = _rows(db, ids)
    health.recompute(db, ids, today=TODAY)
    assert _rows(db, ids) == kept  # exactly what a full recompute of the two years writes


def _usage_file(path, names: list[str], day: date):
    lines = ["Conta;Semana;Usuários ativos;Licenças;Logins"]
    lines += [f"{name};{day.strftime('%d/%m/%Y')};7;10;55" for name in names]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_usage_import_is_rescored_from_its_first_week_an_accounts_import_or_an_undo_wholly(db, tmp_path):
    generate(db, accounts=20, seed=5, today=TODAY)
    with db.session() as s:
        names = list(s.scalars(select(Account.name).order_by(Account.id).limit(3)))
    usage = _usage_file(tmp_path / "uso.csv", names, MONDAY - timedelta(days=7))
    result = importing.run_import(db, importing.prepare(usage), accept_rejects=True)
    assert health.rescore_since(db, result.run_id) == MONDAY - timedelta(days=7)

    accounts = tmp_path / "contas.csv"
    accounts.write_text("Nome da empresa;Segmento\nPadaria Nova Aurora;SMB\n", encoding="utf-8")
    created = importing.run_import(db, importing.prepare(accounts), accept_rejects=True)
    assert created.run_id is not None
    assert health.rescore_since(db, created.run_id) is None  # new accounts: their whole history

    importing.undo(db, result.run_id)
    assert health.rescore_since(db, result.run_id) is None  # its rows are gone: rescore wholly
