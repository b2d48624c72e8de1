"""Parsing the values CSMs' files hold: money, numbers, dates, status words.

Each column is parsed as a whole: its unique values are parsed once (files
repeat dates, owners and statuses a lot), and the choices a column needs
(decimal comma or point, day-month or month-day) are made from all of its
values, never row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from csdesk import currency, formatting, i18n, limits, vocab
from csdesk.i18n import tr
from csdesk.rules.names import word_key

# Excel's day 0 (serial dates count from 1899-12-30 because of the 1900 leap bug).
EXCEL_EPOCH = datetime(1899, 12, 30)
_SERIAL_RANGE = (20000, 80000)  # 1954..2119: numbers in a date column meant as dates


class ValueProblem(ValueError):
    """A cell that cannot be read as what its column holds; the message says why."""


# Numbers and money ------------------------------------------------------------

_CURRENCY_RE = currency.MARK_RE  # R$, US$, U$, €, USD, EUR...: the currency is read by csdesk.currency
_SPACES_RE = re.compile(r"[\s\u00a0\u202f']")


def number_style(values: Iterable[str], comma_hint: bool = False) -> str:
    """'comma' when the column writes decimals with a comma (``1.234,56``), else 'point'.

    Decided from the whole column: a value with both separators tells by
    their order; a separator followed by one or two digits is a decimal one;
    only three-digit groups (``1.234``) are ambiguous, settled by ``comma_hint``
    (a pt-BR file: ``;`` delimiter or ``R$`` values).
    """
    comma = point = 0
    for raw in values:
        text = _SPACES_RE.sub("", _CURRENCY_RE.sub("", raw)).strip("()-+%")
        if not text:
            continue
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                comma += 1
            else:
                point += 1
        elif "," in text:
            tail = text.rsplit(",", 1)[1]
            if len(tail) != 3 or text.count(",") == 1 and text.startswith("0"):
                comma += 1
        elif "." in text:
            tail = text.rsplit(".", 1)[1]
            if len(tail) != 3 or text.count(".") == 1 and text.startswith("0"):
                point += 1
        if comma and point:
            break
    if comma > point:
        return "comma"
    if point > comma:
        return "point"
    return "comma" if comma_hint else "point"


def parse_decimal(raw: str, style: str = "point") -> Decimal:
    """``R$ 1.234,56`` / ``1,234.56`` / ``(12,5)`` / ``12,5%`` -> Decimal (a percent stays 12.5)."""
    text = _SPACES_RE.sub("", _CURRENCY_RE.sub("", raw))
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = text.rstrip("%")
    if text.startswith("-"):
        negative, text = True, text[1:]
    elif text.endswith("-"):
        negative, text = True, text[:-1]
    text = text.lstrip("+")
    if style == "comma":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    if not text or not re.fullmatch(r"\d*\.?\d+|\d+\.", text):
        raise ValueProblem(tr('"{value}" is not a number.', value=raw))
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already checked
        raise ValueProblem(tr('"{value}" is not a number.', value=raw)) from exc
    return -value if negative else value


# The common shapes (``R$ 1.234,56``, ``1234,56``; ``1,234.56``) read without Decimal: a
# 100k-row sheet has ~100k distinct amounts. Anything else takes the general path.
_FAST_CENTS = {
    "comma": re.compile(r"(?:R\$ ?)?([0-9]{1,3}(?:\.[0-9]{3})*|[0-9]+),([0-9]{2})"),
    "point": re.compile(r"(?:R\$ ?)?([0-9]{1,3}(?:,[0-9]{3})*|[0-9]+)\.([0-9]{2})"),
}


def parse_cents(raw: str, style: str = "point") -> int:
    """An amount in cents, within ``MAX_AMOUNT_CENTS`` either way (else a ValueProblem)."""
    fast = _FAST_CENTS.get(style)
    match = fast.fullmatch(raw) if fast is not None else None
    if match is not None:
        units, cents = match.groups()
        digits = units.replace(".", "").replace(",", "") + cents
        if len(digits) <= 18 and int(digits) <= limits.MAX_AMOUNT_CENTS:
            return int(digits)
    value = parse_decimal(raw, style)
    if not limits.amount_ok(value * 100):
        raise ValueProblem(limits.too_large_amount(raw))
    return int((value * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _within_quantity(value: Decimal, raw: str) -> Decimal:
    if abs(value) > limits.MAX_QUANTITY:
        raise ValueProblem(
            tr(
                "{value} is more than {limit}, the largest number accepted. Check for extra digits.",
                value=limits.preview(raw.strip()),
                limit=formatting.number(limits.MAX_QUANTITY),
            )
        )
    return value


def parse_int(raw: str, style: str = "point") -> int:
    value = _within_quantity(parse_decimal(raw, style), raw)
    if value != value.to_integral_value():
        raise ValueProblem(tr('"{value}" is not a whole number.', value=raw))
    return int(value)


def parse_number(raw: str, style: str = "point") -> float:
    """A count or measure, within ``MAX_QUANTITY`` either way (never an infinite float)."""
    return float(_within_quantity(parse_decimal(raw, style), raw))


# Dates ------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_SLASH_RE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")


def date_order(values: Iterable[str]) -> str:
    """'iso', 'dmy', 'mdy', 'ambiguous' (every d/m value fits both) or 'mixed' (fits neither).

    Decided over the whole column, as a person would: one ``25/11/2026``
    settles it for all its neighbours.
    """
    day_first = month_first = slashes = False
    for raw in values:
        match = _SLASH_RE.match(raw.strip())
        if not match:
            continue
        slashes = True
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12:
            day_first = True
        if second > 12:
            month_first = True
    if not slashes:
        return "iso"
    if day_first and month_first:
        return "mixed"
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    return "ambiguous"


def parse_datetime(raw: str, order: str = "dmy") -> datetime:
    """ISO date/datetime, d/m/y or m/d/y (``order``), or an Excel serial number."""
    text = raw.strip()
    try:
        match = _ISO_RE.match(text)
        if match:
            y, m, d, hh, mm, ss = match.groups()
            return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        match = _SLASH_RE.match(text)
        if match:
            a, b, y, hh, mm, ss, ampm = match.groups()
            day, month = (int(a), int(b)) if order != "mdy" else (int(b), int(a))
            year = int(y) + (2000 if len(y) == 2 else 0)
            hour = int(hh or 0)
            if ampm:
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            return datetime(year, month, day, hour, int(mm or 0), int(ss or 0))
        if _SERIAL_RE.match(text):
            serial = float(text)
            if _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
                return EXCEL_EPOCH + timedelta(days=serial)
    except ValueError as exc:
        raise ValueProblem(tr('"{value}" is not a valid date.', value=raw)) from exc
    raise ValueProblem(tr('"{value}" is not a date (use 25/11/2026 or 2026-11-25).', value=raw))


def parse_date(raw: str, order: str = "dmy") -> date:
    return parse_datetime(raw, order).date()


# Words ------------------------------------------------------------------------


def _table(pairs: dict[str, Iterable[str]]) -> dict[str, str]:
    return {word_key(word): key for key, words in pairs.items() for word in words}


ACCOUNT_STATUS_WORDS = _table(
    {
        "active": (
            "ativo",
            "ativa",
            "active",
            "cliente",
            "customer",
            "em dia",
            "vigente",
            "ok",
            "sim",
            "current",
            "live",
            "renovado",
            "em andamento",
            "onboarding",
            "implantacao",
        ),
        "churned": (
            "cancelado",
            "cancelada",
            "churned",
            "churn",
            "inativo",
            "inativa",
            "inactive",
            "cancelled",
            "canceled",
            "encerrado",
            "encerrada",
            "perdido",
            "lost",
            "former customer",
            "ex cliente",
            "cancelamento",
            "distrato",
        ),
    }
)
DEAL_STATUS_WORDS = _table(
    {
        "won": (
            "ganho",
            "ganha",
            "won",
            "closed won",
            "closedwon",
            "fechado ganho",
            "fechada ganha",
            "vendido",
            "vendida",
            "fechado",
            "fechada",
            "ganho fechado",
        ),
        "lost": (
            "perdido",
            "perdida",
            "lost",
            "closed lost",
            "closedlost",
            "fechado perdido",
            "fechada perdida",
        ),
        "open": ("aberto", "aberta", "open", "em andamento", "em aberto", "andamento", "pausado", "pausada"),
    }
)
ACTIVITY_TYPE_WORDS = _table(
    {
        "meeting": (
            "reuniao",
            "meeting",
            "videochamada",
            "video chamada",
            "almoco",
            "lunch",
            "visita",
            "visit",
            "demo",
            "apresentacao",
            "treinamento",
            "kickoff",
            "kick off",
            "qbr",
        ),
        "call": ("ligacao", "chamada", "call", "telefonema", "telefone", "phone", "whatsapp"),
        "email": ("e mail", "email", "mail", "mensagem"),
        "note": ("tarefa", "task", "nota", "note", "prazo", "deadline", "anotacao", "outro", "other"),
    }
)
YES_WORDS = {
    word_key(w)
    for w in (
        "sim",
        "s",
        "yes",
        "y",
        "true",
        "verdadeiro",
        "1",
        "x",
        "concluida",
        "concluido",
        "done",
        "feito",
        "feita",
        "completed",
        "ok",
    )
}
NO_WORDS = {
    word_key(w)
    for w in ("nao", "n", "no", "false", "falso", "0", "pendente", "pending", "aberta", "aberto", "open", "")
}


def _labels_table(labels: dict[str, str], extra: dict[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Vocabulary keys by their English label, pt-BR label, the key itself and extra words."""
    table: dict[str, str] = {}
    for key, english in labels.items():
        for word in (key, key.replace("_", " "), english, i18n.tr(english, "pt_BR")):
            table[word_key(word)] = key
    for key, words in (extra or {}).items():
        for word in words:
            table[word_key(word)] = key
    return table


