"""The points screens in the kiosk window: each step on its screen.

The card step (reading, the last-try question, the PIN), errors and a locked card are
shown on the lookup's own screens through :meth:`MainWindow.show_state`, with a lookup
:class:`app.flow.View` made from the points view; the rest on the ``points_*`` screens,
added to the window's stack on first use. Every screen renders from the step and the view
only.
"""

from __future__ import annotations

from collections.abc import Callable

from app.flow import State, View
from app.i18n import Catalogue
from app.points.flows import PointsView, Step
from app.ui.main_window import MainWindow
from app.ui.screens.points_amount import PointsAmountScreen
from app.ui.screens.points_approvals import PointsApprovalsScreen
from app.ui.screens.points_base import PointsScreen
from app.ui.screens.points_card import PointsCardScreen
from app.ui.screens.points_done import PointsDoneScreen
from app.ui.screens.points_grant import PointsGrantConfirmScreen, PointsGrantScreen
from app.ui.screens.points_link import PointsLinkScreen
from app.ui.screens.points_progress import PointsProgressScreen
from app.ui.screens.points_receipt import PointsReceiptScreen
from app.ui.screens.points_redeem import PointsRedeemScreen
from app.ui.screens.points_refund import PointsRefundScreen
from app.ui.screens.register import RegisterScreen

#: the lookup screens the card part of a points operation uses
CARD_STATES: dict[Step, State] = {
    Step.CARD_PRESENT: State.CARD_PRESENT,
    Step.CONFIRM_LAST_TRY: State.CONFIRM_LAST_TRY,
    Step.PIN_ENTRY: State.PIN_ENTRY,
    Step.AUTHENTICATING: State.QUERYING,
    Step.ERROR: State.ERROR,
    Step.LOCKED_PIN: State.LOCKED_PIN,
}


def card_view(view: PointsView) -> View:
    """The lookup screens' view of the card part."""
    return View(card=view.card, error=view.error, error_detail=view.error_detail)


class PointsScreens:
    """Implements ``app.ui.points.controller.PointsRenderer`` on the kiosk window."""

    def __init__(
        self, window: MainWindow, texts: Catalogue, intent: Callable[[object], None]
    ) -> None:
        self.window = window
        self.card = PointsCardScreen(texts)
        self.amount = PointsAmountScreen(texts)
        self.progress = PointsProgressScreen(texts)
        self.receipt = PointsReceiptScreen(texts)
        self.done = PointsDoneScreen(texts)
        self.grant = PointsGrantScreen(texts)
        self.grant_confirm = PointsGrantConfirmScreen(texts)
        self.redeem = PointsRedeemScreen(texts)
        self.refund = PointsRefundScreen(texts)
        self.approvals = PointsApprovalsScreen(texts)
        self.register = RegisterScreen(texts)
        self.link = PointsLinkScreen(texts)
        self.screens: dict[Step, PointsScreen] = {
            Step.WAIT_CARD: self.card,
            Step.AMOUNT: self.amount,
            Step.GRANT_FORM: self.grant,
            Step.GRANT_CONFIRM: self.grant_confirm,
            Step.CODE_ENTRY: self.redeem,
            Step.REFUND_FORM: self.refund,
            Step.APPROVALS: self.approvals,
            Step.LOADING: self.progress,
            Step.SENDING: self.progress,
            Step.RETRYING: self.progress,
            Step.PRINTING: self.progress,
            Step.RECEIPT: self.receipt,
            Step.DONE: self.done,
            Step.FAILED: self.done,
            Step.TICKET: self.register,
            Step.LINK_ENTRY: self.link,
        }
        for screen in dict.fromkeys(self.screens.values()):
            screen.intent.connect(intent)

    def current(self) -> PointsScreen | None:
        widget = self.window.stack.currentWidget()
        return widget if isinstance(widget, PointsScreen) else None

    # PointsRenderer ----------------------------------------------------------------------
    def show_points(self, step: Step, view: PointsView) -> None:
        state = CARD_STATES.get(step)
        if state is not None:
            self.window.show_state(state, card_view(view))
            return
        screen = self.screens[step]
        screen.show_points(step, view)
        self.window.show_staff_screen(screen)

    def clear_points(self) -> None:
        for screen in dict.fromkeys(self.screens.values()):
            screen.clear()
        self.window.clear_personal_data()

    def close_points(self) -> None:
        self.window.show_state(State.IDLE, View())
