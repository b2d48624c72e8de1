"""``csdesk templates``: list the document templates; ``csdesk templates add``: add one from a file.

A template is added only when it compiles and fills in the sample account
within the template limits; otherwise the command says which line is wrong
and exits 2, and nothing is saved.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from cli.main import open_db
from csdesk import i18n, templates
from csdesk.document_kinds import DOCUMENT_KINDS, names_help
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.output import write_json, write_table
from csdesk.templates import TemplateInfo, TemplateRenderError

# What KIND accepts: the names of ``csdesk doc`` (success-plan) and the stored keys (success_plan).
KIND_NAMES = {**{k.name: k.key for k in DOCUMENT_KINDS}, **{k.key: k.key for k in DOCUMENT_KINDS}}


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "templates",
        help="list the document templates (built-in and yours); 'templates add' adds one from a file",
        description="Without a subcommand: list the templates. "
        "'csdesk templates add KIND NAME FILE' adds a template after checking it.",
    )
    parser.add_argument("--kind", choices=tuple(KIND_NAMES), metavar="KIND", help="only this kind")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    add = actions.add_parser(
        "add",
        help="add a template from a Jinja2 text file, after checking it against the sample account",
    )
    add.add_argument(
        "kind",
        choices=tuple(KIND_NAMES),
        metavar="KIND",
        help=names_help(),
    )
    add.add_argument("name", metavar="NAME", help="the template's name")
    add.add_argument("file", metavar="FILE", help="the template text (UTF-8)")
    # --lang is also a global option; here it may follow the command.
    add.add_argument("--lang", dest="template_lang", metavar="LANG", help="pt-BR or en (default: yours)")
    add.add_argument("--replace", action="store_true", help="replace a template of the same name")
    add.set_defaults(handler=run_add)


def _language_tag(language: str) -> str:
    return "pt-BR" if language == "pt_BR" else language


def template_record(t: TemplateInfo) -> dict:
    return {
        "id": t.id,
        "kind": t.kind,
        "language": _language_tag(t.language),
        "name": t.name,
        "builtin": t.builtin,
        "based_on": t.based_on,
    }


def run_list(args: argparse.Namespace) -> int:
    kind = KIND_NAMES[args.kind] if args.kind else None
    db = open_db(args)
    try:
        found = templates.list_templates(db, kind)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([template_record(t) for t in found])
        return 0
    write_table(
        [tr("id"), tr("kind"), tr("language"), tr("name"), tr("origin")],
        [
            [
                "" if t.id is None else str(t.id),
                tr(templates.KIND_LABELS[t.kind]),
                _language_tag(t.language),
                t.name,
                tr("built-in") if t.builtin else tr("copy of {name}", name=t.based_on) if t.based_on else "",
            ]
            for t in found
        ],
        right_aligned=(0,),
    )
    return 0


def read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(
            tr("{file} is not UTF-8 text; save it as UTF-8 and try again.", file=str(path))
        ) from None
    except OSError as exc:
        raise UserError(
            tr("Cannot read {file}: {reason}", file=str(path), reason=exc.strerror or str(exc))
        ) from None


def run_add(args: argparse.Namespace) -> int:
    kind = KIND_NAMES[args.kind]
    language = i18n.normalize_language(args.template_lang or args.lang or i18n.current_language())
    path = Path(args.file)
    body = read_body(path)
    try:
        templates.validate(body, language)
    except TemplateRenderError as exc:
        raise UserError(f"{path}: {exc}") from None
    info = TemplateInfo(kind, language, args.name.strip(), body)
    db = open_db(args)
    try:
        if args.replace:
            same = [t for t in templates.list_templates(db, kind, language) if t.name == info.name]
            if same and not same[0].builtin:
                info = replace(info, id=same[0].id, based_on=same[0].based_on)
        saved = templates.save_template(db, info)
    finally:
        db.dispose()
    print(
        tr(
            'Template "{name}" saved: {kind}, {language}, id {id}.',
            name=saved.name,
            kind=tr(templates.KIND_LABELS[saved.kind]),
            language=_language_tag(saved.language),
            id=saved.id,
        )
    )
    return 0
