"""The import runs: listing them and undoing one as a unit, without losing later work.

Undo first computes an :class:`UndoPlan` (:func:`plan_undo`, read-only): what it
removes and restores, which later imports changed the same rows (they block it),
and the work done by hand since on what the import made — notes, tasks, success
plans and contacts on the accounts it created, and fields edited since on the rows
it updated. :func:`undo` applies it: with such later work it refuses unless told
to keep it (the accounts stay, detached from the import; hand-edited fields keep
their hand value) or to discard it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_, update

from csdesk import clock, ledger
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing.detect import FIELDS
from csdesk.importing.write import (
    KEYS,
    TABLES,
    _to_json,
    change_key,
    key_columns,
    key_params,
    key_where,
    restore_value,
)
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database
from db.models import (
    Account,
    Contact,
    ImportChange,
    ImportRun,
    Measure,
    RevenueChange,
    SuccessPlan,
    SurveyResponse,
    Task,
    TimelineEvent,
    version_raise,
)

# What undo does with the work done by hand since the import.
REFUSE, KEEP, DISCARD = "refuse", "keep", "discard"
LATER_WORK_MODES = (REFUSE, KEEP, DISCARD)

# Rows an import creates on an account (its undo deletes them; its revenue movements are
# removed by the revenue ledger first, csdesk.ledger.remove_run, and are listed for the rest).
CHILD_MODELS = (TimelineEvent, RevenueChange, Measure, SurveyResponse, Task, Contact)

# Account columns kept up by services from other rows, never typed by hand: a later
# change to them is not hand work. Undo restores them only if nothing changed them since.
DERIVED_COLUMNS = {
    "accounts": frozenset(
        {"last_touch_at", "last_nps", "health_score", "health_band", "health_trend", "mrr_as_of"}
    )
}
# A column that follows another one's fate (restored with it, kept with it).
FOLLOWS = {"accounts": {"name_key": "name"}}


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    file_name: str
    kind: str
    source: str
    preset: str | None
    as_of: date
    created: int
    updated: int
    unchanged: int
    rejected: int
    status: str
    undone_at: datetime | None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def file(self) -> str:
        """The file's name without its folder."""
        return self.file_name.replace("\\", "/").rsplit("/", 1)[-1]


def _info(run: ImportRun) -> RunInfo:
    return RunInfo(**{k: getattr(run, k) for k in RunInfo.__dataclass_fields__})


def list_runs(db: Database) -> list[RunInfo]:
    """Every import, newest first."""
    with db.session() as session:
        return [_info(r) for r in session.scalars(select(ImportRun).order_by(ImportRun.id.desc()))]


# The plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class LaterWork:
    """One piece of work done since the import on something the import made.

    ``kind``: event, task, plan, contact, survey, measure, revenue (rows added by hand
    to an account the import created) or field (a value changed since the import wrote it).
    """

    kind: str
    account_id: int
    account: str
    title: str
    table: str = ""
    row_id: int = 0
    column: str = ""
    imported: Any = None  # field: what the import wrote
    current: Any = None  # field: the value now

    def key(self) -> tuple:
        return (self.kind, self.account_id, self.table, self.row_id, self.column, self.title)

    def describe(self) -> str:
        """One line for people: what it is and on which account."""
        if self.kind == "field":
            return tr(
                '{account}: {field} changed since the import ("{imported}" → "{current}")',
                account=self.account,
                field=self.title,
                imported=_shown(self.imported),
                current=_shown(self.current),
            )
        what = tr(_WORK_LABELS[self.kind])
        return tr("{account}: {what} “{title}”", account=self.account, what=what, title=self.title)

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "account_id": self.account_id, "account": self.account, "title": self.title}
        if self.kind == "field":
            out.update(table=self.table, row_id=self.row_id, column=self.column)
            out.update(imported=_to_json(self.imported), current=_to_json(self.current))
        return out


