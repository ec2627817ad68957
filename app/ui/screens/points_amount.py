"""Shop payment and voucher issue: the amount before the card; after it, for a payment that
more than one account could make, the account."""

from __future__ import annotations

from PySide6.QtWidgets import (  # noqa: TID251
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.flow_common import Cancel
from app.i18n import Catalogue
from app.points.flows import AmountEntered, Mode, PointsView, Step
from app.ui.points.texts import MODE_BUTTONS, points_text
from app.ui.points.widgets import NumberPad
from app.ui.screens.base import button, label
from app.ui.screens.points_base import PointsScreen, problem_label, show_problem
from server.api.schemas import PointBalance


class PointsAmountScreen(PointsScreen):
    """The amount pad, OK / Cancel; after the tap, one button per usable balance (pick the
    account) beside the amount the card signed for, which can no longer change."""

    def __init__(self, texts: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(texts, "points_amount", parent)
        root = QHBoxLayout(self)
        root.setContentsMargins(40, 32, 40, 32)
        root.setSpacing(40)
        left = QVBoxLayout()
        self.title = label("", "caption")
        left.addWidget(self.title)
        self.hint = label(texts.tr("points.amount.before_card"), "message")
        left.addWidget(self.hint)
        self.balances_title = label(texts.tr("points.amount.balances"), "subtitle")
        left.addWidget(self.balances_title)
        self.balance_box = QVBoxLayout()
        left.addLayout(self.balance_box)
        self.empty = label(texts.tr("points.amount.no_balance"), "message")
        left.addWidget(self.empty)
        left.addStretch(1)
        self.problem = problem_label()
        left.addWidget(self.problem)
        root.addLayout(left, 1)
        right = QVBoxLayout()
        self.pad = NumberPad(texts)
        self.pad.changed.connect(lambda value: self._refresh())
        right.addWidget(self.pad)
        row = QHBoxLayout()
        self.cancel_button = button(texts.tr("pin.cancel"), "cancel", role="secondary")
        self.ok_button = button(texts.tr("pin.ok"), "ok")
        self.cancel_button.clicked.connect(lambda: self.intent.emit(Cancel()))
        self.ok_button.clicked.connect(self._submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        right.addLayout(row)
        root.addLayout(right, 0)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.balance_buttons: list[QPushButton] = []
        self._mode = Mode.PAY
        #: after the tap: the amount the card signed for (the pad shows it, locked)
        self._signed = 0

    def show_points(self, step: Step, view: PointsView) -> None:
        self._mode = view.mode
        self.title.setText(self.texts.tr(MODE_BUTTONS[view.mode]))
        choosing = view.choose_account
        self._signed = view.amount if choosing else 0
        if [b.property("balance_key") for b in self.balance_buttons] != [
            _key(b) for b in view.balances
        ]:
            self._set_balances(view.balances)
        if choosing and self.pad.value() != view.amount:
            self.pad.clear()
            self.pad.type_amount(view.amount)
        self.pad.lock(choosing)
        self.hint.setVisible(not choosing)
        self.balances_title.setVisible(choosing)
        self.empty.setVisible(choosing and not view.balances)
        if self.balance_buttons and view.selected < len(self.balance_buttons):
            self.balance_buttons[view.selected].setChecked(True)
        show_problem(self.problem, self.texts, view)
        self._refresh()

    def _set_balances(self, balances: list[PointBalance]) -> None:
        for widget in self.balance_buttons:
            self.group.removeButton(widget)
            widget.deleteLater()
        self.balance_buttons = []
        for index, balance in enumerate(balances):
            name = balance.event_name or balance.municipality_name
            text = f"{name}  {points_text(balance.available)}"
            if balance.next_expiry is not None and balance.expiring_points:
                text += "\n" + self.texts.tr(
                    "points.amount.expiry",
                    date=balance.next_expiry.isoformat(),
                    points=points_text(balance.expiring_points),
                )
            widget = button(text, f"balance_{index}", role="secondary")
            widget.setCheckable(True)
            widget.setProperty("balance_key", _key(balance))
            self.group.addButton(widget, index)
            self.balance_box.addWidget(widget)
            self.balance_buttons.append(widget)
        if self.balance_buttons:
            self.balance_buttons[0].setChecked(True)

    def _refresh(self) -> None:
        has_account = bool(self.balance_buttons) or not self._signed
        self.ok_button.setEnabled(has_account and self.pad.value() > 0)

    def _submit(self) -> None:
        index = max(0, self.group.checkedId())
        if self.pad.value() > 0:
            self.intent.emit(AmountEntered(index, self.pad.value()))

    def clear(self) -> None:
        self._set_balances([])
        self._signed = 0
        self.pad.lock(False)
        self.pad.clear()
        self.problem.setText("")


def _key(balance: PointBalance) -> str:
    return f"{balance.municipality_code}/{balance.event_code}/{balance.available}"
