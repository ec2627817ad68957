"""Compose and run the counter kiosk: the one place where the GUI is wired together."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import QApplication  # noqa: TID251

from app.flow import CounterFlow, Timeouts
from app.i18n import Catalogue
from app.ports import Tapper
from app.ui.controller import CounterController
from app.ui.delivery import deliveries_for
from app.ui.demo import KioskAutomation, check_demo_pin
from app.ui.main_thread_gc import MainThreadGarbageCollector
from app.ui.main_window import MainWindow
from app.ui.monitor_bridge import MonitorBridge
from app.ui.style import apply_style
from server.api.schemas import ServiceInfo

#: ``monitor_factory(on_insert, on_remove)`` → an object with ``start()`` / ``stop()``;
#: the callbacks get the reader name and may be called from any thread
MonitorFactory = Callable[[Callable[[str], None], Callable[[str], None]], Any]


class KioskSettings(Protocol):
    """The part of ``app.settings.Settings`` the kiosk reads."""

    @property
    def language(self) -> str: ...

    @property
    def fullscreen(self) -> bool: ...

    @property
    def delivery(self) -> Sequence[str]: ...

    @property
    def result_timeout_s(self) -> float: ...

    @property
    def error_timeout_s(self) -> float: ...

    @property
    def pin_entry_timeout_s(self) -> float: ...


def timeouts_of(settings: KioskSettings) -> Timeouts:
    return Timeouts(
        result_s=settings.result_timeout_s,
        error_s=settings.error_timeout_s,
        pin_entry_s=settings.pin_entry_timeout_s,
    )


@dataclass
class Kiosk:
    """Everything one running counter is made of."""

    app: QApplication
    settings: KioskSettings
    window: MainWindow
    controller: CounterController
    bridge: MonitorBridge
    monitor: Any
    garbage_collector: MainThreadGarbageCollector
    automation: KioskAutomation | None = None

    def start(self) -> None:
        self.garbage_collector.start()
        self.controller.start()
        self.window.show_kiosk(fullscreen=self.settings.fullscreen)
        self.monitor.start()

    def stop(self) -> None:
        self.monitor.stop()
        self.controller.shutdown()
        self.window.close_guard = None
        self.window.close()
        self.garbage_collector.stop()


def application() -> QApplication:
    """The running QApplication, created on first use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    return app


@contextmanager
def quit_on_signals(app: QApplication) -> Iterator[None]:
    """SIGINT / SIGTERM end the event loop cleanly (the monitor stops, the screen clears).

    Python runs signal handlers only between bytecodes; the kiosk's GC timer gives it
    that chance at least twice a second.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in signals}
    for sig in signals:
        signal.signal(sig, lambda signum, frame: app.exit(128 + signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def build_kiosk(
    *,
    settings: KioskSettings,
    service: ServiceInfo,
    tapper: Tapper,
    monitor_factory: MonitorFactory,
    demo_pin: str | None = None,
    screenshot_path: Path | None = None,
    exit_after_result: bool = False,
) -> Kiosk:
    """Build the window, controller and monitor; nothing runs until ``Kiosk.start``."""
    check_demo_pin(demo_pin)
    app = application()
    apply_style(app)
    texts = Catalogue(settings.language)
    window = MainWindow(texts, service)
    controller = CounterController(
        flow=CounterFlow(timeouts_of(settings)),
        tapper=tapper,
        renderer=window,
        service=service,
        deliveries=deliveries_for(settings.delivery),
        parent=window,
    )
    window.intent.connect(controller.post)
    bridge = MonitorBridge(window)
    bridge.inserted.connect(controller.card_inserted)
    bridge.removed.connect(controller.card_removed)
    monitor = monitor_factory(bridge.on_insert, bridge.on_remove)
    automation = None
    if demo_pin is not None or screenshot_path is not None or exit_after_result:
        automation = KioskAutomation(
            app=app,
            window=window,
            controller=controller,
            demo_pin=demo_pin,
            screenshot_path=screenshot_path,
            exit_after_result=exit_after_result,
        )
    collector = MainThreadGarbageCollector(parent=window)
    return Kiosk(app, settings, window, controller, bridge, monitor, collector, automation)


def run_kiosk(
    *,
    settings: KioskSettings,
    service: ServiceInfo,
    tapper: Tapper,
    monitor_factory: MonitorFactory,
    demo_pin: str | None = None,
    screenshot_path: Path | None = None,
    exit_after_result: bool = False,
) -> int:
    """Run the counter until the window closes (or the result, with exit_after_result)."""
    kiosk = build_kiosk(
        settings=settings,
        service=service,
        tapper=tapper,
        monitor_factory=monitor_factory,
        demo_pin=demo_pin,
        screenshot_path=screenshot_path,
        exit_after_result=exit_after_result,
    )
    with quit_on_signals(kiosk.app):
        kiosk.start()
        try:
            return kiosk.app.exec()
        finally:
            kiosk.stop()
