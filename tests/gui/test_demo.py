"""run_kiosk unattended: demo PIN typed on the pad, screenshot, exit code."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.ports import EXIT_STATUS, CardStatus, ErrorKind, TapError
from app.ui.kiosk import run_kiosk
from app.ui.kiosk_config import KioskConfig
from server.api.schemas import ServiceInfo
from tests.gui.conftest import PIN, SERVICE_ID, FakeMonitor, FakeSettings, FakeTapper, lookup

pytestmark = pytest.mark.gui


def inserting_monitor(
    on_insert: Callable[[str], None], on_remove: Callable[[str], None]
) -> FakeMonitor:
    """A monitor that finds a card already on the reader when it starts."""
    return FakeMonitor(on_insert, on_remove, insert_on_start=True)


def run(tapper: FakeTapper, service: ServiceInfo, shot: Path, demo_pin: str | None = PIN) -> int:
    return run_kiosk(KioskConfig(
        settings=FakeSettings(),  # type: ignore[arg-type]
        service=service,
        tapper=tapper,
        monitor_factory=inserting_monitor,
        demo_pin=demo_pin,
        screenshot_path=shot,
        exit_after_result=True,
    ))


def test_demo_pin_and_screenshot_of_the_result(qapp, tmp_path: Path, service) -> None:
    tapper = FakeTapper([CardStatus(3)], [lookup()])
    shot = tmp_path / "result.png"
    assert run(tapper, service, shot) == 0
    assert tapper.pins == [(PIN, False)]
    with Image.open(shot) as image:
        assert image.format == "PNG"
        assert image.size == (1280, 800)
        decoded = [code.text for code in zxingcpp.read_barcodes(image.convert("RGB"))]
    assert any(SERVICE_ID in text for text in decoded), decoded


def test_unattended_error_exits_with_its_status(qapp, tmp_path: Path, service) -> None:
    tapper = FakeTapper([CardStatus(3)], [TapError(ErrorKind.NOT_REGISTERED)])
    shot = tmp_path / "error.png"
    assert run(tapper, service, shot) == EXIT_STATUS[ErrorKind.NOT_REGISTERED]
    assert shot.stat().st_size > 0


def test_unattended_locked_card(qapp, tmp_path: Path, service) -> None:
    shot = tmp_path / "locked.png"
    assert run(FakeTapper([CardStatus(0)]), service, shot) == EXIT_STATUS[ErrorKind.PIN_BLOCKED]
    assert shot.exists()


def test_demo_never_spends_the_last_try(qapp, tmp_path: Path, service) -> None:
    tapper = FakeTapper([CardStatus(1)], [lookup()])
    code = run(tapper, service, tmp_path / "confirm.png")
    assert code == EXIT_STATUS[ErrorKind.LAST_TRY_REFUSED]
    assert tapper.pins == []


def test_demo_does_not_retype_after_a_wrong_pin(qapp, tmp_path: Path, service) -> None:
    tapper = FakeTapper([CardStatus(3)], [TapError(ErrorKind.WRONG_PIN, tries_left=2)])
    code = run(tapper, service, tmp_path / "wrong.png")
    assert code == EXIT_STATUS[ErrorKind.WRONG_PIN]
    assert tapper.pins == [(PIN, False)]


def test_demo_pin_must_be_four_digits(qapp, tmp_path: Path, service) -> None:
    with pytest.raises(ValueError, match="4 digits"):
        run(FakeTapper([]), service, tmp_path / "x.png", demo_pin="12a4")


def test_sigterm_ends_the_kiosk_cleanly(qapp, service) -> None:
    monitors: list[FakeMonitor] = []

    def factory(on_insert: Callable[[str], None], on_remove: Callable[[str], None]) -> FakeMonitor:
        monitors.append(FakeMonitor(on_insert, on_remove))
        return monitors[-1]

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    code = run_kiosk(KioskConfig(
        settings=FakeSettings(), service=service, tapper=FakeTapper([]),  # type: ignore[arg-type]
        monitor_factory=factory,
    ))
    timer.join()
    assert code == 128 + signal.SIGTERM
    assert not monitors[0].running
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
