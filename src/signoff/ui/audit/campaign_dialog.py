"""The campaign dialog: draw a sample of recorded predictions, re-run it, read the tally.

The auditor picks a window, a scope (every model, one tier or one model), a sample size and a
seed, and starts; the campaign runs in a worker (its scoring processes in parallel, see
:func:`signoff.core.reproduction.campaign.run_campaign`) with a progress bar and a Cancel that
stops the scoring processes. The stored campaigns are listed below, and any one's report opens
with the desktop's PDF viewer.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from signoff.core.catalog.inventory import InventoryQuery, inventory
from signoff.core.common.files import PRIVATE, atomic_write
from signoff.core.db.registry import Registry
from signoff.core.db.schema import RISK_TIERS
from signoff.core.reproduction.campaign import CampaignOutcome, run_campaign
from signoff.core.reproduction.campaigns import CampaignView, get_campaign, list_campaigns
from signoff.core.reproduction.filing import private_folder
from signoff.core.reproduction.sampling import SampleCriteria
from signoff.core.runner import Limits
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle, current_task
from signoff.ui.widgets.common import format_time
from signoff.ui.widgets.table_models import Column, RecordTableModel

COLOURS = {"finished": "#1b7f3b", "cancelled": "#555555", "failed": "#b3261e"}

CAMPAIGN_COLUMNS = (
    Column("#", lambda c: str(c.id), sort_key=lambda c: c.id, align_right=True),
    Column("Started (UTC)", lambda c: format_time(c.created_at)),
    Column("By", lambda c: c.actor),
    Column("Status", lambda c: c.status),
    Column("Scope", lambda c: c.scope),
    Column(
        "Window",
        lambda c: f"{c.window_from:%Y-%m-%d} – {c.window_to - timedelta(seconds=1):%Y-%m-%d}",
    ),
    Column("Result", lambda c: c.summary(), tooltip=lambda c: f"seed {c.seed}"),
)


def _write_report(registry: Registry, campaign: CampaignView, reports_dir: str) -> str:
    # a campaign report names customers: owner-only copies in a folder only its owner opens
    folder = private_folder(reports_dir)
    path = folder / f"campaign-{campaign.id}-event-{campaign.report_event}.pdf"
    data = registry.store.read_bytes(campaign.report_pdf_sha256, f"campaign #{campaign.id}")
    atomic_write(path, data, mode=PRIVATE)
    return str(path)


def private_reports_folder() -> Path:
    """The person's own folder for campaign reports, in their cache (never a shared /tmp)."""
    cache = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(cache or Path.home() / ".cache" / "signoff") / "reports"


def campaign_task(
    registry: Registry,
    criteria: SampleCriteria,
    workers: int,
    reports_dir: str,
    limits: Limits | None = None,
) -> tuple[CampaignOutcome, str]:
    """Worker task: run the campaign, reporting progress; returns it and its report's file."""
    control = current_task()
    outcome = run_campaign(
        registry,
        criteria,
        workers=workers,
        limits=limits,
        progress=lambda done, total, message: control.progress(done / max(total, 1), message),
        cancelled=lambda: control.cancelled,
    )
    with registry.read() as session:
        campaign = get_campaign(session, outcome.campaign_id)
    return outcome, _write_report(registry, campaign, reports_dir)


def stored_report_file(registry: Registry, campaign_id: int, reports_dir: str) -> str:
    """Worker task: a stored campaign's PDF, read from the artifact store (hash checked)."""
    with registry.read() as session:
        campaign = get_campaign(session, campaign_id)
    return _write_report(registry, campaign, reports_dir)


def model_names(session: Session) -> list[str]:
    """Every model's name, for the scope list."""
    return [row.name for row in inventory(session, InventoryQuery(limit=None))]


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _day(edit: QDateEdit) -> datetime:
    d = edit.date()
    return datetime(d.year(), d.month(), d.day())