_WORK_LABELS = {
    "event": "timeline entry",
    "task": "task",
    "plan": "success plan",
    "contact": "contact",
    "survey": "survey answer",
    "measure": "usage figure",
    "revenue": "MRR change",
}
_WORK_PLURALS = {
    "event": "{count} timeline entries",
    "task": "{count} tasks",
    "plan": "{count} success plans",
    "contact": "{count} contacts",
    "survey": "{count} survey answers",
    "measure": "{count} usage figures",
    "revenue": "{count} MRR changes",
}
_WORK_SINGULARS = {
    "event": "1 timeline entry",
    "task": "1 task",
    "plan": "1 success plan",
    "contact": "1 contact",
    "survey": "1 survey answer",
    "measure": "1 usage figure",
    "revenue": "1 MRR change",
}


def _counted(kind: str, count: int) -> str:
    return tr(_WORK_SINGULARS[kind]) if count == 1 else tr(_WORK_PLURALS[kind], count=count)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class UndoPlan:
    """What undoing one import would do, computed before anything changes."""

    run: RunInfo
    blocked_by: tuple[RunInfo, ...]  # later imports that changed the same rows
    created_accounts: int  # accounts the import created (removed unless kept)
    added_rows: int  # other rows it added (timeline, contacts, revenue, usage, answers, tasks)
    restored_rows: int  # rows whose earlier values it restores
    kept_accounts: tuple[tuple[int, str], ...]  # created accounts with later work: kept when keeping
    later_work: tuple[LaterWork, ...] = field(default=())

    @property
    def has_later_work(self) -> bool:
        return bool(self.later_work)

    @property
    def edited_fields(self) -> tuple[LaterWork, ...]:
        return tuple(w for w in self.later_work if w.kind == "field")

    def later_work_summary(self) -> str:
        """The later work in one line: "2 accounts with 3 timeline entries, 1 task; 1 field edited"."""
        counts: dict[str, int] = {}
        for work in self.later_work:
            counts[work.kind] = counts.get(work.kind, 0) + 1
        rows = [_counted(kind, counts[kind]) for kind in _WORK_LABELS if counts.get(kind)]
        parts = []
        if rows:
            parts.append(
                tr(
                    "{accounts} account(s) it created hold work added since: {rows}",
                    accounts=len(self.kept_accounts),
                    rows=", ".join(rows),
                )
            )
        if counts.get("field"):
            parts.append(tr("{count} field(s) edited since the import", count=counts["field"]))
        return "; ".join(parts)

    def summary(self) -> str:
        """What undo removes and restores, in one line."""
        return tr(
            "Undoing import {id} ({file}) removes {accounts} account(s) and {rows} other row(s) it added "
            "and restores {restored} row(s) it changed.",
            id=self.run.id,
            file=self.run.file,
            accounts=self.created_accounts,
            rows=self.added_rows,
            restored=self.restored_rows,
        )

    def blocked_message(self) -> str:
        """Why it cannot be undone yet: the later imports that changed the same rows."""
        later = self.blocked_by[::-1]
        return tr(
            "Import {later} ({file}) changed the same rows after import {id}: undo it first.",
            later=", ".join(str(r.id) for r in later),
            file=", ".join(r.file for r in later),
            id=self.run.id,
        )

    def as_dict(self) -> dict:
        return {
            "run_id": self.run.id,
            "blocked_by": [r.id for r in self.blocked_by],
            "created_accounts": self.created_accounts,
            "added_rows": self.added_rows,
            "restored_rows": self.restored_rows,
            "kept_accounts": [{"id": i, "name": n} for i, n in self.kept_accounts],
            "later_work": [w.as_dict() for w in self.later_work],
        }


def _run(session, run_id: int) -> ImportRun:
    run = session.get(ImportRun, run_id)
    if run is None:
        raise UserError(tr("There is no import {id}.", id=run_id))
    if run.status == "undone":
        raise UserError(tr("Import {id} was already undone.", id=run_id))
    return run


