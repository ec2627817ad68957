"""Administrative points: the reason, the points and the staff account; then confirm."""

from __future__ import annotations

from PySide6.QtWidgets import (  # noqa: TID251
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import Confirm, GrantEntered, PointsView, Step
from app.points.flows.grant import staff_credential
from app.ui.points.texts import GRANT_REASONS, points_text
from app.ui.points.widgets import NumberPad, code_field, login_field
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen
from server.api.schemas import GrantReason

#: reason buttons per row: three rows of them fit a 1280 × 800 kiosk beside the pad
REASON_COLUMNS = 3


class PointsGrantScreen(PointsScreen):
    """Seven reason buttons, the points pad, the staff login and code; 次へ / キャンセル."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_grant", parent)
        root = QHBoxLayout(self)
        root.setContentsMargins(32, 24, 32, 24)
        root.setSpacing(24)
        left = QVBoxLayout()
        left.addWidget(label(texts.tr("points.grant.reason"), "subtitle"))
        grid = QGridLayout()
        self.reasons = QButtonGroup(self)
        self.reason_buttons: dict[GrantReason, QPushButton] = {}
        for index, reason in enumerate(GrantReason):
            widget = button(
                texts.tr(GRANT_REASONS[reason.value]), f"reason_{reason.value}", role="secondary"
            )
            widget.setCheckable(True)
            widget.setProperty("compact", True)
            self.reasons.addButton(widget, index)
            self.reason_buttons[reason] = widget
            grid.addWidget(widget, index // REASON_COLUMNS, index % REASON_COLUMNS)
        self.reasons.buttonToggled.connect(lambda *_: self._refresh())
        left.addLayout(grid)
        staff = QGridLayout()  # login and code side by side: the form fits 1280 × 800
        staff.addWidget(label(texts.tr("points.grant.staff"), "subtitle"), 0, 0)
        self.staff = login_field("staff_login")
        self.staff.textChanged.connect(lambda _: self._refresh())
        staff.addWidget(self.staff, 1, 0)
        staff.addWidget(label(texts.tr("points.grant.staff_code"), "subtitle"), 0, 1)
        self.staff_code = code_field("staff_code")
        self.staff_code.textChanged.connect(lambda _: self._refresh())
        staff.addWidget(self.staff_code, 1, 1)
        left.addLayout(staff)
        self.approval = label("", "subtitle")
        left.addWidget(self.approval)
        left.addStretch(1)
        root.addLayout(left, 1)
        right = QVBoxLayout()
        self.pad = NumberPad(texts)
        self.pad.changed.connect(lambda _: self._refresh())
        right.addWidget(self.pad)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.next_button = button(texts.tr("points.grant.next"), "next")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.next_button.clicked.connect(self._submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.next_button)
        right.addLayout(row)
        root.addLayout(right, 0)
        self._approval_over: int | None = None
        self._refresh()

    def show_points(self, step: Step, view: PointsView) -> None:
        self._approval_over = view.approval_over
        self._refresh()

    def choose(self, reason: GrantReason) -> None:
        self.reason_buttons[reason].setChecked(True)

    def _reason(self) -> GrantReason | None:
        index = self.reasons.checkedId()
        return list(GrantReason)[index] if index >= 0 else None

    def _refresh(self) -> None:
        ready = (
            self._reason() is not None
            and self.pad.value() > 0
            and staff_credential(self.staff.text(), self.staff_code.text()) is not None
        )
        self.next_button.setEnabled(ready)
        limit = self._approval_over
        if limit is not None:
            self.approval.setText(
                self.texts.tr("points.grant.approval_over", points=points_text(limit))
            )

    def _submit(self) -> None:
        reason = self._reason()
        if reason is not None:
            code = self.staff_code.text()
            self.staff_code.clear()  # the code is held by the flow only, until sent
            self.intent.emit(GrantEntered(reason, self.pad.value(), self.staff.text(), code))

    def clear(self) -> None:
        self.reasons.setExclusive(False)
        for widget in self.reason_buttons.values():
            widget.setChecked(False)
        self.reasons.setExclusive(True)
        self.pad.clear()
        self.staff.clear()
        self.staff_code.clear()


class PointsGrantConfirmScreen(PointsScreen):
    """ "この内容で付与しますか？" with the grant; 付与する / キャンセル."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_grant_confirm", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 40, 64, 32)
        layout.addWidget(label(texts.tr("points.grant.confirm"), "title"))
        layout.addStretch(1)
        self.amount = label("", "amount")
        self.details = label("", "message")
        self.approval = label("", "subtitle")
        for widget in (self.amount, self.details, self.approval):
            layout.addWidget(widget)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.confirm_button = button(texts.tr("points.grant.do"), "confirm")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.confirm_button.clicked.connect(lambda: self.intent.emit(Confirm()))
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        layout.addLayout(row)

    def show_points(self, step: Step, view: PointsView) -> None:
        form = view.grant_form
        if form is None:
            return
        self.amount.setText(points_text(form.points))
        reason = self.texts.tr(GRANT_REASONS[form.reason.value])
        self.details.setText(
            self.texts.tr("points.grant.summary", reason=reason, staff=form.staff_login)
        )
        needs = view.needs_approval(form.points)
        self.approval.setText(self.texts.tr("points.grant.needs_approval") if needs else "")

    def clear(self) -> None:
        for widget in (self.amount, self.details, self.approval):
            widget.setText("")
