"""Compose and run the counter kiosk: where the GUI is wired together (its flow half, the
controller and what hangs off it, in :mod:`app.ui.kiosk_flow`).

Start-up is split at the first paint (:mod:`app.ui.startup`): the window and its screens
are built and shown first; the card monitor, the caller's start-up work (platform client,
service refresh) and the barcode libraries follow once the idle screen is on screen; so
does the flow half in the windowed counter (``KioskConfig.flow_after_first_paint``).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from PySide6.QtWidgets import QApplication  # noqa: TID251

from app.i18n import Catalogue
from app.ports import EXIT_STATUS, TapError
from app.settings import KeyboardSettings, LabelSettings
from app.ui.background import Background
from app.ui.delivery import deliveries_for
from app.ui.kiosk_config import KioskConfig
from app.ui.main_thread_gc import MainThreadGarbageCollector
from app.ui.main_window import MainWindow
from app.ui.monitor_bridge import MonitorBridge
from app.ui.startup import KioskStartup
from app.ui.style import apply_style

if TYPE_CHECKING:
    from app.ui.controller import CounterController
    from app.ui.demo import KioskAutomation
    from app.ui.kiosk_flow import FlowParts
    from app.ui.points.modes import PointsModes
    from app.ui.staff_access import StaffAccess
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


@dataclass
class Kiosk:
    """Everything one running counter is made of.

    Its flow half (:class:`~app.ui.kiosk_flow.FlowParts`: ``controller``, ``staff``,
    ``points``, ``automation``) is made by ``make_flow``, once: by ``build_kiosk`` at once,
    or after the first paint (``KioskConfig.flow_after_first_paint``), or when first asked.
    """

    app: QApplication
    settings: KioskSettings
    window: MainWindow
    bridge: MonitorBridge
    monitor: Any
    garbage_collector: MainThreadGarbageCollector
    startup: KioskStartup
    #: every worker thread of the kiosk (the card lane, typing, printing, start-up)
    background: Background
    #: builds the flow half (``app.ui.kiosk_flow.build_flow``)
    make_flow: Callable[[], FlowParts]
    #: called with ``time.perf_counter()`` once the idle screen is painted
    on_idle_painted: Callable[[float], object] | None = None
    #: the startup check: close as soon as the idle screen is painted (exit status 0)
    exit_after_idle_painted: bool = False
    _flow: FlowParts | None = field(default=None, init=False, repr=False)
    _started: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        # the flow screens join the window after the idle screen's first paint
        self.startup.continuing.connect(self.window.complete_stack)
        self.startup.idle_painted.connect(self._idle_painted)
        self.startup.paint_overdue.connect(self._paint_overdue)
        self.startup.work_done.connect(self._work_done)
        self.startup.refused.connect(self._refused)

    @property
    def flow_parts(self) -> FlowParts:
        """The flow half, built now if it is not yet."""
        if self._flow is None:
            parts = self._flow = self.make_flow()
            if parts.points is not None:
                if self.startup.continued:
                    parts.points.begin()
                else:
                    self.startup.continuing.connect(parts.points.begin)
            if self._started:
                parts.controller.start()
        return self._flow

    @property
    def flow_built(self) -> bool:
        """Whether the flow half is made (asking for one of its parts makes it)."""
        return self._flow is not None

    @property
    def controller(self) -> CounterController:
        return self.flow_parts.controller

    @property
    def staff(self) -> StaffAccess:
        """The staff's way into the settings screen."""
        return self.flow_parts.staff

    @property
    def points(self) -> PointsModes | None:
        """The points modes (shop, grant, voucher, register), if the counter has them."""
        return self.flow_parts.points

    @property
    def automation(self) -> KioskAutomation | None:
        return self.flow_parts.automation

    def build_flow_now(self) -> None:
        """Make the flow half if it is not yet (the slot of ``startup.continuing``)."""
        self.flow_parts  # noqa: B018 (built on first access)

    def start(self) -> None:
        """Show the idle screen; the monitor and the start-up work follow its first paint."""
        self.garbage_collector.start()
        self._started = True
        if self._flow is not None:
            self._flow.controller.start()
        self.startup.begin()
        self.window.show_kiosk(fullscreen=self.settings.fullscreen,
                               take_focus="keyboard" not in self.settings.delivery)
        if self.settings.fullscreen:
            self.staff.lock_down()  # close, quit and minimise need the staff PIN

    def stop(self) -> None:
        """Stop every thread, then the window; automatic gc stays off until all are joined.

        The card monitor's thread and the background lanes are joined here (their work has
        its own time limits), so no worker thread runs once this returns, and none can free
        a Qt object: garbage is collected on this thread, after the joins.
        """
        parts = self._flow  # a flow half never made needs no stopping
        if parts is not None:
            parts.staff.back_to_idle()  # also stops watching the application's input
        self.startup.stop()
        self.monitor.stop()
        if parts is not None and parts.points is not None:
            parts.points.stop()
        if parts is not None:
            parts.controller.shutdown()
        self.background.stop()
        if parts is not None and parts.points is not None:
            parts.points.close()  # the platform client, once no lane can use it
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
    """Build the window, its start-up and the flow half; nothing runs until ``Kiosk.start``.

    See :class:`~app.ui.kiosk_config.KioskConfig` for what each part of ``config`` does.
    With ``flow_after_first_paint`` (and a windowed kiosk: a full-screen one locks itself
    down as it shows, which takes the staff's access) the flow half is made right after the
    first paint, before the card monitor starts (:mod:`app.ui.kiosk_flow`).
    """
    settings, service, demo_pin = config.settings, config.service, config.demo_pin
    service_name = config.service_name
    if demo_pin is not None:
        from app.ui.demo import check_demo_pin

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
    bridge = MonitorBridge(window)
    monitor = config.monitor_factory(bridge.on_insert, bridge.on_remove)
    collector = MainThreadGarbageCollector(parent=window)
    startup = KioskStartup(window, monitor=monitor, background=background,
                           deliveries=deliveries, work=config.after_first_paint)
    kiosk = Kiosk(
        app, settings, window, bridge, monitor, collector, startup, background,
        make_flow=partial(_build_flow, config, app=app, window=window, texts=texts,
                          deliveries=deliveries, background=background, bridge=bridge),
        on_idle_painted=config.on_idle_painted,
        exit_after_idle_painted=config.exit_after_idle_painted,
    )
    if config.flow_after_first_paint and not settings.fullscreen:
        startup.continuing.connect(kiosk.build_flow_now)  # before the monitor starts
    else:
        kiosk.build_flow_now()
    return kiosk


def _build_flow(config: KioskConfig, **parts: Any) -> FlowParts:
    from app.ui.kiosk_flow import build_flow

    return build_flow(config, home=config.home, **parts)


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