class CampaignDialog(QDialog):
    """Start a sampled campaign, follow it, cancel it, and open stored campaigns' reports."""

    campaignFinished = Signal(int)  # the campaign id
    campaignsShown = Signal(int)  # rows in the list

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        reports_dir: Path | None = None,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.limits = limits
        self.reports_dir = reports_dir or private_reports_folder()
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self.handle: TaskHandle | None = None
        self.outcome: CampaignOutcome | None = None
        self.report_path = ""
        self.setWindowTitle("Audit campaign")
        self.resize(900, 640)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<b>Re-run a random sample of recorded predictions</b> — the same seed always "
            "draws the same sample; every re-run and the report are recorded in the audit trail."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        first = date.today().replace(day=1)
        last_month_end = first - timedelta(days=1)
        self.date_from = self._date_edit(last_month_end.replace(day=1))
        self.date_to = self._date_edit(last_month_end)
        window = QHBoxLayout()
        window.addWidget(self.date_from)
        window.addWidget(QLabel("to"))
        window.addWidget(self.date_to)
        window.addStretch(1)
        form.addRow("Recorded from", window)
        self.scope = QComboBox()
        self.scope.setObjectName("campaignScope")
        self.scope.addItem("Every model", ("", ""))
        for tier in RISK_TIERS:
            self.scope.addItem(f"Every {tier}-tier model", ("", tier))
        form.addRow("Scope", self.scope)
        self.sample_size = QSpinBox()
        self.sample_size.setRange(1, 100_000)
        self.sample_size.setValue(200)
        form.addRow("Sample size", self.sample_size)
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("a new random seed (recorded with the campaign)")
        form.addRow("Seed", self.seed)
        self.workers = QSpinBox()
        self.workers.setRange(1, os.cpu_count() or 1)
        self.workers.setValue(os.cpu_count() or 1)
        form.addRow("Scoring processes at once", self.workers)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start campaign")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel campaign")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Open report")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.open_report)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.report_button)
        layout.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setObjectName("campaignStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.summary = QTextBrowser()
        self.summary.setOpenLinks(False)
        layout.addWidget(self.summary, 1)
        layout.addWidget(QLabel("<b>Stored campaigns</b>"))
        self.model = RecordTableModel(CAMPAIGN_COLUMNS, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda index: self.open_stored(index.row()))
        layout.addWidget(self.table, 1)
        ctx.read(model_names, key="campaign-models", on_result=self._add_models)
        self.reload()

    def _date_edit(self, value: date) -> QDateEdit:
        edit = QDateEdit(_qdate(value))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _add_models(self, names: list[str]) -> None:
        for name in names:
            self.scope.addItem(f"Model {name}", (name, ""))

    def reload(self) -> None:
        """List the stored campaigns again, in a worker."""
        self.ctx.read(list_campaigns, key="campaign-list", on_result=self._show_campaigns)

    def _show_campaigns(self, campaigns: list[CampaignView]) -> None:
        self.model.set_records(campaigns)
        self.campaignsShown.emit(len(campaigns))

    # -- running --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    def criteria(self) -> SampleCriteria:
        """What the form asks for (the "to" day is inclusive)."""
        model, tier = self.scope.currentData() or ("", "")
        return SampleCriteria(
            _day(self.date_from),
            _day(self.date_to) + timedelta(days=1),
            self.sample_size.value(),
            self.seed.text().strip(),
            model,
            tier,
        )

    def start(self) -> None:
        """Start the campaign in a worker; returns at once."""
        if self.running:
            return
        self.outcome, self.report_path = None, ""
        self.summary.clear()
        self.progress.setValue(0)
        self.status.setText("Drawing the sample…")
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.report_button.setEnabled(False)
        self.handle = self.ctx.run(
            campaign_task,
            self.criteria(),
            self.workers.value(),
            str(self.reports_dir),
            self.limits,
            key="campaign",
            on_result=self._finished,
            on_error=self._failed,
        )
        self.handle.progressed.connect(self._progressed)
        self.handle.cancelled.connect(self._cancelled)

    def cancel(self) -> None:
        """Stop the campaign: its scoring processes are killed, what was done stays recorded."""
        if self.running and self.handle is not None:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling… (the re-runs done so far stay recorded)")

    def _progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.status.setText(message)

    def _idle(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _finished(self, value: tuple[CampaignOutcome, str]) -> None:
        self.outcome, self.report_path = value
        self._idle()
        self.progress.setValue(1000)
        self.ctx.read(
            get_campaign, self.outcome.campaign_id, key="campaign-shown", on_result=self._summary
        )
        self.report_button.setEnabled(True)
        self.reload()
        self.campaignFinished.emit(self.outcome.campaign_id)

    def _summary(self, campaign: CampaignView) -> None:
        colour = COLOURS.get(campaign.status, "#555")
        if campaign.status == "finished" and campaign.exceptions:
            colour = "#b35c00"
        self.status.setText(
            f"<span style='font-size:13pt;color:{colour}'><b>Campaign #{campaign.id} "
            f"{html.escape(campaign.status)}</b></span> — {html.escape(campaign.summary())}"
        )
        self.summary.setHtml(self.outcome.html if self.outcome else "")

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        self.status.setText(
            f"<span style='color:#b3261e'><b>The campaign did not start</b></span> — "
            f"{html.escape(str(exc))}"
        )

    def _cancelled(self) -> None:
        self._idle()
        self.status.setText(
            "<b>Cancelled</b> — the scoring processes were stopped; the re-runs done so far "
            "are recorded in the campaign listed below."
        )
        self.reload()

    # -- reports --------------------------------------------------------------------------
    def open_report(self) -> None:
        """Open the finished campaign's PDF report."""
        if self.report_path:
            self.open_url(QUrl.fromLocalFile(self.report_path))

    def open_stored(self, row: int) -> None:
        """Open the stored report of the campaign in list row *row* (read in a worker)."""
        campaign: CampaignView = self.model.record(row)
        if not campaign.report_pdf_sha256:
            self.status.setText(f"Campaign #{campaign.id} has no stored report.")
            return
        self.ctx.run(
            stored_report_file,
            campaign.id,
            str(self.reports_dir),
            key="campaign-report",
            on_result=lambda path: self.open_url(QUrl.fromLocalFile(path)),
            on_error=lambda exc: self.status.setText(f"The report cannot be opened: {exc}"),
        )

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.cancel()
        super().closeEvent(event)
