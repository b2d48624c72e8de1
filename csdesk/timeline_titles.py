"""Timeline titles of the events the app composes, rendered from their data when shown.

An event the CSM or a source typed (a note, a meeting, an e-mail subject) keeps its
title as typed. An event the app composes (a revenue movement, a survey answer, a closed renewal) is stored with an
empty title and its facts in ``data``; :func:`render` makes its title, in the
reader's language, every time it is shown: the timeline, the CLI, documents,
exports and search all read it from here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from csdesk import formatting, vocab
from csdesk.i18n import LANGUAGES, label, tr

REVENUE_KIND = "revenue_change"
REVENUE_SUBKINDS = ("new", "opening", "expansion", "contraction", "churn", "reactivation")


def revenue_templates(language: str | None = None) -> dict[str, str]:
    """The title of each kind of revenue movement, in ``language`` (default: the current one)."""
    return {
        "new": tr("New revenue: MRR {after}", language),
        "opening": tr("Opening balance: MRR {after}", language),
        "expansion": tr("Expansion: MRR {before} → {after} (+{delta})", language),
        "contraction": tr("Contraction: MRR {before} → {after} (-{delta})", language),
        "churn": tr("Churn: MRR {before} lost", language),
        "reactivation": tr("Reactivation: MRR {after}", language),
    }


SURVEY_KINDS = ("nps", "csat", "ces")


def survey_templates(language: str | None = None) -> dict[str, str]:
    """The title of a survey answer of each kind, in ``language`` (default: the current one)."""
    return {
        "nps": tr("NPS answer: {score}", language),
        "csat": tr("CSAT answer: {score}", language),
        "ces": tr("CES answer: {score}", language),
    }


RENEWAL_KIND = "renewal"
RENEWAL_SUBKINDS = vocab.RENEWAL_OUTCOMES


def renewal_template(outcome: str, language: str | None = None) -> str:
    """The title of a closed renewal of ``outcome``, with its outcome's label filled in."""
    if outcome in ("renewed", "lost"):
        text = tr("{outcome}: MRR {before}", language)
    else:
        text = tr("{outcome}: MRR {before} → {after}", language)
    return text.replace("{outcome}", label(vocab.RENEWAL_OUTCOME_LABELS, outcome, language))


def renewal(outcome: str, before: int, after: int, currency: str = "BRL", language: str | None = None) -> str:
    """The title of a closed renewal: ``Renewed with upsell: MRR R$1,000.00 → R$1,500.00``."""

    def money(cents: int) -> str:
        return formatting.money(cents, currency, language)

    return renewal_template(outcome, language).format(before=money(before), after=money(after))


def _score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def composed(kind: str, subkind: str | None, data: Mapping[str, Any] | None) -> bool:
    """True when the title of an event of this kind can be rendered from its data (so none is stored)."""
    if not data:
        return False
    if kind in SURVEY_KINDS:
        return _score(data.get("score"))
    if kind == RENEWAL_KIND:
        needed = (
            ("mrr_before_cents",)
            if subkind in ("renewed", "lost")
            else ("mrr_before_cents", "mrr_after_cents")
        )
        return subkind in RENEWAL_SUBKINDS and all(isinstance(data.get(name), int) for name in needed)
    if kind != REVENUE_KIND or subkind not in REVENUE_SUBKINDS:
        return False
    needed = ("mrr_after_cents",) if subkind in ("new", "opening", "reactivation") else ("mrr_before_cents",)
    if subkind in ("expansion", "contraction"):
        needed = ("mrr_before_cents", "mrr_after_cents")
    return all(isinstance(data.get(name), int) for name in needed)


def survey(kind: str, score: float, scale: Any = None, language: str | None = None) -> str:
    """The title of a survey answer: ``NPS answer: 9``, ``CSAT answer: 4/5`` (with the scale it was asked on)."""
    shown = str(int(score)) if score == int(score) else formatting.number(score, 1, language)
    if isinstance(scale, int) and not isinstance(scale, bool):
        shown = f"{shown}/{scale}"
    return survey_templates(language)[kind].format(score=shown)


def revenue(kind: str, before: int, after: int, language: str | None = None) -> str:
    """The title of a revenue movement: ``Expansion: MRR R$ 1.000,00 → R$ 1.500,00 (+R$ 500,00)``."""
    template = revenue_templates(language)[kind]

    def money(cents: int) -> str:
        return formatting.money(cents, language=language)

    if kind in ("new", "opening", "reactivation"):
        return template.format(after=money(after))
    if kind == "churn":
        return template.format(before=money(before))
    return template.format(before=money(before), after=money(after), delta=money(abs(after - before)))


def render(
    kind: str,
    subkind: str | None,
    title: str | None,
    data: Mapping[str, Any] | None,
    language: str | None = None,
) -> str:
    """An event's title as the reader sees it: the stored one, or composed from its data."""
    if title:
        return title
    if composed(kind, subkind, data):
        assert data is not None
        if kind in SURVEY_KINDS:
            return survey(kind, data["score"], data.get("scale"), language)
        assert subkind is not None
        if kind == RENEWAL_KIND:
            before = data["mrr_before_cents"]
            after = data.get("mrr_after_cents", before)
            return renewal(subkind, before, after, data.get("currency") or "BRL", language)
        return revenue(subkind, data.get("mrr_before_cents") or 0, data.get("mrr_after_cents") or 0, language)
    return title or ""


def all_languages(kind: str, subkind: str | None, data: Mapping[str, Any] | None) -> list[str]:
    """A composed title in every shipped language (what search matches)."""
    return [render(kind, subkind, "", data, language) for language in LANGUAGES]


@functools.lru_cache(maxsize=256)
def template_words(kind: str, subkind: str | None, language: str) -> tuple[str, ...]:
    """The folded words of a composed title's fixed text (no amounts) in ``language``, with the
    currency symbol's: a search made only of these words matches every event of the subkind.
    Asked for every subkind on every search; the shipped catalogues do not change while running."""
    from csdesk.rules.names import fold

    if kind in SURVEY_KINDS:
        text = survey_templates(language)[kind]
    elif kind == RENEWAL_KIND and subkind:
        text = renewal_template(subkind, language) + " " + formatting.money(0, language=language)
    else:
        text = revenue_templates(language)[subkind] if kind == REVENUE_KIND and subkind else ""
        text += " " + formatting.money(0, language=language)
    text = re.sub(r"\{[^}]*\}", " ", text)
    return tuple(w for w in re.findall(r"\w+", fold(text)) if not w.isdigit())


def composed_subkinds() -> dict[str, tuple[str | None, ...]]:
    """The (kind: subkinds) whose titles are composed: search looks at these events' data.
    A survey answer's title does not depend on its subkind (None stands for any)."""
    return {
        REVENUE_KIND: REVENUE_SUBKINDS,
        RENEWAL_KIND: RENEWAL_SUBKINDS,
        **{kind: (None,) for kind in SURVEY_KINDS},
    }
