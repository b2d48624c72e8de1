"""``csdesk import`` of e-mail (.eml, .msg, .mbox) and calendar (.ics) files."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csdesk import accounts, timeline
from csdesk.importing import mail
from csdesk.importing.touches import is_free_mail, my_addresses
from db.models import Account, Contact, ImportRun, TimelineEvent
from tests.importing.mail_files import (
    ME,
    SP,
    book,
    event,
    local,
    message,
    write_eml,
    write_ics,
    write_mbox,
)
from tests.support.msg_writer import write_msg

UTC = ZoneInfo("UTC")


def events(db, account_id):
    with db.session() as session:
        return (
            session.query(TimelineEvent)
            .filter_by(account_id=account_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            .all()
        )


def last_touch(db, account_id):
    with db.session() as session:
        return session.get(Account, account_id).last_touch_at


def mail_import(cli, path, *extra):
    return cli("import", str(path), "--format", "json", *extra)


@pytest.fixture
def ids(db):
    return book(db)


def test_eml_from_a_contact_is_logged_once_and_undone(cli, db, ids, tmp_path):
    when = datetime(2026, 11, 10, 14, 30, tzinfo=SP)
    path = write_eml(
        tmp_path / "renovacao.eml",
        message(
            "Ana Lima <ana@acme.com.br>",
            f"Eu <{ME}>",
            "Renovação do contrato",
            when,
            "Vamos renovar por mais um ano.\n\nAbraços\n\n> Em 9 nov, você escreveu:\n> proposta",
            message_id="abc@acme.com.br",
            html="<p>Vamos <b>renovar</b></p><script>fetch('http://evil')</script><img src='http://t/x.png'>",
            attachments=("proposta.pdf",),
        ),
    )
    code, data, err = mail_import(cli, path, "--me", ME)
    assert code == 0, err
    assert (data["kind"], data["source"], data["created"], data["unchanged"]) == ("emails", "eml", 1, 0)
    assert data["unmatched"] == [] and data["run_id"] is not None
    [ev] = events(db, ids["Acme"])
    assert (ev.kind, ev.title, ev.channel, ev.source) == ("email", "Renovação do contrato", "email", "import")
    assert ev.occurred_at == local(when)
    assert ev.data["direction"] == "in"
    assert ev.data["attachments"] == ["proposta.pdf"]
    assert ev.data["from"] == "Ana Lima <ana@acme.com.br>"
    assert ev.contact_id is not None
    assert ev.body == "Vamos renovar por mais um ano. Abraços"  # excerpt only: the quoted reply left out
    assert last_touch(db, ids["Acme"]) == local(when)
    assert my_addresses(db) == [ME]

    again = mail_import(cli, path)[1]
    assert (again["created"], again["unchanged"], again["run_id"]) == (0, 1, None)
    assert len(events(db, ids["Acme"])) == 1

    code, undone, err = cli("import", "--undo", str(data["run_id"]), "--format", "json")
    assert code == 0, err
    assert events(db, ids["Acme"]) == []
    assert last_touch(db, ids["Acme"]) is None


def test_html_only_mail_becomes_safe_text(cli, db, ids, tmp_path):
    msg = message(
        "ana@acme.com.br", ME, "Relatório", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), message_id="h@1"
    )
    msg.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Segue o relat&oacute;rio &amp; os n&uacute;meros</p><img src='http://tracker/p.gif'></body></html>",
        subtype="html",
    )
    path = write_eml(tmp_path / "html.eml", msg)
    assert mail_import(cli, path, "--keep-bodies")[0] == 0
    [ev] = events(db, ids["Acme"])
    assert ev.body == "Segue o relatório & os números"
    assert "alert" not in ev.body and "tracker" not in ev.body and "color" not in ev.body


def test_bodies_are_kept_only_when_asked(cli, db, ids, tmp_path):
    long_text = "Primeira linha.\n" + "palavra " * 200
    first = write_eml(
        tmp_path / "a.eml",
        message(
            "ana@acme.com.br",
            ME,
            "Longo",
            datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
            long_text,
            message_id="a@1",
        ),
    )
    second = write_eml(
        tmp_path / "b.eml",
        message(
            "ana@acme.com.br",
            ME,
            "Longo 2",
            datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
            long_text,
            message_id="b@1",
        ),
    )
    mail_import(cli, first)
    mail_import(cli, second, "--keep-bodies")
    short, whole = events(db, ids["Acme"])
    assert len(short.body) <= mail.EXCERPT_CHARS + 1 and short.body.endswith("…")
    assert whole.body.count("palavra") == 200


def test_mbox_matches_contacts_then_domains_never_free_mail(cli, db, ids, tmp_path):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    path = write_mbox(
        tmp_path / "Takeout.mbox",
        [
            # a contact whose address is on gmail: matched by the contact, not the domain
            message("Paulo <paulo.pitanga@gmail.com>", ME, "Pedido", day, message_id="1@x"),
            # someone unknown at a subdomain of Acme's domain: matched by domain, offered as contact
            message(
                "Beto <beto@vendas.acme.com.br>", ME, "Dúvida", day + timedelta(hours=1), message_id="2@x"
            ),
            # outgoing, to Acme's contact: direction out; a "From " line in the body survives
            message(
                ME,
                "ana@acme.com.br",
                "Resposta",
                day + timedelta(hours=2),
                "From now on, ok.",
                message_id="3@x",
            ),
            # a stranger on gmail: Dona Rosa's domain is gmail.com, yet never matched by it
            message("Maria <maria.silva@gmail.com>", ME, "Oi", day + timedelta(hours=3), message_id="4@x"),
            # same Message-ID twice in one mailbox: logged once
            message("Paulo <paulo.pitanga@gmail.com>", ME, "Pedido", day, message_id="1@x"),
        ],
    )
    code, data, err = mail_import(cli, path, "--me", ME)
    assert code == 0, err
    assert (data["created"], data["unchanged"], data["rejected"]) == (3, 1, 0)
    assert [u["from"] for u in data["unmatched"]] == ["Maria <maria.silva@gmail.com>"]
    assert data["new_contacts"] == [
        {"account_id": ids["Acme"], "account": "Acme", "name": "Beto", "email": "beto@vendas.acme.com.br"}
    ]
    assert events(db, ids["Dona Rosa"]) == []
    [pedido] = events(db, ids["Padaria Pitanga"])
    assert pedido.title == "Pedido"
    duvida, resposta = events(db, ids["Acme"])
    assert (duvida.title, duvida.data["direction"]) == ("Dúvida", "in")
    assert (resposta.title, resposta.data["direction"]) == ("Resposta", "out")
    assert resposta.body == "From now on, ok."

    again = mail_import(cli, path)[1]
    assert (again["created"], again["unchanged"], again["run_id"]) == (0, 4, None)


def test_free_mail_domains():
    for domain in ("gmail.com", "hotmail.com", "outlook.com.br", "live.com", "yahoo.com.br", "bol.com.br",
                   "uol.com.br", "terra.com.br", "icloud.com", "proton.me", "protonmail.com"):  # fmt: skip
        assert is_free_mail(domain), domain
    assert not is_free_mail("acme.com.br")


def test_new_contacts_are_added_when_asked_and_undone_with_the_run(cli, db, ids, tmp_path):
    path = write_eml(
        tmp_path / "beto.eml",
        message(
            "Beto <beto@acme.com.br>", ME, "Oi", datetime(2026, 11, 2, 10, 0, tzinfo=UTC), message_id="b@x"
        ),
    )
    data = mail_import(cli, path, "--add-contacts")[1]
    assert data["contacts_created"] == 1
    with db.session() as session:
        beto = session.query(Contact).filter_by(email="beto@acme.com.br").one()
        assert (beto.account_id, beto.name) == (ids["Acme"], "Beto")
    assert cli("import", "--undo", str(data["run_id"]))[0] == 0
    with db.session() as session:
        assert session.query(Contact).filter_by(email="beto@acme.com.br").count() == 0


def test_account_option_logs_unmatched_mail_there(cli, db, ids, tmp_path):
    path = write_eml(
        tmp_path / "x.eml",
        message(
            "fulano@hotmail.com",
            ME,
            "Sobre a Rosa",
            datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
            message_id="r@x",
        ),
    )
    data = mail_import(cli, path)[1]
    assert data["created"] == 0 and len(data["unmatched"]) == 1
    data = mail_import(cli, path, "--account", "Dona Rosa")[1]
    assert data["created"] == 1 and data["unmatched"] == []
    assert [e.title for e in events(db, ids["Dona Rosa"])] == ["Sobre a Rosa"]


def test_malformed_message_is_reported_and_the_rest_imported_only_with_yes(cli, db, ids, tmp_path):
    good = message("ana@acme.com.br", ME, "Bom", datetime(2026, 11, 2, 10, 0, tzinfo=UTC), message_id="g@x")
    path = write_mbox(tmp_path / "box.mbox", [good, b"this is no e-mail at all\n\n"])
    code, data, err = mail_import(cli, path)
    assert code == 2 and "--yes" in err and err.count("\n") == 1
    assert data["errors"][0]["row"] == 2 and "message 2" in data["errors"][0]["value"]
    assert events(db, ids["Acme"]) == []  # nothing half-imported
    with db.session() as session:
        assert session.query(ImportRun).count() == 0
    code, data, err = mail_import(cli, path, "--yes")
    assert code == 0 and data["created"] == 1 and data["rejected"] == 1
    assert [e.title for e in events(db, ids["Acme"])] == ["Bom"]


def test_mail_without_a_date_is_skipped(cli, db, ids, tmp_path):
    msg = message("ana@acme.com.br", ME, "Sem data", datetime(2026, 11, 2, tzinfo=UTC), message_id="d@x")
    del msg["Date"]
    path = write_eml(tmp_path / "nodate.eml", msg)
    code, data, _ = mail_import(cli, path, "--yes")
    assert code == 0 and data["rejected"] == 1 and data["created"] == 0
    assert "date" in data["errors"][0]["message"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("contas.eml", b"Cliente;CNPJ\nAcme;123\n"),
        ("foto.msg", b"\x89PNG\r\n\x1a\nxxxx"),
        ("agenda.ics", b"Cliente;CNPJ\nAcme;123\n"),
        ("caixa.mbox", b"Subject: hi\n\nbody\n"),
        ("vazio.eml", b""),
    ],
)
def test_a_file_that_is_not_mail_is_refused_in_one_line(cli, db, ids, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = cli("import", str(path))
    assert code == 2
    assert err.startswith(f"csdesk: {name}:") and err.count("\n") == 1
    with db.session() as session:
        assert session.query(ImportRun).count() == 0


def test_a_folder_named_like_mail_is_refused(cli, db, tmp_path):
    (tmp_path / "pasta.mbox").mkdir()
    code, _, err = cli("import", str(tmp_path / "pasta.mbox"))
    assert code == 2 and "not a regular file" in err


def test_dry_run_changes_nothing(cli, db, ids, tmp_path):
    path = write_eml(
        tmp_path / "a.eml",
        message("ana@acme.com.br", ME, "Oi", datetime(2026, 11, 2, 10, 0, tzinfo=UTC), message_id="dr@x"),
    )
    data = mail_import(cli, path, "--dry-run")[1]
    assert data["created"] == 1 and data["dry_run"] and data["run_id"] is None
    assert events(db, ids["Acme"]) == []


def test_window_keeps_only_mail_inside_it(cli, db, ids, tmp_path):
    path = write_mbox(
        tmp_path / "w.mbox",
        [
            message(
                "ana@acme.com.br",
                ME,
                f"Dia {d}",
                datetime(2026, 10, d, 12, 0, tzinfo=SP),
                message_id=f"{d}@w",
            )
            for d in (1, 10, 20)
        ],
    )
    data = mail_import(cli, path, "--from", "2026-10-05", "--to", "2026-10-10")[1]
    assert data["created"] == 1
    assert [e.title for e in events(db, ids["Acme"])] == ["Dia 10"]
    code, _, err = cli("import", str(path), "--from", "2026-10-10", "--to", "2026-10-01")
    assert code == 2 and "--from" in err


def outlook_msg(path, *, smtp_address_property=True):
    return write_msg(
        path,
        subject="Kickoff agendado",
        sender_name="Ana Lima",
        sender_email="Ana@Acme.com.br",
        to=[("Eu", ME)],  # only the sender's address can place it
        sent=datetime(2026, 11, 5, 16, 0, tzinfo=SP),
        message_id="outlook-1@acme.com.br",
        html=b"<div>Kickoff na <b>segunda</b></div><script>x()</script>",
        attachments=[("pauta.docx", b"PK\x03\x04")],
        smtp_address_property=smtp_address_property,
    )


def test_outlook_msg_lands_on_the_senders_account_once(cli, db, ids, tmp_path):
    path = outlook_msg(tmp_path / "Outlook.msg")
    data = mail_import(cli, path, "--me", ME)[1]
    assert data["created"] == 1 and data["source"] == "msg"
    [ev] = events(db, ids["Acme"])
    assert (ev.title, ev.body, ev.occurred_at) == (
        "Kickoff agendado",
        "Kickoff na segunda",
        local(datetime(2026, 11, 5, 16, 0, tzinfo=SP)),
    )
    assert ev.data["attachments"] == ["pauta.docx"]
    assert ev.data["to"] == [f"Eu <{ME}>"]
    assert events(db, ids["Padaria Pitanga"]) == [] and events(db, ids["Dona Rosa"]) == []
    again = mail_import(cli, path, "--me", ME)[1]
    assert again["unchanged"] == 1 and again["created"] == 0
    assert len(events(db, ids["Acme"])) == 1


def test_outlook_msg_without_the_smtp_address_property_still_finds_the_sender(cli, db, ids, tmp_path):
    """The sender's address only in PidTagSenderEmailAddress, which extract-msg does not read."""
    path = outlook_msg(tmp_path / "sem-smtp.msg", smtp_address_property=False)
    assert mail_import(cli, path, "--me", ME)[1]["created"] == 1
    [ev] = events(db, ids["Acme"])
    assert ev.title == "Kickoff agendado"


