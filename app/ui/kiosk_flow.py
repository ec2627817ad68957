"""The kiosk's flow half: the lookup flow and its controller, the staff's access, the
points modes and the unattended automation, wired to a window already built.

:func:`app.ui.kiosk.build_kiosk` builds it at once, or (``KioskConfig.flow_after_first_paint``,
the real windowed counter) right after the idle screen's first paint, before the card
monitor starts: the flow's modules (some 25 frozen dataclasses and their enums, ≈ 15 ms of
CPU) are not on the way to that paint. Asking the kiosk for any of these parts builds
them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.flow import CounterFlow, Timeouts
from app.settings import home_dir
from app.ui.controller import CounterController
from app.ui.demo import KioskAutomation
from app.ui.staff_access import StaffAccess

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtWidgets import QApplication  # noqa: TID251

    from app.i18n import Catalogue
    from app.ui.background import Background
    from app.ui.delivery import Delivery
    from app.ui.kiosk_config import KioskConfig
    from app.ui.main_window import MainWindow
    from app.ui.monitor_bridge import MonitorBridge
    from app.ui.points.modes import PointsModes


@dataclass
class FlowParts:
    """What reacts to cards and touches: made once per kiosk."""

    controller: CounterController
    #: the staff's way into the settings screen
    staff: StaffAccess
    #: the points modes (shop, grant, voucher, register), if the counter has them
    points: PointsModes | None = None
    automation: KioskAutomation | None = None


class TimeoutSettings(Protocol):
    """The screen timeouts of ``app.ui.kiosk.KioskSettings``."""

    @property
    def result_timeout_s(self) -> float: ...

    @property
    def error_timeout_s(self) -> float: ...

    @property
    def pin_entry_timeout_s(self) -> float: ...


def timeouts_of(settings: TimeoutSettings) -> Timeouts:
    return Timeouts(
        result_s=settings.result_timeout_s,
        error_s=settings.error_timeout_s,
        pin_entry_s=settings.pin_entry_timeout_s,
    )


def build_flow(
    config: KioskConfig,
    *,
    app: QApplication,
    window: MainWindow,
    texts: Catalogue,
    deliveries: Sequence[Delivery],
    background: Background,
    bridge: MonitorBridge,
    home: Path | None,
) -> FlowParts:
    """The controller and what hangs off it, connected to ``window`` and ``bridge``."""
    settings = config.settings
    controller = CounterController(
        flow=CounterFlow(timeouts_of(settings)),
        tapper=config.tapper,
        renderer=window,
        service=config.service,
        deliveries=deliveries,
        background=background,
        parent=window,
    )
    modes = None
    if config.points is not None:
        from app.ui.points.modes import PointsModes

        modes = PointsModes(window=window, lookup=controller, services=config.points,
                            texts=texts)
    router: CounterController | PointsModes = modes if modes is not None else controller
    window.intent.connect(router.post)
    staff = StaffAccess(window=window, controller=controller, texts=texts,
                        home=home if home is not None else home_dir(), outbox=config.points)
    bridge.inserted.connect(router.card_inserted)
    bridge.removed.connect(router.card_removed)
    automation = None
    if (config.demo_pin is not None or config.screenshot_path is not None
            or config.exit_after_result):
        automation = KioskAutomation(
            app=app,
            window=window,
            controller=controller,
            demo_pin=config.demo_pin,
            screenshot_path=config.screenshot_path,
            exit_after_result=config.exit_after_result,
        )
    return FlowParts(controller=controller, staff=staff, points=modes, automation=automation)
