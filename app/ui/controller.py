"""The counter's controller: owns the flow, carries out its effects.

Events come in from the card monitor, the screens (intents), the card thread and the
flow's timer, all on the GUI thread; ``CounterFlow.handle`` turns each into effects:
card work goes to the card thread, timers to one single-shot QTimer, deliveries to the
configured methods, and ClearScreen wipes every screen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

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
    TimerFired,
    View,
)
from app.ports import Tapper
from app.ui.card_worker import CardThread
from app.ui.delivery import Delivery, DeliveryContext, ResultDisplay, deliver_all

if TYPE_CHECKING:
    from server.api.schemas import ServiceInfo

log = logging.getLogger(__name__)

#: states in which an answer of the card thread is awaited
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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self._renderer = renderer
        self._service = service
        self._deliveries = list(deliveries)
        self._card = CardThread(tapper, self)
        self._card.worker.finished.connect(self._on_card_finished)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._timer_token = 0
        self._last_job = 0
        self._awaited_job: int | None = None

    # life --------------------------------------------------------------------------------
    def start(self) -> None:
        self._card.start()
        self._renderer.show_state(self.flow.state, self.flow.view)
        self.rendered.emit(self.flow.state, replace(self.flow.view))

    def shutdown(self) -> None:
        self._timer.stop()
        self._card.stop()

    @property
    def card_thread(self) -> CardThread:
        """The one card thread: the points modes run their card work on it too."""
        return self._card

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
            self._awaited_job = None  # a late answer of the card thread is stale now
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

    @Slot(int, object)
    def _on_card_finished(self, job: int, event: Event) -> None:
        if job != self._awaited_job:
            log.debug("dropping the stale answer of card job %d", job)
            return
        self._awaited_job = None
        self.post(event)

    def _on_timeout(self) -> None:
        self.post(TimerFired(self._timer_token))

    # effects -----------------------------------------------------------------------------
    def _execute(self, effect: Effect) -> None:
        match effect:
            case ProbeCard():
                self._card.probe_requested.emit(self._next_job())
            case Authenticate():
                self._card.authenticate_requested.emit(self._next_job(), effect)
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
                deliver_all(self._deliveries, result, DeliveryContext(self._service, display))
            case ClearScreen():
                self._timer.stop()
                self._renderer.clear_personal_data()

    def _next_job(self) -> int:
        self._last_job += 1
        self._awaited_job = self._last_job
        return self._last_job
