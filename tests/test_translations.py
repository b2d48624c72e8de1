"""Every user-visible English string has a pt-BR translation."""

import ast
from pathlib import Path

from csdesk import i18n, vocab

ROOT = Path(__file__).resolve().parent.parent


def tr_literals() -> dict[str, Path]:
    """First arguments of tr(...) calls that are string literals, in cli/, csdesk/ and ui/."""
    found: dict[str, Path] = {}
    for package in ("cli", "csdesk", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.setdefault(node.args[0].value, path)
    return found


def plural_literals() -> dict[tuple[str, str], Path]:
    """(singular, plural) of plural(n, "...", "...") calls in cli/, csdesk/ and ui/."""
    found: dict[tuple[str, str], Path] = {}
    for package in ("cli", "csdesk", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "plural"
                    and len(node.args) >= 3
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[1:3])
                ):
                    found.setdefault((node.args[1].value, node.args[2].value), path)
    return found


def test_every_plural_string_has_both_pt_br_forms():
    catalog = i18n.catalog("pt_BR")
    found = plural_literals()
    assert ("{n} scored account", "{n} scored accounts") in found
    missing = sorted(
        f"{path.relative_to(ROOT)}: {pair!r}"
        for pair, path in found.items()
        if i18n.plural_key(*pair) not in catalog
    )
    assert not missing, "missing pt-BR plural messages (msgid_plural, msgstr[0], msgstr[1]):\n" + "\n".join(
        missing
    )


def test_plural_picks_the_form_of_each_language():
    one, many = "{n} scored account", "{n} scored accounts"
    assert i18n.plural(1, one, many, "en") == "1 scored account"
    assert i18n.plural(0, one, many, "en") == "0 scored accounts"
    assert i18n.plural(2, one, many, "en") == "2 scored accounts"
    assert i18n.plural(1, one, many, "pt_BR") == "1 conta pontuada"
    assert i18n.plural(0, one, many, "pt_BR") == "0 conta pontuada"  # pt-BR: 0 and 1 are singular
    assert i18n.plural(2, one, many, "pt_BR") == "2 contas pontuadas"
    assert i18n.plural(1234, one, many, "pt_BR", n="1.234") == "1.234 contas pontuadas"
    # Same English word, two Portuguese forms.
    assert i18n.plural(1, "{n} overdue", "{n} overdue", "pt_BR") == "1 atrasada"
    assert i18n.plural(3, "{n} overdue", "{n} overdue", "pt_BR") == "3 atrasadas"
    # Not in the catalogue: the English forms.
    assert i18n.plural(1, "{n} widget", "{n} widgets", "pt_BR") == "1 widget"


def vocabulary_labels() -> set[str]:
    labels = set()
    for name in dir(vocab):
        value = getattr(vocab, name)
        if name.endswith("_LABELS") and isinstance(value, dict):
            labels.update(value.values())
    return labels


def test_every_tr_string_and_label_has_a_pt_br_translation():
    catalog = i18n.catalog("pt_BR")
    wanted = dict(tr_literals())
    wanted.update({label: Path("csdesk/vocab.py") for label in vocabulary_labels()})
    missing = sorted(
        f"{path.relative_to(ROOT) if path.is_absolute() else path}: {text!r}"
        for text, path in wanted.items()
        if text not in catalog
    )
    assert not missing, (
        "missing pt-BR translations (add them to resources/translations/pt_BR/*.po):\n" + "\n".join(missing)
    )


def test_translations_keep_their_placeholders():
    import re

    catalog = i18n.catalog("pt_BR")
    for source, translated in catalog.items():
        assert set(re.findall(r"\{(\w+)", source)) == set(re.findall(r"\{(\w+)", translated)), source


def test_translate_fills_placeholders_in_both_languages():
    assert i18n.tr("Account {id} does not exist.", "en", id=7) == "Account 7 does not exist."
    assert "7" in i18n.tr("Account {id} does not exist.", "pt_BR", id=7)
    assert i18n.tr("Account {id} does not exist.", "pt_BR", id=7) != "Account 7 does not exist."


def test_the_catalogue_is_read_again_only_when_a_po_file_changes(tmp_path, monkeypatch):
    """The parsed catalogue is cached; editing a .po file makes the next start read it anew."""
    import shutil

    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources" / "translations", resources / "translations")
    monkeypatch.setattr(i18n, "resources_dir", lambda: resources)
    i18n.catalog.cache_clear()
    try:
        first = i18n.catalog("pt_BR")
        assert first["Book of business"] == "Carteira de clientes"
        assert len(list(i18n.cache_dir().glob("translations-pt_BR-*.json"))) == 1

        i18n.catalog.cache_clear()
        monkeypatch.setattr(i18n, "_read_catalog", lambda *_: {"unused": "the cache was not used"})
        assert i18n.catalog("pt_BR") == first
        monkeypatch.undo()
        monkeypatch.setattr(i18n, "resources_dir", lambda: resources)

        po = next((resources / "translations" / "pt_BR").glob("*.po"))
        po.write_text(
            po.read_text(encoding="utf-8") + '\nmsgid "Brand new text"\nmsgstr "Texto novo em folha"\n',
            encoding="utf-8",
        )
        i18n.catalog.cache_clear()
        assert i18n.catalog("pt_BR")["Brand new text"] == "Texto novo em folha"
        assert len(list(i18n.cache_dir().glob("translations-pt_BR-*.json"))) == 1  # the old one went
    finally:
        i18n.catalog.cache_clear()


def test_the_system_language_decides_the_default_language(monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert i18n.system_language() == "pt_BR" == i18n.normalize_language(None)
    monkeypatch.setenv("LC_ALL", "C")  # LC_ALL outranks LANG, as in every C library
    assert i18n.system_language() == "en"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert i18n.system_language() == "en"


def test_no_english_string_has_two_different_translations():
    """Catalogues are merged: one msgid translated two ways would make one screen say the other's word."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((ROOT / "resources" / "translations" / "pt_BR").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                if message.id in seen and seen[message.id][0] != message.string:
                    clashes.append(f"{message.id!r}: {seen[message.id]} vs {message.string!r} in {path.name}")
                seen.setdefault(message.id, (message.string, path.name))
    assert not clashes, "\n".join(clashes)
