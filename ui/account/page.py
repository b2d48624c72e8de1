"""The account page: a header with the account's vital signs, then its tabs.

Opened by ``hub.requestAccount(id)``; the main window keeps the browser-like
history (Alt+Left / Alt+Right, the toolbar arrows, mouse back / forward).
Everything is read off the GUI thread; each tab has ``set_account(id)``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QStyle,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, formatting, palette, vocab
from csdesk.accounts import ContactData
from csdesk.i18n import label, plural, tr
from csdesk.overview import AccountOverview, account_overview
from ui.account.contacts import ContactsModel, ContactsTab  # noqa: F401 - re-exported
from ui.context import AppContext
from ui.errors import show_error
from ui.tasks.tab import TasksTab
from ui.timeline.tab import TimelineTab
from ui.workers import run_in_background


class Sparkline(QWidget):
    """A tiny line of the last health scores (0-100); empty until scores exist."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.points: list[float] = []
        self.color = QColor("#64748b")
        self.setFixedSize(QSize(90, 26))

    def set_points(self, points: list[float], color: str | None = None) -> None:
        self.points = list(points)
        self.color = QColor(color or "#64748b")
        self.setToolTip(
            plural(len(points), "Health over the last {n} score", "Health over the last {n} scores")
            if points
            else tr("No health scores yet")
        )
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        if len(self.points) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width() - 4, self.height() - 4
        step = w / (len(self.points) - 1)
        path = QPainterPath()
        for i, value in enumerate(self.points):
            point = QPointF(2 + i * step, 2 + h - max(0.0, min(100.0, value)) / 100 * h)
            path.moveTo(point) if i == 0 else path.lineTo(point)
        painter.setPen(QPen(self.color, 1.6))
        painter.drawPath(path)
        painter.setBrush(self.color)
        painter.drawEllipse(path.currentPosition(), 2.2, 2.2)
        painter.end()