def blocking_runs(session, run_id: int) -> list[int]:
    """Later imports still in place that changed or added to rows this import made or changed.

    Undoing this one under them would pull the ground from under their own undo:
    a later update of a row this import created or updated, or rows a later import
    added to an account this import created (they would go with it).
    """
    later = ImportChange.__table__.alias("later")
    mine = ImportChange.__table__.alias("mine")
    found: set[int] = set(
        session.scalars(
            select(later.c.run_id)
            .join(mine, (mine.c.table_name == later.c.table_name) & (mine.c.row_id == later.c.row_id))
            .where(mine.c.run_id == run_id, later.c.run_id > run_id, mine.c.table_name.not_in(KEYS))
            .distinct()
        )
    )
    for table_name in KEYS:
        found.update(_later_runs_on_keyed_rows(session, run_id, table_name))
    for table_name, table in TABLES.items():
        if table_name in KEYS:
            continue
        found.update(
            session.scalars(
                select(later.c.run_id)
                .join(table, (later.c.table_name == table_name) & (later.c.row_id == table.c.id))
                .where(table.c.import_run_id == run_id, later.c.run_id > run_id)
                .distinct()
            )
        )
    created = select(Account.id).where(Account.import_run_id == run_id)
    for model in CHILD_MODELS:
        found.update(
            session.scalars(
                select(model.import_run_id)
                .where(model.account_id.in_(created), model.import_run_id > run_id)
                .distinct()
            )
        )
    if not found:
        return []
    return list(
        session.scalars(
            select(ImportRun.id)
            .where(ImportRun.id.in_(found), ImportRun.status == "done")
            .order_by(ImportRun.id)
        )
    )


def _key_of(table_name: str, row: Any) -> tuple:
    """A keyed table's row's key in JSON forms (as import changes carry it)."""
    return tuple(_to_json(row[c]) for c in key_columns(table_name))


def _rows_by_key(session, table_name: str, keys: Iterable[tuple], *columns: str, where: Any = None) -> dict:
    """The rows of a keyed table with these keys (JSON forms), by key: ``columns`` and the key's."""
    table = TABLES[table_name]
    names = key_columns(table_name)
    wanted = [*(table.c[c] for c in names), *(table.c[c] for c in columns if c not in names)]
    found: dict[tuple, Any] = {}
    typed = [tuple(restore_value(table_name, c, v) for c, v in zip(names, k, strict=True)) for k in keys]
    for start in range(0, len(typed), 500):
        query = select(*wanted).where(tuple_(*(table.c[c] for c in names)).in_(typed[start : start + 500]))
        if where is not None:
            query = query.where(where)
        for row in session.execute(query).mappings():
            found[_key_of(table_name, row)] = row
    return found


def _later_runs_on_keyed_rows(session, run_id: int, table_name: str) -> set[int]:
    """Later imports that changed a row of a keyed table this import changed or created."""
    mine = {
        change_key(table_name, row_id, before)
        for row_id, before in session.execute(
            select(ImportChange.row_id, ImportChange.before).where(
                ImportChange.run_id == run_id, ImportChange.table_name == table_name
            )
        )
    }
    later: dict[tuple, set[int]] = {}
    for later_run, row_id, before in session.execute(
        select(ImportChange.run_id, ImportChange.row_id, ImportChange.before).where(
            ImportChange.run_id > run_id, ImportChange.table_name == table_name
        )
    ):
        later.setdefault(change_key(table_name, row_id, before), set()).add(later_run)
    if not later:
        return set()
    created = _rows_by_key(session, table_name, later, where=TABLES[table_name].c.import_run_id == run_id)
    return {r for key, runs in later.items() if key in mine or key in created for r in runs}


def manual_work_on_created_accounts(session, run_id: int) -> list[LaterWork]:
    """Rows added by hand since the import to the accounts it created (they die with the account)."""
    created = select(Account.id).where(Account.import_run_id == run_id)
    names = dict(
        session.execute(select(Account.id, Account.name).where(Account.import_run_id == run_id)).all()
    )
    if not names:
        return []
    queries = (
        ("event", TimelineEvent, TimelineEvent.title, TimelineEvent.source == "manual"),
        ("task", Task, Task.title, (Task.origin == "manual") & Task.import_run_id.is_(None)),
        ("plan", SuccessPlan, SuccessPlan.title, None),
        ("contact", Contact, Contact.name, Contact.import_run_id.is_(None)),
        ("survey", SurveyResponse, SurveyResponse.kind, SurveyResponse.source == "manual"),
        ("measure", Measure, None, Measure.source == "manual"),
        ("revenue", RevenueChange, RevenueChange.kind, RevenueChange.source == "manual"),
    )
    work: list[LaterWork] = []
    for kind, model, title, condition in queries:
        if model is Measure:  # no id: named by its metric and day
            query = select(Measure.account_id, Measure.as_of, Measure.metric)
            order = (Measure.account_id, Measure.metric, Measure.as_of)
        else:
            query = select(model.account_id, model.id, title)
            order = (model.account_id, model.id)
        query = query.where(model.account_id.in_(created))
        if condition is not None:
            query = query.where(condition)
        for account_id, row_id, text in session.execute(query.order_by(*order)):
            if kind == "survey":
                text = text.upper()
            elif model is Measure:
                text, row_id = _measure_title(text, row_id.isoformat()), 0
            work.append(
                LaterWork(
                    kind, account_id, names[account_id], text or "", table=model.__tablename__, row_id=row_id
                )
            )
    return work


