"""Fakes and fixtures for driving the real kiosk window offscreen."""

from __future__ import annotations

import gc
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget  # noqa: TID251
from pytestqt.qtbot import QtBot

from app.flow import State
from app.ports import CardStatus
from app.settings import KeyboardSettings, LabelSettings
from app.ui.kiosk import Kiosk, build_kiosk
from app.ui.kiosk_config import KioskConfig
from app.ui.main_window import MainWindow
from server.api.schemas import BarcodeSpec, LookupResult, ServiceInfo, Symbology
from tests.gui.points_world import (
    CutTransport,
    MakeCounter,
    PointsCounter,
    PointsPlatform,
    Terminal,
    served_points_platform,
)

PIN = "4821"
SERVICE_ID = "2100045678"
WAIT_MS = 5000


class _Probe(QObject):
    ping = Signal()


def signal_emit_leaks_true() -> bool:
    """Whether each Python-side ``Signal.emit()`` takes a reference from ``True``.

    PySide6 6.12.0 does (emit returns True without a new reference). Before Python 3.12,
    where True became immortal, a process that emitted about as many signals as True has
    references aborts with "Fatal Python error: bool_dealloc" (a kiosk after ~80 taps);
    pyproject.toml excludes that release.
    """
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(10):
        probe.ping.emit()
    return sys.getrefcount(True) < before


ProbeStep = CardStatus | BaseException
AuthStep = LookupResult | BaseException


def lookup(service_id: str = SERVICE_ID, **flags: bool) -> LookupResult:
    values = {"valid": True, "address_changed": False, "certificate_expires_soon": False}
    values.update(flags)
    return LookupResult(service="library", service_id=service_id, **values)


class FakeTapper:
    """Scripted answers; a gate (when set) holds the next call until released."""

    def __init__(self, probes: list[ProbeStep], auths: list[AuthStep] | None = None) -> None:
        self.probes: deque[ProbeStep] = deque(probes)
        self.auths: deque[AuthStep] = deque(auths or [])
        self.pins: list[tuple[str, bool]] = []
        self.gate: threading.Event | None = None
        self.probe_gate: threading.Event | None = None
        self.threads: set[str] = set()

    def release(self) -> None:
        for gate in (self.gate, self.probe_gate):
            if gate is not None:
                gate.set()

    def probe(self) -> CardStatus:
        self.threads.add(threading.current_thread().name)
        gate, self.probe_gate = self.probe_gate, None
        if gate is not None:
            gate.wait(10)
        step = self.probes.popleft() if self.probes else CardStatus(3)
        if isinstance(step, BaseException):
            raise step
        return step

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        self.threads.add(threading.current_thread().name)
        self.pins.append((pin, allow_last_try))
        if self.gate is not None:
            self.gate.wait(10)
        step = self.auths.popleft()
        if isinstance(step, BaseException):
            raise step
        return step


class FakeMonitor:
    """A card monitor whose callbacks the test fires from another thread."""

    def __init__(
        self,
        on_insert: Callable[[str], None],
        on_remove: Callable[[str], None],
        insert_on_start: bool = False,
    ) -> None:
        self.on_insert = on_insert
        self.on_remove = on_remove
        self.insert_on_start = insert_on_start
        self.running = False

    def start(self) -> None:
        self.running = True
        if self.insert_on_start:
            self.insert()

    def stop(self) -> None:
        self.running = False

    def _fire(self, callback: Callable[[str], None]) -> None:
        thread = threading.Thread(target=callback, args=("Fake Reader 00 00",), name="pcsc")
        thread.start()
        thread.join()

    def insert(self) -> None:
        self._fire(self.on_insert)

    def remove(self) -> None:
        self._fire(self.on_remove)