class _Fact(QWidget):
    """A caption above a value, as in a dashboard header."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet("color: palette(mid); font-size: 11px;")
        self.value = QLabel("—")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        self.row = QHBoxLayout()
        self.row.setSpacing(6)
        self.row.addWidget(self.value)
        self.row.addStretch(1)
        layout.addLayout(self.row)

    def set(self, text: str | None, tooltip: str = "") -> None:
        self.value.setText(text or "—")
        self.value.setToolTip(tooltip)


def _contact_text(contact: ContactData | None) -> tuple[str, str]:
    if contact is None:
        return "—", ""
    tip = " · ".join(x for x in (contact.job_title, contact.email, contact.phone) if x)
    return contact.name, tip


def renewal_countdown(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return tr("today")
    if days > 0:
        return plural(days, "in {n} day", "in {n} days")
    return plural(-days, "{n} day ago", "{n} days ago")


class AccountHeader(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("accountHeader")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel()
        font = QFont(self.name.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color: palette(mid);")
        self.badge = QLabel()
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sparkline = Sparkline()

        self.facts = {
            "stage": _Fact(tr("Stage")),
            "mrr": _Fact(tr("MRR / ARR")),
            "renewal": _Fact(tr("Renewal")),
            "nps": _Fact(tr("Last NPS")),
            "touch": _Fact(tr("Last touch")),
            "owner": _Fact(tr("Owner")),
            "champion": _Fact(tr("Champion")),
            "decision": _Fact(tr("Decision maker")),
        }
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.name)
        titles.addWidget(self.subtitle)
        top.addLayout(titles, 1)
        health = QVBoxLayout()
        health.setSpacing(2)
        health.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignRight)
        health.addWidget(self.sparkline, 0, Qt.AlignmentFlag.AlignRight)
        top.addLayout(health)
        grid = QGridLayout()
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(8)
        for i, fact in enumerate(self.facts.values()):
            grid.addWidget(fact, i // 4, i % 4)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addLayout(grid)

    def clear(self) -> None:
        self.name.setText(tr("Loading…"))
        self.subtitle.clear()
        self.badge.clear()
        self.badge.setStyleSheet("")
        self.sparkline.set_points([])
        for fact in self.facts.values():
            fact.set(None)

    def show_overview(self, overview: AccountOverview, today: date | None = None) -> None:
        a = overview.account
        today = today or clock.today()
        self.name.setText(a.name)
        parts = [label(vocab.SEGMENT_LABELS, a.segment) or tr("No segment")]
        for extra in (a.tier, a.industry, a.plan):
            if extra:
                parts.append(extra)
        if a.status == "churned":
            parts.append(tr("Churned"))
        self.subtitle.setText(" · ".join(parts))
        if a.health_score is not None:
            band = a.health_band or "yellow"
            text = f"{label(vocab.HEALTH_BAND_LABELS, band)} {formatting.number(a.health_score)}"
            if a.health_trend is not None and abs(a.health_trend) >= 0.5:
                arrow = "▲" if a.health_trend > 0 else "▼"
                text += f" {arrow}{formatting.number(abs(a.health_trend))}"
            self.badge.setText(text)
            self.badge.setStyleSheet(
                f"background: {palette.BAND_TEXT.get(band, palette.NO_BAND_TEXT)}; color: white; border-radius: 9px;"
                "padding: 2px 10px; font-weight: bold;"
            )
        else:
            self.badge.setText(
                tr(vocab.HEALTH_NO_DATA) if a.status == "active" else tr("No health score yet")
            )
            self.badge.setStyleSheet(
                "color: palette(mid); border: 1px solid palette(mid); border-radius: 9px; padding: 2px 10px;"
            )
        self.sparkline.set_points(
            [s for _d, s in overview.health_history], palette.BAND.get(a.health_band or "")
        )

        self.facts["stage"].set(label(vocab.STAGE_LABELS, a.stage))
        self.facts["mrr"].set(
            f"{formatting.money(a.mrr_cents, a.currency)} / {formatting.money(a.arr_cents, a.currency, decimals=False)}"
        )
        days = overview.days_to_renewal(today)
        renewal = formatting.day(a.renewal_date)
        if days is not None:
            renewal = f"{renewal} ({renewal_countdown(days)})"
        self.facts["renewal"].set(renewal)
        if days is not None and 0 <= days <= 120:
            self.facts["renewal"].value.setStyleSheet("color: #b45309; font-weight: bold;")
        else:
            self.facts["renewal"].value.setStyleSheet("")
        self.facts["nps"].set(None if a.last_nps is None else str(a.last_nps))
        if a.last_touch_at:
            ago = (today - a.last_touch_at.date()).days
            self.facts["touch"].set(
                f"{formatting.day(a.last_touch_at.date())} ({renewal_countdown(-ago) if ago else tr('today')})"
            )
        else:
            self.facts["touch"].set(tr("Never"))
        self.facts["owner"].set(a.owner)
        self.facts["champion"].set(*_contact_text(overview.champion))
        self.facts["decision"].set(*_contact_text(overview.decision_maker))


def _health_tab(context: AppContext) -> QWidget:
    """The Health tab: score, why it changed, missing inputs, history and breakdown charts."""
    from ui.health.account_tab import AccountHealthTab

    return AccountHealthTab(context)


def _plan_tab(context: AppContext) -> QWidget:
    """The Success plan tab: outcomes, criteria and milestones, edited in place."""
    from ui.plans.tab import SuccessPlanTab

    return SuccessPlanTab(context, show_documents=False)


class AccountPage(QWidget):
    backRequested = Signal()
    forwardRequested = Signal()
    overviewLoaded = Signal(int)  # account id

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self.overview: AccountOverview | None = None
        self._generation = 0
        self.show_error = show_error

        self.back_button = QToolButton()
        self.back_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowBack))
        self.back_button.setToolTip(tr("Back (Alt+Left)"))
        self.back_button.setAutoRaise(True)
        self.forward_button = QToolButton()
        self.forward_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.forward_button.setToolTip(tr("Forward (Alt+Right)"))
        self.forward_button.setAutoRaise(True)
        self.back_button.clicked.connect(self.backRequested)
        self.forward_button.clicked.connect(self.forwardRequested)
        self.set_history_state(False, False)

        self.header = AccountHeader()
        self.timeline_tab = TimelineTab(context)
        self.contacts_tab = ContactsTab(context)
        self.tasks_tab = TasksTab(context)
        self.health_tab = _health_tab(context)
        self.plan_tab = _plan_tab(context)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.timeline_tab, tr("Timeline"))
        self.tabs.addTab(self.contacts_tab, tr("Contacts"))
        self.tabs.addTab(self.tasks_tab, tr("Tasks"))
        self.tabs.addTab(self.health_tab, tr("Health"))
        self.tabs.addTab(self.plan_tab, tr("Success plan"))
        from ui.account.handoff import HandoffTab

        self.handoff_tab = HandoffTab(context)
        self.tabs.addTab(self.handoff_tab, tr("Hand-off"))
        from ui.account.opportunities import OpportunitiesTab

        self.opportunities_tab = OpportunitiesTab(context)
        self.tabs.addTab(self.opportunities_tab, tr("Expansion"))

        nav = QHBoxLayout()
        nav.setContentsMargins(0, 0, 0, 0)
        nav.addWidget(self.back_button)
        nav.addWidget(self.forward_button)
        nav.addStretch(1)
        # One click to the documents of this account: QBR deck, kickoff, plans, follow-up email.
        from ui.documents.actions import DocumentActions

        self.documents = DocumentActions(context, lambda: self.account_id, self)
        self.qbr_button = QToolButton()
        self.qbr_button.setDefaultAction(self.documents.qbr_action)
        self.qbr_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.documents_button = QToolButton()
        self.documents_button.setText(tr("Documents"))
        self.documents_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        documents_menu = QMenu(self.documents_button)
        for action in self.documents.actions():
            documents_menu.addAction(action)
        self.documents_button.setMenu(documents_menu)
        self.renewal_button = QToolButton()
        self.renewal_button.setText(tr("Record renewal…"))
        self.renewal_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.renewal_button.clicked.connect(self.record_renewal)
        nav.addWidget(self.renewal_button)
        nav.addWidget(self.qbr_button)
        nav.addWidget(self.documents_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(nav)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)

        # E-mail and calendar files dropped here are logged on this account.
        from ui.importing.touches import AccountDropLogger

        self.drop_logger = AccountDropLogger(context, self)

        context.hub.accountsChanged.connect(self._on_accounts_changed)
        context.hub.timelineChanged.connect(self._on_timeline_changed)
        context.hub.tasksChanged.connect(self._on_tasks_changed)
        context.hub.healthChanged.connect(self._on_accounts_changed)

    def exec_dialog(self, dialog: QDialog) -> bool:
        """Run a dialog modally; tests replace this to fill the dialog in."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def record_renewal(self) -> None:
        """The renewal dialog for this account (renewed, downsell, upsell or lost)."""
        if self.account_id is None:
            return
        from ui.renewals.dialog import RenewalDialog

        try:
            dialog = RenewalDialog(self.context, self.account_id, self)
        except Exception as error:  # noqa: BLE001 - shown to the user, bugs logged by show_error
            self.show_error(self, error)
            return
        if self.exec_dialog(dialog) and dialog.closed and dialog.closed.renewal.outcome == "lost":
            # A lost renewal is a churn: ask why, and offer the post-mortem.
            from ui.renewals.churn_dialog import ask_churn_details

            ask_churn_details(self.context, self.account_id, self, self.exec_dialog, self.documents)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self.drop_logger.drag_enter(event):
            event.ignore()  # not mail: the window's import takes it

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self.drop_logger.drop(event, self.account_id):
            event.ignore()

    def tab_widgets(self) -> list[QWidget]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def set_history_state(self, can_back: bool, can_forward: bool) -> None:
        self.back_button.setEnabled(can_back)
        self.forward_button.setEnabled(can_forward)

    def set_account(self, account_id: int, select_event: int | None = None) -> None:
        """Show an account: the header and each tab load in the background."""
        if account_id != self.account_id:
            self.header.clear()
            self.overview = None
            self.tabs.setCurrentWidget(self.timeline_tab)
        self.account_id = account_id
        self.reload_overview()
        self.timeline_tab.set_account(account_id, select_event)
        for tab in self.tab_widgets():
            if tab is not self.timeline_tab and hasattr(tab, "set_account"):
                tab.set_account(account_id)

    def clear_account(self) -> None:
        """Show no account (another database was opened: the id means nothing there)."""
        self._generation += 1  # an overview still on its way is dropped
        self.account_id = None
        self.overview = None
        self.header.clear()
        self.header.name.clear()
        for tab in self.tab_widgets():
            if hasattr(tab, "set_account"):
                tab.set_account(None)
        self.tabs.setCurrentWidget(self.timeline_tab)

    def reload_overview(self) -> None:
        if self.account_id is None:
            return
        self._generation += 1
        generation, account_id, db = self._generation, self.account_id, self.context.db
        run_in_background(
            lambda _p: account_overview(db, account_id),
            lambda overview: self._on_overview(generation, overview),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_overview(self, generation: int, overview: AccountOverview) -> None:
        if generation != self._generation:
            return
        self.overview = overview
        self.header.show_overview(overview)
        self.contacts_tab.set_contacts(overview.contacts)
        self.tabs.setTabText(
            self.tabs.indexOf(self.contacts_tab), tr("Contacts ({n})", n=len(overview.contacts))
        )
        self.tabs.setTabText(
            self.tabs.indexOf(self.tasks_tab),
            tr("Tasks ({n})", n=overview.open_tasks) if overview.open_tasks else tr("Tasks"),
        )
        self.overviewLoaded.emit(overview.account.id)

    def _on_accounts_changed(self, ids: list) -> None:
        if self.account_id is not None and (not ids or self.account_id in ids):
            self.reload_overview()

    def _on_timeline_changed(self, account_id: int) -> None:
        if account_id == self.account_id:
            self.reload_overview()

    def _on_tasks_changed(self, account_id: int) -> None:
        if account_id in (0, self.account_id):
            self.reload_overview()
