"""Translations and the UI language, shared by the GUI, the CLI and documents.

Source strings are English. The pt-BR catalogue is a set of gettext ``.po``
files in ``resources/translations/pt_BR/`` (one per area of the app, so each
area keeps its own), read with Babel: no compile step, and the frozen build
ships them as they are. What Babel read is kept in the cache folder until a
.po file changes, so starting up skips Babel's parser (~50 ms with its imports).
"""

from __future__ import annotations

import hashlib
import json
import locale
import os
from functools import cache
from pathlib import Path

from csdesk.errors import UserError
from csdesk.paths import cache_dir, resources_dir

LANGUAGES = ("pt_BR", "en")

_current = "en"
_CATALOG_FORMAT = 2  # part of the cache key: 2 keeps both forms of a plural message
_PLURAL_SEPARATOR = "\x04"  # between the two forms of a plural message (gettext's context mark)


class UnknownLanguage(UserError, ValueError):
    """A language CSDesk does not speak (--lang, CSDESK_LANG)."""


def system_language() -> str:
    """pt_BR where the system speaks Portuguese, English otherwise."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "pt_BR" if value.lower().startswith("pt") else "en"
    code = locale.getlocale()[0] or ""
    return "pt_BR" if code.lower().startswith("pt") else "en"


def normalize_language(value: str | None) -> str:
    """Accept pt-BR, pt_BR, pt, en, en_US...; anything else is refused."""
    if not value:
        return system_language()
    key = value.replace("-", "_").lower()
    if key.startswith("pt"):
        return "pt_BR"
    if key.startswith("en"):
        return "en"
    raise UnknownLanguage(f"unknown language {value!r}; use pt-BR or en")


def set_language(language: str | None) -> str:
    global _current
    _current = normalize_language(language)
    return _current


def current_language() -> str:
    return _current


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of one language, merged from its .po files."""
    folder = resources_dir() / "translations" / language
    if not folder.is_dir():
        return {}
    files = sorted(folder.glob("*.po"))
    stats = [(f.name, f.stat()) for f in files]
    stamp = hashlib.sha1(
        repr([_CATALOG_FORMAT] + [(name, st.st_size, st.st_mtime_ns) for name, st in stats]).encode()
    )
    cached = cache_dir() / f"translations-{language}-{stamp.hexdigest()[:16]}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    messages = _read_catalog(files, language)
    _store(cached, messages, f"translations-{language}-*.json")
    return messages


def _read_catalog(files: list[Path], language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    for po_file in files:
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id or not message.string or message.fuzzy:
                    continue
                if isinstance(message.id, str):
                    messages[message.id] = message.string
                    continue
                # A plural message (msgid_plural, msgstr[0], msgstr[1]) is kept under
                # plural_key(): the English forms may be the same word ("{n} overdue").
                forms = [message.string] if isinstance(message.string, str) else list(message.string)
                if all(forms):
                    messages[plural_key(*message.id[:2])] = _PLURAL_SEPARATOR.join(forms[:2])
    return messages


def _store(path: Path, messages: dict[str, str], older: str) -> None:
    """Write the cache file whole (or not at all), removing the ``older`` ones it replaces."""
    try:
        for old in path.parent.glob(older):
            old.unlink(missing_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # only a cache: the next start reads the .po files again


def tr(text: str, language: str | None = None, /, **values: object) -> str:
    """Translate ``text`` into the current (or given) language, then fill ``{names}``."""
    language = language or _current
    translated = catalog(language).get(text, text) if language != "en" else text
    return translated.format(**values) if values else translated


def plural_form(n: int, language: str | None = None) -> int:
    """0 for the singular, 1 for the plural: English ``n != 1``, pt-BR ``n > 1`` (0 and 1 are singular)."""
    language = language or _current
    if language == "pt_BR":
        return int(abs(n) > 1)
    return int(abs(n) != 1)


def plural_key(singular: str, plural_text: str) -> str:
    """The catalogue key of a plural message."""
    return f"{singular}{_PLURAL_SEPARATOR}{plural_text}"


def plural(n: int, singular: str, plural_text: str, language: str | None = None, /, **values: object) -> str:
    """The translated form a count needs: ``plural(n, "{n} account", "{n} accounts")``.

    ``{n}`` is filled with ``n`` unless given (pass ``n=formatting.number(n)`` for
    thousands separators). A .po file holds each pair as one plural message
    (msgid, msgid_plural, msgstr[0] singular, msgstr[1] plural).
    """
    language = language or _current
    values.setdefault("n", n)
    form = plural_form(n, language)
    forms = (singular, plural_text)
    if language != "en":
        translated = catalog(language).get(plural_key(singular, plural_text))
        if translated:
            forms = tuple(translated.split(_PLURAL_SEPARATOR, 1))  # type: ignore[assignment]
    return forms[min(form, len(forms) - 1)].format(**values)


def label(labels: dict[str, str], key: str | None, language: str | None = None) -> str:
    """The translated label of a vocabulary key (``csdesk.vocab``); '' for None."""
    if key is None:
        return ""
    return tr(labels.get(key, key), language)
