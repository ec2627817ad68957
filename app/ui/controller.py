"""The counter's controller: owns the flow, carries out its effects.

Events come in from the card monitor, the screens (intents), the card lane and the
flow's timer, all on the GUI thread; ``CounterFlow.handle`` turns each into effects:
card work goes to the card lane (:mod:`app.ui.background`), timers to one single-shot
QTimer, deliveries to the configured methods, and ClearScreen wipes every screen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app import card_work
from app.flow import (
    Authenticate,
    CardInserted,
    CardRemovedEvent,
    ClearScreen,
    CounterFlow,
    Deliver,
    Effect,
    Event,
    ProbeCard,
    StartTimer,
    State,
    TapFailed,
    TimerFired,
    View,
)
from app.ports import ErrorKind, Tapper
from app.ui.background import Background
from app.ui.delivery import Delivery, DeliveryContext, ResultDisplay, deliver_all

if TYPE_CHECKING:
    from server.api.schemas import ServiceInfo

log = logging.getLogger(__name__)

#: states in which an answer of the card lane is awaited
_WAITING = (State.CARD_PRESENT, State.QUERYING)


class Renderer(Protocol):
    """The window as the controller sees it."""

    def show_state(self, state: State, view: View) -> None: ...

    def clear_personal_data(self) -> None: ...

    @property
    def result_display(self) -> ResultDisplay: ...


class CounterController(QObject):
    """Runs one :class:`CounterFlow`; emits ``rendered(state, view)`` after each change."""

    rendered = Signal(object, object)

    def __init__(
        self,
        *,
        flow: CounterFlow,
        tapper: Tapper,
        renderer: Renderer,
        service: ServiceInfo | None,
        deliveries: Sequence[Delivery],
        background: Background,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self._tapper = tapper
        self._renderer = renderer
        self._service = service
        self._deliveries = list(deliveries)
        self._background = background
        self._card = background.card_lane.caller()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._timer_token = 0

    # life --------------------------------------------------------------------------------
    def start(self) -> None:
        self._renderer.show_state(self.flow.state, self.flow.view)
        self.rendered.emit(self.flow.state, replace(self.flow.view))

    def shutdown(self) -> None:
        """No more timers, and no answer of the card lane reaches the flow any more."""
        self._timer.stop()
        self._card.forget()

    @property
    def tapper(self) -> Tapper:
        """The card on the reader: the points modes probe it too."""
        return self._tapper

    @property
    def background(self) -> Background:
        """The kiosk's worker threads: the points modes use the same card lane."""
        return self._background

    @property
    def deliveries(self) -> list[Delivery]:
        """The configured delivery methods, in order."""
        return list(self._deliveries)

    def set_service(self, service: ServiceInfo | None) -> None:
        """The service the next deliveries use (its barcode format)."""
        self._service = service

    @property
    def service(self) -> ServiceInfo | None:
        """The service the next deliveries use; None before it is known."""
        return self._service

    def set_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """The delivery methods of the next results (the settings screen saved new ones);
        a delivery already running finishes with the old ones."""
        self._deliveries = list(deliveries)

    # events ------------------------------------------------------------------------------
    @Slot(object)
    def post(self, event: Event) -> None:
        """Feed one event to the flow (GUI thread only) and carry out its effects."""
        before = (self.flow.state, replace(self.flow.view))
        effects = self.flow.handle(event)
        state, view = self.flow.state, self.flow.view
        if state not in _WAITING:
            self._card.forget()  # a late answer of the card lane is stale now
        changed = (state, view) != before
        if changed:
            log.debug("%s -> %s", before[0], state)
            self._renderer.show_state(state, view)
        for effect in effects:
            self._execute(effect)
        if changed or effects:
            self.rendered.emit(state, replace(view))

    @Slot(str)
    def card_inserted(self, reader: str) -> None:
        self.post(CardInserted())

    @Slot(str)
    def card_removed(self, reader: str) -> None:
        self.post(CardRemovedEvent())

    def _card_failed(self, exc: BaseException) -> None:
        """The card work itself broke (card_work catches everything it expects)."""
        log.error("card work failed: %s", type(exc).__name__)
        self.post(TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__))

    def _on_timeout(self) -> None:
        self.post(TimerFired(self._timer_token))

    # effects -----------------------------------------------------------------------------
    def _execute(self, effect: Effect) -> None:
        match effect:
            case ProbeCard():
                tapper = self._tapper
                self._card.run(lambda: card_work.probe(tapper), self.post, self._card_failed)
            case Authenticate(pin=pin, allow_last_try=allow_last_try):
                tapper = self._tapper
                self._card.run(
                    lambda: card_work.authenticate(tapper, pin, allow_last_try=allow_last_try),
                    self.post, self._card_failed)
            case StartTimer(seconds=seconds, token=token):
                self._timer_token = token
                self._timer.start(max(0, round(seconds * 1000)))
            case Deliver(result=result):
                display = self._renderer.result_display
                # not enrolled (no tapper gets this far), or a tap ended before the start-up
                # work brought the validated service (only while the refresh hangs)
                if self._service is None:
                    log.error("a result without a service description; not delivered")
                    display.show_delivery_failed()
                    return
                context = DeliveryContext(self._service, display, self._background)
                deliver_all(self._deliveries, result, context)
            case ClearScreen():
                self._timer.stop()
                self._renderer.clear_personal_data()
