"""The points controller: owns one points flow (:mod:`app.points.flows`), carries out its
effects, as :class:`app.ui.controller.CounterController` does for the lookup flow.

Card probes, card proofs, outbox sends and the approvals list (:mod:`app.card_work`) run
on the kiosk's one card lane (:mod:`app.ui.background`), after the lookups' card work;
receipts are rendered and printed on the "receipt" lane (:mod:`app.ui.printing`); timers
are one single-shot QTimer. Every answer comes back to the GUI thread and into the flow as
an event. The work sent to a lane is a closure over plain data (services, requests),
never this QObject.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app import card_work
from app.card_step import CardInserted, CardRemovedEvent, ProbeCard, TapFailed
from app.flow_common import ClearScreen, StartTimer, TimerFired
from app.points.flows import (
    CloseMode,
    ForgetSecret,
    LoadApprovals,
    Mode,
    OpenSession,
    PointsEffect,
    PointsEvent,
    PointsFlow,
    PointsView,
    Printed,
    PrintFailed,
    PrintReceipt,
    Receipt,
    Send,
    Step,
    flow_for,
)
from app.ports import ErrorKind
from app.ui.background import Background, Tally

if TYPE_CHECKING:
    from PIL import Image

    from app.points.services import PointsServices
    from server.api.schemas import PointsScope

log = logging.getLogger(__name__)

#: blocking work for the card lane: returns the flow's next event
Work = Callable[[], object]
#: the voucher secret: 24 random bytes, URL-safe base64 (32 characters)
VOUCHER_CODE_BYTES = 24


class PointsRenderer(Protocol):
    """The screens as the points controller sees them."""

    def show_points(self, step: Step, view: PointsView) -> None: ...

    def clear_points(self) -> None: ...

    def close_points(self) -> None: ...


def new_transfer_id() -> str:
    return str(uuid.uuid4())


def new_voucher_code() -> str:
    return secrets.token_urlsafe(VOUCHER_CODE_BYTES)


class PointsController(QObject):
    """Runs one points operation at a time; ``closed`` when it ends."""

    rendered = Signal(object, object)
    closed = Signal()

    def __init__(
        self,
        *,
        services: PointsServices,
        background: Background,
        renderer: PointsRenderer,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.flow: PointsFlow | None = None
        self._renderer = renderer
        self._background = background
        self._card = background.card_lane.caller()
        self._prints = Tally()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._timer_token = 0

    @property
    def active(self) -> bool:
        """Whether an operation is under way (the points flow gets the events)."""
        return self.flow is not None and self.flow.step is not Step.CLOSED

    @property
    def printing(self) -> int:
        """Receipts not printed yet."""
        return self._prints.count

    def open(self, mode: Mode, scope: PointsScope | None) -> None:
        """Start ``mode``'s operation on its first screen."""
        if self.active:
            return
        self.flow = flow_for(
            mode,
            scope,
            new_id=new_transfer_id,
            new_code=new_voucher_code,
            timeouts=self.services.timeouts,
        )
        self._apply(self.flow.start())

    def shutdown(self) -> None:
        self._timer.stop()
        self._card.forget()
        self.flow = None

    # events ------------------------------------------------------------------------------
    @Slot(object)
    def post(self, event: PointsEvent) -> None:
        """Feed one event to the flow (GUI thread only) and carry out its effects."""
        if self.flow is None:
            return
        self._apply(self.flow.handle(event))

    def _apply(self, effects: list[PointsEffect]) -> None:
        flow = self.flow
        if flow is None:
            return
        if flow.step not in (Step.CARD_PRESENT, Step.AUTHENTICATING, Step.SENDING, Step.LOADING):
            self._card.forget()  # a late answer is stale now
        if flow.step is not Step.CLOSED:
            self._renderer.show_points(flow.step, flow.view)
        for effect in effects:
            self._execute(effect)
        if self.flow is not None:
            self.rendered.emit(self.flow.step, replace(self.flow.view))

    def card_inserted(self) -> None:
        self.post(CardInserted())

    def card_removed(self) -> None:
        self.post(CardRemovedEvent())

    def _on_answer(self, event: object) -> None:
        self.post(event)  # type: ignore[arg-type]

    def _on_broken(self, exc: BaseException) -> None:
        """A bug in the lane's work (it catches what it expects): the flow still hears."""
        log.error("points work failed: %s", type(exc).__name__)
        self.post(TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__))

    def _run_on_card(self, work: Work) -> None:
        self._card.run(work, self._on_answer, self._on_broken)

    def _on_timeout(self) -> None:
        self.post(TimerFired(self._timer_token))

    # effects -----------------------------------------------------------------------------
    def _execute(self, effect: PointsEffect) -> None:
        services = self.services
        match effect:
            case ProbeCard():
                card = services.card
                self._run_on_card(lambda: card_work.probe_card(card))
            case OpenSession(pin=pin, allow_last_try=allow_last_try, link_service_id=str(number)):
                self._run_on_card(
                    lambda: card_work.confirm_link(
                        services, pin, number, allow_last_try=allow_last_try
                    )
                )
            case OpenSession(pin=pin, allow_last_try=allow_last_try, ticket=True):
                self._run_on_card(
                    lambda: card_work.issue_ticket(services, pin, allow_last_try=allow_last_try)
                )
            case OpenSession(pin=pin, allow_last_try=allow_last_try, operation=operation):
                self._run_on_card(
                    lambda: card_work.open_session(
                        services, pin, operation, allow_last_try=allow_last_try
                    )
                )
            case Send(entry=entry):
                self._run_on_card(lambda: card_work.send_entry(services, entry))
            case LoadApprovals():
                self._run_on_card(lambda: card_work.load_approvals(services))
            case ForgetSecret(entry_id=entry_id):
                # not through this controller's caller: the answer it awaits stays current
                self._background.card_lane.run(
                    lambda: card_work.forget_secret(services, entry_id), _ignore, _ignore)
            case PrintReceipt(receipt=receipt):
                self._print(receipt)
            case StartTimer(seconds=seconds, token=token):
                self._timer_token = token
                self._timer.start(max(0, round(seconds * 1000)))
            case ClearScreen():
                self._timer.stop()
                self._renderer.clear_points()
            case CloseMode():
                self._timer.stop()
                self._card.forget()
                self.flow = None
                self._renderer.close_points()
                self.closed.emit()

    def _print(self, receipt: Receipt) -> None:
        from app.ui.printing import print_rendered

        flow = self.flow
        services = self.services

        def render() -> Image.Image:
            from app.outputs import label_size
            from app.points.receipts import render_receipt

            return render_receipt(receipt, label_size(services.label))

        def done(value: object) -> None:
            if self.flow is flow:
                self.post(Printed())

        def failed(exc: BaseException) -> None:
            from app.ui.delivery import failure_detail

            log.error("receipt printing failed: %s", type(exc).__name__)
            if self.flow is flow:
                self.post(PrintFailed(failure_detail(exc)))

        printed, broke = self._prints.wrap(done, failed)
        print_rendered(self._background, printer=services.printer, render=render,
                       job_name=f"MyKey {receipt.kind}", on_done=lambda: printed(None),
                       on_failed=broke, lane="receipt")


def _ignore(value: object) -> None:
    pass


def view_of(flow: PointsFlow) -> PointsView:
    """A copy of the flow's view (for tests and the rendered signal)."""
    return replace(flow.view)
