"""The import wizard: file -> preview -> column mapping -> dry run -> import -> result.

Every step that reads the file or the database runs off the GUI thread
(``run_in_background``); the wizard only shows what the ``csdesk.importing``
services return. The import itself can be cancelled: its transaction rolls
back and the database stays as it was.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, importing
from csdesk.i18n import label, tr
from csdesk.importing import detect
from csdesk.importing import preview as preview_module
from csdesk.importing.prepare import ImportOptions, Prepared
from csdesk.importing.preview import KEY_FIELDS, field_label
from csdesk.importing.reading import column_letter
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import Job, run_in_background

FILE_FILTER = "CSV / Excel (*.csv *.txt *.tsv *.xlsx);;E-mail / calendar (*.eml *.msg *.mbox *.ics);;*"
PREVIEW_ROWS = 200
STEPS = ("file", "preview", "mapping", "dry_run", "running", "result")


def step_titles() -> list[str]:
    return [tr("File"), tr("Preview"), tr("Columns"), tr("Check"), tr("Import"), tr("Result")]


def _counts(result: importing.ImportResult) -> dict[str, str]:
    """A result's row counts as the UI language writes numbers (100.000 in pt-BR)."""
    return {
        name: formatting.number(getattr(result, name))
        for name in ("created", "updated", "unchanged", "rejected")
    }


