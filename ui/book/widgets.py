"""Small pieces of the book page: the health chip, the KPI cards, the welcome screen."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import currency, formatting, palette
from csdesk.book import NO_SCORE, Kpis
from csdesk.i18n import plural, tr
from ui.book.icons import icon
from ui.book.model import BandRole
from ui.layouts import CardGrid, ElidedLabel

# Text colour and chip background per health band.
BAND_COLORS = {
    **{band: (QColor(palette.BAND_TEXT[band]), QColor(palette.BAND_FILL[band])) for band in palette.BAND},
    NO_SCORE: (QColor(palette.NO_BAND_TEXT), QColor(palette.NO_BAND_FILL)),
}


class HealthDelegate(QStyledItemDelegate):
    """The health cell as a coloured chip: score and trend arrow on the band's colour."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        band = index.data(BandRole)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if band not in BAND_COLORS or not text:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        fg, bg = BAND_COLORS[band]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 22
        height = min(opt.rect.height() - 8, metrics.height() + 6)
        chip = QRectF(
            opt.rect.center().x() - width / 2,
            opt.rect.center().y() - height / 2 + 0.5,
            width,
            height,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(chip, height / 2, height / 2)
        dot = QRectF(chip.left() + 7, chip.center().y() - 3, 6, 6)
        painter.setBrush(fg)
        painter.drawEllipse(dot)
        font = QFont(opt.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(fg)
        painter.drawText(chip.adjusted(12, 0, 0, 0), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class KpiCard(QFrame):
    """One figure with its caption and a small note under it."""

    def __init__(self, key: str, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.setProperty("kpi", key)
        # Elided (whole text in the tooltip) only when even three cards a row leave too little room.
        self.caption = ElidedLabel(caption)
        self.caption.setObjectName("kpiCaption")
        self.value = ElidedLabel("—")
        self.value.setObjectName("kpiValue")
        self.note = ElidedLabel(" ")
        self.note.setObjectName("kpiNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set(self, value: str, note: str = "", exact: str = "") -> None:
        """Show ``value`` (``exact``, when it was shortened, in the tooltip)."""
        self.value.setText(value)
        self.note.setText(note or " ")
        exact = exact if exact and exact != value else ""
        self.setToolTip(exact)
        self.value.set_hint(exact)

    def labels(self) -> tuple[ElidedLabel, ElidedLabel, ElidedLabel]:
        return self.caption, self.value, self.note


class KpiHeader(QWidget):
    """The portfolio figures of the rows the table shows, in the base currency.

    Accounts of a currency without an exchange rate are left out of the money
    figures; a line under the cards says so and offers to set the rates.
    """

    ratesRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cards = {
            "accounts": KpiCard("accounts", tr("Accounts")),
            "mrr": KpiCard("mrr", tr("MRR")),
            "arr": KpiCard("arr", tr("ARR")),
            "at_risk": KpiCard("at_risk", tr("MRR at risk")),
            "renewals": KpiCard("renewals", tr("Renewals in 90 days")),
            "health": KpiCard("health", tr("Average health")),
        }
        self._kpis: Kpis | None = None
        self.health_updating = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        # Six in a row, or 3 × 2 on a small window; equal widths that do not follow the
        # texts, so typing in the search field does not re-lay out the whole page.
        self.grid_widget = QWidget()
        self.grid = CardGrid(self.grid_widget, columns=(6, 3, 2), spacing=12)
        for card in self.cards.values():
            self.grid.addWidget(card)
        outer.addWidget(self.grid_widget)
        self.unconverted = QLabel()
        self.unconverted.setObjectName("kpiWarning")
        self.unconverted.setTextFormat(Qt.TextFormat.RichText)
        self.unconverted.setStyleSheet("color: #8a5a00;")
        self.unconverted.linkActivated.connect(lambda _link: self.ratesRequested.emit())
        self.unconverted.hide()
        outer.addWidget(self.unconverted)
        self._unconverted: tuple[tuple[str, int], ...] = ()

    def set_health_updating(self, updating: bool) -> None:
        """While scores are recomputed the health card says so instead of vouching for old ones."""
        self.health_updating = updating
        if self._kpis is not None:
            self.show_kpis(self._kpis)

    def show_kpis(self, kpis: Kpis) -> None:
        self._kpis = kpis

        def money(cents: int) -> str:
            return formatting.compact_money(cents, kpis.currency)

        def exact(cents: int) -> str:
            return formatting.money(cents, kpis.currency)

        self.cards["accounts"].set(
            formatting.number(kpis.accounts),
            plural(
                kpis.active_accounts, "{n} active", "{n} active", n=formatting.number(kpis.active_accounts)
            ),
        )
        self.cards["mrr"].set(money(kpis.mrr_cents), tr("active accounts"), exact(kpis.mrr_cents))
        self.cards["arr"].set(money(kpis.arr_cents), tr("MRR × 12"), exact(kpis.arr_cents))
        share = kpis.at_risk_mrr_cents / kpis.mrr_cents if kpis.mrr_cents else None
        self.cards["at_risk"].set(
            money(kpis.at_risk_mrr_cents),
            plural(
                kpis.at_risk_accounts,
                "{share} of MRR · {n} account",
                "{share} of MRR · {n} accounts",
                share=formatting.percent(share, 0) or "0%",
                n=formatting.number(kpis.at_risk_accounts),
            ),
            exact(kpis.at_risk_mrr_cents),
        )
        self.cards["renewals"].set(
            formatting.number(kpis.renewals),
            tr("{mrr} MRR", mrr=money(kpis.renewals_mrr_cents)),
        )
        no_data = max(0, kpis.active_accounts - kpis.scored_accounts)  # churned accounts have no score
        if kpis.average_health is None:
            self.cards["health"].set("—", tr("{n} with no data", n=formatting.number(no_data)))
        else:
            scored = kpis.scored_accounts
            note = plural(scored, "{n} scored account", "{n} scored accounts", n=formatting.number(scored))
            if no_data > 0:
                note += " · " + tr("{n} with no data", n=formatting.number(no_data))
            self.cards["health"].set(formatting.number(kpis.average_health, 0), note)
        if self.health_updating:
            self.cards["health"].note.setText(tr("Computing health scores…"))
        self._show_unconverted(kpis.unconverted)
        card = self.cards["at_risk"]
        alert = kpis.at_risk_mrr_cents > 0
        if card.property("alert") != alert:  # re-polishing restyles the card: only on a change
            card.setProperty("alert", alert)
            card.style().unpolish(card)
            card.style().polish(card)

    def _show_unconverted(self, unconverted: tuple[tuple[str, int], ...]) -> None:
        if unconverted == self._unconverted:  # typing in the search field: usually the same
            return
        self._unconverted = unconverted
        if not unconverted:
            self.unconverted.hide()
            return
        self.unconverted.setText(
            f"⚠ {currency.unconverted_text(unconverted)} · <a href='rates'>{tr('Set exchange rates…')}</a>"
        )
        self.unconverted.show()


class WelcomePage(QWidget):
    """First run: an empty book offers three ways to start."""

    importRequested = Signal()
    demoRequested = Signal()
    newAccountRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("welcome")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        title = QLabel(tr("Welcome to CSDesk"))
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        subtitle = QLabel(
            tr(
                "Your book of business is empty. Bring your accounts in from your CRM, explore with a demo book, or start by hand."
            )
        )
        subtitle.setObjectName("welcomeSubtitle")
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        subtitle.setWordWrap(True)
        outer.addWidget(title)
        outer.addWidget(subtitle)
        outer.addSpacing(28)
        row = QHBoxLayout()
        row.addStretch(1)
        self.import_button = self._action(
            "import",
            tr("Import a CRM export"),
            tr("CSV or Excel from HubSpot, Pipedrive, Salesforce or a spreadsheet"),
        )
        self.demo_button = self._action(
            "demo",
            tr("Explore with demo data"),
            tr("A realistic Brazilian book of business to try every screen"),
        )
        self.add_button = self._action("add", tr("Add an account"), tr("Type your first customer in"))
        self.import_button.clicked.connect(self.importRequested)
        self.demo_button.clicked.connect(self.demoRequested)
        self.add_button.clicked.connect(self.newAccountRequested)
        for button in (self.import_button, self.demo_button, self.add_button):
            row.addWidget(button)
        row.addStretch(1)
        row.setSpacing(18)
        outer.addLayout(row)
        outer.addStretch(3)

    def _action(self, icon_name: str, title: str, text: str) -> QPushButton:
        button = QPushButton()
        button.setObjectName("welcomeAction")
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setFixedSize(QSize(260, 170))
        layout = QVBoxLayout(button)
        layout.setContentsMargins(20, 20, 20, 18)
        picture = QLabel()
        picture.setPixmap(icon(icon_name, "#2f5bea").pixmap(36, 36))
        picture.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        heading = QLabel(title)
        heading.setObjectName("welcomeActionTitle")
        heading.setWordWrap(True)
        heading.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        body = QLabel(text)
        body.setObjectName("welcomeActionText")
        body.setWordWrap(True)
        body.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        palette = body.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#5b6474"))
        body.setPalette(palette)
        layout.addWidget(picture)
        layout.addSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
        button.setAccessibleName(title)
        return button
