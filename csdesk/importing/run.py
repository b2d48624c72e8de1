"""Running an import: check, plan (the dry run) and apply in one transaction, tuned for bulk writes."""

from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from datetime import date

from sqlalchemy.engine import Connection

from csdesk import clock
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing import sources
from csdesk.importing.match import NewAccount
from csdesk.importing.plan import PLANNERS
from csdesk.importing.plan.base import Planner
from csdesk.importing.prepare import Prepared, parse_columns
from csdesk.importing.preview import preview_of
from csdesk.importing.result import AmbiguousDates, ImportResult, RejectedRows
from csdesk.importing.write import apply_plan
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database, bulk
from db.models import ImportRun

log = logging.getLogger(__name__)


def guess_date_order(prepared: Prepared) -> str:
    english = sources.profile(prepared.source).month_first and prepared.table.delimiter != ";"
    return "mdy" if english else "dmy"


def run_import(
    db: Database,
    prepared: Prepared,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    accept_rejects: bool = False,
    progress: Progress = SILENT,
) -> ImportResult:
    """Plan (``dry_run``) or plan and apply ``prepared`` in one transaction.

    Rows that cannot be imported raise :class:`RejectedRows` before anything is
    written, unless ``accept_rejects`` (the CLI's ``--yes``).
    """
    as_of = as_of or clock.today()
    table = prepared.table
    result = ImportResult(
        kind=prepared.kind,
        source=prepared.source,
        file=table.name,
        as_of=as_of,
        dry_run=dry_run,
        warnings=list(prepared.warnings),
    )
    missing = prepared.missing_fields()
    if missing:
        raise UserError(
            tr(
                "{file}: no column is mapped to {fields}. Map it in the column mapping (--mapping) and try again.",
                file=table.name,
                fields=", ".join(missing),
            )
        )
    ambiguous = prepared.ambiguous_columns()
    if ambiguous:
        if not accept_rejects:
            raise AmbiguousDates(table.name, ambiguous)
        prepared.date_order = guess_date_order(prepared)
        prepared.refresh()
        result.warnings.append(
            tr(
                'Dates in "{columns}" were read as {order} (they fit both orders).',
                columns='", "'.join(ambiguous),
                order=prepared.date_order,
            )
        )
    with _no_cyclic_gc():
        return _run(db, prepared, result, as_of, dry_run, accept_rejects, progress)


@contextmanager
def _no_cyclic_gc():
    """Pause the cycle collector: a big import allocates millions of plain rows, none in cycles,
    and full collections over them took half-second pauses (and a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(db, prepared, result, as_of, dry_run, accept_rejects, progress) -> ImportResult:
    parsed = parse_columns(prepared, progress)
    # A real import plans and writes in one transaction that takes the write lock first
    # (waiting for another writer, cancellable); a dry run only reads, and never waits.
    writer = db.connect(write=not dry_run, waiting=write_waiting(progress))
    with writer as conn, _import_pragmas(conn, progress) as finish:
        return _plan_and_apply(
            db, conn, prepared, parsed, result, as_of, dry_run, accept_rejects, progress, finish
        )


CHECKPOINT_REPORT_SECONDS = 0.05


@contextmanager
def _import_pragmas(conn: Connection, progress: Progress):
    """The import's connection tuned for bulk writes (``db.bulk``); yields a callback run after the commit.

    The WAL checkpoint is held back during the import and run after the commit as
    its own reported step, while the planner's rows are given back.
    """
    committed = False
    leftovers: list[Planner] = []

    def finish(planner: Planner) -> None:
        """Called after the commit; ``planner``'s rows are freed while the checkpoint runs."""
        nonlocal committed
        committed = True
        progress.committed()
        leftovers.append(planner)

    checkpoint = None
    try:
        with bulk.tuned_for_bulk_writes(conn, progress.heartbeat) as tuned:
            try:
                yield finish
            finally:
                if committed:
                    # Past the commit: nothing can be cancelled any more (progress.cancellable is False).
                    progress.note(0, 0, tr("Finishing…"))
                    checkpoint = tuned.start_checkpoint()
    finally:
        # Meanwhile (the checkpoint runs on its own thread, outside the GIL): give back the
        # import's page cache (restored settings) and the planner's hundreds of thousands of rows.
        progress.heartbeat()
        for planner in leftovers:
            planner.release(progress.heartbeat)
        leftovers.clear()
        if checkpoint is not None:
            failure = checkpoint(progress.heartbeat, CHECKPOINT_REPORT_SECONDS)
            progress.note(0, 0, tr("Finishing…"))  # the last step is done
            if failure is not None:  # nothing is lost: the import is committed in the WAL
                log.warning("checkpoint after import failed: %s", failure)


def _plan_and_apply(db, conn, prepared, parsed, result, as_of, dry_run, accept_rejects, progress, finish):
    table = prepared.table
    columns, bad_rows = parsed
    with db.sessions(bind=conn) as session, session.begin():
        planner = Planner(session, prepared, columns, bad_rows, as_of, progress)
        PLANNERS[prepared.kind](planner)
        plan = planner.plan
        plan.errors.sort(key=lambda e: e.row)
        result.created, result.updated, result.unchanged = plan.created, plan.updated, plan.unchanged
        result.rejected = len({e.row for e in plan.errors})
        result.errors = plan.errors
        result.warnings.extend(plan.warnings)
        if dry_run:
            if prepared.kind == "accounts":
                result.preview = preview_of(planner)
            session.rollback()
            return result
        if plan.errors and not accept_rejects:
            raise RejectedRows(result)
        if not plan.created and not plan.updated:
            return result  # nothing to change: no run to record or undo
        run = ImportRun(
            file_name=str(table.path)[:500],
            file_sha256=table.sha256,
            kind=prepared.kind,
            source=prepared.source,
            preset=prepared.preset,
            as_of=as_of,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            rejected=result.rejected,
            status="done",
        )
        session.add(run)
        session.flush()
        apply_plan(session, planner, run.id, progress)
        result.run_id = run.id
        result.account_ids = sorted(
            t.id if isinstance(t, NewAccount) else t
            for t in plan.touched
            if not isinstance(t, NewAccount) or t.id
        )
        # The commit is one SQLite call (it writes the last pages and syncs the WAL):
        # report just before it (no measurable share: total 0) and check for cancellation
        # one last time.
        progress.step(0, 0, tr("Saving…"), force=True)
    finish(planner)
    progress.note(0, 0, tr("Saved."))
    return result
