"""``csdesk doc``: the same documents from the command line."""

from __future__ import annotations

from pptx import Presentation

from cli.main import main
from csdesk import formatting
from csdesk.accounts import get_account
from db.models import TimelineEvent


def test_doc_qbr_writes_the_deck_and_records_the_event(book, db_path, tmp_path, capsys):
    db, account_id = book
    out = tmp_path / "deck.pptx"
    code = main(
        [
            "--db",
            str(db_path),
            "doc",
            "qbr",
            str(account_id),
            "--out",
            str(out),
            "--lang",
            "pt-BR",
            "--from",
            "2026-08-28",
            "--to",
            "2026-11-25",
        ]
    )
    assert code == 0 and capsys.readouterr().out.strip() == str(out)
    account = get_account(db, account_id)
    texts = "\n".join(
        s.text_frame.text for slide in Presentation(str(out)).slides for s in slide.shapes if s.has_text_frame
    )
    assert formatting.money(account.mrr_cents, "BRL", "pt_BR") in texts and "2026-T4" in texts
    with db.session() as s:
        kinds = [
            (e.kind, e.subkind, e.source) for e in s.query(TimelineEvent).filter_by(account_id=account_id)
        ]
    assert ("document", "qbr", "auto") in kinds


def test_doc_refuses_unsupported_combinations_with_exit_2(book, db_path, tmp_path, capsys):
    _db, account_id = book
    code = main(
        ["--db", str(db_path), "doc", "success-plan", str(account_id), "--out", str(tmp_path / "x.pptx")]
    )
    err = capsys.readouterr().err
    assert code == 2 and ".docx" in err and len(err.strip().splitlines()) == 1
    assert main(["--db", str(db_path), "doc", "qbr", str(account_id)]) == 2
    assert (
        main(
            [
                "--db",
                str(db_path),
                "doc",
                "qbr",
                str(account_id),
                "--out",
                str(tmp_path / "q.pptx"),
                "--from",
                "25/11/2026",
            ]
        )
        == 2
    )
    assert (
        main(["--db", str(db_path), "doc", "qbr", "no such account", "--out", str(tmp_path / "q.pptx")]) == 2
    )
    assert not list(tmp_path.glob("x.*")) and not list(tmp_path.glob("q.*"))


def test_doc_follow_up_prints_the_email(book, db_path, capsys):
    _db, account_id = book
    assert main(["--db", str(db_path), "--lang", "en", "doc", "follow-up", str(account_id)]) == 0
    assert capsys.readouterr().out.startswith("Subject: Summary of our meeting")


def test_doc_kickoff_held_goes_on_the_timeline(book, db_path, tmp_path):
    db, account_id = book
    out = tmp_path / "kickoff.docx"
    assert main(["--db", str(db_path), "doc", "kickoff", str(account_id), "--out", str(out), "--held"]) == 0
    with db.session() as s:
        subkinds = [
            e.subkind for e in s.query(TimelineEvent).filter_by(account_id=account_id, kind="meeting")
        ]
    assert "kickoff" in subkinds and out.exists()


def test_doc_with_a_user_template(book, db_path, tmp_path):
    from csdesk import templates

    db, account_id = book
    templates.save_template(
        db, templates.TemplateInfo("qbr", "pt_BR", "Curta", "# RTS {{ account.name }}\n## Só isso\n- ok\n")
    )
    out = tmp_path / "curta.md"
    assert (
        main(
            [
                "--db",
                str(db_path),
                "doc",
                "qbr",
                str(account_id),
                "--out",
                str(out),
                "--template",
                "Curta",
                "--lang",
                "pt-BR",
            ]
        )
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("# RTS ")
    assert (
        main(["--db", str(db_path), "doc", "qbr", str(account_id), "--out", str(out), "--template", "Nope"])
        == 2
    )
