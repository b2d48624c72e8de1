"""The Templates page: built-in and user templates, duplicate, edit with a live preview.

The preview renders the template in the sandbox against a chosen account's
data (read in the background once per account) or made-up sample data, and
shows the result as the documents will read; a mistake shows its line. The
render runs in the background within the template limits; Stop, or any new
edit, cancels it.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import templates
from csdesk.accounts import list_accounts
from csdesk.documents import context as doc_context
from csdesk.documents.markdown_writer import to_markdown
from csdesk.documents.template_markup import parse
from csdesk.i18n import tr
from csdesk.templates import TemplateInfo, TemplateRenderError
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

MAX_PREVIEW_ACCOUNTS = 500


class TemplateListModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[TemplateInfo] = []

    def set_items(self, items: list[TemplateInfo]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kind = tr(templates.KIND_LABELS[item.kind])
            lang = "pt-BR" if item.language == "pt_BR" else "EN"
            suffix = tr(" (built-in)") if item.builtin else ""
            return f"{kind} · {lang} · {item.name}{suffix}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return tr("Built-in: duplicate it to make your own version.") if item.builtin else item.based_on
        return None

    def row_of(self, key: str) -> int:
        return next((i for i, t in enumerate(self.items) if t.key == key), -1)


class TemplatesPage(QWidget):
    previewRendered = Signal()  # the preview shows the current template (tests)
    previewStopped = Signal()  # Stop interrupted the preview's render

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.current: TemplateInfo | None = None
        self.preview_data: dict[str, dict] = {}
        self.account_job = None
        self.data_job = None
        self.render_job = None
        self._render_generation = 0
        self.limits = templates.LIMITS  # what a preview may spend (tests lower or raise it)

        self.kind_filter = QComboBox()
        self.kind_filter.addItem(tr("All kinds"), None)
        for kind in templates.KINDS:
            self.kind_filter.addItem(tr(templates.KIND_LABELS[kind]), kind)
        self.kind_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.model = TemplateListModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.selectionModel().currentChanged.connect(self._on_current)
        self.duplicate_button = QPushButton(tr("Duplicate"))
        self.duplicate_button.clicked.connect(self.duplicate)
        self.delete_button = QPushButton(tr("Delete"))
        self.delete_button.clicked.connect(self.delete)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.kind_filter)
        left_layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.duplicate_button)
        buttons.addWidget(self.delete_button)
        left_layout.addLayout(buttons)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("Template name"))
        self.placeholder_button = QToolButton()
        self.placeholder_button.setText(tr("Insert placeholder"))
        self.placeholder_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.placeholder_button)
        for expression, description in templates.PLACEHOLDERS:
            action = menu.addAction(f"{tr(description)}    {expression.splitlines()[0]}")
            action.triggered.connect(lambda _=False, e=expression: self.insert(e))
        self.placeholder_button.setMenu(menu)
        self.save_button = QPushButton(tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.textChanged.connect(self._schedule_preview)
        self.hint = QLabel()
        self.hint.setObjectName("emptyHint")
        self.hint.setWordWrap(True)  # a long hint wraps: the page fits a 1024 px window
        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.placeholder_button)
        row.addWidget(self.save_button)
        editor_layout.addLayout(row)
        editor_layout.addWidget(self.hint)
        editor_layout.addWidget(self.editor, 1)

        self.account_combo = QComboBox()
        self.account_combo.setMinimumContentsLength(14)
        self.account_combo.addItem(tr("Sample data"), None)
        self.account_combo.currentIndexChanged.connect(self._on_account_chosen)
        self.stop_button = QPushButton(tr("Stop"))
        self.stop_button.setToolTip(tr("Stop filling in the preview"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_preview)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #C8443A")
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Preview with")))
        top.addWidget(self.account_combo, 1)
        top.addWidget(self.stop_button)
        preview_layout.addLayout(top)
        preview_layout.addWidget(self.error_label)
        preview_layout.addWidget(self.preview, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(editor_box)
        splitter.addWidget(preview_box)
        splitter.setSizes([330, 520, 510])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 10)
        title = QLabel(tr("Templates"))
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(splitter, 1)

        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(250)
        self.preview_timer.timeout.connect(self.render_preview)
        context.hub.databaseChanged.connect(self.reload)
        context.hub.accountsChanged.connect(lambda _ids: self._load_accounts())
        self.reload()
        self._load_accounts()

    # Listing ------------------------------------------------------------------------------

    def reload(self, select_key: str | None = None) -> None:
        key = select_key or (self.current.key if self.current else None)
        try:
            items = templates.list_templates(self.context.db, self.kind_filter.currentData())
        except Exception as exc:
            show_error(self, exc)
            items = []
        self.model.set_items(items)
        row = self.model.row_of(key) if key else -1
        self.list.setCurrentIndex(self.model.index(max(0, row), 0))

    def _load_accounts(self) -> None:
        db = self.context.db

        def work(_progress):
            return [(a.id, a.name) for a in list_accounts(db)][:MAX_PREVIEW_ACCOUNTS]

        self.account_job = run_in_background(work, self._on_accounts, lambda exc: None, parent=self)

    def _on_accounts(self, accounts: list[tuple[int, str]]) -> None:
        current = self.account_combo.currentData()
        self.account_combo.blockSignals(True)
        while self.account_combo.count() > 1:
            self.account_combo.removeItem(1)
        for account_id, name in accounts:
            self.account_combo.addItem(name, account_id)
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(current)))
        self.account_combo.blockSignals(False)

    def _on_current(self, index: QModelIndex, _previous=None) -> None:
        item = self.model.items[index.row()] if index.isValid() else None
        self.current = item
        self.editor.blockSignals(True)
        self.editor.setPlainText(item.body if item else "")
        self.editor.blockSignals(False)
        self.name_edit.setText(item.name if item else "")
        editable = item is not None and not item.builtin
        self.editor.setReadOnly(not editable)
        self.name_edit.setReadOnly(not editable)
        self.save_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.placeholder_button.setEnabled(editable)
        self.duplicate_button.setEnabled(item is not None)
        self.hint.setText(
            tr("Built-in templates are read-only: duplicate one to edit it.")
            if item and item.builtin
            else tr("Placeholders such as {{ account.name }} are filled in with the account's data.")
        )
        self.render_preview()

    # Editing ------------------------------------------------------------------------------

    def insert(self, expression: str) -> None:
        self.editor.insertPlainText(expression)
        self.editor.setFocus()

    def duplicate(self) -> None:
        if self.current is None:
            return
        source = replace_body(self.current, self.editor.toPlainText())
        try:
            copy = templates.duplicate_template(self.context.db, source)
        except Exception as exc:
            show_error(self, exc)
            return
        self.reload(copy.key)

    def save(self) -> None:
        if self.current is None or self.current.builtin:
            return
        info = TemplateInfo(
            self.current.kind,
            self.current.language,
            self.name_edit.text(),
            self.editor.toPlainText(),
            id=self.current.id,
            based_on=self.current.based_on,
        )
        try:
            saved = templates.save_template(self.context.db, info)
        except TemplateRenderError as exc:
            self.error_label.setText(str(exc))
            return
        except Exception as exc:
            show_error(self, exc)
            return
        self.current = saved
        self.reload(saved.key)

    def delete(self) -> None:
        if self.current is None or self.current.builtin or self.current.id is None:
            return
        answer = QMessageBox.question(
            self,
            tr("Delete template"),
            tr(
                "Delete the template “{name}”? This cannot be undone; documents already made stay as they are.",
                name=self.current.name,
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        templates.delete_template(self.context.db, self.current.id)
        self.current = None
        self.reload()

    # Preview ------------------------------------------------------------------------------

    def _schedule_preview(self) -> None:
        self.preview_timer.start()

    def _on_account_chosen(self, _index: int) -> None:
        self.render_preview()

    def _data(self, language: str) -> dict | None:
        account_id = self.account_combo.currentData()
        if account_id is None:
            return doc_context.sample_data(language)
        key = f"{account_id}/{language}"
        if key in self.preview_data:
            return self.preview_data[key]
        db = self.context.db

        def work(_progress):
            return doc_context.build(db, account_id, language).data

        def done(data: dict) -> None:
            self.preview_data[key] = data
            self.render_preview()

        self.data_job = run_in_background(
            work, done, lambda exc: self.error_label.setText(str(exc)), parent=self
        )
        return None

    def render_preview(self) -> None:
        """Render the preview in the background; a render still running is cancelled first."""
        self.preview_timer.stop()
        self._render_generation += 1
        generation = self._render_generation
        self._cancel_render()  # a new edit supersedes the running preview
        if self.current is None:
            self.preview.clear()
            return
        language = self.current.language
        data = self._data(language)
        if data is None:
            self.error_label.setText(tr("Reading the account…"))
            return
        body, plain, limits = self.editor.toPlainText(), self.current.kind == "follow_up_email", self.limits

        def work(progress) -> tuple[str, str]:
            try:
                text = templates.render(body, data, language, limits=limits, progress=progress)
            except TemplateRenderError as exc:
                return "error", str(exc)
            return "text", text if plain else to_markdown(parse(text, language), {})

        def done(result: tuple[str, str]) -> None:
            if generation != self._render_generation:
                return  # the template or the account changed meanwhile
            kind, text = result
            if kind == "error":
                self.error_label.setText(text)
                return
            self.error_label.clear()
            if plain:
                self.preview.setPlainText(text)
            else:
                self.preview.setMarkdown(text)
            self.previewRendered.emit()

        job = run_in_background(work, done, lambda exc: show_error(self, exc), parent=self)
        job.cancelled.connect(lambda: self._on_render_cancelled(generation))
        job.done.connect(lambda: self._on_render_done(generation))
        self.render_job = job
        self.stop_button.setEnabled(True)

    def stop_preview(self) -> None:
        """Stop the preview's render (Stop button); the error line says so once it stopped."""
        if self.render_job is not None and self.render_job.running:
            self.render_job.cancel()
            self.stop_button.setEnabled(False)

    def _cancel_render(self) -> None:
        if self.render_job is not None and self.render_job.running:
            self.render_job.cancel()
        self.stop_button.setEnabled(False)

    def _on_render_cancelled(self, generation: int) -> None:
        if generation == self._render_generation:  # stopped, not replaced by a newer render
            self.error_label.setText(tr("Preview stopped."))
            self.previewStopped.emit()

    def _on_render_done(self, generation: int) -> None:
        if generation == self._render_generation:
            self.stop_button.setEnabled(False)

    def preview_text(self) -> str:
        return self.preview.toPlainText()


def replace_body(info: TemplateInfo, body: str) -> TemplateInfo:
    from dataclasses import replace

    return replace(info, body=body)
