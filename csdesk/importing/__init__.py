"""Importing CRM exports and spreadsheets: read, detect, map, plan (dry run), apply, undo.

Typical use::

    prepared = prepare(path, ImportOptions(kind="auto"), db)
    result = run_import(db, prepared, dry_run=True)     # counts and rejected rows
    result = run_import(db, prepared, accept_rejects=True, progress=progress)
    undo(db, result.run_id)
"""

from csdesk.importing.detect import FIELDS, KIND_LABELS, KINDS, SOURCE_LABELS, SOURCES
from csdesk.importing.prepare import ImportOptions, Prepared, RowError, load_mapping_file, prepare
from csdesk.importing.presets import find_preset, list_presets, save_preset
from csdesk.importing.reading import Table, read_table
from csdesk.importing.result import (
    AmbiguousDates,
    ImportResult,
    RejectedRows,
    rejects_report_path,
    write_rejects_csv,
)
from csdesk.importing.run import run_import
from csdesk.importing.runs import (
    DISCARD,
    KEEP,
    REFUSE,
    LaterWork,
    LaterWorkFound,
    RunInfo,
    UndoPlan,
    list_runs,
    plan_undo,
    undo,
)

__all__ = [
    "DISCARD",
    "KEEP",
    "REFUSE",
    "LaterWork",
    "LaterWorkFound",
    "UndoPlan",
    "plan_undo",
    "FIELDS",
    "KINDS",
    "KIND_LABELS",
    "SOURCES",
    "SOURCE_LABELS",
    "AmbiguousDates",
    "ImportOptions",
    "ImportResult",
    "Prepared",
    "RejectedRows",
    "RowError",
    "RunInfo",
    "Table",
    "find_preset",
    "list_presets",
    "list_runs",
    "load_mapping_file",
    "prepare",
    "read_table",
    "run_import",
    "save_preset",
    "rejects_report_path",
    "undo",
    "write_rejects_csv",
]
