"""The kiosk process of the kiosk soak: ``mykey-counter`` with a pair of hands.

``python -m benchmarks.kiosk_driver [--pin PIN] [--key-interval-ms MS] -- COUNTER-ARGS`` is
the real counter command (``app.cli``'s group with :func:`app.__main__.real_backends`: the
settings, the PC/SC card monitor, the card tapper, the signed platform client, the points
services, faulthandler on). The one difference from ``mykey-counter`` is the kiosk's
runner: it builds the same kiosk (:func:`app.ui.kiosk.build_kiosk`) and attaches a
:class:`Driver` on the GUI thread that clicks the screens' buttons as a clerk would.

The soak (:mod:`benchmarks.kiosk_soak`) commands the driver over stdin, one line each, read
on the GUI thread by a ``QSocketNotifier`` (no thread of ours):

- ``open pay N`` / ``open voucher N`` — the idle screen's mode button; the amount is typed
  on the amount pad when that screen shows;
- ``done`` (a lookup's result screen), ``finish`` (a points operation's done screen);
- ``reset`` — Cancel into whichever flow runs; ``stats`` — the process's object counts;
  ``quit``. End of stdin quits too.

Whenever a PIN pad shows (lookup or points), the PIN is typed on it; a receipt is
confirmed. The driver reports on stdout, one line each, ``SOAK {"ev": …}``: ``ready``
(the points modes are on the idle screen), ``wait_card``, ``result`` (with the number on
screen), ``done`` (a points operation's title and amount), ``idle``, ``problem`` (a state
the soak did not ask for), ``stats``.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from app.flow import Cancel, State, View
from app.points.flows import Step
from app.points.mode import Mode

if TYPE_CHECKING:
    from app.cli.backends import KioskFlags
    from app.points.flows import PointsView
    from app.settings import Settings
    from app.ui.kiosk import Kiosk
    from app.ui.kiosk_config import KioskConfig

PREFIX = "SOAK "
READY_POLL_MS = 100
#: the modes the soak needs on the idle screen before it starts
NEEDED_MODES = {Mode.PAY, Mode.VOUCHER}


def emit(ev: str, **fields: object) -> None:
    print(PREFIX + json.dumps({"ev": ev, **fields}, ensure_ascii=False, default=str), flush=True)


class Driver(QObject):
    """The clerk's and the patron's hands on the kiosk's screens (GUI thread only)."""

    def __init__(self, kiosk: Kiosk, *, pin: str, key_interval_ms: int) -> None:
        super().__init__(kiosk.window)
        self.kiosk = kiosk
        self.pin = pin
        self.key_interval_ms = key_interval_ms
        self._amount = 0
        self._typed_pin = False
        self._last_step: Step | None = None
        self._points_wired = False
        self._buffer = b""
        kiosk.controller.rendered.connect(self._on_lookup)
        self._stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, self)
        self._stdin.activated.connect(self._on_stdin)
        self._ready = QTimer(self)
        self._ready.setInterval(READY_POLL_MS)
        self._ready.timeout.connect(self._check_ready)
        self._ready.start()

    # start-up ----------------------------------------------------------------------------
    def _check_ready(self) -> None:
        modes = self.kiosk.points
        if modes is None or not self.kiosk.startup.continued:
            return
        visible = modes.bar.visible_modes()
        if NEEDED_MODES <= visible:
            self._ready.stop()
            emit("ready", modes=sorted(m.value for m in visible), pid=os.getpid())

    # commands ----------------------------------------------------------------------------
    def _on_stdin(self) -> None:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:  # the soak has gone: so do we
            self._stdin.setEnabled(False)
            self.kiosk.app.exit(0)
            return
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._command(line.decode().split())

    def _command(self, words: list[str]) -> None:
        match words:
            case ["open", mode, amount]:
                self._open(Mode(mode), int(amount))
            case ["done"]:
                self._click(self.kiosk.window.result.done_button, "result screen")
            case ["finish"]:
                screens = self.kiosk.points.screens if self.kiosk.points else None
                if screens is not None:
                    self._click(screens.done.finish_button, "done screen")
            case ["reset"]:
                self._reset()
            case ["stats"]:
                self._stats()
            case ["quit"]:
                self.kiosk.app.exit(0)
            case _:
                emit("problem", what=f"unknown command {words!r}")

    def _open(self, mode: Mode, amount: int) -> None:
        modes = self.kiosk.points
        assert modes is not None
        self._amount, self._typed_pin, self._last_step = amount, False, None
        modes.bar.buttons[mode].click()  # the idle screen's button
        if not modes.active:
            emit("problem", what=f"{mode.value} did not open",
                 state=self.kiosk.controller.flow.state.value)
            return
        if not self._points_wired:  # the points controller is built on first use
            assert modes.controller is not None
            modes.controller.rendered.connect(self._on_points)
            modes.controller.closed.connect(lambda: emit("idle"))
            self._points_wired = True
        flow = modes.controller.flow if modes.controller else None
        if flow is not None:
            self._on_points(flow.step, replace(flow.view))

    def _reset(self) -> None:
        modes = self.kiosk.points
        if modes is not None and modes.active and modes.controller is not None:
            modes.controller.post(Cancel())
        elif self.kiosk.controller.flow.state is not State.IDLE:
            self.kiosk.controller.post(Cancel())
        else:
            emit("idle")

    def _stats(self) -> None:
        window = self.kiosk.window
        emit("stats", python_objects=len(gc.get_objects()), threads=threading.active_count(),
             qobjects=len(window.findChildren(QObject)), gc_counts=list(gc.get_count()))

    # the flows ---------------------------------------------------------------------------
    def _on_lookup(self, state: State, view: View) -> None:
        if self.kiosk.points is not None and self.kiosk.points.active:
            return  # the points flow shows the lookup's screens through its own renderer
        match state:
            case State.CARD_PRESENT:
                self._typed_pin = False
            case State.PIN_ENTRY if not view.card.wrong_pin and (view.card.tries_left or 0) >= 2:
                self._type_pin()
            case State.RESULT:
                emit("result", number=self.kiosk.window.result.number.text())
            case State.IDLE:
                emit("idle")
            case State.QUERYING:
                pass
            case _:
                emit("problem", what="lookup", state=state.value, error=view.error,
                     wrong_pin=view.card.wrong_pin, tries_left=view.card.tries_left)

    def _on_points(self, step: object, view: object) -> None:
        assert isinstance(step, Step)
        if step is self._last_step:
            return  # the same screen again (e.g. its receipt printed)
        self._last_step = step
        pview: PointsView = view  # type: ignore[assignment]
        screens = self.kiosk.points.screens if self.kiosk.points else None
        match step:
            case Step.WAIT_CARD:
                emit("wait_card")
            case Step.PIN_ENTRY if not pview.card.wrong_pin and (pview.card.tries_left or 0) >= 2:
                self._type_pin()
            case Step.AMOUNT if screens is not None:
                pad = screens.amount.pad
                self._press([pad.keys["C"], *(pad.keys[d] for d in str(self._amount)),
                             screens.amount.ok_button], lambda: screens.amount.isVisible())
            case Step.RECEIPT if screens is not None:
                self._press([screens.receipt.confirm_button],
                            lambda: screens.receipt.isVisible())
            case Step.DONE if screens is not None:
                emit("done", title=screens.done.title.text(), amount=screens.done.amount.text())
            case (Step.CARD_PRESENT | Step.AUTHENTICATING | Step.SENDING | Step.PRINTING
                  | Step.CLOSED):
                pass
            case _:
                emit("problem", what="points", step=step.value, error=pview.error,
                     problem=pview.problem, wrong_pin=pview.wrong_pin)

    # hands -------------------------------------------------------------------------------
    def _type_pin(self) -> None:
        if self._typed_pin:
            return
        self._typed_pin = True
        pad = self.kiosk.window.pin
        self._press([*(pad.digit_button(d) for d in self.pin), pad.ok_button],
                    lambda: self.kiosk.window.current_screen() is pad)

    def _press(self, buttons: Sequence[Any], still: Callable[[], bool]) -> None:
        """Click the buttons one after the other, while ``still()`` holds."""
        for i, widget in enumerate(buttons, start=1):
            QTimer.singleShot(i * self.key_interval_ms, widget,
                              lambda w=widget: self._press_one(w, still))

    def _press_one(self, widget: Any, still: Callable[[], bool]) -> None:
        if not still():
            return  # the screen changed meanwhile
        if not widget.isEnabled():
            emit("problem", what=f"the {widget.objectName()!r} button is disabled")
            return
        widget.click()

    def _click(self, widget: Any, where: str) -> None:
        if widget.isVisible() and widget.isEnabled():
            widget.click()
        else:
            emit("problem", what=f"no button to press on the {where}")


