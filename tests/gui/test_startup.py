"""Start-up split at the first paint, and ``mykey-counter --startup-check``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtWidgets import QWidget  # noqa: TID251
from pytestqt.qtbot import QtBot

from app.ports import EXIT_STATUS, ErrorKind, TapError
from app.secrets import TerminalKeyStore
from app.settings import Settings, save_settings
from app.ui.background import Background
from app.ui.kiosk import Kiosk, build_kiosk, run_kiosk
from app.ui.kiosk_config import KioskConfig
from app.ui.startup import KioskStartup
from server.api.schemas import ServiceInfo
from tests.gui.conftest import FakeMonitor, FakeSettings, FakeTapper

pytestmark = pytest.mark.gui

COUNTER = str(Path(sys.executable).parent / "mykey-counter")
ROOT = Path(__file__).parents[2]
#: what the idle screen must not wait for, enrolled or not: an enrolled counter paints
#: its service's name from service.json read as plain json, and validates it (pydantic,
#: the wire schema) after the paint
HEAVY = ("httpx", "http_message_signatures", "keyring", "keyrings", "PIL", "barcode", "segno",
         "smartcard", "pydantic", "pydantic_core", "server", "app.client", "app.secrets",
         "app.doctor", "app.barcodes", "app.tap", "drivers", "webbrowser")
#: the one part of ``drivers`` the idle screen loads: the PIN pad checks PINs by the card
#: driver's rule (drivers/card/pin.py imports nothing; drivers.card loads lazily)
PIN_RULES = ("drivers", "drivers.card", "drivers.card.pin")


def home_of(tmp_path: Path, service: ServiceInfo | None = None) -> Path:
    """A windowed counter home; enrolled (a key in the file keyring) when given a service."""
    settings = Settings(fullscreen=False, secrets_backend="file", demo_mode=True)
    if service is not None:
        settings.terminal_id, settings.service = "term-1", service
        settings.server_url = "http://127.0.0.1:9"  # nothing answers; the check never asks
    save_settings(tmp_path, settings)
    if service is not None:
        TerminalKeyStore("file", tmp_path).store("term-1", Ed25519PrivateKey.generate())
    return tmp_path


def offscreen() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen")


# --- the command -------------------------------------------------------------------------


@pytest.mark.parametrize("enrolled", [False, True])
def test_startup_check_prints_json_and_exits_0(
    tmp_path: Path, service: ServiceInfo, enrolled: bool
) -> None:
    home = home_of(tmp_path, service if enrolled else None)
    proc = subprocess.run([COUNTER, "--home", str(home), "--startup-check"], env=offscreen(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["enrolled"] is enrolled
    assert report["idle_painted_s"] > 0
    assert report["process_age_s"] is None or report["process_age_s"] > 0
    # a Qt process holds tens of MiB at its first paint (VmHWM, Linux)
    assert report["peak_rss_kib"] is None or report["peak_rss_kib"] > 20 * 1024


@pytest.mark.parametrize("enrolled", [False, True])
def test_the_idle_screen_paints_before_the_heavy_libraries_load(
    tmp_path: Path, service: ServiceInfo, enrolled: bool
) -> None:
    home = home_of(tmp_path, service if enrolled else None)
    code = f"""
import dataclasses, runpy, sys
import app.ui.kiosk

run = app.ui.kiosk.run_kiosk

def run_kiosk(config):
    def at_paint(painted_at):
        heavy, allowed = {HEAVY!r}, {PIN_RULES!r}
        loaded = sorted(m for m in sys.modules
                        if (m in heavy or m.split(".")[0] in heavy) and m not in allowed)
        print("LOADED", loaded)
        print("NAME", config.service_name)
    return run(dataclasses.replace(config, on_idle_painted=at_paint))

