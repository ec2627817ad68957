"""What the kiosk leaves out of its start-up (issue 10): no command modules, and a
garbage collector that never walks what was loaded before the window opened.

Each test runs the real ``mykey-counter --startup-check`` (``app.__main__``) in a fresh
interpreter and looks at it when the idle screen is painted; none asserts a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytestqt.qtbot import QtBot

from app.cli import cli
from app.flow import State
from app.ui.kiosk import Kiosk, build_kiosk
from app.ui.kiosk_config import KioskConfig
from server.api.schemas import ServiceInfo
from tests.gui.conftest import FakeSettings, FakeTapper
from tests.gui.test_startup import ROOT, home_of, offscreen
from tests.unit.app.test_cli import Fakes

pytestmark = pytest.mark.gui

#: the headless commands' modules: the kiosk (no command) needs none of them
COMMAND_MODULES = ("app.cli.barcode", "app.cli.barcode_spec", "app.cli.confirm_link",
                   "app.cli.doctor", "app.cli.enroll", "app.cli.label", "app.cli.lookup",
                   "app.cli.outbox", "app.cli.print_test_label", "app.cli.register",
                   "app.cli.staff_pin")
#: the lookup flow and what reacts to cards: made after the first paint (app.ui.kiosk_flow)
FLOW_MODULES = ("app.flow", "app.card_step", "app.flow_common", "app.card_work",
                "app.ui.controller", "app.ui.demo", "app.ui.staff_access", "app.ui.kiosk_flow")
COMMAND_NAMES = ("barcode", "confirm-link", "doctor", "enroll", "label", "lookup", "outbox",
                 "print-test-label", "register", "staff-pin")


def at_first_paint(home: Path) -> dict[str, object]:
    """The real counter's state when its idle screen is painted: the command modules
    loaded and the collector's permanent generation."""
    code = f"""
import dataclasses, gc, json, runpy, sys
import app.ui.kiosk

run = app.ui.kiosk.run_kiosk

def run_kiosk(config):
    def at_paint(painted_at):
        print("STATE", json.dumps({{
            "commands": sorted(m for m in sys.modules if m in {COMMAND_MODULES!r}),
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "qt_enums": "Qt" in vars(sys.modules["PySide6.QtCore"]),
            "flow": sorted(m for m in sys.modules if m in {FLOW_MODULES!r}),
        }}))
    return run(dataclasses.replace(config, on_idle_painted=at_paint))

app.ui.kiosk.run_kiosk = run_kiosk  # the composition root imports it when the kiosk starts
sys.argv = ["mykey-counter", "--home", {str(home)!r}, "--startup-check"]
runpy.run_module("app", run_name="__main__")
"""
    proc = subprocess.run([sys.executable, "-c", code], env=offscreen(), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("STATE "))
    state: dict[str, object] = json.loads(line.removeprefix("STATE "))
    return state


@pytest.mark.parametrize("enrolled", [False, True])
def test_the_kiosk_loads_no_command_module_before_its_first_paint(
    tmp_path: Path, service: ServiceInfo, enrolled: bool
) -> None:
    state = at_first_paint(home_of(tmp_path, service if enrolled else None))
    assert state["commands"] == []


def test_what_the_kiosk_loaded_before_its_window_is_out_of_the_collectors_way(
    tmp_path: Path, service: ServiceInfo
) -> None:
    """Modules, classes and Qt's wrappers live as long as the process: the kiosk's
    collections (on its GUI thread, and the last one when it stops) need not walk them."""
    state = at_first_paint(home_of(tmp_path, service))
    frozen, tracked = state["frozen"], state["tracked"]
    assert isinstance(frozen, int) and isinstance(tracked, int)
    assert frozen > tracked  # most of the heap: the window's own objects are the rest


@pytest.mark.parametrize("enrolled", [False, True])
def test_the_idle_screen_paints_before_qt_makes_its_namespace_enums(
    tmp_path: Path, service: ServiceInfo, enrolled: bool
) -> None:
    """PySide makes all of ``Qt``'s enums at once when one is first needed (app.ui.qt_names):
    a windowed kiosk's idle screen needs none of them to paint."""
    state = at_first_paint(home_of(tmp_path, service if enrolled else None))
    assert state["qt_enums"] is False


def test_enum_properties_are_set_by_qt_names(qtbot: QtBot) -> None:
    """What the idle screen sets by name is what the enums say; a wrong name is refused."""
    from PySide6.QtCore import Qt

    from app.ui.qt_names import set_enum_property
    from app.ui.screens.base import button, label

    text, pad = label("カードをかざしてください", "title"), button("OK", "ok")
    qtbot.addWidget(text)
    qtbot.addWidget(pad)
    assert text.alignment() == Qt.AlignmentFlag.AlignCenter
    assert pad.focusPolicy() == Qt.FocusPolicy.NoFocus
    with pytest.raises(ValueError, match="AlignMiddle"):
        set_enum_property(text, "alignment", "AlignMiddle")
    with pytest.raises(ValueError, match="no_such_property"):
        set_enum_property(text, "no_such_property", "AlignCenter")


