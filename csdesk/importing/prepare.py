"""From a file to a parsed, mapped table ready to plan: detection, presets, per-column parsing."""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from csdesk import currency
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing import detect as D
from csdesk.importing import sources
from csdesk.importing import values as V
from csdesk.importing.reading import Table, long_cell_message, read_file_bytes, read_table
from csdesk.limits import MAX_AMOUNT_CENTS, preview
from csdesk.progress import SILENT, Progress
from csdesk.rules import cnpj
from csdesk.rules.names import normalize_domain

DATE_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class RowError:
    """One rejected cell: the file's row number (header = 1), the column's header, the value, why."""

    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class ImportOptions:
    kind: str = "auto"
    source: str = "auto"
    sheet: str | None = None
    mapping: dict[str, str | None] | None = None  # header -> field key (None: ignore the column)
    keep_unmapped: bool = False  # unmapped columns become account custom fields
    preset: str | None = None
    date_order: str | None = None  # dmy | mdy, for columns whose dates fit both
    as_of: date | None = None


@dataclass
class Prepared:
    """A read table with its kind, source, column mapping and the per-column choices."""

    table: Table
    kind: str
    source: str
    kind_confidence: float
    source_confidence: float
    mapping: dict[int, str]
    keep_unmapped: bool = False
    preset: str | None = None
    date_order: str | None = None
    date_orders: dict[int, str] = field(default_factory=dict)  # column -> iso/dmy/mdy/ambiguous
    number_style: str = "point"
    warnings: list[str] = field(default_factory=list)

    @property
    def signature(self) -> str:
        return D.header_signature(self.table.headers)

    def ambiguous_columns(self) -> list[str]:
        return [self.table.headers[i] for i, order in self.date_orders.items() if order == "ambiguous"]

    def field_column(self, key: str) -> int | None:
        return next((i for i, f in self.mapping.items() if f == key), None)

    def mapping_by_header(self) -> dict[str, str | None]:
        return {h: self.mapping.get(i) for i, h in enumerate(self.table.headers)}

    def missing_fields(self) -> list[str]:
        return D.describe_missing(self.kind, self.mapping)

    def remap(self, kind: str | None = None, mapping: dict[int, str] | None = None) -> None:
        """Change the kind (re-detecting the mapping) or set the mapping, then redo the column choices."""
        if kind is not None and kind != self.kind:
            self.kind = kind
            self.kind_confidence = 1.0
            self.mapping = D.auto_mapping(self.table, kind)
        if mapping is not None:
            self.mapping = dict(mapping)
        self.refresh()

    def refresh(self) -> None:
        self.date_orders = column_date_orders(self.table, self.kind, self.mapping, self.date_order)
        money = [i for i, f in self.mapping.items() if D.spec(self.kind, f).type == "money"]
        head = self.table.rows[:5000]  # the first rows tell the style
        self.number_style = V.number_style(
            (row[i] for i in money for row in head),
            comma_hint=self.table.delimiter == ";" or sources.profile(self.source).decimal_comma,
        )


def column_date_orders(
    table: Table, kind: str, mapping: dict[int, str], override: str | None
) -> dict[int, str]:
    """Each date column's order; an ambiguous one follows the file's other date columns if they agree."""
    orders: dict[int, str] = {}
    for index, key in mapping.items():
        if D.spec(kind, key).type in DATE_TYPES:
            orders[index] = V.date_order(set(table.column(index)))
    decided = {o for o in orders.values() if o in ("dmy", "mdy")}
    for index, order in orders.items():
        if order == "mixed":
            orders[index] = override or "dmy"
        elif order == "ambiguous":
            if override:
                orders[index] = override
            elif len(decided) == 1:
                orders[index] = next(iter(decided))
    return orders


def _mapping_from_headers(table: Table, kind: str, by_header: dict[str, str | None]) -> dict[int, str]:
    valid = {s.key for s in D.FIELDS[kind]}
    lookup = {V.word_key(h): i for i, h in enumerate(table.headers)}
    mapping: dict[int, str] = {}
    for header, key in by_header.items():
        index = lookup.get(V.word_key(header))
        if index is None:
            raise UserError(
                tr(
                    '{file}: the mapping names a column "{column}" that the file does not have.',
                    file=table.name,
                    column=header,
                )
            )
        if key is None or key == "":
            continue
        if key not in valid:
            raise UserError(
                tr(
                    'Unknown field "{field}" for {kind}; use one of: {fields}.',
                    field=key,
                    kind=kind,
                    fields=", ".join(sorted(valid)),
                )
            )
        mapping[index] = key
    return mapping


