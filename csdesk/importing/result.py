"""What an import reports: its counts, rejected rows and the errors that stop it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing.prepare import RowError
from csdesk.importing.preview import ImportPreview


class AmbiguousDates(UserError):
    def __init__(self, file: str, columns: list[str]):
        self.columns = columns
        super().__init__(
            tr(
                '{file}: the dates in column "{columns}" fit both day/month and month/day (such as 04/06/2024). '
                "Say which order they use: --date-order dmy (25/11/2026) or --date-order mdy (11/25/2026).",
                file=file,
                columns='", "'.join(columns),
            )
        )


class RejectedRows(UserError):
    """Rows that cannot be imported; nothing was written. ``result`` holds them."""

    def __init__(self, result: ImportResult):
        self.result = result
        super().__init__(
            tr(
                "{file}: {count} rows cannot be imported, so nothing was written. Fix them, or import the "
                "other rows anyway (--yes).",
                file=result.file,
                count=result.rejected,
            )
        )


@dataclass
class ImportResult:
    kind: str
    source: str
    file: str
    as_of: date
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    dry_run: bool = False
    account_ids: list[int] = field(default_factory=list)  # accounts the import touched
    # A dry run of an accounts file: the accounts it would create and update (csdesk.importing.preview).
    preview: ImportPreview | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "dry_run": self.dry_run,
            "file": self.file,
            "as_of": self.as_of.isoformat(),
            "warnings": self.warnings,
            **(self.preview.as_dict() if self.preview is not None else {}),
        }


def write_rejects_csv(path, errors: list[RowError]) -> None:
    """The rejected rows as a CSV report (row, column, value, reason) that Excel opens as it is."""
    import csv

    from csdesk.exporting import neutralize

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([tr("row"), tr("column"), tr("value"), tr("reason")])
        for error in errors:
            writer.writerow([neutralize(v) for v in (error.row, error.column, error.value, error.message)])


def rejects_report_path(result: ImportResult):
    """Where the rejected rows of ``result`` are saved: the data folder's import-reports."""
    from csdesk.paths import data_dir

    folder = data_dir() / "import-reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = result.file.rsplit(".", 1)[0]
    return folder / f"{stem}-{result.run_id or 'dry-run'}-{tr('rejected')}.csv"