def _field_label(table_name: str, column: str) -> str:
    key = column.removesuffix("_cents")
    specs = {s.key: s.label for s in FIELDS.get(table_name, ())}
    if table_name == "accounts":
        specs["name"] = "Account name"
    return tr(specs[key]) if key in specs else column


def _measure_title(metric: str, day: str) -> str:
    """A usage figure named for people: its measure and its day ("Logins on 2026-09-07")."""
    return tr("{measure} on {day}", measure=_field_label("usage", metric), day=day)


def _row_label(table_name: str, key: tuple, column: str) -> str:
    """What a field edited since is called: the column's label; a usage figure's measure and day."""
    if table_name == "measures":
        return _measure_title(key[1], key[2])
    return _field_label(table_name, column)


def _differs(current: Any, imported: Any) -> bool:
    current = _to_json(current)
    if isinstance(current, float) and isinstance(imported, (int, float)):
        return abs(current - imported) > 1e-9
    return current != imported


def edited_fields(session, run_id: int) -> tuple[list[LaterWork], dict[tuple, set[str]]]:
    """Fields of rows the import updated whose value changed since it wrote it.

    Returns the hand edits (shown to the user) and, per (table, *row key) (the row's id, or
    a keyed table's key in JSON forms), every column changed since (hand edits and derived
    columns a service kept up), which keeping leaves as they are. Runs recorded before
    schema 2 kept no written values: none found.
    """
    changes = session.execute(
        select(ImportChange.table_name, ImportChange.row_id, ImportChange.after).where(
            ImportChange.run_id == run_id, ImportChange.after.is_not(None)
        )
    ).all()
    by_table: dict[str, dict[tuple, dict[str, Any]]] = {}
    for table_name, row_id, after in changes:
        if after:
            by_table.setdefault(table_name, {})[change_key(table_name, row_id, after)] = after
    work: list[LaterWork] = []
    changed_since: dict[tuple, set[str]] = {}
    account_names: dict[int, str] = {}
    for table_name, rows in by_table.items():
        table = TABLES[table_name]
        names = key_columns(table_name)
        columns = sorted(
            {c for after in rows.values() for c in after if c not in names}
            | set(FOLLOWS.get(table_name, {}).values())
        )
        has_account = table_name != "accounts" and "account_id" in table.c
        if table_name in KEYS:
            current_rows = _rows_by_key(session, table_name, rows, *columns)
        else:
            wanted = [table.c.id, *(table.c[c] for c in columns if c in table.c)]
            if has_account:
                wanted.append(table.c.account_id)
            if table_name == "accounts":
                wanted.append(table.c.name.label("account_name"))
            current_rows = {}
            ids = [key[0] for key in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for row in session.execute(select(*wanted).where(table.c.id.in_(chunk))).mappings():
                    current_rows[(row["id"],)] = row
        derived = DERIVED_COLUMNS.get(table_name, frozenset())
        follows = FOLLOWS.get(table_name, {})
        for key, after in rows.items():
            row = current_rows.get(key)
            if row is None:
                continue  # deleted since: nothing to restore
            after = {c: v for c, v in after.items() if c not in names}
            moved = {c for c, v in after.items() if c not in follows and _differs(row[c], v)}
            moved |= {c for c, leader in follows.items() if leader in moved and c in after}
            if not moved:
                continue
            changed_since[(table_name, *key)] = moved
            row_id = key[0]
            account_id = row_id if table_name == "accounts" else (row["account_id"] if has_account else 0)
            if table_name == "accounts":
                account_names[row_id] = row["account_name"]
            for column in sorted(moved - derived - set(follows)):
                work.append(
                    LaterWork(
                        "field",
                        account_id,
                        "",
                        _row_label(table_name, key, column),
                        table=table_name,
                        row_id=row_id,
                        column=column,
                        imported=restore_value(table_name, column, after[column]),
                        current=row[column],
                    )
                )
    missing = {w.account_id for w in work} - set(account_names)
    if missing:
        account_names.update(
            session.execute(select(Account.id, Account.name).where(Account.id.in_(missing))).all()
        )
    work = [replace(w, account=account_names.get(w.account_id, "")) for w in work]
    return work, changed_since


def _count_added(session, run_id: int) -> tuple[int, int]:
    from sqlalchemy import func

    accounts = session.scalar(select(func.count()).where(Account.import_run_id == run_id)) or 0
    rows = sum(
        session.scalar(select(func.count()).select_from(model).where(model.import_run_id == run_id)) or 0
        for model in CHILD_MODELS
    )
    return accounts, rows


def _plan(session, run: ImportRun) -> tuple[UndoPlan, dict[tuple[str, int], set[str]]]:
    from sqlalchemy import func

    blockers = blocking_runs(session, run.id)
    blocked_by = tuple(_info(r) for r in session.scalars(select(ImportRun).where(ImportRun.id.in_(blockers))))
    created, added = _count_added(session, run.id)
    restored = session.scalar(
        select(func.count()).where(ImportChange.run_id == run.id, ImportChange.action == "updated")
    )
    on_created = manual_work_on_created_accounts(session, run.id)
    fields, changed_since = edited_fields(session, run.id)
    kept = {w.account_id: w.account for w in on_created}
    plan = UndoPlan(
        run=_info(run),
        blocked_by=blocked_by,
        created_accounts=created,
        added_rows=added,
        restored_rows=restored or 0,
        kept_accounts=tuple(sorted(kept.items())),
        later_work=tuple(on_created + fields),
    )
    return plan, changed_since


def plan_undo(db: Database, run_id: int) -> UndoPlan:
    """What undoing import ``run_id`` would remove, restore and find done since (changes nothing)."""
    with db.session() as session:
        return _plan(session, _run(session, run_id))[0]


class LaterWorkFound(UserError):
    """Undo refused: work was done by hand since on what the import made."""

    def __init__(self, plan: UndoPlan) -> None:
        self.plan = plan
        super().__init__(
            tr(
                "Import {id} has work done since that undo would lose ({work}). "
                "Keep it (--keep-later-work) or discard it too (--discard-later-work).",
                id=plan.run.id,
                work=plan.later_work_summary(),
            )
        )


# Applying it ----------------------------------------------------------------------


def _detach_kept_accounts(session, run_id: int, account_ids: Iterable[int]) -> None:
    """Keep created accounts as they are now, whole: the account and what the import added
    to it (its revenue history included) are no longer the import's."""
    ids = list(account_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for model in CHILD_MODELS:
            session.execute(
                update(model)
                .where(model.import_run_id == run_id, model.account_id.in_(chunk))
                .values(import_run_id=None)
            )
        session.execute(update(Account).where(Account.id.in_(chunk)).values(import_run_id=None))


# Account columns whose value the revenue history explains: when a hand edit of one of
# them is kept, the import's revenue movements on that account stay under it.
REVENUE_COLUMNS = frozenset({"mrr_cents", "status"})


def _keep_revenue_under_kept_edits(
    session, run_id: int, changed_since: dict[tuple, set[str]]
) -> None:
    """Detach (not delete) the import's revenue movements, and their timeline entries, on
    accounts whose MRR or status was edited since and is kept: the kept value builds on them."""
    ids = [
        row_id
        for (table, row_id, *_rest), columns in changed_since.items()
        if table == "accounts" and columns & REVENUE_COLUMNS
    ]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            update(RevenueChange)
            .where(RevenueChange.import_run_id == run_id, RevenueChange.account_id.in_(chunk))
            .values(import_run_id=None)
        )
        session.execute(
            update(TimelineEvent)
            .where(
                TimelineEvent.import_run_id == run_id,
                TimelineEvent.account_id.in_(chunk),
                TimelineEvent.kind == "revenue_change",
            )
            .values(import_run_id=None)
        )


def _restore_updated_rows(session, run_id: int, skip: dict[tuple, set[str]], touched: set[int]) -> None:
    """Write back the values the import replaced, but not over the columns in ``skip``.

    Rows restoring the same columns go in one executemany (a statement per row was
    most of the undo of a large update).
    """
    grouped: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    changes = session.execute(
        select(ImportChange.table_name, ImportChange.row_id, ImportChange.before).where(
            ImportChange.run_id == run_id
        )
    )
    for table_name, row_id, before in changes:
        if table_name == "accounts":
            touched.add(row_id)
        if not before:
            continue
        key = change_key(table_name, row_id, before)
        left = {*skip.get((table_name, *key), ()), *key_columns(table_name)}
        values = {k: restore_value(table_name, k, v) for k, v in before.items() if k not in left}
        if values:
            grouped.setdefault((table_name, tuple(sorted(values))), []).append(
                key_params(table_name, key) | {f"v_{k}": v for k, v in values.items()}
            )
    for (table_name, columns), rows in grouped.items():
        table = TABLES[table_name]
        statement = (
            update(table)
            .where(*key_where(table_name))
            .values({c: bindparam(f"v_{c}") for c in columns} | version_raise(table))
        )
        for start in range(0, len(rows), 2000):
            session.execute(statement, rows[start : start + 2000])


def undo(
    db: Database,
    run_id: int,
    progress: Progress = SILENT,
    later_work: str = REFUSE,
    confirmed: UndoPlan | None = None,
) -> list[int]:
    """Undo import ``run_id``: delete what it created, restore what it updated (one transaction).

    ``later_work`` says what to do with work done since on what it made (see the
    module): REFUSE raises :class:`LaterWorkFound` when there is some, KEEP keeps
    it, DISCARD removes it too. With ``confirmed`` (the plan the user saw), undo
    refuses if the later work found now is not what that plan named. Later imports
    that changed the same rows must be undone first. Returns the ids of the
    accounts that changed (not those removed).
    """
    if later_work not in LATER_WORK_MODES:
        raise ValueError(f"later_work must be one of {LATER_WORK_MODES}")
    with db.transaction(write_waiting(progress)) as session:
        run = _run(session, run_id)
        progress.step(0, 3, tr("Undoing the import…"), force=True)
        plan, changed_since = _plan(session, run)
        if plan.blocked_by:
            raise UserError(plan.blocked_message())
        if confirmed is not None and {w.key() for w in plan.later_work} != {
            w.key() for w in confirmed.later_work
        }:
            raise UserError(
                tr(
                    "Something was changed since the undo of import {id} was planned: look at it again.",
                    id=run_id,
                )
            )
        if plan.has_later_work and later_work == REFUSE:
            raise LaterWorkFound(plan)
        keep = later_work == KEEP
        touched: set[int] = set()
        if keep:
            _detach_kept_accounts(session, run_id, (i for i, _ in plan.kept_accounts))
            _keep_revenue_under_kept_edits(session, run_id, changed_since)
            touched.update(i for i, _ in plan.kept_accounts)
        # Derived columns changed since are left as they are either way; hand edits only when keeping.
        skip = {
            key: (columns if keep else columns & DERIVED_COLUMNS.get(key[0], frozenset()))
            for key, columns in changed_since.items()
        }
        _restore_updated_rows(session, run_id, skip, touched)
        progress.step(1, 3, tr("Undoing the import…"))
        if not keep:  # a discarded hand edit of MRR or status takes its movements with it
            edited = [
                i
                for (t, i, *_rest), columns in changed_since.items()
                if t == "accounts" and columns & REVENUE_COLUMNS
            ]
            touched.update(ledger.remove_hand_movements_since(session, run_id, edited))
        touched.update(ledger.remove_run(session, run_id))  # its revenue movements leave through the ledger
        for model in CHILD_MODELS:
            touched.update(session.scalars(select(model.account_id).where(model.import_run_id == run_id)))
            session.execute(delete(model).where(model.import_run_id == run_id))
        created = session.scalars(select(Account.id).where(Account.import_run_id == run_id)).all()
        touched.difference_update(created)
        session.execute(delete(Account).where(Account.import_run_id == run_id))
        session.execute(delete(ImportChange).where(ImportChange.run_id == run_id))
        run.status = "undone"
        run.undone_at = clock.now()
        progress.step(3, 3, tr("Undoing the import…"), force=True)
        return sorted(touched)
