"""What one counter kiosk is built from: :class:`KioskConfig`, for ``build_kiosk`` / ``run_kiosk``.

Free of Qt, so that the command line composes it before anything loads Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.points.services import PointsServices
    from app.ports import Tapper
    from app.settings import Settings
    from server.api.schemas import ServiceInfo


class MonitorLike(Protocol):
    """The card monitor: it calls back on every card inserted or removed while started."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


#: ``monitor_factory(on_insert, on_remove)`` → a :class:`MonitorLike`; the callbacks get the
#: reader name and may be called from any thread. The kiosk calls ``start()`` only after its
#: first paint: a factory should import its driver there.
MonitorFactory = Callable[[Callable[[str], None], Callable[[str], None]], MonitorLike]
#: blocking start-up work run off the GUI thread after the first paint; a ServiceInfo it
#: returns replaces the kiosk's service, a TapError it raises ends the kiosk
StartupWork = Callable[[], "ServiceInfo | None"]


@dataclass(frozen=True)
class KioskConfig:
    """Everything ``build_kiosk`` needs; nothing in it runs until ``Kiosk.start``.

    ``service`` is None before enrollment (the idle screen then says so), or when only
    ``service_name`` is known yet: the screens show that name, and the service for the
    deliveries comes from ``after_first_paint`` (validating the cache imports pydantic).
    ``after_first_paint`` runs off the GUI thread once the idle screen is painted (see
    :data:`StartupWork`); ``on_idle_painted`` gets the ``perf_counter()`` of that paint,
    and ``exit_after_idle_painted`` closes the kiosk right then (the startup check).
    ``demo_pin``, ``screenshot_path`` and ``exit_after_result`` run it unattended
    (:mod:`app.ui.demo`). ``home`` holds the counter.toml the settings screen edits
    (default: ``home_dir()``). ``points`` adds the points modes (:mod:`app.ui.points.modes`):
    buttons on the idle screen once the platform told which this terminal has.
    """

    #: the counter's settings (the kiosk reads the part ``app.ui.kiosk.KioskSettings`` names)
    settings: Settings
    service: ServiceInfo | None
    tapper: Tapper
    monitor_factory: MonitorFactory
    service_name: str | None = None
    demo_pin: str | None = None
    screenshot_path: Path | None = None
    exit_after_result: bool = False
    after_first_paint: StartupWork | Sequence[StartupWork] | None = None
    on_idle_painted: Callable[[float], object] | None = None
    exit_after_idle_painted: bool = False
    home: Path | None = None
    points: PointsServices | None = None
    #: make the flow half (controller, staff access, points modes) right after the first
    #: paint instead of before it (a windowed kiosk; ``app.ui.kiosk.build_kiosk``)
    flow_after_first_paint: bool = False
