"""Compose and run the counter kiosk: the one place where the GUI is wired together.

Start-up is split at the first paint (:mod:`app.ui.startup`): the window and its screens
are built and shown first; the card monitor, the caller's start-up work (platform client,
service refresh) and the barcode libraries follow once the idle screen is on screen.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from PySide6.QtWidgets import QApplication  # noqa: TID251

from app.flow import CounterFlow, Timeouts
from app.i18n import Catalogue
from app.ports import EXIT_STATUS, TapError
from app.settings import KeyboardSettings, LabelSettings, home_dir
from app.ui.background import Background
from app.ui.controller import CounterController
from app.ui.delivery import deliveries_for
from app.ui.demo import KioskAutomation, check_demo_pin
from app.ui.kiosk_config import KioskConfig
from app.ui.main_thread_gc import MainThreadGarbageCollector
from app.ui.main_window import MainWindow
from app.ui.monitor_bridge import MonitorBridge
from app.ui.staff_access import StaffAccess
from app.ui.startup import KioskStartup
from app.ui.style import apply_style

if TYPE_CHECKING:
    from app.ui.points.modes import PointsModes
    from server.api.schemas import ServiceInfo

log = logging.getLogger(__name__)

#: exit status of a startup check whose window was never painted
NOT_PAINTED_STATUS = 1


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

    @property
    def keyboard(self) -> KeyboardSettings: ...

    @property
    def label(self) -> LabelSettings: ...

    @property
    def terminal_id(self) -> str | None: ...


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
    startup: KioskStartup
    #: every worker thread of the kiosk (the card lane, typing, printing, start-up)
    background: Background
    automation: KioskAutomation | None = None
    #: called with ``time.perf_counter()`` once the idle screen is painted
    on_idle_painted: Callable[[float], object] | None = None
    #: the startup check: close as soon as the idle screen is painted (exit status 0)
    exit_after_idle_painted: bool = False
    #: the staff's way into the settings screen
    staff: StaffAccess | None = None
    #: the points modes (shop, grant, voucher, register), if the counter has them
    points: PointsModes | None = None

    def __post_init__(self) -> None:
        # the flow screens join the window after the idle screen's first paint
        self.startup.continuing.connect(self.window.complete_stack)
        if self.points is not None:
            self.startup.continuing.connect(self.points.begin)
        self.startup.idle_painted.connect(self._idle_painted)
        self.startup.paint_overdue.connect(self._paint_overdue)
        self.startup.work_done.connect(self._work_done)
        self.startup.refused.connect(self._refused)

    def start(self) -> None:
        """Show the idle screen; the monitor and the start-up work follow its first paint."""
        self.garbage_collector.start()
        self.controller.start()
        self.startup.begin()
        self.window.show_kiosk(fullscreen=self.settings.fullscreen,
                               take_focus="keyboard" not in self.settings.delivery)
        if self.settings.fullscreen and self.staff is not None:
            self.staff.lock_down()  # close, quit and minimise need the staff PIN

    def stop(self) -> None:
        """Stop every thread, then the window; automatic gc stays off until all are joined.

        The card monitor's thread and the background lanes are joined here (their work has
        its own time limits), so no worker thread runs once this returns, and none can free
        a Qt object: garbage is collected on this thread, after the joins.
        """
        if self.staff is not None:
            self.staff.back_to_idle()  # also stops watching the application's input
        self.startup.stop()
        self.monitor.stop()
        if self.points is not None:
            self.points.stop()
        self.controller.shutdown()
        self.background.stop()
        if self.points is not None:
            self.points.close()  # the platform client, once no lane can use it
        self.window.close_guard = None
        self.window.lockdown = False
        self.window.close()
        self.garbage_collector.stop()

    def set_service(self, service: ServiceInfo | None) -> None:
        """A new service description: the screens' service name and the next deliveries."""
        self.window.set_service_name(None if service is None else service.display_name)
        self.controller.set_service(service)

    def _idle_painted(self, painted_at: float) -> None:
        if self.on_idle_painted is not None:
            self.on_idle_painted(painted_at)
        if self.exit_after_idle_painted:
            self.startup.stop()  # nothing more starts: the check is done
            self.app.exit(0)

    def _paint_overdue(self) -> None:
        if self.exit_after_idle_painted:
            self.startup.stop()
            self.app.exit(NOT_PAINTED_STATUS)

    def _work_done(self, service: object) -> None:
        if service is not None:
            self.set_service(cast("ServiceInfo", service))

    def _refused(self, error: TapError) -> None:
        log.error("the counter cannot start: %s", error)
        self.app.exit(EXIT_STATUS[error.kind])


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


def build_kiosk(config: KioskConfig) -> Kiosk:
    """Build the window, controller and monitor; nothing runs until ``Kiosk.start``.

    See :class:`~app.ui.kiosk_config.KioskConfig` for what each part of ``config`` does.
    """
    settings, service, tapper = config.settings, config.service, config.tapper
    service_name, demo_pin, points = config.service_name, config.demo_pin, config.points
    screenshot_path, exit_after_result = config.screenshot_path, config.exit_after_result
    home = config.home
    check_demo_pin(demo_pin)
    app = application()
    apply_style(app)
    texts = Catalogue(settings.language)
    if service_name is None and service is not None:
        service_name = service.display_name
    window = MainWindow(texts, service_name)
    deliveries = deliveries_for(
        settings.delivery,
        keyboard=settings.keyboard,
        label=settings.label,
        terminal_id=settings.terminal_id,
    )
    background = Background(parent=window)
    controller = CounterController(
        flow=CounterFlow(timeouts_of(settings)),
        tapper=tapper,
        renderer=window,
        service=service,
        deliveries=deliveries,
        background=background,
        parent=window,
    )
    modes = None
    if points is not None:
        from app.ui.points.modes import PointsModes

        modes = PointsModes(window=window, lookup=controller, services=points, texts=texts)
    router: CounterController | PointsModes = modes if modes is not None else controller
    window.intent.connect(router.post)
    staff = StaffAccess(window=window, controller=controller, texts=texts,
                        home=home if home is not None else home_dir(), outbox=points)
    bridge = MonitorBridge(window)
    bridge.inserted.connect(router.card_inserted)
    bridge.removed.connect(router.card_removed)
    monitor = config.monitor_factory(bridge.on_insert, bridge.on_remove)
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
    startup = KioskStartup(window, monitor=monitor, background=background,
                           deliveries=deliveries, work=config.after_first_paint)
    return Kiosk(
        app, settings, window, controller, bridge, monitor, collector, startup, background,
        automation,
        on_idle_painted=config.on_idle_painted,
        exit_after_idle_painted=config.exit_after_idle_painted,
        staff=staff, points=modes,
    )


def run_kiosk(config: KioskConfig) -> int:
    """Run the counter until the window closes (or the result, with exit_after_result;
    or the first paint, with exit_after_idle_painted). See :func:`build_kiosk`."""
    kiosk = build_kiosk(config)
    with quit_on_signals(kiosk.app):
        kiosk.start()
        try:
            return kiosk.app.exec()
        finally:
            kiosk.stop()