@dataclass
class FakeSettings:
    language: str = "ja"
    fullscreen: bool = False
    delivery: list[str] = field(default_factory=lambda: ["show", "barcode"])
    result_timeout_s: float = 60.0
    error_timeout_s: float = 60.0
    pin_entry_timeout_s: float = 60.0
    keyboard: KeyboardSettings = field(default_factory=KeyboardSettings)
    label: LabelSettings = field(default_factory=LabelSettings)
    terminal_id: str | None = "term-1"


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """Automatic garbage collection off for each GUI test, one collection on this (the GUI)
    thread after it — after pytest-qt has closed its widgets (an autouse fixture is set up
    first and torn down last).  Otherwise a thread of the test (an in-process platform's
    worker, a card thread) could collect a stopped kiosk's Qt objects off the GUI thread,
    which crashes PySide (app.ui.main_thread_gc does the same for a running kiosk)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if was:
            gc.enable()


@pytest.fixture
def service() -> ServiceInfo:
    return ServiceInfo(
        name="library",
        display_name="みどり市立図書館 利用者カード",
        provider="midori-city",
        barcode=BarcodeSpec(symbology=Symbology.NW7, pattern=r"[0-9]{10}"),
    )


@dataclass
class Counter:
    """A started kiosk plus its fakes."""

    kiosk: Kiosk
    tapper: FakeTapper
    monitor: FakeMonitor
    qtbot: QtBot

    @property
    def window(self) -> MainWindow:
        return self.kiosk.window

    def record_states(self) -> list[State]:
        """From now on, every state the controller renders, in order."""
        seen: list[State] = []
        self.kiosk.controller.rendered.connect(lambda state, view: seen.append(state))
        return seen

    @property
    def state(self) -> State:
        return self.kiosk.controller.flow.state

    def wait_for(self, state: State) -> None:
        self.qtbot.waitUntil(lambda: self.state is state, timeout=WAIT_MS)
        screen = self.window.screens[state]
        self.qtbot.waitUntil(lambda: self.window.current_screen() is screen, timeout=WAIT_MS)

    def insert(self) -> None:
        self.monitor.insert()

    def remove(self) -> None:
        self.monitor.remove()

    def press(self, *keys: str) -> None:
        """Press pad keys: digits, then "ok" / "clear" / "backspace" / "cancel"."""
        pin = self.window.pin
        named = {
            "ok": pin.ok_button,
            "clear": pin.clear_button,
            "backspace": pin.backspace_button,
            "cancel": pin.cancel_button,
        }
        for key in keys:
            button = named[key] if key in named else pin.digit_button(key)
            button.click()

    def type_pin(self, pin: str = PIN) -> None:
        self.press(*pin, "ok")

    def texts(self) -> list[str]:
        return widget_texts(self.window)


def widget_texts(root: QWidget) -> list[str]:
    """Every text a widget tree holds: labels, buttons, names, tooltips, titles."""
    texts = [root.windowTitle()]
    for widget in [root, *root.findChildren(QWidget)]:
        texts += [widget.accessibleName(), widget.accessibleDescription(), widget.toolTip()]
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
    return [t for t in texts if t]


@pytest.fixture
def make_counter(
    qtbot: QtBot, service: ServiceInfo
) -> Iterator[Callable[..., Counter]]:
    started: list[tuple[Kiosk, FakeTapper]] = []

    def make(
        tapper: FakeTapper,
        settings: FakeSettings | None = None,
        *,
        home: Path | None = None,
        **service_changes: object,
    ) -> Counter:
        monitors: list[FakeMonitor] = []

        def factory(
            on_insert: Callable[[str], None], on_remove: Callable[[str], None]
        ) -> FakeMonitor:
            monitors.append(FakeMonitor(on_insert, on_remove))
            return monitors[-1]

        kiosk = build_kiosk(KioskConfig(
            settings=settings or FakeSettings(),  # type: ignore[arg-type]
            service=service.model_copy(update=service_changes),
            tapper=tapper,
            monitor_factory=factory,
            home=home,
        ))
        # stopped before pytest-qt closes and deletes the window (its teardown hook runs
        # before this fixture's): a delivery finishing later would touch deleted widgets
        qtbot.addWidget(kiosk.window, before_close_func=lambda _: stop(kiosk, tapper))
        kiosk.start()
        started.append((kiosk, tapper))
        return Counter(kiosk, tapper, monitors[0], qtbot)

    stopped: set[int] = set()

    def stop(kiosk: Kiosk, tapper: FakeTapper) -> None:
        if id(kiosk) in stopped:
            return
        stopped.add(id(kiosk))
        tapper.release()  # let a held call return before the card thread joins
        kiosk.stop()

    yield make
    for kiosk, tapper in started:
        stop(kiosk, tapper)


# --- the points world (tests/gui/points_world.py) ------------------------------------------


@pytest.fixture(scope="module")
def points_platform(
    tmp_path_factory: pytest.TempPathFactory, vcard_ca: Path
) -> Iterator[PointsPlatform]:
    """The platform in process, set up for points (one per test module)."""
    with served_points_platform(tmp_path_factory.mktemp("points-platform"), vcard_ca) as platform:
        yield platform


@pytest.fixture
def make_points_counter(
    qtbot: QtBot, service: ServiceInfo, points_platform: PointsPlatform, tmp_path: Path
) -> Iterator[MakeCounter]:
    """Factory: a started kiosk with the points modes of ``terminal``, talking to the
    ``points_platform`` through a :class:`CutTransport`; every one stopped afterwards."""
    from app.client import PlatformClient
    from app.points.flows import PointsTimeouts
    from app.points.services import PointsServices
    from app.recording import RecordingPrinter
    from tests.fixtures.pcscd import VPCD_READER

    started: list[PointsCounter] = []

    def make(
        terminal: Terminal,
        *,
        home: Path | None = None,
        register: bool = False,
        offline: bool = False,
        **timeouts: Any,
    ) -> PointsCounter:
        home = home or tmp_path / f"counter-{len(started)}"
        transport = CutTransport(points_platform.client._transport)
        transport.down = offline  # the network is away from the start
        client = PlatformClient(
            "http://testserver", terminal.terminal_id, terminal.key, transport=transport
        )
        printer = RecordingPrinter()
        services = PointsServices(
            make_client=lambda: client,
            home=home,
            reader=VPCD_READER,
            allow_virtual_reader=True,  # the tests' card is in vpcd
            label=LabelSettings(printer="recording", size="80mm"),
            register=register,
            make_printer=lambda settings: printer,
            timeouts=PointsTimeouts(**timeouts),
        )
        monitors: list[FakeMonitor] = []

        def factory(
            on_insert: Callable[[str], None], on_remove: Callable[[str], None]
        ) -> FakeMonitor:
            monitors.append(FakeMonitor(on_insert, on_remove))
            return monitors[-1]

        kiosk = build_kiosk(KioskConfig(
            settings=FakeSettings(),  # type: ignore[arg-type]
            service=service,
            tapper=FakeTapper([]),
            monitor_factory=factory,
            home=home,
            points=services,
        ))
        kiosk.start()
        counter = PointsCounter(kiosk, transport, printer, monitors[0], home, qtbot, services)
        # stopped before pytest-qt closes and deletes the window (before this teardown)
        qtbot.addWidget(kiosk.window, before_close_func=lambda _: counter.stop())
        started.append(counter)
        return counter

    yield make
    for counter in started:
        counter.stop()
