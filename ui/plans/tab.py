"""The Success plan tab of an account page: outcomes, criteria and milestones, edited in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, i18n, palette, plans, vocab
from csdesk.i18n import tr
from ui.context import AppContext
from ui.documents.actions import DocumentActions
from ui.errors import show_error
from ui.plans.model import CRITERION_FIELDS, MILESTONE_FIELDS, OUTCOME_FIELDS, PlanPartModel

STATE_COLOURS = {"on_track": palette.BAND["green"], "late": palette.BAND["red"], "done": palette.ACCENT}


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box for vocabulary columns (owner side, milestone status)."""

    def __init__(self, model: PlanPartModel, parent=None):
        super().__init__(parent)
        self.model = model

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt override)
        f = self.model.fields[index.column()]
        if f.kind != "choice":
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        for key, text in (f.choices or {}).items():
            combo.addItem(tr(text), key)
        return combo

    def setEditorData(self, editor, index):  # noqa: N802 (Qt override)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):  # noqa: N802 (Qt override)
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


def _table(model: PlanPartModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setItemDelegate(ChoiceDelegate(model, view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.SelectedClicked
    )
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    # Free-text columns share the width; short ones (dates, status, numbers) fit their contents.
    for column, f in enumerate(model.fields):
        wide = f.kind == "text" and f.key not in ("unit",)
        header.setSectionResizeMode(
            column, QHeaderView.ResizeMode.Stretch if wide else QHeaderView.ResizeMode.ResizeToContents
        )
    return view


class SuccessPlanTab(QWidget):
    """Shows and edits one account's current plan; ``set_account(id)`` switches account."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, show_documents: bool = True):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self.plans: list[plans.PlanData] = []
        self.plan: plans.PlanData | None = None

        self.plan_combo = QComboBox()
        self.plan_combo.setMinimumContentsLength(24)
        self.plan_combo.currentIndexChanged.connect(self._on_plan_chosen)
        self.state_label = QLabel()
        self.state_label.setObjectName("planState")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(200)
        self.progress.setFormat(tr("%p% done"))

        self.new_button = QToolButton()
        self.new_button.setText(tr("New plan"))
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        new_menu = QMenu(self.new_button)
        self.new_success_action = new_menu.addAction(tr("Success plan from the segment's template"))
        self.new_success_action.triggered.connect(lambda: self.start_plan("success"))
        self.new_get_well_action = new_menu.addAction(tr("Get-well plan (red accounts)"))
        self.new_get_well_action.triggered.connect(lambda: self.start_plan("get_well"))
        self.new_button.setMenu(new_menu)

        self.documents = DocumentActions(context, lambda: self.account_id, self)
        self.doc_button = QToolButton()
        self.doc_button.setText(tr("Documents"))
        self.doc_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        doc_menu = QMenu(self.doc_button)
        for action in self.documents.actions():
            doc_menu.addAction(action)
        self.doc_button.setMenu(doc_menu)

        self.delete_button = QPushButton(tr("Archive plan"))
        self.delete_button.clicked.connect(self.archive_plan)

        top = QHBoxLayout()
        top.addWidget(self.plan_combo)
        top.addWidget(self.state_label)
        top.addWidget(self.progress)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.doc_button)
        self.doc_button.setVisible(show_documents)  # the account page has its own
        top.addWidget(self.delete_button)

        self.root_cause = QLabel()
        self.root_cause.setWordWrap(True)

        self.milestones = PlanPartModel(MILESTONE_FIELDS, self)
        self.outcomes = PlanPartModel(OUTCOME_FIELDS, self)
        self.criteria = PlanPartModel(CRITERION_FIELDS, self)
        self.milestone_view = _table(self.milestones)
        self.outcome_view = _table(self.outcomes)
        self.criterion_view = _table(self.criteria)
        for model, key in (
            (self.milestones, "milestones"),
            (self.outcomes, "outcomes"),
            (self.criteria, "criteria"),
        ):
            model.edited.connect(lambda items, key=key: self._save_part(key, items))
            model.invalidInput.connect(self._on_invalid)

        self.empty = QLabel(tr("This account has no plan yet. Start one from the template of its segment."))
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #C8443A")

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.root_cause)
        for title, view, key in (
            (tr("Milestones"), self.milestone_view, "milestones"),
            (tr("Desired outcomes"), self.outcome_view, "outcomes"),
            (tr("Success criteria"), self.criterion_view, "criteria"),
        ):
            row = QHBoxLayout()
            label = QLabel(f"<b>{title}</b>")
            add = QPushButton(tr("Add"))
            add.clicked.connect(lambda _=False, key=key: self.add_item(key))
            remove = QPushButton(tr("Remove"))
            remove.clicked.connect(lambda _=False, key=key, view=view: self.remove_item(key, view))
            row.addWidget(label)
            row.addStretch(1)
            row.addWidget(add)
            row.addWidget(remove)
            body.addLayout(row)
            body.addWidget(view, 2 if key == "milestones" else 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.body, 1)
        context.hub.plansChanged.connect(self._on_plans_changed)
        self._show()

    # Loading -----------------------------------------------------------------------

    def set_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self.reload()

    def reload(self, keep_plan: int | None = None) -> None:
        if self.account_id is None:
            self.plans = []
        else:
            try:
                self.plans = plans.list_plans(self.context.db, self.account_id)
            except Exception as exc:
                show_error(self, exc)
                self.plans = []
        keep = keep_plan or (self.plan.id if self.plan else None)
        self.plan_combo.blockSignals(True)
        self.plan_combo.clear()
        for plan in self.plans:
            self.plan_combo.addItem(plan.title, plan.id)
        index = self.plan_combo.findData(keep) if keep else 0
        self.plan_combo.setCurrentIndex(max(0, index))
        self.plan_combo.blockSignals(False)
        self.plan = self.plans[max(0, index)] if self.plans else None
        self._show()

    def _on_plans_changed(self, account_id: int) -> None:
        if account_id == self.account_id:
            self.reload()

    def _on_plan_chosen(self, index: int) -> None:
        self.plan = self.plans[index] if 0 <= index < len(self.plans) else None
        self._show()

    def _show(self) -> None:
        plan = self.plan
        has = plan is not None
        self.body.setVisible(has)
        self.empty.setVisible(not has)
        self.plan_combo.setVisible(has)
        self.progress.setVisible(has)
        self.state_label.setVisible(has)
        self.delete_button.setEnabled(has)
        self.new_button.setEnabled(self.account_id is not None)
        self.documents.set_enabled(self.account_id is not None)
        self.error_label.clear()
        if plan is None:
            for model in (self.milestones, self.outcomes, self.criteria):
                model.set_items([])
            return
        state = plans.plan_status(plan, clock.today())
        self.state_label.setText(i18n.label(vocab.PLAN_STATUS_LABELS, state))
        self.state_label.setStyleSheet(f"color: {STATE_COLOURS[state]}; font-weight: bold")
        self.progress.setValue(round(plan.progress * 100))
        self.root_cause.setVisible(plan.kind == "get_well")
        self.root_cause.setText(tr("Root cause: {text}", text=plan.root_cause or "—"))
        self.milestones.set_items(list(plan.milestones))
        self.outcomes.set_items(list(plan.outcomes))
        self.criteria.set_items(list(plan.criteria))

    # Editing -------------------------------------------------------------------------

    def _save(self, plan: plans.PlanData) -> None:
        try:
            saved = plans.save_plan(self.context.db, plan)
        except Exception as exc:
            show_error(self, exc)
            self._show()
            return
        self.plan = saved
        self.reload(keep_plan=saved.id)
        self.context.hub.plansChanged.emit(saved.account_id)

    def _save_part(self, key: str, items: list) -> None:
        if self.plan is not None:
            self._save(replace(self.plan, **{key: tuple(items)}))

    def _on_invalid(self, message: str) -> None:
        self.error_label.setText(message)

    def start_plan(self, kind: str) -> None:
        if self.account_id is None:
            return
        try:
            plan = plans.start_plan(self.context.db, self.account_id, kind, i18n.current_language())
        except Exception as exc:
            show_error(self, exc)
            return
        self.reload(keep_plan=plan.id)
        self.context.hub.plansChanged.emit(self.account_id)

    def archive_plan(self) -> None:
        if self.plan is not None:
            self._save(replace(self.plan, status="archived"))
            self.plan = None
            self.reload()

    def add_item(self, key: str) -> None:
        if self.plan is None:
            return
        if key == "milestones":
            item = plans.MilestoneData(tr("New milestone"), due_date=clock.today() + timedelta(days=30))
        elif key == "outcomes":
            item = plans.OutcomeData(tr("New desired outcome"))
        else:
            item = plans.CriterionData(tr("New criterion"), due_date=clock.today() + timedelta(days=90))
        self._save(replace(self.plan, **{key: (*getattr(self.plan, key), item)}))

    def remove_item(self, key: str, view: QTableView) -> None:
        index: QModelIndex = view.currentIndex()
        if self.plan is None or not index.isValid():
            return
        items = list(getattr(self.plan, key))
        del items[index.row()]
        self._save(replace(self.plan, **{key: tuple(items)}))
