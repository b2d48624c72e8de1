"""Planning an accounts file: create, update or leave each account, and its revenue movements."""

from __future__ import annotations

from datetime import date
from typing import Any

from csdesk import ledger
from csdesk.i18n import tr
from csdesk.importing.match import ACCOUNT_COLUMNS, AMBIGUOUS, ImportBook, NewAccount, Target
from csdesk.importing.plan.base import DIRECT_FIELDS, Planner
from csdesk.importing.prepare import header_of
from csdesk.rules.names import name_key, name_keys

KEYS_CHUNK = 16_384


ONBOARDING_DAYS = 90


def _default_stage(status: str, contract_start: date | None, as_of: date) -> str:
    if status == "churned":
        return "churned"
    if contract_start and (as_of - contract_start).days > ONBOARDING_DAYS:
        return "ongoing_adoption"
    return "onboarding"


def plan_accounts(p: Planner) -> None:
    book, plan, as_of, source = p.book, p.plan, p.as_of, p.source
    names, exts = p.col("name"), p.col("external_id")
    cnpjs, domains = p.col("cnpj"), p.col("domain")
    mrrs, arrs = p.col("mrr"), p.col("arr")
    statuses, churn_dates, reasons = p.col("status"), p.col("churn_date"), p.col("churn_reason")
    direct = {f: p.col(f) for f in DIRECT_FIELDS if p.has(f)}
    mapped_indexes = set(p.prepared.mapping)
    custom_columns = (
        [(i, h) for i, h in enumerate(p.table.headers) if i not in mapped_indexes]
        if p.prepared.keep_unmapped
        else []
    )
    reason_header = header_of(p.prepared, "churn_reason")
    seen: dict[Target, int] = {}
    names = [(name or "").strip() for name in names]
    # Name keys are for matching by name and for new accounts. A newer export of the book
    # matches its rows by id, CNPJ or domain: then each row's key is made only if needed.
    keys: list[str] | None = None
    if not _mostly_known(book, source, exts, cnpjs, domains):
        keys = []
        for start in range(0, len(names), KEYS_CHUNK):  # in parts, reporting between them
            p.step(start, tr("Matching accounts…"))
            keys += name_keys(names[start : start + KEYS_CHUNK])
    if (
        keys is not None
        and not custom_columns
        and reason_header != "external_ids"
        and _only_new(book, source, exts, cnpjs, domains, keys)
    ):
        _plan_new_accounts(p, names, keys, reason_header)
        return
    # Positions of the stored values the quick "unchanged" check reads (see below).
    at = {name: i for i, name in enumerate(book.columns)}
    stored_direct = [(column, at[f]) for f, column in direct.items()]
    direct_items = list(direct.items())
    starts, renewals = direct.get("contract_start"), direct.get("renewal_date")
    row_numbers = p.table.row_numbers
    first_revenue, touched = plan.first_revenue, plan.touched.add
    first_movement = ledger.first_movement
    redates: list[tuple[int, date]] = []
    last_days: dict[int, date] | None = None  # each account's latest movement, read when first needed
    stale = 0
    created = unchanged = 0
    for i in p.rows(tr("Matching accounts…")):
        name = names[i]
        if not name:
            p.reject(i, "name", tr("The account name is empty."))
            continue
        mrr = mrrs[i]
        if mrr is None and arrs[i] is not None:
            mrr = int(round(arrs[i] / 12))
        if mrr is not None and mrr < 0:
            p.reject(i, "mrr" if mrrs[i] is not None else "arr", tr("MRR cannot be negative."))
            continue
        start = starts[i] if starts is not None else None
        renewal = renewals[i] if renewals is not None else None
        if start and renewal and renewal < start:
            p.reject(i, "renewal_date", tr("The renewal date is before the contract start."))
            continue
        ext = exts[i]
        key = keys[i] if keys is not None else None  # None: match() makes it if it needs it
        target = book.match(ext, cnpjs[i], domains[i], name, key)
        if target is AMBIGUOUS:
            p.reject(
                i, "name", tr('"{name}" matches several accounts; add its CNPJ or external id.', name=name)
            )
            continue
        if target is not None and target in seen:
            p.reject(i, "name", tr("The same account as row {row}.", row=seen[target]))
            continue
        reason = reasons[i]  # (vocabulary key or None, text)
        custom = (
            {h: p.table.rows[i][c] for c, h in custom_columns if p.table.rows[i][c]} if custom_columns else {}
        )
        if reason and reason[0] is None:
            custom[reason_header] = reason[1]
        status = statuses[i]
        if target is None:
            status = status or "active"
            values = {
                "name": name,
                "name_key": key if key is not None else name_key(name),
                "source": source if ext else None,
                "external_id": ext if ext else None,
                "cnpj": None,
                "domain": None,
                "segment": None,
                "tier": None,
                "industry": None,
                "plan": None,
                "mrr_cents": mrr or 0,
                "currency": "BRL",
                "contract_start": None,
                "renewal_date": None,
                "stage": None,
                "status": status,
                "churn_date": None,
                "churn_reason": None,
                "owner": None,
                "licensed_users": None,
                "active_users": None,
                "custom_fields": custom,
                "last_touch_at": None,
                "last_nps": None,
                "mrr_as_of": as_of,
                "health_score": None,
                "health_band": None,
                "health_trend": None,
            }
            for f, column in direct_items:
                if column[i] is not None:
                    values[f] = column[i]
            if status == "churned":
                values["stage"] = "churned"
                values["churn_date"] = churn_dates[i] or as_of
                values["churn_reason"] = reason[0] if reason else None
            values["stage"] = values["stage"] or _default_stage(status, values["contract_start"], as_of)
            target = book.create(i, values)
            seen[target] = row_numbers[i]
            created += 1
            if values["mrr_cents"]:
                kind, start_day = first_movement(values["contract_start"], values["churn_date"], as_of)
                if start_day.__class__ is date and values["mrr_cents"] > 0:  # revenue()'s own shortcut
                    first_revenue[kind].append((target, start_day, values["mrr_cents"]))
                    touched(target)
                else:
                    p.revenue(target, kind, 0, values["mrr_cents"], start_day)
                if status == "churned":
                    p.revenue(
                        target,
                        "churn",
                        values["mrr_cents"],
                        0,
                        values["churn_date"],
                        reason=reason[1] if reason else None,
                    )
            continue

        seen[target] = row_numbers[i]
        stored = book.unread(target)
        if stored is not None and not custom:
            # Most rows of a re-import: nothing differs from the stored account. Checked on the
            # stored values, without making the account's dict; exactly the conditions under
            # which the comparison below finds no change (anything else goes through it).
            old_status = stored[at["status"]]
            new_status = status or old_status
            if (
                stored[at["name"]] == name
                and (mrr is None or mrr == (stored[at["mrr_cents"]] or 0))
                and new_status == old_status
                and (not ext or (stored[at["source"]] == source and stored[at["external_id"]] == ext))
                and all(column[i] is None or column[i] == stored[index] for column, index in stored_direct)
                and (
                    new_status != "churned"
                    or (
                        (not churn_dates[i] or churn_dates[i] == stored[at["churn_date"]])
                        and not (reason and reason[0] and reason[0] != stored[at["churn_reason"]])
                    )
                )
            ):
                unchanged += 1
                continue
        row = book.get(target)
        changes: dict[str, Any] = {}
        if name != row["name"] and (ext or (key if key is not None else name_key(name)) == row["name_key"]):
            changes["name"] = name
        for f, column in direct.items():
            value = column[i]
            if value is not None and value != row.get(f):
                changes[f] = value
        if ext:
            if not row.get("external_id"):
                changes["external_id"], changes["source"] = ext, source
            elif (row.get("source"), row.get("external_id")) != (source, ext):
                ids = dict((row.get("custom_fields") or {}).get("external_ids") or {})
                if ids.get(source) != ext:
                    ids[source] = ext
                    custom["external_ids"] = ids
        if custom:
            merged = {**(row.get("custom_fields") or {}), **custom}
            if merged != (row.get("custom_fields") or {}):
                changes["custom_fields"] = merged
        old_mrr, old_status = row["mrr_cents"] or 0, row["status"]
        new_status = status or old_status
        if mrr == 0 and old_mrr > 0 and (new_status == "churned" or old_status == "active"):
            # A CRM shows a cancelled account at MRR 0, and a paying customer at 0 has left:
            # the account keeps the MRR it had, the churn carries it (csdesk.ledger).
            mrr, new_status = None, "churned"
        new_mrr = old_mrr if mrr is None else mrr
        if new_mrr != old_mrr:
            changes["mrr_cents"] = new_mrr
            changes["mrr_as_of"] = as_of
        if new_status != old_status:
            changes["status"] = new_status
            if new_status == "churned":
                changes["stage"] = "churned"
                changes["churn_date"] = churn_dates[i] or as_of
                changes["churn_reason"] = reason[0] if reason else None
            else:
                changes["churn_date"] = None
                changes["churn_reason"] = None
                if (changes.get("stage") or row["stage"]) == "churned":
                    changes["stage"] = "ongoing_adoption"
        elif new_status == "churned":
            if churn_dates[i] and churn_dates[i] != row.get("churn_date"):
                changes["churn_date"] = churn_dates[i]
            if reason and reason[0] and reason[0] != row.get("churn_reason"):
                changes["churn_reason"] = reason[0]
        if new_status == "churned" and changes.get("stage", "churned") != "churned":
            del changes["stage"]  # a churned account stays at the churned stage, whatever the sheet's phase
        was = ledger.row_state(old_status, old_mrr)
        if old_status == "active" and new_status == "churned" and new_mrr > 0:
            was = ledger.State(True, new_mrr, new_mrr, True)  # the export's last MRR is the one lost
        move = ledger.classify(was, new_status == "active", new_mrr if new_status == "active" else 0)
        on = (changes.get("churn_date") if move and move[0] == "churn" else None) or as_of
        if move is not None and isinstance(target, int):
            if last_days is None:
                last_days = ledger.last_days(p.session)
            if last_days.get(target, date.min) > on:
                # An export older than the account's revenue history: dated history wins.
                if "status" in changes:
                    changes.pop("stage", None)  # the stage followed the status
                for column in ("mrr_cents", "mrr_as_of", "status", "churn_date", "churn_reason"):
                    changes.pop(column, None)
                move = None
                stale += 1
        if not changes:
            plan.count("unchanged")
            continue
        book.set(target, changes)
        plan.touched.add(target)
        plan.count("updated")
        if isinstance(target, int) and changes.get("contract_start"):
            redates.append((target, changes["contract_start"]))
        if move is not None:
            kind, before, after = move
            p.revenue(
                target, kind, before, after, on, reason=reason[1] if reason and kind == "churn" else None
            )
    plan.unchanged += unchanged
    plan.created += created
    if stale:
        plan.warnings.append(
            tr(
                "{count} accounts have revenue history newer than this file's date: their MRR and status were kept.",
                count=stale,
            )
        )
    if redates:
        _plan_redates(p, redates)