app.ui.kiosk.run_kiosk = run_kiosk  # the composition root imports it when the kiosk starts
sys.argv = ["mykey-counter", "--home", {str(home)!r}, "--startup-check"]
runpy.run_module("app", run_name="__main__")
"""
    proc = subprocess.run([sys.executable, "-c", code], env=offscreen(), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stdout, proc.stdout
    assert f"NAME {service.display_name if enrolled else None}" in proc.stdout, proc.stdout


# --- the kiosk's two halves --------------------------------------------------------------


def started_kiosk(qtbot: QtBot, service: ServiceInfo | None, **options: object) -> Kiosk:
    monitors: list[FakeMonitor] = []

    def factory(on_insert: Callable[[str], None], on_remove: Callable[[str], None]
                ) -> FakeMonitor:
        monitors.append(FakeMonitor(on_insert, on_remove))
        return monitors[-1]

    kiosk = build_kiosk(KioskConfig(settings=FakeSettings(), service=service,  # type: ignore[arg-type]
                                    tapper=FakeTapper([]), monitor_factory=factory, **options))
    qtbot.addWidget(kiosk.window)
    kiosk.start()
    return kiosk


def test_the_monitor_starts_after_the_first_paint(qtbot: QtBot, service: ServiceInfo) -> None:
    painted: list[float] = []
    kiosk = started_kiosk(qtbot, service, on_idle_painted=painted.append)
    try:
        assert not kiosk.monitor.running and not painted
        qtbot.waitUntil(lambda: kiosk.monitor.running, timeout=5000)
        assert len(painted) == 1
        assert kiosk.window.current_screen() is kiosk.window.idle
    finally:
        kiosk.stop()
    assert not kiosk.monitor.running


def test_only_the_idle_screen_is_made_before_the_first_paint(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    """The other flow screens cost the cold start their imports and their styling: they
    are made after the idle screen is painted, each owned by the window's stack."""
    at_paint: list[int] = []
    holder: list[Kiosk] = []
    kiosk = started_kiosk(qtbot, service,
                          on_idle_painted=lambda _: at_paint.append(holder[0].window.stack.count()))
    holder.append(kiosk)
    try:
        qtbot.waitUntil(lambda: kiosk.monitor.running, timeout=5000)
        assert at_paint == [1]
        window = kiosk.window
        screens = set(window.screens.values())
        assert len(screens) == 7 and window.stack.count() == 7
        assert all(screen.parent() is window.stack for screen in screens)
        assert window.current_screen() is window.idle
    finally:
        kiosk.stop()


