"""``csdesk accounts``: the book of business on the command line."""

from __future__ import annotations

import argparse

from csdesk import accounts
from csdesk.cli import open_db
from csdesk.output import write_csv, write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("accounts", help="list the book of business")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(handler=run_accounts)


CSV_COLUMNS = [
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
]
TABLE_COLUMNS = [
    "id",
    "name",
    "segment",
    "stage",
    "status",
    "mrr",
    "renewal_date",
    "owner",
    "health",
]


def account_record(a: accounts.AccountSummary) -> dict:
    return {
        "id": a.id,
        "name": a.name,
        "external_id": a.external_id,
        "source": a.source,
        "segment": a.segment,
        "stage": a.stage,
        "status": a.status,
        "mrr": a.mrr_cents / 100,
        "arr": a.arr_cents / 100,
        "currency": a.currency,
        "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None,
        "owner": a.owner,
        "health": round(a.health_score, 1) if a.health_score is not None else None,
        "health_band": a.health_band,
    }


def run_accounts(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        records = [account_record(a) for a in accounts.list_accounts(db)]
    finally:
        db.dispose()
    if args.format == "json":
        write_json(records)
        return 0
    if args.format == "csv":
        write_csv(CSV_COLUMNS, [[r[c] for c in CSV_COLUMNS] for r in records])
    else:
        write_table(TABLE_COLUMNS, [[r[c] for c in TABLE_COLUMNS] for r in records])
    return 0
