"""The outbox while the kiosk runs: due entries are sent again on the retry timer (on the
card lane), and the staff see the dead-letter list on the settings screen and may send
an entry again from there.

The platform in process (:mod:`tests.gui.points_world`), its transport cut on request; no
card needed: the entries are written through the kiosk's own outbox and signed client.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.points.outbox import EntryState, Operation, make_entry
from app.points.sending import Outcome, send
from server.api.schemas import ResolveRequest
from tests.gui.points_world import SHOP, WAIT_MS, MakeCounter, PointsCounter, PointsPlatform

pytestmark = pytest.mark.gui


def shop_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    counter = make(platform.terminal("shop", "till", "--shop", SHOP))
    counter.wait_modes()
    assert counter.modes.retry_timer.isActive()  # started with the counter
    counter.services.retry_first_s = 0.05
    counter.services.retry_max_s = 0.05
    return counter


def unsent_post(counter: PointsCounter) -> str:
    """A post of a payment the platform does not know, sent while the network is away:
    it stays pending (once the platform is reached its refusal is final: 404)."""
    entry = make_entry(Operation.PAYMENT_POST, ResolveRequest(id=str(uuid.uuid4())),
                       target=str(uuid.uuid4()))
    counter.transport.down = True
    sent = send(counter.services.outbox(), counter.services.client(), entry)
    assert sent.outcome is Outcome.UNREACHABLE
    return entry.id


def state_of(counter: PointsCounter, entry_id: str) -> EntryState | None:
    record = counter.services.outbox().get(entry_id)
    return None if record is None else record.state


def posts_seen(counter: PointsCounter) -> list[str]:
    return [s for s in counter.transport.seen if s.startswith("POST /v1/payments/")]


def test_a_pending_entry_is_sent_again_while_the_kiosk_runs(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    counter = shop_counter(points_platform, make_points_counter)
    entry_id = unsent_post(counter)
    counter.transport.down = False  # the network is back; no restart

    counter.modes.retry_timer.setInterval(50)
    counter.qtbot.waitUntil(lambda: state_of(counter, entry_id) is EntryState.DONE,
                            timeout=WAIT_MS)

    record = counter.services.outbox().get(entry_id)
    assert record is not None and record.status == 404  # the platform's answer, kept
    assert [s.rsplit(" ", 1)[1] for s in posts_seen(counter)] == ["refuse", "ok"]
    assert counter.kiosk.window.current_screen() is counter.kiosk.window.idle


def test_staff_see_the_dead_letters_and_send_one_again(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    counter = shop_counter(points_platform, make_points_counter)
    counter.services.outbox_max_tries = 2
    entry_id = unsent_post(counter)  # try 1
    counter.modes.retry_timer.setInterval(50)
    counter.qtbot.waitUntil(lambda: state_of(counter, entry_id) is EntryState.DEAD,
                            timeout=WAIT_MS)  # try 2, the last: the dead-letter list
    passes = counter.modes.retry_passes
    counter.qtbot.waitUntil(lambda: counter.modes.retry_passes >= passes + 2, timeout=WAIT_MS)
    assert len(posts_seen(counter)) == 2  # a dead entry is not sent on its own

    staff = counter.kiosk.staff
    assert staff is not None
    staff.open_settings()  # behind the staff PIN (tests/gui/test_settings_screen.py)
    screen = staff.settings_screen
    box = screen.dead_letters
    counter.qtbot.waitUntil(lambda: box.list.count() == 1, timeout=WAIT_MS)
    assert counter.kiosk.window.current_screen() is screen and box.isVisibleTo(screen)
    assert box.count.text() == "送信をあきらめた取引: 1 件"
    row = box.list.item(0).text()
    assert "支払いの確定" in row and "2 回試行" in row and "connection refused" in row
    record = counter.services.outbox().get(entry_id)
    assert record is not None and record.attempts == 2  # kept, tries counted

    counter.transport.down = False
    box.retry_button.click()
    counter.qtbot.waitUntil(lambda: box.list.count() == 0 and box.pending == 0,
                            timeout=WAIT_MS)
    assert box.message.text().startswith("再送を予約しました")
    assert box.count.text() == "送信をあきらめた取引: 0 件"
    counter.qtbot.waitUntil(lambda: state_of(counter, entry_id) is EntryState.DONE,
                            timeout=WAIT_MS)
    assert [s.rsplit(" ", 1)[1] for s in posts_seen(counter)] == ["refuse", "refuse", "ok"]
    staff.back_to_idle()


def test_no_retry_pass_runs_while_a_points_operation_is_open(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    from app.points.flows import Step
    from app.points.mode import Mode
    from app.points.retry import due
    from app.ui.background import CARD_LANE

    counter = shop_counter(points_platform, make_points_counter)
    entry_id = unsent_post(counter)
    counter.transport.down = False
    services = counter.services
    counter.qtbot.waitUntil(  # its back-off has passed: a pass would send it
        lambda: due(services.outbox(), services.retry_policy(), dt.datetime.now(dt.UTC)) != [],
        timeout=WAIT_MS)
    background = counter.kiosk.controller.background
    counter.choose(Mode.PAY)  # the patron's operation has the card lane
    counter.wait_step(Step.AMOUNT)
    lane_jobs = background.pending(CARD_LANE)

    counter.modes.retry_tick()

    assert background.pending(CARD_LANE) == lane_jobs  # no pass queued behind the patron
    assert state_of(counter, entry_id) is EntryState.PENDING
    counter.screens.amount.cancel_button.click()
    counter.wait_closed()
    counter.modes.retry_tick()
    counter.qtbot.waitUntil(lambda: state_of(counter, entry_id) is EntryState.DONE,
                            timeout=WAIT_MS)