def test_start_up_work_runs_off_the_gui_thread_and_brings_the_service(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    threads: list[str] = []
    changed = service.model_copy(update={"display_name": "みどり市立中央図書館"})

    def work() -> ServiceInfo:
        threads.append(threading.current_thread().name)
        return changed

    kiosk = started_kiosk(qtbot, service, after_first_paint=work)
    try:
        assert kiosk.window.idle.service_name.text() == service.display_name
        qtbot.waitUntil(
            lambda: kiosk.window.idle.service_name.text() == changed.display_name, timeout=5000)
        assert kiosk.window.result.caption.text() == changed.display_name
        assert kiosk.controller._service == changed
        assert threads == ["kiosk-startup"]
    finally:
        kiosk.stop()


def test_start_up_works_run_in_order_and_each_result_arrives_at_once(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    refreshed = service.model_copy(update={"display_name": "みどり市立中央図書館"})
    release_refresh = threading.Event()
    order: list[str] = []

    def cached() -> ServiceInfo:
        order.append("cached")
        return service

    def refresh() -> ServiceInfo:
        order.append("refresh")
        release_refresh.wait(5)  # a slow platform
        return refreshed

    kiosk = started_kiosk(qtbot, None, service_name=service.display_name,
                          after_first_paint=[cached, refresh])
    try:
        # the cached service is there while the refresh still hangs
        qtbot.waitUntil(lambda: kiosk.controller._service == service, timeout=5000)
        assert order == ["cached", "refresh"] or order == ["cached"]
        release_refresh.set()
        qtbot.waitUntil(lambda: kiosk.controller._service == refreshed, timeout=5000)
        assert order == ["cached", "refresh"]
    finally:
        release_refresh.set()
        kiosk.stop()


def test_a_kiosk_painted_from_the_service_name_gets_the_service_after_the_paint(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    kiosk = started_kiosk(qtbot, None, service_name=service.display_name,
                          after_first_paint=lambda: service)
    try:
        assert kiosk.window.idle.service_name.text() == service.display_name
        assert kiosk.controller._service is None  # not validated before the paint
        qtbot.waitUntil(lambda: kiosk.controller._service == service, timeout=5000)
        assert kiosk.window.idle.service_name.text() == service.display_name
        assert kiosk.window.result.caption.text() == service.display_name
    finally:
        kiosk.stop()


def test_start_up_work_refusing_ends_the_kiosk(qapp: object, service: ServiceInfo) -> None:
    def work() -> ServiceInfo:
        raise TapError(ErrorKind.NOT_ENROLLED, "no key")

    status = run_kiosk(KioskConfig(settings=FakeSettings(), service=service,  # type: ignore[arg-type]
                                   tapper=FakeTapper([]), monitor_factory=FakeMonitor,
                                   after_first_paint=work))
    assert status == EXIT_STATUS[ErrorKind.NOT_ENROLLED]


def test_exit_after_idle_painted_starts_nothing_more(qapp: object, service: ServiceInfo) -> None:
    monitors: list[FakeMonitor] = []
    ran: list[bool] = []

    def factory(on_insert: Callable[[str], None], on_remove: Callable[[str], None]
                ) -> FakeMonitor:
        monitors.append(FakeMonitor(on_insert, on_remove))
        return monitors[-1]

    def work() -> None:
        ran.append(True)

    painted: list[float] = []
    status = run_kiosk(KioskConfig(settings=FakeSettings(), service=service,  # type: ignore[arg-type]
                                   tapper=FakeTapper([]), monitor_factory=factory,
                                   after_first_paint=work, on_idle_painted=painted.append,
                                   exit_after_idle_painted=True))
    assert status == 0 and len(painted) == 1
    assert not monitors[0].running and ran == []


def test_not_enrolled_idle_screen_says_so(qtbot: QtBot) -> None:
    kiosk = started_kiosk(qtbot, None)
    try:
        assert kiosk.window.idle.service_name.text() == "この端末は登録されていません"
    finally:
        kiosk.stop()


def test_a_window_never_painted_still_starts_the_monitor(qtbot: QtBot) -> None:
    widget = QWidget()  # never shown, so never painted
    qtbot.addWidget(widget)
    monitor = FakeMonitor(lambda reader: None, lambda reader: None)
    background = Background(widget)
    startup = KioskStartup(widget, monitor=monitor, background=background, deliveries=[],
                           fallback_ms=50)
    overdue: list[bool] = []
    startup.paint_overdue.connect(lambda: overdue.append(True))
    startup.begin()
    qtbot.waitUntil(lambda: monitor.running, timeout=5000)
    assert overdue == [True] and startup.continued
    background.stop()


def test_the_wire_schema_is_imported_before_any_background_thread_starts(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    """pydantic imported for the first time by two threads at once can fail ("cannot
    import name 'BaseModel'"): the GUI thread imports it before the monitor, the start-up
    work and the points start-up begin."""
    order: list[str] = []
    kiosk = started_kiosk(qtbot, service)
    try:
        kiosk.startup.continuing.connect(lambda: order.append("continuing"))
        qtbot.waitUntil(lambda: kiosk.monitor.running, timeout=5000)
        order.append("monitor running")
        assert order == ["continuing", "monitor running"]
    finally:
        kiosk.stop()
    code = (
        "import sys\n"
        "from app.ui.startup import preload_wire_schema\n"
        "assert 'pydantic.main' not in sys.modules, 'loaded before the paint'\n"
        "preload_wire_schema()\n"
        "assert 'pydantic.main' in sys.modules and 'server.api.schemas' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=offscreen(), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