def test_the_kiosk_shortcuts_work_anywhere_in_the_application(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    from app.i18n import Catalogue
    from app.ui.main_window import MainWindow

    window = MainWindow(Catalogue("ja"), "α市立図書館")
    qtbot.addWidget(window)
    for shortcut in (window.quit_shortcut, window.staff_shortcut):
        assert shortcut.context() == Qt.ShortcutContext.ApplicationShortcut


@pytest.mark.parametrize("enrolled", [False, True])
def test_the_flow_half_is_made_after_the_first_paint(
    tmp_path: Path, service: ServiceInfo, enrolled: bool
) -> None:
    state = at_first_paint(home_of(tmp_path, service if enrolled else None))
    assert state["flow"] == []


class RecordingMonitor:
    """A card monitor that notes whether the kiosk's flow half was there when it started."""

    def __init__(self) -> None:
        self.kiosk: Kiosk | None = None
        self.flow_built_at_start: bool | None = None

    def start(self) -> None:
        assert self.kiosk is not None
        self.flow_built_at_start = self.kiosk.flow_built

    def stop(self) -> None:
        pass


def deferred_kiosk(qtbot: QtBot, service: ServiceInfo, monitor: RecordingMonitor,
                   **settings: object) -> Kiosk:
    config = KioskConfig(settings=FakeSettings(**settings),  # type: ignore[arg-type]
                         service=service, tapper=FakeTapper([]),
                         monitor_factory=lambda on_insert, on_remove: monitor,
                         flow_after_first_paint=True)
    kiosk = build_kiosk(config)
    qtbot.addWidget(kiosk.window)
    monitor.kiosk = kiosk
    return kiosk


def test_a_deferred_flow_is_made_before_the_card_monitor_starts(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    monitor = RecordingMonitor()
    kiosk = deferred_kiosk(qtbot, service, monitor)
    assert not kiosk.flow_built
    kiosk.start()
    try:
        assert not kiosk.flow_built  # shown, not painted yet
        qtbot.waitUntil(lambda: monitor.flow_built_at_start is not None, timeout=5000)
        assert monitor.flow_built_at_start is True
        assert kiosk.controller.flow.state is State.IDLE
        kiosk.bridge.on_insert("reader 0")  # a card reaches the flow through the bridge
        qtbot.waitUntil(lambda: kiosk.controller.flow.state is not State.IDLE, timeout=5000)
    finally:
        kiosk.stop()


def test_asking_for_a_part_of_the_flow_makes_it_at_once(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    kiosk = deferred_kiosk(qtbot, service, RecordingMonitor())
    assert not kiosk.flow_built
    assert kiosk.staff.controller is kiosk.controller
    assert kiosk.flow_built
    kiosk.stop()


def test_a_full_screen_kiosk_makes_its_flow_at_once_to_lock_down_as_it_shows(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    kiosk = deferred_kiosk(qtbot, service, RecordingMonitor(), fullscreen=True)
    assert kiosk.flow_built
    kiosk.stop()


def test_a_startup_check_stops_a_kiosk_whose_flow_was_never_made(
    qtbot: QtBot, service: ServiceInfo
) -> None:
    monitor = RecordingMonitor()
    kiosk = deferred_kiosk(qtbot, service, monitor)
    kiosk.stop()  # never started, never painted: nothing of the flow to stop
    assert not kiosk.flow_built


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"], obj=Fakes().backends())
    assert result.exit_code == 0, result.output
    commands = result.stdout.split("Commands:", 1)[1].split()
    assert set(COMMAND_NAMES) <= set(commands)


def test_an_unknown_command_is_refused_with_the_nearest_names() -> None:
    result = CliRunner().invoke(cli, ["staff-pn"], obj=Fakes().backends())
    assert result.exit_code == 2
    assert "No such command 'staff-pn'" in result.output
    assert "staff-pin" in result.output


def test_every_command_module_is_in_the_group() -> None:
    """A command added to ``app/cli`` but not to the group's lazy list would be missing
    from ``mykey-counter``: every ``click.Command`` a module of the package defines is
    in the group, under its own name."""
    import importlib
    import pkgutil

    import click

    import app.cli

    defined = set()
    for info in pkgutil.iter_modules(app.cli.__path__):
        module = importlib.import_module(f"app.cli.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, click.Command) and value is not cli
                    and value.callback is not None
                    and value.callback.__module__ == module.__name__):
                defined.add(value.name)
    assert defined == set(cli.commands) == set(COMMAND_NAMES)
    assert all(cli.commands[name].name == name for name in COMMAND_NAMES)


def test_the_command_line_loads_no_flow() -> None:
    """``mykey-counter barcode`` and the other headless commands run no screen flow: the
    settings name the flow's timeouts only when asked for them."""
    code = ("import sys\nimport app.cli, app.cli.barcode, app.cli.doctor, app.settings\n"
            "print(sorted(m for m in sys.modules if m in "
            "('app.flow', 'app.card_step', 'app.flow_common', 'app.card_work')))\n"
            "print(app.settings.Settings(result_timeout_s=5.0).timeouts().result_s)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60)
    assert proc.stdout.split() == ["[]", "5.0"]


def test_an_unattended_kiosk_with_its_flow_after_the_paint_types_the_pin_and_exits(
    qapp: object, tmp_path: Path, service: ServiceInfo
) -> None:
    """``mykey-counter --demo-pin-stdin --once --screenshot`` (the demo) runs this way: the
    automation comes with the flow half, after the first paint, and still plays the tap."""
    from app.ports import CardStatus
    from app.ui.kiosk import run_kiosk
    from tests.gui.conftest import PIN, FakeMonitor, lookup

    tapper = FakeTapper([CardStatus(3)], [lookup()])
    shot = tmp_path / "result.png"
    status = run_kiosk(KioskConfig(
        settings=FakeSettings(),  # type: ignore[arg-type]
        service=service, tapper=tapper,
        monitor_factory=lambda on_insert, on_remove: FakeMonitor(on_insert, on_remove,
                                                                 insert_on_start=True),
        demo_pin=PIN, screenshot_path=shot, exit_after_result=True,
        flow_after_first_paint=True,
    ))
    assert status == 0
    assert tapper.pins == [(PIN, False)]
    assert shot.stat().st_size > 0
