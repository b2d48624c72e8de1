"""After an import the GUI recomputes the health of the accounts the import changed, not the whole book."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from csdesk import clock, health, importing
from db.models import HealthSnapshot, Measure
from tests.support.health_data import add_accounts

TODAY = clock.today()
NAMES = [f"Padaria Pitanga {n}" for n in range(12)]


SENTINEL = 0.1  # a score no recompute of these accounts writes: marks the rows left alone


def _mark_all(db) -> None:
    with db.session() as s, s.begin():
        s.execute(update(HealthSnapshot).values(score=SENTINEL))


def _rewritten(db) -> dict[int, set]:
    """Each account's snapshot days that were written again since ``_mark_all``."""
    with db.session() as s:
        rows = s.execute(select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score)).all()
    out: dict[int, set] = {}
    for account_id, day, score in rows:
        days = out.setdefault(account_id, set())
        if score != SENTINEL:
            days.add(day)
    return out


def test_an_import_recomputes_only_the_accounts_it_touched(qtbot, context, tmp_path, monkeypatch):
    from ui.health.service import HealthService

    db = context.db
    ids = add_accounts(
        db,
        [
            {
                "name": name,
                "contract_start": TODAY - timedelta(days=400),
                "licensed_users": 10,
                "segment": "mid_touch",
            }
            for name in NAMES
        ],
    )
    with db.session() as s, s.begin():
        for a in ids:
            for back in (20, 6):
                day = TODAY - timedelta(days=back)
                s.add(Measure(account_id=a, metric="logins", as_of=day, value=25.0))
                s.add(Measure(account_id=a, metric="active_users", as_of=day, value=6.0))
                s.add(Measure(account_id=a, metric="key_feature_use", as_of=day, value=40.0))
    health.recompute(db, today=TODAY)
    _mark_all(db)

    # A weekly usage file naming three of the twelve accounts.
    usage = tmp_path / "uso.csv"
    week = (TODAY - timedelta(days=TODAY.weekday())).strftime("%d/%m/%Y")
    lines = ["Conta;Semana;Usuários ativos;Licenças;Logins"]
    lines += [f"{NAMES[n]};{week};9;10;60" for n in (2, 5, 9)]
    usage.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = importing.run_import(db, importing.prepare(usage), accept_rejects=True)
    touched = {ids[n] for n in (2, 5, 9)}
    assert set(result.account_ids) == touched

    calls: list = []
    real = health.recompute

    def spy(db, account_ids=None, **kwargs):
        calls.append((account_ids, kwargs.get("since")))
        return real(db, account_ids, **kwargs)

    monkeypatch.setattr(health, "recompute", spy)
    service = HealthService(context)
    qtbot.addWidget(service.progress)
    with qtbot.waitSignal(service.finished, timeout=20_000) as blocker:
        context.hub.importFinished.emit(result.run_id, result.account_ids)
    outcome = blocker.args[0]
    assert isinstance(outcome, health.RecomputeResult)
    monday = TODAY - timedelta(days=TODAY.weekday())
    assert calls == [(sorted(touched), monday)]  # from the week the file changed
    assert outcome.accounts == 3

    rewritten = _rewritten(db)
    first = health.rescore_start(TODAY)
    for account_id in ids:
        if account_id in touched:
            assert rewritten[account_id]  # rescored...
            assert min(rewritten[account_id]) >= first  # ...from the last weeks only
        else:
            assert rewritten[account_id] == set()  # left alone


def test_an_import_that_changed_nothing_recomputes_nothing(qtbot, context):
    from ui.health.service import HealthService

    service = HealthService(context)
    qtbot.addWidget(service.progress)
    context.hub.importFinished.emit(7, [])
    qtbot.wait(600)  # longer than the service's batching delay
    assert not service.running and service.job is None