def _plan_redates(p: Planner, wanted: list[tuple[int, date]]) -> None:
    """A contract start now known re-dates an account's first movement (csdesk.ledger.redate_first)."""
    moves = ledger.movements_of(p.session, [target for target, _start in wanted])
    for target, start in wanted:
        for table_name, row_id, values, before in ledger.redate_first(
            p.session, moves.get(target, []), start
        ):
            p.plan.updates.append((table_name, row_id, values, before))


def _mostly_known(
    book: ImportBook, source: str, exts: list[Any], cnpjs: list[Any], domains: list[Any]
) -> bool:
    """True if most rows (judged on a sample) carry an external id, CNPJ or domain of the book."""
    count = len(exts)
    if not count or not (book.by_external or book.by_cnpj or book.by_domain):
        return False
    sample = range(0, count, max(1, count // 512))
    known = sum(
        1
        for i in sample
        if (exts[i] and (source, exts[i]) in book.by_external)
        or (cnpjs[i] and cnpjs[i] in book.by_cnpj)
        or (domains[i] and domains[i] in book.by_domain)
    )
    return known * 2 > len(sample)


def _only_new(book: ImportBook, source: str, *keys_by_kind: list[Any]) -> bool:
    """True if no row of the file can match an account: none of its external ids, CNPJs,
    domains or name keys is in the book or on two rows. (Then every valid row creates one.)"""
    exts, cnpjs, domains, names = ([value for value in values if value] for values in keys_by_kind)
    known_exts = {ext for src, ext in book.by_external if src == source}
    for values, known in (
        (exts, known_exts),
        (cnpjs, book.by_cnpj),
        (domains, book.by_domain),
        (names, book.by_name),
    ):
        distinct = set(values)
        if len(distinct) != len(values) or not distinct.isdisjoint(known):
            return False
    return True


def _plan_new_accounts(p: Planner, names: list[str], keys: list[str], reason_header: str) -> None:
    """plan_accounts for a file whose rows all create accounts (see _only_new), column-wise.

    The same rejections, accounts, revenue and counts as the row-by-row loop: its
    checks in the same order, its values column by column. A first import of a
    big file into an empty book goes this way.
    """
    book, plan, as_of, source = p.book, p.plan, p.as_of, p.source
    message = tr("Matching accounts…")
    exts, mrrs, arrs = p.col("external_id"), p.col("mrr"), p.col("arr")
    statuses, churn_dates, reasons = p.col("status"), p.col("churn_date"), p.col("churn_reason")
    direct = {f: p.col(f) for f in DIRECT_FIELDS if p.has(f)}
    starts, renewals = direct.get("contract_start"), direct.get("renewal_date")
    mrr_of = [
        m if m is not None or a is None else int(round(a / 12)) for m, a in zip(mrrs, arrs, strict=True)
    ]
    created: list[int] = []
    for i in p.rows(message):
        if not names[i]:
            p.reject(i, "name", tr("The account name is empty."))
        elif mrr_of[i] is not None and mrr_of[i] < 0:
            p.reject(i, "mrr" if mrrs[i] is not None else "arr", tr("MRR cannot be negative."))
        elif (
            starts is not None
            and renewals is not None
            and starts[i]
            and renewals[i]
            and renewals[i] < starts[i]
        ):
            p.reject(i, "renewal_date", tr("The renewal date is before the contract start."))
        else:
            created.append(i)

    def pick(values: list[Any]) -> list[Any]:
        p.progress.heartbeat()  # short steps after the pass over the rows: keep the reports going
        return [values[i] for i in created]

    count = len(created)
    status = [value or "active" for value in pick(statuses)]
    churned = [value == "churned" for value in status]
    reason = pick(reasons)
    ext = pick(exts)
    columns: dict[str, list[Any]] = {
        "name": pick(names),
        "name_key": pick(keys),
        "source": [source if value else None for value in ext],
        "external_id": [value if value else None for value in ext],
    }
    for f in DIRECT_FIELDS:  # a mapped field's value where the cell has one, else the default
        default = "BRL" if f == "currency" else None
        values = pick(direct[f]) if f in direct else [default] * count
        columns[f] = values if default is None else [default if v is None else v for v in values]
    columns["mrr_cents"] = [value or 0 for value in pick(mrr_of)]
    columns["status"] = status
    churn_date = pick(churn_dates)
    columns["churn_date"] = [
        (day or as_of) if gone else None for day, gone in zip(churn_date, churned, strict=True)
    ]
    columns["churn_reason"] = [
        (why[0] if why else None) if gone else None for why, gone in zip(reason, churned, strict=True)
    ]
    columns["stage"] = [
        "churned" if gone else (stage or _default_stage(state, start, as_of))
        for stage, state, start, gone in zip(
            columns["stage"], status, columns["contract_start"], churned, strict=True
        )
    ]
    p.progress.heartbeat()
    columns["custom_fields"] = [{reason_header: why[1]} if why and why[0] is None else {} for why in reason]
    for name in ("last_touch_at", "last_nps", "health_score", "health_band", "health_trend"):
        columns[name] = [None] * count
    columns["mrr_as_of"] = [as_of] * count
    columns = {name: columns[name] for name in _NEW_ACCOUNT_KEYS}
    p.progress.heartbeat()
    targets = [NewAccount(i) for i in created]
    p.progress.heartbeat()
    book.add_new(targets, columns, p.progress.heartbeat)
    plan.created += count

    first_revenue, touched = plan.first_revenue, plan.touched.add
    first_movement = ledger.first_movement
    starts, churn_days = columns["contract_start"], columns["churn_date"]
    for position, target in enumerate(targets):
        if not position % 8192:
            p.progress.heartbeat()
        mrr = columns["mrr_cents"][position]
        if not mrr:
            continue
        gone = churned[position]
        kind, start_day = first_movement(starts[position], churn_days[position] if gone else None, as_of)
        if start_day.__class__ is date and mrr > 0:  # revenue()'s own shortcut
            first_revenue[kind].append((target, start_day, mrr))
            touched(target)
        else:
            p.revenue(target, kind, 0, mrr, start_day)
        if gone:
            why = reason[position]
            p.revenue(
                target, "churn", mrr, 0, columns["churn_date"][position], reason=why[1] if why else None
            )


# The keys of a created account's row, in plan_accounts' order: what an import reads and
# writes of an account, less what the database assigns, plus the health columns.
_NEW_ACCOUNT_KEYS = (
    *(name for name in ACCOUNT_COLUMNS if name not in ("id", "created_at")),
    "health_score",
    "health_band",
    "health_trend",
)