def load_mapping_file(path: str | Path) -> dict[str, Any]:
    """A mapping JSON: ``{"Header": "field", ...}`` or ``{"kind":..., "columns": {...}, ...}``."""
    try:
        data = json.loads(read_file_bytes(Path(path)).decode("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            tr("{file}: is not a valid JSON mapping ({problem}).", file=str(path), problem=exc)
        ) from exc
    if not isinstance(data, dict):
        raise UserError(
            tr("{file}: is not a valid JSON mapping ({problem}).", file=str(path), problem="{...}")
        )
    if "columns" not in data:
        data = {"columns": data}
    return data


def prepare(
    path: str | Path,
    options: ImportOptions | None = None,
    db=None,
    progress: Progress = SILENT,
) -> Prepared:
    """Read ``path``, detect kind and source, and map its columns (preset, mapping or aliases)."""
    options = options or ImportOptions()
    table = read_table(path, options.sheet, progress=progress)
    preset_row = None
    if db is not None:
        from csdesk.importing import presets

        if options.preset:
            preset_row = presets.get_preset(db, options.preset)
        elif options.mapping is None:
            preset_row = presets.find_preset(db, D.header_signature(table.headers))
    kind, source = options.kind, options.source
    if preset_row is not None:
        kind = preset_row.kind if kind == "auto" else kind
        source = preset_row.source if source == "auto" else source
    progress.step(0, 0, tr("Reading the file…"))
    detection = D.detect(table, kind, source)
    progress.step(0, 0, tr("Reading the file…"))
    prepared = Prepared(
        table=table,
        kind=detection.kind,
        source=detection.source,
        kind_confidence=detection.kind_confidence,
        source_confidence=detection.source_confidence,
        mapping=detection.mapping,
        keep_unmapped=options.keep_unmapped,
        date_order=options.date_order,
    )
    if preset_row is not None:
        prepared.mapping = _mapping_from_headers(table, prepared.kind, preset_row.mapping.get("columns", {}))
        prepared.keep_unmapped = options.keep_unmapped or bool(preset_row.mapping.get("keep_unmapped"))
        prepared.preset = preset_row.name
        prepared.kind_confidence = prepared.source_confidence = 1.0
    if options.mapping is not None:
        prepared.mapping = _mapping_from_headers(table, prepared.kind, options.mapping)
    progress.step(0, 0, tr("Reading the file…"))
    prepared.refresh()
    return prepared


# Parsing the mapped columns -----------------------------------------------------


_NOT_DIGITS = re.compile(r"\D+")


def _parser(prepared: Prepared, index: int, type_: str, key: str):
    style = prepared.number_style
    if type_ == "money":
        return lambda raw: V.parse_cents(raw, style)
    if type_ == "int":
        return lambda raw: V.parse_int(raw, style)
    if type_ in ("number",):
        return lambda raw: V.parse_number(raw, style)
    if type_ in DATE_TYPES:
        order = prepared.date_orders.get(index, "dmy")
        if order == "ambiguous":
            order = prepared.date_order or "dmy"
        if type_ == "date":
            return lambda raw: V.parse_date(raw, order)
        return lambda raw: V.parse_datetime(raw, order)
    if type_ == "bool":

        def parse_bool(raw: str) -> bool:
            word = V.word_key(raw)
            if word in V.YES_WORDS:
                return True
            if word in V.NO_WORDS:
                return False
            raise V.ValueProblem(tr('"{value}" is not yes or no (Sim/Não).', value=raw))

        return parse_bool
    if type_ == "cnpj":

        def parse_cnpj(raw: str) -> str:
            number = cnpj.normalize_cnpj(raw)
            if not cnpj.valid_cnpj(number):
                raise V.ValueProblem(tr('"{value}" is not a valid CNPJ: check its 14 digits.', value=raw))
            return number

        return parse_cnpj
    if type_ == "domain":
        return lambda raw: normalize_domain(raw)
    if type_ == "email":

        def parse_email(raw: str) -> str:
            text = raw.strip().lower()
            if "@" not in text or " " in text:
                raise V.ValueProblem(tr('"{value}" is not an e-mail address.', value=raw))
            return text

        return parse_email
    if type_ == "score":
        # CSAT files use 1-5, 1-10 or 0-10: the answers are kept as given and the metrics
        # read the scale from them (csdesk.metrics.csat_scale_of).
        low, high = {"nps": (0, 10), "csat": (0, 10), "ces": (1, 7)}[key]

        def parse_score(raw: str) -> int:
            head = raw.strip().split()[0].rstrip("-.,:")
            try:
                score = int(V.parse_decimal(head))
            except V.ValueProblem:
                raise V.ValueProblem(tr('"{value}" is not a score.', value=raw)) from None
            if not low <= score <= high:
                raise V.ValueProblem(
                    tr("{value} is outside the scale {low} to {high}.", value=raw, low=low, high=high)
                )
            return score

        return parse_score
    if type_ == "currency":

        def parse_currency(raw: str) -> str:
            found = currency.recognise(raw)
            if found is None:
                raise V.ValueProblem(
                    tr('"{value}" is not a currency; use a code such as BRL, USD or EUR.', value=raw)
                )
            return found

        return parse_currency
    if type_ == "churn_reason":
        words = V.churn_reason_words()
        return lambda raw: (words.get(V.word_key(raw)), raw)
    if type_ == "activity_type":
        words = V.ACTIVITY_TYPE_WORDS
        return lambda raw: words.get(V.word_key(raw), "note")
    vocab_tables = {
        "segment": (V.segment_words, "High Touch, Mid Touch, Low Touch, Tech Touch"),
        "stage": (
            V.stage_words,
            "Onboarding, Adoção inicial, Adoção contínua, Expansão, Renovação, Cancelado",
        ),
        "account_status": (lambda: V.ACCOUNT_STATUS_WORDS, "Ativo / Active, Cancelado / Churned"),
        "deal_status": (lambda: V.DEAL_STATUS_WORDS, "Ganho / Won, Perdido / Lost, Aberto / Open"),
        "role": (V.contact_role_words, "Campeão, Patrocinador, Tomador de decisão, Usuário"),
    }
    if type_ in vocab_tables:
        make, accepted = vocab_tables[type_]
        words = make()

        def parse_word(raw: str) -> str:
            found = words.get(V.word_key(raw))
            if found is None:
                raise V.ValueProblem(
                    tr('"{value}" is not a known value; use {accepted}.', value=raw, accepted=accepted)
                )
            return found

        return parse_word
    return lambda raw: raw  # text, ref


_NOT_DIGITS_OR_NUL = re.compile(r"[^\d\x00]+")


_NOT_ASCII_DIGIT_OR_NUL = bytes(c for c in range(128) if not (48 <= c <= 57 or c == 0))


def _digits_only(texts: list[str]) -> list[str]:
    """``_NOT_DIGITS.sub("", t)`` for each text, as one pass over the texts joined by NUL."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        return [_NOT_DIGITS.sub("", text) for text in texts]
    if joined.isascii():  # the usual case: bytes.translate deletes in one C loop
        return joined.encode("ascii").translate(None, _NOT_ASCII_DIGIT_OR_NUL).decode("ascii").split("\x00")
    return _NOT_DIGITS_OR_NUL.sub("", joined).split("\x00")


def _cnpj_column(texts: list[str]) -> list[Any] | None:
    """Valid CNPJs for a whole column at once (csdesk.rules.cnpj), None where the slow path decides."""
    numbers = cnpj.normalize_many(texts)
    return [
        number if valid else None
        for number, valid in zip(numbers, cnpj.valid_many(numbers).tolist(), strict=True)
    ]


def _cents_column(texts: list[str], style: str) -> list[Any] | None:
    """The common money shapes of a whole column at once, None where the slow path decides."""
    fast = V._FAST_CENTS.get(style)
    if fast is None:
        return None
    out: list[Any] = [None] * len(texts)
    matched = [i for i, text in enumerate(texts) if fast.fullmatch(text)]
    if not matched:
        return out
    digits = _digits_only([texts[i] for i in matched])
    most = MAX_AMOUNT_CENTS
    for i, number in zip(matched, digits, strict=True):
        if len(number) <= 18 and int(number) <= most:  # beyond: parse_cents says why not
            out[i] = int(number)
    return out


_PLAIN_TEXT = ("text", "ref")
VALUES_CHUNK = 16_384  # distinct values parsed between two progress reports


# Parsers that read a whole column's distinct values at once; a value they leave None takes
# the per-value parser (which also words the error).
def column_parser_for(type_: str):
    return _COLUMN_PARSERS.get(type_)


_COLUMN_PARSERS = {
    "cnpj": lambda texts, prepared: _cnpj_column(texts),
    "money": lambda texts, prepared: _cents_column(texts, prepared.number_style),
}


def parse_columns(
    prepared: Prepared, progress: Progress = SILENT
) -> tuple[dict[str, list[Any]], dict[int, RowError]]:
    """Every mapped column parsed: field -> values (None when empty), and the first error of each bad row.

    Each column's distinct cells are parsed once (a 100k-row sheet repeats its
    dates, segments and statuses thousands of times); CNPJs and amounts, mostly
    distinct, are checked column-wise.
    """
    table = prepared.table
    columns: dict[str, list[Any]] = {}
    errors = long_cell_errors(table)
    mapped = sorted(prepared.mapping.items())
    progress.step(0, len(mapped), tr("Reading values…"))
    # One transposition of the mapped cells (C), rather than a pass over the rows per column.
    cells = None
    if len(mapped) > 1 and table.rows:
        picked = map(operator.itemgetter(*(i for i, _ in mapped)), table.rows)
        cells = list(zip(*picked, strict=True))
    for done, (index, key) in enumerate(mapped):
        progress.step(done, len(mapped), tr("Reading values…"))
        type_ = D.spec(prepared.kind, key).type
        parse = _parser(prepared, index, type_, key)
        column = cells[done] if cells is not None else table.column(index)
        if type_ in _PLAIN_TEXT:  # kept as written, stripped: nothing to parse or reject
            columns[key] = [raw.strip() or None for raw in column]
            continue
        # Distinct cells, in order (str hashes are cached), but for a column whose cells are
        # mostly all different (CNPJs, amounts): there, collecting them costs more than it saves.
        distinct = column_parser_for(type_) is None or len(set(column[:1000])) < 0.9 * min(len(column), 1000)
        raws = list(dict.fromkeys(column)) if distinct else list(column)
        texts = [raw.strip() for raw in raws]
        parsed: list[Any] = [None] * len(texts)
        column_parser = _COLUMN_PARSERS.get(type_)
        if column_parser is not None:
            for start in range(0, len(texts), VALUES_CHUNK):  # in parts, reporting between them
                progress.step(done, len(mapped), tr("Reading values…"))
                part = column_parser(texts[start : start + VALUES_CHUNK], prepared)
                if part is not None:
                    parsed[start : start + len(part)] = part
        bad: dict[str, str] = {}
        for position, text in enumerate(texts):
            if not position % VALUES_CHUNK:
                progress.step(done, len(mapped), tr("Reading values…"))
            if parsed[position] is not None or not text:
                continue
            try:
                parsed[position] = parse(text)
            except V.ValueProblem as exc:
                parsed[position] = None
                bad[raws[position]] = str(exc)
        if distinct:
            value_of = dict(zip(raws, parsed, strict=True))
            columns[key] = list(map(value_of.__getitem__, column))
        else:
            columns[key] = parsed
        if bad:
            header = table.headers[index]
            for row_index, raw in enumerate(column):
                if raw in bad and row_index not in errors:
                    errors[row_index] = RowError(table.row_numbers[row_index], header, raw, bad[raw])
    _amount_currencies(
        prepared, columns, errors, lambda done: cells[done] if cells else table.column(mapped[done][0])
    )
    return columns, errors


def _amount_currencies(
    prepared: Prepared, columns: dict[str, list[Any]], errors: dict[int, RowError], cells_of
) -> None:
    """The currency written on the amounts (``US$ 1.000,00``) becomes the rows' currency.

    For kinds with a currency field: a row whose amounts carry a mark (US$, €, USD, R$...)
    gets that currency when the file has no currency column for it; a row whose mark and
    currency column (or two amounts) disagree is rejected with the reason.
    """
    if not any(spec.key == "currency" for spec in D.FIELDS[prepared.kind]):
        return
    table = prepared.table
    mapped = sorted(prepared.mapping.items())
    stated = columns.get("currency")
    currency_index = prepared.field_column("currency")
    marks: list[str | None] | None = None
    for done, (index, key) in enumerate(mapped):
        if D.spec(prepared.kind, key).type != "money":
            continue
        found = currency.amount_currencies([raw.strip() for raw in cells_of(done)])
        if not any(found):
            continue
        if marks is None:
            marks = found
            continue
        for row, (mark, other) in enumerate(zip(marks, found, strict=True)):
            if mark and other and mark != other and row not in errors:
                errors[row] = RowError(
                    table.row_numbers[row],
                    table.headers[index],
                    table.rows[row][index],
                    tr(
                        "This amount is in {other}, another amount of the row in {mark}.",
                        other=other,
                        mark=mark,
                    ),
                )
            elif other and not mark:
                marks[row] = other
    if marks is None:
        return
    if stated is None:
        columns["currency"] = marks
        return
    for row, (mark, code) in enumerate(zip(marks, stated, strict=True)):
        if mark is None:
            continue
        if code is None:
            stated[row] = mark
        elif code != mark and row not in errors:
            errors[row] = RowError(
                table.row_numbers[row],
                table.headers[currency_index],
                table.rows[row][currency_index],
                tr(
                    "The amount is written in {mark} but the currency column says {code}; correct one of them.",
                    mark=mark,
                    code=code,
                ),
            )


def long_cell_errors(table: Table) -> dict[int, RowError]:
    """The rows holding a cell over the length limit (cut while reading), each rejected."""
    return {
        i: RowError(
            table.row_numbers[i],
            table.headers[column],
            preview(table.rows[i][column]),
            long_cell_message(length),
        )
        for i, (column, length) in sorted(table.long_cells.items())
    }


def header_of(prepared: Prepared, key: str) -> str:
    index = prepared.field_column(key)
    return prepared.table.headers[index] if index is not None else key


def as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
