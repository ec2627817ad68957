"""The points world (:mod:`tests.gui.points_world`) at the kiosk: the idle screen's
buttons follow the terminal's points scope, cached for when the platform is away."""

from __future__ import annotations

from pathlib import Path

from app.points.flows import Step
from app.points.mode import Mode
from tests.gui.points_world import ALPHA, SHOP, MakeCounter, PointsPlatform

# --- the idle screen's buttons --------------------------------------------------------------


def test_the_idle_screen_offers_the_terminal_s_modes(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    shop = make_points_counter(points_platform.terminal("shop", "till", "--shop", SHOP))
    assert shop.wait_modes() == {Mode.PAY, Mode.REDEEM, Mode.REFUND}
    assert (shop.home / "points_scope.json").exists()
    office = make_points_counter(
        points_platform.terminal("grant", "office", "--municipality", ALPHA), register=True
    )
    assert office.wait_modes() == {Mode.GRANT, Mode.APPROVALS, Mode.REGISTER}


def test_a_platform_away_at_start_up_leaves_the_cached_modes(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, tmp_path: Path
) -> None:
    terminal = points_platform.terminal("voucher", "desk", "--municipality", ALPHA)
    home = tmp_path / "desk"
    first = make_points_counter(terminal, home=home)
    assert first.wait_modes() == {Mode.VOUCHER}
    first.stop()
    again = make_points_counter(terminal, home=home, offline=True)
    assert again.wait_modes() == {Mode.VOUCHER}
    assert "GET /v1/terminal/points refuse" in again.transport.seen


def test_a_lookup_terminal_shows_no_points_buttons_and_still_looks_up(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    counter = make_points_counter(points_platform.enroll("desk"))
    assert counter.wait_modes() == set()
    assert counter.modes.open(Mode.PAY)  # a stray call still works, and closes cleanly
    assert counter.step is Step.AMOUNT
    screens = counter.modes.screens
    assert screens is not None
    screens.amount.cancel_button.click()
    assert not counter.modes.active
    assert counter.kiosk.window.current_screen() is counter.kiosk.window.idle
