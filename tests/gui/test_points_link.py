"""Confirm link at the kiosk: staff type the number of the service's card in hand, the
holder taps the My Number Card and enters the PIN, the link is confirmed; a number that
is another holder's is its own error screen and confirms nothing.

Real card proofs through pcscd and the virtual card; the platform in process
(:mod:`tests.gui.points_world`).
"""

from __future__ import annotations

from sqlalchemy import select

from app.points.flows import Step
from app.points.mode import Mode
from server.identity.models import MyKey, ServiceLink
from tests.fixtures.pcscd import InsertCard
from tests.gui.points_world import SERVICE, WAIT_MS, MakeCounter, PointsCounter, PointsPlatform

NUMBER = "2222222222"


def links_of(platform: PointsPlatform, mykey_id: str) -> list[tuple[str, str | None]]:
    def work(session):  # type: ignore[no-untyped-def]
        rows = session.scalars(
            select(ServiceLink)
            .join(MyKey, MyKey.id == ServiceLink.mykey_pk)
            .where(MyKey.mykey_id == mykey_id)
        )
        return [(row.external_id, row.confirmed_by) for row in rows]

    return platform.db.transaction(work)  # type: ignore[no-any-return]


def link_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    counter = make(platform.terminal("link_confirm", f"desk-{platform.serial}"))
    assert Mode.CONFIRM_LINK in counter.wait_modes()
    return counter


def enter_number(counter: PointsCounter, number: str) -> None:
    counter.choose(Mode.CONFIRM_LINK)
    counter.wait_step(Step.LINK_ENTRY)
    screen = counter.screens.link
    assert counter.kiosk.window.current_screen() is screen
    screen.number.setText(number)
    screen.ok_button.click()
    counter.wait_step(Step.WAIT_CARD)


def test_staff_confirm_the_number_of_the_card_in_hand(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, insert_card: InsertCard
) -> None:
    holder, mykey_id = points_platform.holder()
    counter = link_counter(points_platform, make_points_counter)
    enter_number(counter, NUMBER)
    counter.tap(insert_card, holder)
    counter.wait_step(Step.DONE)
    done = counter.screens.done
    assert counter.kiosk.window.current_screen() is done
    assert done.title.text().startswith("利用カードを確認しました")
    assert NUMBER in done.lines.text()
    assert links_of(points_platform, mykey_id) == [(NUMBER, "desk")]
    done.finish_button.click()
    counter.wait_closed()


def test_another_holders_number_is_refused_on_its_own_screen(
    points_platform: PointsPlatform, make_points_counter: MakeCounter, insert_card: InsertCard
) -> None:
    _, owner = points_platform.holder()
    points_platform.cli(
        "service", "link", "--mykey-id", owner, "--service", SERVICE, "--service-id", "4444444444"
    )
    holder, mykey_id = points_platform.holder()
    counter = link_counter(points_platform, make_points_counter)
    enter_number(counter, "4444444444")
    counter.tap(insert_card, holder)
    counter.wait_step(Step.ERROR)
    window = counter.kiosk.window
    counter.qtbot.waitUntil(lambda: window.current_screen() is window.error, timeout=WAIT_MS)
    assert window.error.title.text().startswith("この番号は他の方に確認済みです")
    assert links_of(points_platform, mykey_id) == []
    assert links_of(points_platform, owner) == [("4444444444", "operator")]
