"""The end of a points operation: what was done (or why not), and "終了"."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget  # noqa: TID251

from app.i18n import N_, Catalogue
from app.points.errors import MESSAGES
from app.points.flows import Finish, Mode, PointsView, Reprint, Step
from app.ui.points.texts import points_text
from app.ui.points.widgets import QrLabel
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen
from server.api.schemas import GrantStatus


class PointsDoneScreen(PointsScreen):
    """A title, the amount, a few lines; the voucher's QR code; reprint; 終了."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_done", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 32, 64, 32)
        self.title = label("", "title")
        self.amount = label("", "amount")
        self.lines = label("", "message")
        self.qr = QrLabel("voucher_qr", 260)
        self.printing = label("", "subtitle")
        layout.addWidget(self.title)
        layout.addWidget(self.amount)
        layout.addWidget(self.qr)
        layout.addWidget(self.lines)
        layout.addWidget(self.printing)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.reprint_button = button(texts.tr("points.done.reprint"), "reprint", role="secondary")
        self.finish_button = button(texts.tr("result.done"), "finish")
        self.reprint_button.clicked.connect(lambda: self.intent.emit(Reprint()))
        self.finish_button.clicked.connect(lambda: self.intent.emit(Finish()))
        row.addWidget(self.reprint_button)
        row.addWidget(self.finish_button)
        layout.addLayout(row)
        self.clear()

    def show_points(self, step: Step, view: PointsView) -> None:
        if step is Step.FAILED:
            self._failed(view)
            return
        title, amount, lines = self._summary(view.mode, view)
        self.title.setText(self.texts.tr(title))
        self.amount.setText(points_text(amount) if amount else "")
        self.lines.setText("\n".join(lines))
        self.qr.show_payload(view.voucher_qr if view.voucher is not None else None)
        if view.printed is False:
            self.printing.setText(self.texts.tr("points.print_failed", detail=view.print_error))
        elif view.printed:
            self.printing.setText(self.texts.tr("points.receipt.printed"))
        else:
            self.printing.setText("")
        self.reprint_button.setVisible(view.voucher is not None and view.printed is False)

    def _summary(self, mode: Mode, view: PointsView) -> tuple[str, int, list[str]]:
        tr = self.texts.tr
        if view.payment is not None and mode is Mode.PAY:
            key = N_("points.done.voided") if view.voided else N_("points.done.paid")
            return key, view.payment.amount, [tr("points.done.number", number=view.payment.id)]
        if view.redemption is not None:
            r = view.redemption
            return N_("points.done.redeemed"), r.amount, [tr("points.done.number", number=r.number)]
        if view.refund is not None:
            lines = [
                tr("points.done.number", number=view.refund.payment_id),
                tr("points.done.refunded_total", points=points_text(view.refund.refunded_total)),
            ]
            return N_("points.done.refunded"), view.refund.amount, lines
        if view.grant is not None:
            waiting = view.grant.status is GrantStatus.AWAITING_APPROVAL
            key = N_("points.done.awaiting_approval") if waiting else N_("points.done.granted")
            return key, view.grant.points, []
        if view.link_result is not None:
            result = view.link_result
            lines = [tr("points.link.number", number=result.service_id)]
            if result.dropped_claims:
                lines.append(tr("points.done.link_dropped", count=result.dropped_claims))
            return N_("points.done.link_confirmed"), 0, lines
        if view.voucher is not None:
            v = view.voucher
            lines = [
                tr("points.done.number", number=v.number),
                v.municipality_name,
                tr("points.done.valid_until", date=v.valid_until.date().isoformat()),
            ]
            return N_("points.done.voucher"), v.amount, lines
        return N_("points.done.done"), 0, []

    def _failed(self, view: PointsView) -> None:
        self.title.setText(self.texts.tr("points.failed.title"))
        self.amount.setText("")
        kind = view.problem
        self.lines.setText(self.texts.tr(MESSAGES[kind]) if kind is not None else "")
        self.qr.show_payload(None)
        self.printing.setText("")
        self.reprint_button.setVisible(False)

    def clear(self) -> None:
        for widget in (self.title, self.amount, self.lines, self.printing):
            widget.setText("")
        self.qr.show_payload(None)
        self.reprint_button.setVisible(False)
