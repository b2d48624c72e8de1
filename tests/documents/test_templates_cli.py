"""``csdesk templates`` and ``csdesk templates add``: manage and test user templates without the GUI."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from csdesk import templates


def run(db_path, *args):
    return main(["--db", str(db_path), *args])


def test_templates_lists_builtin_and_user_templates_as_json(db, db_path, capsys):
    templates.save_template(db, templates.TemplateInfo("qbr", "pt_BR", "Minha RTS", "# {{ account.name }}"))
    assert run(db_path, "templates", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(templates.KINDS) * 2 + 1
    assert rows[0] == {
        "id": None,
        "kind": "qbr",
        "language": "pt-BR",
        "name": "CSDesk",
        "builtin": True,
        "based_on": None,
    }
    mine = [r for r in rows if not r["builtin"]]
    assert mine == [
        {
            "id": mine[0]["id"],
            "kind": "qbr",
            "language": "pt-BR",
            "name": "Minha RTS",
            "builtin": False,
            "based_on": None,
        }
    ]
    assert isinstance(mine[0]["id"], int)


def test_templates_table_is_in_the_users_language(db, db_path, capsys):
    assert run(db_path, "--lang", "pt-BR", "templates", "--kind", "success-plan") == 0
    out = capsys.readouterr().out
    assert "Plano de sucesso" in out and "embutido" in out
    assert "Kickoff" not in out and len(out.strip().splitlines()) == 2 + 2  # header, rule, two languages


def test_add_checks_then_saves_a_template(db, db_path, tmp_path, capsys):
    body = tmp_path / "rts.md.j2"
    body.write_text("# RTS — {{ account.name }}\n\n- MRR {{ account.mrr_cents|money }}\n", encoding="utf-8")
    assert run(db_path, "templates", "add", "qbr", "Minha RTS", str(body), "--lang", "pt-BR") == 0
    assert "Minha RTS" in capsys.readouterr().out
    saved = templates.find_template(db, "qbr", "pt_BR", "Minha RTS")
    assert saved.body == body.read_text(encoding="utf-8") and not saved.builtin
    # The document commands use it at once.
    assert run(db_path, "templates", "--format", "json") == 0
    assert any(r["name"] == "Minha RTS" for r in json.loads(capsys.readouterr().out))


def test_add_accepts_both_kind_spellings_and_replaces_only_when_asked(db, db_path, tmp_path, capsys):
    first, second = tmp_path / "a.j2", tmp_path / "b.j2"
    first.write_text("# Plano\n", encoding="utf-8")
    second.write_text("# Plano 2\n", encoding="utf-8")
    assert run(db_path, "templates", "add", "success-plan", "Meu plano", str(first), "--lang", "en") == 0
    capsys.readouterr()
    assert run(db_path, "templates", "add", "success_plan", "Meu plano", str(second), "--lang", "en") == 2
    assert "already exists" in capsys.readouterr().err
    assert templates.find_template(db, "success_plan", "en", "Meu plano").body == "# Plano\n"
    assert (
        run(
            db_path, "templates", "add", "success_plan", "Meu plano", str(second), "--lang", "en", "--replace"
        )
        == 0
    )
    assert templates.find_template(db, "success_plan", "en", "Meu plano").body == "# Plano 2\n"
    assert len([t for t in templates.list_templates(db, "success_plan", "en") if not t.builtin]) == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("# ok\n{% for %}\n", "Line 2"),  # does not compile
        ("# ok\n\n{{ account.nme }}\n", "Line 3"),  # fails against the sample account
        ("# ok\n{{ ''.__class__.__mro__ }}\n", "Line 2"),  # not allowed in the sandbox
        ("# ok\n{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}\n", "Line 2"),
        ("# ok\n{{ ('x' * 100000)|replace('x', 'x' * 3000) }}\n", "Line 2"),  # over the size budget
    ],
)
def test_add_refuses_a_broken_template_with_exit_2_and_one_line(db, db_path, tmp_path, capsys, text, words):
    path = tmp_path / "broken.md.j2"
    path.write_text(text, encoding="utf-8")
    assert run(db_path, "templates", "add", "qbr", "Quebrado", str(path), "--lang", "pt-BR") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and words in err
    assert [t.name for t in templates.list_templates(db, "qbr", "pt_BR")] == ["CSDesk"]


def test_add_refuses_unreadable_files_and_bad_arguments(db_path, tmp_path, capsys):
    assert run(db_path, "templates", "add", "qbr", "X", str(tmp_path / "missing.j2")) == 2
    assert "missing.j2" in capsys.readouterr().err
    latin = tmp_path / "latin1.j2"
    latin.write_bytes("# Relatório\n".encode("cp1252"))
    assert run(db_path, "templates", "add", "qbr", "X", str(latin)) == 2
    assert "UTF-8" in capsys.readouterr().err
    good = tmp_path / "good.j2"
    good.write_text("# {{ account.name }}\n", encoding="utf-8")
    assert run(db_path, "templates", "add", "party", "X", str(good)) == 2
    assert run(db_path, "templates", "add", "qbr", "CSDesk", str(good)) == 2
    assert "reserved" in capsys.readouterr().err