def segment_words() -> dict[str, str]:
    return _labels_table(
        vocab.SEGMENT_LABELS,
        {
            "high_touch": ("alto contato", "alto toque", "high", "enterprise", "estrategico"),
            "mid_touch": ("medio contato", "medio toque", "mid", "medium", "mid market"),
            "low_touch": ("baixo contato", "baixo toque", "low", "smb"),
            "tech_touch": ("toque tecnologico", "digital", "tech", "self service", "escala"),
        },
    )


def stage_words() -> dict[str, str]:
    return _labels_table(
        vocab.STAGE_LABELS,
        {
            "onboarding": ("implantacao", "implementacao", "ativacao"),
            "early_adoption": ("adocao inicial", "adocao"),
            "ongoing_adoption": ("adocao continua", "adocao em andamento", "maturidade", "adoption"),
            "expansion": ("expansao", "expansao e advocacia", "advocacy", "advocacia"),
            "renewal": ("renovacao",),
            "churned": ("cancelado", "cancelada", "churn", "perdido"),
        },
    )


def churn_reason_words() -> dict[str, str]:
    return _labels_table(
        vocab.CHURN_REASON_LABELS,
        {
            "product": ("produto", "funcionalidade", "features", "falta de funcionalidade"),
            "price": ("preco", "custo", "caro", "valor", "pricing", "cost", "budget", "orcamento"),
            "competition": ("concorrencia", "concorrente", "competitor", "competidor"),
            "support": ("suporte", "atendimento", "service"),
            "no_roi": ("falta de roi", "sem roi", "roi", "sem valor", "no value"),
            "internal_change": (
                "mudanca interna",
                "mudanca interna no cliente",
                "reestruturacao",
                "fusao",
                "aquisicao",
            ),
            "bad_fit": ("mau ajuste", "fit", "nao se encaixa", "perfil"),
            "nonpayment": (
                "inadimplencia",
                "inadimplente",
                "falta de pagamento",
                "non payment",
                "nonpayment",
                "calote",
            ),
        },
    )


def contact_role_words() -> dict[str, str]:
    return _labels_table(
        vocab.CONTACT_ROLE_LABELS,
        {
            "champion": ("campeao", "campea", "defensor"),
            "sponsor": ("patrocinador", "patrocinadora", "executive sponsor"),
            "decision_maker": ("tomador de decisao", "decisor", "decisora"),
            "user": ("usuario", "usuaria", "end user"),
        },
    )