def test_damaged_msg_is_reported(cli, db, ids, tmp_path):
    path = tmp_path / "quebrado.msg"
    path.write_bytes(mail._OLE_MAGIC + b"\x00" * 100)
    code, data, _ = mail_import(cli, path, "--yes")
    assert code == 0 and data["rejected"] == 1 and data["created"] == 0


# Calendar ------------------------------------------------------------------------------------


def test_ics_meetings_with_time_zones_recurrence_and_overrides(cli, db, ids, tmp_path):
    weekly_start = datetime(2026, 10, 5, 10, 0, tzinfo=SP)  # Mondays 10:00 in São Paulo
    moved = event(
        "weekly-1",
        "Check-in semanal (remarcado)",
        datetime(2026, 10, 21, 15, 0, tzinfo=SP),
        30,
        [("ana@acme.com.br", "Ana Lima")],
        recurrence_id=datetime(2026, 10, 19, 10, 0, tzinfo=SP),
    )
    path = write_ics(
        tmp_path / "agenda.ics",
        [
            event(
                "weekly-1",
                "Check-in semanal",
                weekly_start,
                30,
                [("ana@acme.com.br", "Ana Lima"), ("beto@acme.com.br", "")],
                rrule={"FREQ": "WEEKLY", "COUNT": 52},
                exdate=datetime(2026, 10, 12, 10, 0, tzinfo=SP),
                location="https://meet.google.com/abc-defg",
            ),
            moved,
            event(
                "qbr-1",
                "QBR Pitanga",
                datetime(2026, 10, 14, 17, 0, tzinfo=UTC),
                90,
                [("paulo.pitanga@gmail.com", "Paulo")],
            ),
            event(
                "cancelada",
                "Cancelada",
                datetime(2026, 10, 15, 9, 0, tzinfo=SP),
                60,
                [("ana@acme.com.br", "")],
                status="CANCELLED",
            ),  # fmt: skip
        ],
        raw_tail=b"BEGIN:VEVENT\r\nUID:broken\r\nSUMMARY:Quebrado\r\nDTSTART:2026garbage\r\nEND:VEVENT\r\n",
    )
    code, data, err = mail_import(
        cli, path, "--from", "2026-10-01", "--to", "2026-10-31", "--me", ME, "--yes"
    )
    assert code == 0, err
    assert data["kind"] == "meetings" and data["rejected"] == 1
    assert "event 5" in data["errors"][0]["value"] and "DTSTART" in data["errors"][0]["message"]
    acme = events(db, ids["Acme"])
    # Oct 5, (12 excluded), 19 moved to the 21st, 26: three occurrences, the moved one once.
    assert [(e.title, e.occurred_at) for e in acme] == [
        ("Check-in semanal", local(datetime(2026, 10, 5, 10, 0, tzinfo=SP))),
        ("Check-in semanal (remarcado)", local(datetime(2026, 10, 21, 15, 0, tzinfo=SP))),
        ("Check-in semanal", local(datetime(2026, 10, 26, 10, 0, tzinfo=SP))),
    ]
    first = acme[0]
    assert (first.kind, first.channel) == ("meeting", "video")
    assert first.data["duration_minutes"] == 30
    assert first.data["attendees"] == ["Ana Lima <ana@acme.com.br>", "beto@acme.com.br"]
    assert acme[1].data["recurrence_id"] == "20261019T130000Z"
    [qbr] = events(db, ids["Padaria Pitanga"])
    assert qbr.data["duration_minutes"] == 90 and qbr.occurred_at == local(
        datetime(2026, 10, 14, 17, 0, tzinfo=UTC)
    )

    again = mail_import(cli, path, "--from", "2026-10-01", "--to", "2026-10-31", "--yes")[1]
    assert (again["created"], again["unchanged"]) == (0, 4)
    # A wider window adds only the new occurrences.
    wider = mail_import(cli, path, "--from", "2026-10-01", "--to", "2026-11-10", "--yes")[1]
    assert (wider["created"], wider["unchanged"]) == (2, 4)