class RowsModel(QAbstractTableModel):
    """A read-only table of strings (preview rows, rejected rows)."""

    def __init__(self, headers: list[str] | None = None, rows: list[list[str]] | None = None, parent=None):
        super().__init__(parent)
        self._headers = headers or []
        self._rows = rows or []

    def set_rows(self, headers: list[str], rows: list[list[str]]) -> None:
        self.beginResetModel()
        self._headers, self._rows = list(headers), [list(r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows[index.row()]
        return str(row[index.column()]) if index.column() < len(row) else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if section < len(self._headers) else None
        return None


def _table_view(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    return view


def _title(text: str) -> QLabel:
    widget = QLabel(text)
    widget.setObjectName("wizardTitle")
    font = widget.font()
    font.setPointSize(font.pointSize() + 3)
    font.setBold(True)
    widget.setFont(font)
    return widget


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


class DropArea(QFrame):
    """A dashed box to drop a file on, with a button to choose one."""

    fileDropped = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setObjectName("dropArea")
        self.setStyleSheet(
            "#dropArea { border: 2px dashed #9aa5b8; border-radius: 10px; background: #f7f9fc; }"
        )
        self.setMinimumHeight(220)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(tr("Drop a CSV or XLSX export here"))
        font = text.font()
        font.setPointSize(font.pointSize() + 2)
        text.setFont(font)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            tr(
                "Salesforce, HubSpot, Pipedrive, Zoho, RD Station or your own spreadsheet: accounts, contacts, "
                "deals, activities, NPS/CSAT/CES answers, usage or MRR history."
            )
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setStyleSheet("color: #5b6475;")
        self.choose_button = QPushButton(tr("Choose a file…"))
        self.choose_button.setDefault(True)
        layout.addWidget(text)
        layout.addWidget(hint)
        layout.addSpacing(8)
        layout.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignCenter)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.fileDropped.emit(url.toLocalFile())
                event.acceptProposedAction()
                return


class ImportWizard(QDialog):
    """One import, step by step. ``finished`` results are announced on the hub."""

    stepChanged = Signal(str)

    def __init__(self, context: AppContext, path: str | None = None, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(tr("Import data"))
        self.resize(980, 660)
        self.prepared: Prepared | None = None
        self.dry_result: importing.ImportResult | None = None
        self.result: importing.ImportResult | None = None
        self.report_path: Path | None = None
        self.job: Job | None = None
        self.path: str | None = None
        self.sheet: str | None = None
        self.mapping_combos: dict[int, QComboBox] = {}

        self.steps_label = QLabel()
        self.steps_label.setTextFormat(Qt.TextFormat.RichText)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for key, build in (
            ("file", self._build_file_page),
            ("preview", self._build_preview_page),
            ("mapping", self._build_mapping_page),
            ("dry_run", self._build_dry_run_page),
            ("running", self._build_running_page),
            ("result", self._build_result_page),
        ):
            page = build()
            self.pages[key] = page
            self.stack.addWidget(page)

        self.back_button = QPushButton(tr("< &Back"))
        self.next_button = QPushButton(tr("&Next >"))
        self.import_button = QPushButton(tr("&Import"))
        self.cancel_button = QPushButton(tr("Cancel"))
        self.close_button = QPushButton(tr("&Close"))
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (
            self.back_button,
            self.next_button,
            self.import_button,
            self.cancel_button,
            self.close_button,
        ):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.steps_label)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.busy = QLabel()
        self.busy.setStyleSheet("color: #5b6475;")
        layout.addWidget(self.busy)
        self.show_step("file")
        if path:
            self.load_file(path)

    # Pages ------------------------------------------------------------------------------

    def _build_file_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_title(tr("Choose the file to import")))
        self.drop_area = DropArea()
        self.drop_area.fileDropped.connect(self.load_file)
        self.drop_area.choose_button.clicked.connect(self.choose_file)
        layout.addWidget(self.drop_area, 1)
        return page

    def _build_preview_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_title(tr("Preview")))
        self.file_info = QLabel()
        self.file_info.setWordWrap(True)
        layout.addWidget(self.file_info)
        form = QHBoxLayout()
        self.kind_combo = QComboBox()
        for key in detect.KINDS:
            self.kind_combo.addItem(label(detect.KIND_LABELS, key), key)
        self.source_combo = QComboBox()
        for key in detect.SOURCES:
            self.source_combo.addItem(label(detect.SOURCE_LABELS, key), key)
        self.sheet_combo = QComboBox()
        self.kind_confidence = QLabel()
        self.source_confidence = QLabel()
        form.addWidget(QLabel(tr("What it holds:")))
        form.addWidget(self.kind_combo)
        form.addWidget(self.kind_confidence)
        form.addSpacing(18)
        form.addWidget(QLabel(tr("Source:")))
        form.addWidget(self.source_combo)
        form.addWidget(self.source_confidence)
        form.addSpacing(18)
        self.sheet_label = QLabel(tr("Sheet:"))
        form.addWidget(self.sheet_label)
        form.addWidget(self.sheet_combo)
        form.addStretch(1)
        layout.addLayout(form)
        self.preview_model = RowsModel(parent=self)
        self.preview_view = _table_view(self.preview_model)
        layout.addWidget(self.preview_view, 1)
        self.kind_combo.activated.connect(self._on_kind_chosen)
        self.source_combo.activated.connect(self._on_source_chosen)
        self.sheet_combo.activated.connect(self._on_sheet_chosen)
        return page

    def _build_mapping_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_title(tr("Match the columns to CSDesk fields")))
        self.preset_info = QLabel()
        self.preset_info.setWordWrap(True)
        layout.addWidget(self.preset_info)
        self.mapping_area = QScrollArea()
        self.mapping_area.setWidgetResizable(True)
        layout.addWidget(self.mapping_area, 1)

        self.date_box = QFrame()
        self.date_box.setStyleSheet("QFrame { background: #fff7e6; border-radius: 6px; }")
        date_layout = QVBoxLayout(self.date_box)
        self.date_question = QLabel()
        self.date_question.setWordWrap(True)
        self.dmy_radio = QRadioButton(tr("Day/month/year (25/11/2026)"))
        self.mdy_radio = QRadioButton(tr("Month/day/year (11/25/2026)"))
        self.date_group = QButtonGroup(self)
        self.date_group.addButton(self.dmy_radio)
        self.date_group.addButton(self.mdy_radio)
        self.dmy_radio.toggled.connect(self._on_date_order)
        self.mdy_radio.toggled.connect(self._on_date_order)
        date_layout.addWidget(self.date_question)
        row = QHBoxLayout()
        row.addWidget(self.dmy_radio)
        row.addWidget(self.mdy_radio)
        row.addStretch(1)
        date_layout.addLayout(row)
        layout.addWidget(self.date_box)

        bottom = QHBoxLayout()
        self.keep_unmapped = QCheckBox(tr("Keep the other columns as custom fields"))
        self.keep_unmapped.toggled.connect(self._on_keep_unmapped)
        bottom.addWidget(self.keep_unmapped)
        bottom.addStretch(1)
        self.preset_name = QLineEdit()
        self.preset_name.setPlaceholderText(tr("Preset name"))
        self.preset_name.setMaximumWidth(220)
        self.save_preset_button = QPushButton(tr("Save as preset"))
        self.save_preset_button.clicked.connect(self.save_preset)
        bottom.addWidget(self.preset_name)
        bottom.addWidget(self.save_preset_button)
        layout.addLayout(bottom)
        return page

    def _build_dry_run_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_title(tr("Check before importing")))
        self.dry_summary = QLabel()
        self.dry_summary.setWordWrap(True)
        self.dry_summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.dry_summary)
        self.as_of_label = QLabel()
        self.as_of_label.setStyleSheet("color: #5b6475;")
        layout.addWidget(self.as_of_label)
        # What the import would do, account by account: to create, to update (each change
        # before -> after) and the rejected rows; each list's first PREVIEW_LIMIT.
        self.check_tabs = QTabWidget()
        self.create_model = RowsModel(parent=self)
        self.update_model = RowsModel(parent=self)
        self.rejects_model = RowsModel(parent=self)
        self.create_view = _table_view(self.create_model)
        self.update_view = _table_view(self.update_model)
        self.rejects_view = _table_view(self.rejects_model)
        self.more_labels: dict[str, QLabel] = {}
        for key, view in (
            ("create", self.create_view),
            ("update", self.update_view),
            ("rejected", self.rejects_view),
        ):
            tab = QWidget()
            tab_layout = QVBoxLayout(tab)
            tab_layout.setContentsMargins(4, 4, 4, 4)
            tab_layout.addWidget(view, 1)
            more = QLabel()
            more.setStyleSheet("color: #5b6475;")
            tab_layout.addWidget(more)
            self.more_labels[key] = more
            self.check_tabs.addTab(tab, "")
        layout.addWidget(self.check_tabs, 10)
        self.check_stretch = QWidget()  # takes the room when there is nothing to list
        layout.addWidget(self.check_stretch, 1)
        return page

    def _build_running_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_title(tr("Importing…")))
        layout.addStretch(1)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_message = QLabel()
        layout.addWidget(self.progress_message)
        layout.addWidget(self.progress_bar)
        self.running_note = QLabel()
        self.running_note.setStyleSheet("color: #5b6475;")
        layout.addWidget(self.running_note)
        layout.addStretch(2)
        return page

    def _build_result_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.result_title = _title(tr("Import done"))
        layout.addWidget(self.result_title)
        self.result_summary = QLabel()
        self.result_summary.setWordWrap(True)
        self.result_summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.result_summary)
        row = QHBoxLayout()
        self.open_report_button = QPushButton(tr("Open the rejected rows report"))
        self.open_report_button.clicked.connect(self.open_report)
        self.history_button = QPushButton(tr("Import history…"))
        self.history_button.clicked.connect(self.show_history)
        row.addWidget(self.open_report_button)
        row.addWidget(self.history_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.result_rejects_model = RowsModel(parent=self)
        self.result_rejects_view = _table_view(self.result_rejects_model)
        layout.addWidget(self.result_rejects_view, 10)
        layout.addStretch(1)
        return page

    # Navigation -------------------------------------------------------------------------

    @property
    def step(self) -> str:
        return STEPS[self.stack.currentIndex()]

    def show_step(self, key: str) -> None:
        self.stack.setCurrentWidget(self.pages[key])
        index = STEPS.index(key)
        parts = []
        for i, title in enumerate(step_titles()):
            text = f"{i + 1}. {title}"
            parts.append(f"<b>{text}</b>" if i == index else f"<span style='color:#8a94a6'>{text}</span>")
        self.steps_label.setText("&nbsp;&nbsp;›&nbsp;&nbsp;".join(parts))
        self._update_buttons()
        self.stepChanged.emit(key)

    def _update_buttons(self) -> None:
        key = self.step
        busy = self.job is not None and self.job.running
        self.back_button.setVisible(key in ("preview", "mapping", "dry_run"))
        self.back_button.setEnabled(not busy)
        self.next_button.setVisible(key in ("preview", "mapping"))
        ready = self.prepared is not None
        if key == "mapping" and self.prepared is not None:
            ready = not self.prepared.missing_fields() and not (
                self.prepared.ambiguous_columns() and self.prepared.date_order is None
            )
        self.next_button.setEnabled(not busy and ready)
        self.import_button.setVisible(key == "dry_run")
        can_import = self.dry_result is not None and (self.dry_result.created or self.dry_result.updated)
        self.import_button.setEnabled(not busy and bool(can_import))
        self.cancel_button.setVisible(key != "result")
        self.close_button.setVisible(key == "result")

    def go_back(self) -> None:
        order = {"preview": "file", "mapping": "preview", "dry_run": "mapping"}
        if self.step in order:
            self.show_step(order[self.step])

    def go_next(self) -> None:
        if self.prepared is None:
            return
        if self.step == "preview":
            self._fill_mapping()
            self.show_step("mapping")
        elif self.step == "mapping":
            self.run_dry_run()

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.busy.setText(tr("Cancelling…"))
            return
        self.reject()

    def _run(self, fn, on_success, message: str) -> None:
        self.busy.setText(message)
        self.job = run_in_background(fn, on_success, self._on_failure, parent=self)
        self.job.done.connect(self._on_job_done)
        self._update_buttons()

    def _on_job_done(self) -> None:
        self.busy.setText("")
        self._update_buttons()

    def _on_failure(self, error: BaseException) -> None:
        if self.step == "running":
            self.show_step("dry_run")
        show_error(self, error, tr("Import data"))

    # Step 1: the file ---------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Import data"), "", FILE_FILTER)
        if path:
            self.load_file(path)

    def load_file(self, path: str, sheet: str | None = None) -> None:
        from csdesk.importing.mail import handles

        if handles(path):  # e-mails and meetings have their own preview and import
            from ui.importing.touches import open_touch_import

            self.touch_import = open_touch_import(self.context, path, self.parentWidget() or self)
            self.close()
            return
        self.path, self.sheet = path, sheet
        db = self.context.db
        options = ImportOptions(sheet=sheet)
        self._run(
            lambda progress: importing.prepare(path, options, db, progress),
            self._on_prepared,
            tr("Reading {file}…", file=Path(path).name),
        )

    def _on_prepared(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.dry_result = None
        self._fill_preview()
        self.show_step("preview")

    def _fill_preview(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        table = prepared.table
        encoding = {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 (BOM)",
            "cp1252": "Windows-1252",
            "xlsx": "XLSX",
        }.get(table.encoding, table.encoding.upper())
        delimiter = {",": tr("comma"), ";": tr("semicolon"), "\t": tr("tab")}.get(table.delimiter, "")
        details = ", ".join(x for x in (encoding, delimiter) if x)
        info = tr(
            "{file}: {rows} rows, {columns} columns ({details}).",
            file=table.name,
            rows=len(table.rows),
            columns=len(table.headers),
            details=details,
        )
        if table.stripped:
            info += " " + tr("{count} footer or total lines left out.", count=table.stripped)
        self.file_info.setText(info)
        self.kind_combo.setCurrentIndex(detect.KINDS.index(prepared.kind))
        self.source_combo.setCurrentIndex(detect.SOURCES.index(prepared.source))
        self.kind_confidence.setText(
            tr("detected, {percent} sure", percent=_percent(prepared.kind_confidence))
        )
        self.source_confidence.setText(
            tr("detected, {percent} sure", percent=_percent(prepared.source_confidence))
        )
        self.sheet_combo.clear()
        self.sheet_combo.addItems(table.sheets)
        if table.sheet:
            self.sheet_combo.setCurrentText(table.sheet)
        self.sheet_label.setVisible(bool(table.sheets))
        self.sheet_combo.setVisible(bool(table.sheets))
        self._fill_preview_rows()

    def _fill_preview_rows(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        table = prepared.table
        headers = [tr("Row")]
        for index, header in enumerate(table.headers):
            key = prepared.mapping.get(index)
            headers.append(f"{header}\n→ {tr(detect.spec(prepared.kind, key).label)}" if key else header)
        rows = [
            [str(number), *row]
            for number, row in zip(table.row_numbers[:PREVIEW_ROWS], table.rows, strict=False)
        ]
        self.preview_model.set_rows(headers, rows)
        self.preview_view.resizeColumnsToContents()
        for column in range(self.preview_model.columnCount()):
            if self.preview_view.columnWidth(column) > 260:
                self.preview_view.setColumnWidth(column, 260)

    def _on_kind_chosen(self, index: int) -> None:
        if self.prepared is not None:
            self.prepared.remap(kind=self.kind_combo.itemData(index))
            self._fill_preview_rows()

    def _on_source_chosen(self, index: int) -> None:
        if self.prepared is not None:
            self.prepared.source = self.source_combo.itemData(index)
            self.prepared.source_confidence = 1.0
            self.prepared.refresh()

    def _on_sheet_chosen(self, index: int) -> None:
        sheet = self.sheet_combo.itemText(index)
        if self.path and self.prepared is not None and sheet != self.prepared.table.sheet:
            self.load_file(self.path, sheet)

    # Step 2: the mapping ----------------------------------------------------------------

    def _fill_mapping(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        table = prepared.table
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        grid.setColumnStretch(1, 1)
        for column, text in enumerate((tr("Column in the file"), tr("Values"), tr("CSDesk field"))):
            head = QLabel(f"<b>{text}</b>")
            grid.addWidget(head, 0, column)
        self.mapping_combos = {}
        fields = detect.FIELDS[prepared.kind]
        for index, header in enumerate(table.headers):
            name = QLabel(f"{column_letter(index)} · {header}")
            name.setWordWrap(True)
            name.setMaximumWidth(340)
            samples = [row[index].strip() for row in table.rows[:40] if row[index].strip()]
            seen: list[str] = []
            for value in samples:
                if value not in seen:
                    seen.append(value)
                if len(seen) == 3:
                    break
            values = QLabel(" · ".join(seen))
            values.setStyleSheet("color: #5b6475;")
            values.setMaximumWidth(360)
            combo = QComboBox()
            combo.addItem(tr("(do not import)"), None)
            for spec in fields:
                combo.addItem(tr(spec.label), spec.key)
            key = prepared.mapping.get(index)
            combo.setCurrentIndex(combo.findData(key) if key else 0)
            combo.currentIndexChanged.connect(self._on_mapping_changed)
            self.mapping_combos[index] = combo
            grid.addWidget(name, index + 1, 0)
            grid.addWidget(values, index + 1, 1)
            grid.addWidget(combo, index + 1, 2)
        grid.setRowStretch(len(table.headers) + 1, 1)
        self.mapping_area.setWidget(grid_widget)
        self.keep_unmapped.setVisible(prepared.kind == "accounts")
        self.keep_unmapped.setChecked(prepared.keep_unmapped)
        if prepared.preset:
            self.preset_info.setText(
                tr('Preset "{name}" was used: this file has the same columns.', name=prepared.preset)
            )
            self.preset_name.setText(prepared.preset)
        else:
            self.preset_info.setText(
                tr("Each column was matched by its name. Change any of them; the others are left out.")
            )
        self._refresh_mapping_state()

    def _on_mapping_changed(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        mapping = {i: combo.currentData() for i, combo in self.mapping_combos.items() if combo.currentData()}
        prepared.remap(mapping=mapping)
        self.dry_result = None
        self._refresh_mapping_state()

    def _refresh_mapping_state(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        ambiguous = prepared.ambiguous_columns()
        self.date_box.setVisible(bool(ambiguous) or prepared.date_order is not None)
        if ambiguous or prepared.date_order:
            columns = ", ".join(f'"{c}"' for c in ambiguous) or tr("the date columns")
            self.date_question.setText(
                tr(
                    "The dates in {columns} fit both orders (such as 04/06/2024). How are they written?",
                    columns=columns,
                )
            )
        missing = prepared.missing_fields()
        self.next_button.setToolTip(tr("Map: {fields}", fields=", ".join(missing)) if missing else "")
        needs_order = bool(ambiguous) and prepared.date_order is None
        self.next_button.setEnabled(not missing and not needs_order and not (self.job and self.job.running))
        if missing:
            self.busy.setText(tr("Map a column to: {fields}.", fields=", ".join(missing)))
        elif needs_order:
            self.busy.setText(tr("Say how the dates are written."))
        else:
            self.busy.setText("")

    def _on_date_order(self) -> None:
        if self.prepared is None:
            return
        order = "dmy" if self.dmy_radio.isChecked() else "mdy" if self.mdy_radio.isChecked() else None
        self.prepared.date_order = order
        self.prepared.refresh()
        self._refresh_mapping_state()

    def _on_keep_unmapped(self, checked: bool) -> None:
        if self.prepared is not None:
            self.prepared.keep_unmapped = checked

    def save_preset(self) -> None:
        if self.prepared is None:
            return
        try:
            preset = importing.save_preset(self.context.db, self.preset_name.text(), self.prepared)
        except Exception as exc:  # a user error (no name) or a bug: both shown
            show_error(self, exc, tr("Import data"))
            return
        self.prepared.preset = preset.name
        self.preset_info.setText(
            tr('Saved as preset "{name}": offered again for files with these columns.', name=preset.name)
        )

    # Step 3: the dry run ----------------------------------------------------------------

    def run_dry_run(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        db = self.context.db
        self._run(
            lambda progress: importing.run_import(db, prepared, dry_run=True, progress=progress),
            self._on_dry_run,
            tr("Checking every row…"),
        )

    def _on_dry_run(self, result: importing.ImportResult) -> None:
        self.dry_result = result
        summary = tr(
            "Will create <b>{created}</b>, update <b>{updated}</b>, leave <b>{unchanged}</b> unchanged "
            "and reject <b>{rejected}</b>.",
            **_counts(result),
        )
        if result.rejected:
            summary += "<br>" + tr(
                "Rejected rows are left out; the others can be imported. They are listed under Rejected."
            )
        if not result.created and not result.updated:
            summary += "<br>" + tr("Nothing to change: the database already holds this file.")
        for warning in result.warnings:
            summary += "<br>" + warning
        self.dry_summary.setText(summary)
        self.as_of_label.setText(
            tr("Changes are dated {date} (the import date).", date=formatting.day(result.as_of))
        )
        self._fill_check_tabs(result)
        self.show_step("dry_run")

    def _fill_check_tabs(self, result: importing.ImportResult) -> None:
        """The three lists of the check step, with their counts in the tab titles."""
        preview = result.preview
        number = formatting.number
        columns = ("name", "mrr_cents", *KEY_FIELDS)
        to_create = preview.to_create if preview else []
        self.create_model.set_rows(
            [tr("Row"), *(field_label(c) for c in columns)],
            [[str(a.row), *(a.cell(c) for c in columns)] for a in to_create],
        )
        to_update = preview.to_update if preview else []
        self.update_model.set_rows(
            [tr("Account"), tr("Changes")],
            [[a.name, "; ".join(c.text() for c in a.changes)] for a in to_update],
        )
        errors = result.errors[: preview_module.PREVIEW_LIMIT]
        self.rejects_model.set_rows(
            [tr("Row"), tr("Column"), tr("Value"), tr("Reason")],
            [[str(e.row), e.column, e.value, e.message] for e in errors],
        )
        create_total = preview.create_total if preview else 0
        update_total = preview.update_total if preview else 0
        tabs = self.check_tabs
        tabs.setTabText(0, tr("To create ({count})", count=number(create_total)))
        tabs.setTabText(1, tr("To update ({count})", count=number(update_total)))
        tabs.setTabText(2, tr("Rejected ({count})", count=number(result.rejected)))
        tabs.setTabVisible(0, preview is not None)
        tabs.setTabVisible(1, preview is not None)
        tabs.setTabVisible(2, bool(result.errors) or preview is not None)
        for key, more in (
            ("create", create_total - len(to_create)),
            ("update", update_total - len(to_update)),
            ("rejected", len(result.errors) - len(errors)),
        ):
            label_ = self.more_labels[key]
            label_.setText(tr("… and {count} more", count=number(more)) if more > 0 else "")
            label_.setVisible(more > 0)
        listed = preview is not None or bool(result.errors)
        tabs.setVisible(listed)
        self.check_stretch.setVisible(not listed)
        first = next(
            (
                i
                for i, n in enumerate((len(to_create), len(to_update), len(errors)))
                if n and tabs.isTabVisible(i)
            ),
            2 if preview is None else 0,
        )
        tabs.setCurrentIndex(first)
        for view in (self.create_view, self.update_view, self.rejects_view):
            view.resizeColumnsToContents()

    # Step 4: the import -----------------------------------------------------------------

    def start_import(self) -> None:
        prepared = self.prepared
        assert prepared is not None
        db = self.context.db
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_message.setText(tr("Starting…"))
        self.cancel_button.setEnabled(True)
        self.running_note.setText(tr("Cancel stops the import and leaves the database exactly as it was."))
        self.show_step("running")
        self._run(
            lambda progress: importing.run_import(db, prepared, accept_rejects=True, progress=progress),
            self._on_imported,
            "",
        )
        assert self.job is not None
        self.job.progressed.connect(self._on_progress)
        self.job.cancelled.connect(self._on_cancelled)
        self._update_buttons()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total <= 0:
            # A step with no measurable share (one long database call): a busy bar.
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * done / total))
        self.progress_message.setText(message)
        if self.job is not None and not self.job.cancellable:
            # Committed: the import can no longer be cancelled, only finished.
            self.cancel_button.setEnabled(False)
            self.running_note.setText(tr("The import is saved; it can no longer be cancelled."))

    def _on_cancelled(self) -> None:
        self.cancel_button.setEnabled(True)
        self.show_step("dry_run")
        self.busy.setText(tr("Import cancelled: nothing was changed."))

    def _on_imported(self, result: importing.ImportResult) -> None:
        self.result = result
        self.report_path = None
        if result.errors:
            self.report_path = importing.rejects_report_path(result)
            importing.write_rejects_csv(self.report_path, result.errors)
        summary = tr(
            "Created <b>{created}</b>, updated <b>{updated}</b>, unchanged <b>{unchanged}</b>, "
            "rejected <b>{rejected}</b>.",
            **_counts(result),
        )
        if result.run_id is not None:
            summary += "<br>" + tr("This import can be undone as a whole from the import history.")
        if self.report_path is not None:
            summary += "<br>" + tr("The rejected rows were saved to {path}.", path=str(self.report_path))
        self.result_summary.setText(summary)
        self.open_report_button.setVisible(self.report_path is not None)
        self.result_rejects_model.set_rows(
            [tr("Row"), tr("Column"), tr("Value"), tr("Reason")],
            [[str(e.row), e.column, e.value, e.message] for e in result.errors],
        )
        self.result_rejects_view.setVisible(bool(result.errors))
        self.result_rejects_view.resizeColumnsToContents()
        self.show_step("result")
        if result.run_id is not None:
            self.context.hub.importFinished.emit(result.run_id, result.account_ids)
            self.context.hub.accountsChanged.emit(result.account_ids)

    def open_report(self) -> None:
        if self.report_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report_path)))

    def show_history(self) -> None:
        from ui.importing.runs import ImportHistoryDialog

        ImportHistoryDialog(self.context, self).exec()
