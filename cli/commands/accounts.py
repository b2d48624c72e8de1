"""``csdesk accounts``: the book of business on the command line.

JSON and CSV are for machines: stable English keys, vocabulary keys, money as
numbers in currency units, ISO dates. The text table is for people: labels and
money in the UI language.
"""

from __future__ import annotations

import argparse

from cli.main import open_db
from csdesk import accounts, formatting, vocab
from csdesk.i18n import label, tr
from csdesk.output import write_csv, write_json, write_table

# The JSON keys, in order (also the CSV header).
FIELDS = [
    "id",
    "name",
    "external_id",
    "source",
    "segment",
    "stage",
    "status",
    "mrr",
    "arr",
    "currency",
    "renewal_date",
    "owner",
    "health",
    "health_band",
    "ltv_historic",  # revenue received so far, in the account's currency (csdesk.metrics.historic_ltv)
]


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("accounts", help="list the book of business")
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table for reading, csv or json for other programs (default table)",
    )
    parser.set_defaults(handler=run_accounts)


def _units(cents: int) -> int | float:
    """Cents as a number in currency units: 1234.5 stays exact to the cent."""
    units, rest = divmod(cents, 100)
    return units if rest == 0 else round(cents / 100, 2)


def account_record(a: accounts.AccountSummary, ltv_cents: int | None = None) -> dict:
    return {
        "id": a.id,
        "name": a.name,
        "external_id": a.external_id,
        "source": a.source,
        "segment": a.segment,
        "stage": a.stage,
        "status": a.status,
        "mrr": _units(a.mrr_cents),
        "arr": _units(a.arr_cents),
        "currency": a.currency,
        "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None,
        "owner": a.owner,
        "health": round(a.health_score, 1) if a.health_score is not None else None,
        "health_band": a.health_band,
        "ltv_historic": None if ltv_cents is None else _units(ltv_cents),
    }


def _historic_ltv(db) -> dict[int, int]:
    from csdesk import clock, metrics

    book = metrics.load_book(db)
    return dict(zip(book.ids.tolist(), metrics.historic_ltv(book, clock.today()).tolist(), strict=True))


def table_row(a: accounts.AccountSummary) -> list[str]:
    health = ""
    if a.health_score is not None:
        health = f"{formatting.number(a.health_score)} ({label(vocab.HEALTH_BAND_LABELS, a.health_band)})"
    return [
        str(a.id),
        a.name,
        label(vocab.SEGMENT_LABELS, a.segment),
        label(vocab.STAGE_LABELS, a.stage),
        formatting.money(a.mrr_cents, a.currency),
        formatting.money(a.arr_cents, a.currency),
        formatting.day(a.renewal_date),
        a.owner or "",
        health,
    ]


def table_headers() -> list[str]:
    return [
        tr("Id"),
        tr("Name"),
        tr("Segment"),
        tr("Stage"),
        tr("MRR"),
        tr("ARR"),
        tr("Renewal"),
        tr("Owner"),
        tr("Health"),
    ]


def run_accounts(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        summaries = accounts.list_accounts(db)
        ltv = _historic_ltv(db) if args.format in ("json", "csv") else {}
    finally:
        db.dispose()
    if args.format == "json":
        write_json([account_record(a, ltv.get(a.id)) for a in summaries])
    elif args.format == "csv":
        write_csv(FIELDS, ([account_record(a, ltv.get(a.id))[k] for k in FIELDS] for a in summaries))
    else:
        write_table(table_headers(), [table_row(a) for a in summaries], right_aligned={4, 5})
    return 0