def test_recurring_meetings_default_to_the_last_year(cli, db, ids, tmp_path):
    # A daily meeting since 2020: without a window, only the year up to today (2026-11-25) is expanded.
    path = write_ics(
        tmp_path / "daily.ics",
        [
            event(
                "daily",
                "Daily",
                datetime(2020, 1, 1, 9, 0, tzinfo=SP),
                15,
                [("ana@acme.com.br", "")],
                rrule={"FREQ": "DAILY"},
            )
        ],
    )
    data = mail_import(cli, path)[1]
    assert 365 <= data["created"] <= 366
    acme = events(db, ids["Acme"])
    assert acme[0].occurred_at.date() >= datetime(2025, 11, 24).date()
    assert acme[-1].occurred_at.date() <= datetime(2026, 11, 25).date()


def test_mail_options_are_refused_for_crm_files(cli, db, tmp_path):
    path = tmp_path / "contas.csv"
    path.write_text("Nome\nAcme\n")
    code, _, err = cli("import", str(path), "--account", "Acme")
    assert code == 2 and "--account" in err


def test_excerpt_and_html_text():
    assert mail.excerpt("Oi Ana,\n\nSegue.\n\nOn Mon, Bob wrote:\n> antigo") == "Oi Ana, Segue."
    assert mail.html_to_text("<p>a</p><p>b &lt;c&gt;</p><style>x</style>") == "a\n\nb <c>"


def test_last_touch_keeps_a_newer_manual_touch(cli, db, ids, tmp_path):
    newer = timeline.add_event(
        db, ids["Acme"], kind="call", title="Ligação", occurred_at=datetime(2026, 11, 20, 9, 0)
    )
    path = write_eml(
        tmp_path / "old.eml",
        message("ana@acme.com.br", ME, "Antigo", datetime(2026, 1, 2, 10, 0, tzinfo=UTC), message_id="o@x"),
    )
    mail_import(cli, path)
    assert last_touch(db, ids["Acme"]) == newer.occurred_at
    assert accounts.get_account(db, ids["Acme"]).name == "Acme"


def test_a_calendar_beyond_the_size_limit_is_refused_unread(tmp_path, monkeypatch, cli):
    from csdesk import limits

    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1024)
    big = tmp_path / "agenda.ics"
    big.write_text("BEGIN:VCALENDAR\r\n" + "X-FILLER:" + "x" * 2000 + "\r\nEND:VCALENDAR\r\n")
    code, _out, err = cli("import", str(big), "--yes")
    assert code == 2 and "agenda.ics" in err and len(err.strip().splitlines()) == 1
