"""The settings screen's dead-letter list: outbox entries whose tries ran out.

Each row says when the request was written, what it is (operation, amount), how many
tries it had and the last error; "再送する" makes the chosen entry pending again (the
kiosk's retry timer sends it, same id: never a second transfer). The list is read and
changed off the GUI thread (the outbox is a file); only plain data comes back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import (  # noqa: TID251
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, Catalogue
from app.ui.background import Tally
from app.ui.screens.base import button, label

if TYPE_CHECKING:
    from app.points.outbox import OutboxRecord
    from app.ui.printing import BackgroundRunner

log = logging.getLogger(__name__)

OPERATION_TEXTS = {
    "payment": N_("settings.outbox.op.payment"),
    "payment_post": N_("settings.outbox.op.payment_post"),
    "payment_void": N_("settings.outbox.op.payment_void"),
    "refund": N_("settings.outbox.op.refund"),
    "grant": N_("settings.outbox.op.grant"),
    "grant_decision": N_("settings.outbox.op.grant_decision"),
    "voucher": N_("settings.outbox.op.voucher"),
    "redeem": N_("settings.outbox.op.redeem"),
}


class DeadLetters(Protocol):
    """Where the list comes from (:class:`app.points.services.PointsServices`)."""

    def dead_letters(self) -> list[OutboxRecord]: ...

    def revive(self, entry_id: str) -> bool: ...


@dataclass(frozen=True)
class DeadRow:
    """One dead entry as plain data (made off the GUI thread)."""

    entry_id: str
    created_at: str
    operation: str
    amount: int | None
    attempts: int
    last_error: str


def rows_of(records: list[OutboxRecord]) -> list[DeadRow]:
    rows = []
    for record in records:
        entry = record.entry
        try:
            amount = json.loads(entry.request).get("amount")
        except (ValueError, AttributeError):
            amount = None
        local = entry.created_at.astimezone()
        rows.append(DeadRow(entry.id, local.strftime("%Y-%m-%d %H:%M"), entry.operation.value,
                            amount if isinstance(amount, int) else None, record.attempts,
                            record.last_error or ""))
    return rows


class DeadLetterBox(QGroupBox):
    """The count, the entries, and a button to send the chosen one again."""

    def __init__(
        self,
        texts: Catalogue,
        source: DeadLetters | None,
        background: BackgroundRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(texts.tr("settings.outbox"), parent)
        self.setObjectName("outbox_dead")
        self.texts = texts
        self._source = source
        self._background = background
        self._jobs = Tally()
        self.rows: list[DeadRow] = []
        column = QVBoxLayout(self)
        self.count = label("", "outbox_dead_count")
        self.list = QListWidget()
        self.list.setObjectName("outbox_dead_list")
        self.list.setMinimumHeight(120)
        self.message = label("", "outbox_dead_message")
        actions = QHBoxLayout()
        self.retry_button = button(texts.tr("settings.outbox.retry"), "outbox_retry",
                                   role="secondary")
        self.retry_button.clicked.connect(self.retry_chosen)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        for widget in (self.count, self.list, self.message):
            column.addWidget(widget)
        column.addLayout(actions)
        self.setVisible(source is not None)
        self._show([])

    @property
    def pending(self) -> int:
        """Reads and re-sends not answered yet."""
        return self._jobs.count

    def refresh(self) -> None:
        """Read the dead-letter list (off the GUI thread) and show it."""
        source = self._source
        if source is None:
            return

        def work() -> list[DeadRow]:
            return rows_of(source.dead_letters())

        def failed(exc: BaseException) -> None:
            log.warning("cannot read the outbox's dead letters: %s", exc)
            self.message.setText(self.texts.tr("settings.outbox.unreadable",
                                               detail=str(exc) or type(exc).__name__))

        done, broke = self._jobs.wrap(self._show, failed)
        self._background.run_in_background(work, done, broke,  # type: ignore[arg-type]
                                           name="settings-outbox")

    def _show(self, rows: list[DeadRow]) -> None:
        self.rows = rows
        self.count.setText(self.texts.tr("settings.outbox.count", count=len(rows)))
        self.list.clear()
        for row in rows:
            what = self.texts.tr(OPERATION_TEXTS.get(row.operation, row.operation))
            if row.amount is not None:
                what = f"{what} {row.amount:,} pt"
            text = self.texts.tr("settings.outbox.row", when=row.created_at, what=what,
                                 tries=row.attempts, error=row.last_error or "-")
            item = QListWidgetItem(text)
            item.setData(256, row.entry_id)  # Qt.ItemDataRole.UserRole
            self.list.addItem(item)
        if rows:
            self.list.setCurrentRow(0)
        self.retry_button.setEnabled(bool(rows))

    def retry_chosen(self) -> None:
        """The chosen entry is pending again; the retry timer sends it."""
        source, item = self._source, self.list.currentItem()
        if source is None or item is None:
            return
        entry_id = str(item.data(256))
        self.retry_button.setEnabled(False)

        def work() -> bool:
            return source.revive(entry_id)

        def done(revived: bool) -> None:
            self.message.setText(self.texts.tr("settings.outbox.revived") if revived
                                 else self.texts.tr("settings.outbox.not_revived"))
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.retry_button.setEnabled(True)
            self.message.setText(self.texts.tr("settings.outbox.unreadable",
                                               detail=str(exc) or type(exc).__name__))

        finished, broke = self._jobs.wrap(done, failed)
        self._background.run_in_background(work, finished, broke,  # type: ignore[arg-type]
                                           name="settings-outbox")
