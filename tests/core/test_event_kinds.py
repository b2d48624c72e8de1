"""Every CS event the CSM logs by hand: one table of kinds, `csdesk log --kind`, tickets and pulses
feeding the Health Score."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from cli.main import main
from csdesk import accounts, health, timeline, vocab
from csdesk.accounts import AccountData, ValidationError
from tests.support.health_data import add_accounts

TODAY = date(2026, 11, 25)


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


@pytest.fixture
def acme(db):
    return accounts.create_account(db, AccountData(name="Acme", segment="high_touch")).id


def test_one_table_gives_every_kind_its_label_colour_symbol_and_cli_names():
    loggable = (
        "note call meeting email escalation churn_request save_attempt first_value advocacy ticket pulse".split()
    )
    assert list(vocab.LOG_KINDS) == loggable
    assert set(vocab.EVENT_KIND_LABELS) == set(vocab.EVENT_KINDS) == set(vocab.EVENT_KIND_STYLE)
    colours = [vocab.EVENT_KIND_STYLE[k] for k in vocab.EVENT_KINDS]
    assert len(set(colours)) == len(colours)  # no two kinds look alike
    assert vocab.EVENT_KIND_NAMES["cancellation_request"] == "churn_request"
    assert vocab.EVENT_KIND_NAMES["referral"] == "advocacy"
    from csdesk.i18n import tr

    assert tr(vocab.EVENT_KIND_LABELS["pulse"], "pt_BR") == "Percepção do CSM"
    assert tr(vocab.EVENT_KIND_LABELS["churn_request"], "pt_BR") == "Pedido de cancelamento"


@pytest.mark.parametrize(
    "name, stored",
    [
        ("note", "note"),
        ("call", "call"),
        ("meeting", "meeting"),
        ("email", "email"),
        ("escalation", "escalation"),
        ("cancellation_request", "churn_request"),
        ("save_attempt", "save_attempt"),
        ("first_value", "first_value"),
        ("referral", "advocacy"),
    ],
)
def test_log_every_kind_from_the_command_line(db_path, db, acme, capsys, name, stored):
    assert run(db_path, "log", "Acme", "--kind", name, "--date", "2026-11-20") == 0
    assert run(db_path, "timeline", "Acme", "--kind", name, "--format", "json") == 0
    records = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert [r["kind"] for r in records] == [stored]
    # No title given: the kind's name is the title.
    assert records[0]["title"] == vocab.EVENT_KIND_LABELS[stored]


def test_ticket_with_severity_and_pulse_with_score(db_path, db, acme, capsys):
    assert run(db_path, "log", "Acme", "--kind", "ticket", "--severity", "critical", "--title", "NF-e fora") == 0
    assert run(db_path, "log", "Acme", "--kind", "pulse", "--score", "2", "--date", "2026-11-24") == 0
    capsys.readouterr()
    assert run(db_path, "timeline", "Acme", "--format", "json") == 0
    records = {r["kind"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["ticket"]["severity"] == "critical" and records["ticket"]["score"] is None
    assert records["pulse"]["score"] == 2 and records["pulse"]["severity"] is None
    assert run(db_path, "--lang", "pt-BR", "timeline", "Acme") == 0
    out = capsys.readouterr().out
    assert "Percepção do CSM · 2/5" in out
    assert "Chamado de suporte · Crítico" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("--kind", "pulse"), "--score from 1"),
        (("--kind", "pulse", "--score", "6"), "--score from 1"),
        (("--kind", "note", "--score", "3"), "--score only goes with --kind pulse"),
        (("--kind", "call", "--severity", "high"), "--severity only goes with --kind ticket"),
    ],
)
def test_wrong_options_exit_2_with_one_line(db_path, db, acme, capsys, args, message):
    assert run(db_path, "log", "Acme", *args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert timeline.list_events(db, acme) == []


def test_a_pulse_needs_a_score_from_1_to_5(db, acme):
    with pytest.raises(ValidationError):
        timeline.add_event(db, acme, kind="pulse", title="x", data={"score": 0})
    with pytest.raises(ValidationError):
        timeline.add_event(db, acme, kind="pulse", title="x")
    event = timeline.add_event(db, acme, kind="pulse", title="x", data={"score": 5})
    assert timeline.pulse_score(timeline.list_events(db, acme)[0]) == 5
    assert not event.is_touch  # the CSM's own feeling is not a touch with the customer


def pulse_and_support_model() -> health.Model:
    bands = health.Scale("bands", ((1, 0), (3, 5), (5, 10)))
    return health.Model(
        name="Pulse",
        components=(
            health.Component("pulse", "csm_pulse", 50, bands),
            # Support: 0 tickets 10 points, 1-2 7, 3+ 0.
            health.Component("support", "tickets", 30, health.Scale("bands", ((0, 10), (1, 7), (3, 0)))),
            health.Component("engagement", "days_since_touch", 20, health.Scale("bands", ((0, 10), (30, 0)))),
        ),
    )


def test_logged_pulse_and_critical_ticket_feed_the_health_score(db):
    health.save_model(db, pulse_and_support_model())
    (a,) = add_accounts(db, [{"contract_start": date(2025, 1, 1)}])
    timeline.add_event(db, a, kind="call", title="x", occurred_at=datetime(2026, 11, 20, 9))
    timeline.add_event(db, a, kind="pulse", title="x", data={"score": 4}, occurred_at=datetime(2026, 11, 1, 9))
    timeline.add_event(db, a, kind="pulse", title="x", data={"score": 3}, occurred_at=datetime(2026, 11, 22, 9))
    timeline.add_event(
        db, a, kind="ticket", title="x", severity="low", occurred_at=datetime(2026, 11, 10, 9)
    )
    snap = health.score_now(db, a, today=TODAY)
    values = {c.key: c.value for c in snap.components}
    assert values["pulse"] == 3  # the latest pulse
    assert values["support"] == 1  # one low ticket counts 1
    # 0.5 x 5 + 0.3 x 7 + 0.2 x 10 = 6.6 -> 66
    assert snap.score == pytest.approx(66.0)

    # A critical ticket logged by hand counts as critical: 3, as any critical ticket does.
    timeline.add_event(
        db, a, kind="ticket", title="y", severity="critical", occurred_at=datetime(2026, 11, 24, 9)
    )
    snap = health.score_now(db, a, today=TODAY)
    values = {c.key: c.value for c in snap.components}
    assert values["support"] == 1 + health.TICKET_WEIGHTS["critical"] == 4
    # 0.5 x 5 + 0.3 x 0 + 0.2 x 10 = 4.5 -> 45
    assert snap.score == pytest.approx(45.0)