def run_driven_kiosk(pin: str, key_interval_ms: int, config: KioskConfig) -> int:
    """:func:`app.__main__.run_kiosk` with the driver attached to the kiosk it builds."""
    was_enabled = gc.isenabled()
    gc.disable()  # as app.__main__.run_kiosk: the kiosk's own collector takes over
    try:
        from app.ui.kiosk import build_kiosk, quit_on_signals

        kiosk = build_kiosk(config)
        Driver(kiosk, pin=pin, key_interval_ms=key_interval_ms)
        with quit_on_signals(kiosk.app):
            kiosk.start()
            try:
                return int(kiosk.app.exec())
            finally:
                kiosk.stop()
    finally:
        if was_enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kiosk_driver")
    parser.add_argument("--pin", default="1234")
    parser.add_argument("--key-interval-ms", type=int, default=40)
    parser.add_argument("counter_args", nargs="*", help="after --: mykey-counter's arguments")
    args = parser.parse_args(argv)
    faulthandler.enable()  # as app.__main__.main

    from app.__main__ import (
        STARTED_AT,
        make_client,
        make_tapper,
        monitor_factory,
        real_backends,
    )
    from app.cli import cli
    from app.cli.backends import KioskBackends
    from app.cli.kiosk import start_kiosk

    def run(config: KioskConfig) -> int:
        return run_driven_kiosk(args.pin, args.key_interval_ms, config)

    def compose(settings: Settings, flags: KioskFlags) -> int:
        backends = KioskBackends(
            make_tapper=make_tapper,
            make_client=make_client,
            monitor_factory=monitor_factory,
            run_kiosk=run,
            started_at=STARTED_AT,
        )
        return start_kiosk(settings, flags, backends)

    backends = replace(real_backends(), compose_kiosk=compose)
    cli.main(args=list(args.counter_args), prog_name="mykey-counter", obj=backends)


if __name__ == "__main__":
    main()
