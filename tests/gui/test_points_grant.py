"""Grant mode at the kiosk: choose reason and points, confirm, then the holder's card signs
for that grant; grants above the municipality's threshold wait for a second staff member's
approval (or rejection).

Real card proofs through pcscd and the virtual card; the platform in process
(:mod:`tests.gui.points_world`); the ledger checked in the platform's database.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.points.errors import PointsErrorKind
from app.points.flows import Step
from app.points.mode import Mode
from app.points.outbox import EntryState, Operation
from drivers.vcard.holder import Holder
from server.api.schemas import GrantReason, GrantStatus
from tests.fixtures.pcscd import InsertCard
from tests.gui.points_world import (
    ALPHA,
    APPROVAL_OVER,
    APPROVER,
    SHOP,
    STAFF,
    WAIT_MS,
    MakeCounter,
    PointsCounter,
    PointsPlatform,
)


def grant_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    counter = make(platform.terminal("grant", "office", "--municipality", ALPHA))
    assert counter.wait_modes() == {Mode.GRANT, Mode.APPROVALS}
    return counter


def second_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    """Another kiosk of α市 (another terminal), where a second staff member approves."""
    counter = make(platform.terminal("grant", "office 2", "--municipality", ALPHA))
    assert counter.wait_modes() == {Mode.GRANT, Mode.APPROVALS}
    return counter


def to_grant_form(counter: PointsCounter) -> None:
    counter.choose(Mode.GRANT)
    counter.wait_step(Step.GRANT_FORM)
    assert counter.kiosk.window.current_screen() is counter.screens.grant


def confirm_and_tap(counter: PointsCounter, insert_card: InsertCard, holder: Holder) -> None:
    """確定 on the confirmation, then the holder's card and PIN for that grant."""
    counter.screens.grant_confirm.confirm_button.click()
    counter.wait_step(Step.WAIT_CARD)
    assert counter.screens.card.mode.text() == "ポイントを付与する"
    counter.tap(insert_card, holder)


def fill_grant(
    counter: PointsCounter, reason: GrantReason, points: int, staff: tuple[str, str]
) -> None:
    """The grant form as the staff fill it in (login and PIN); then 次へ."""
    form = counter.screens.grant
    assert not form.next_button.isEnabled()
    form.reason_buttons[reason].click()
    form.pad.type_amount(points)
    form.staff.setText(staff[0])
    assert not form.next_button.isEnabled()  # not without the code
    form.staff_code.setText(staff[1])
    assert form.next_button.isEnabled()
    form.next_button.click()
    assert form.staff_code.text() == ""  # the code leaves the screen once entered
    assert counter.step is Step.GRANT_CONFIRM


def grant(
    counter: PointsCounter, insert_card: InsertCard, holder: Holder, points: int
) -> tuple[str, str]:
    """A grant of ``points`` confirmed at the counter; its id and the done screen's title."""
    to_grant_form(counter)
    fill_grant(counter, GrantReason.VOLUNTEERING, points, STAFF)
    confirm_and_tap(counter, insert_card, holder)
    counter.wait_step(Step.DONE)
    (record,) = [r for r in counter.outbox() if r.entry.operation is Operation.GRANT]
    assert record.state is EntryState.DONE
    title = counter.screens.done.title.text()
    counter.screens.done.finish_button.click()
    counter.lift_card()
    counter.wait_closed()
    return record.entry.id, title


def open_approvals(counter: PointsCounter) -> None:
    counter.choose(Mode.APPROVALS)
    counter.wait_step(Step.APPROVALS)
    assert counter.kiosk.window.current_screen() is counter.screens.approvals


def decide(
    counter: PointsCounter, grant_id: str, staff: tuple[str, str], *, approve: bool
) -> None:
    """A staff login and PIN, then 承認 or 却下 on the grant's row; until the list is back."""
    screen = counter.screens.approvals
    screen.staff.setText(staff[0])
    screen.staff_code.setText(staff[1])
    screen.buttons[(grant_id, approve)].click()
    counter.wait_step(Step.APPROVALS)


def test_a_grant_within_the_threshold_is_granted_at_once(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder()
    counter = grant_counter(points_platform, make_points_counter)
    to_grant_form(counter)
    form = counter.screens.grant
    assert form.approval.text() == "1,000 pt を超える付与は別の職員の承認が必要です"
    fill_grant(counter, GrantReason.HEALTH, APPROVAL_OVER, STAFF)
    confirm = counter.screens.grant_confirm
    assert counter.kiosk.window.current_screen() is confirm
    assert confirm.amount.text() == "1,000 pt"
    assert confirm.details.text() == f"理由: 健康づくり ／ 担当: {STAFF[0]}"
    assert confirm.approval.text() == ""  # exactly the threshold: no second staff member
    confirm_and_tap(counter, insert_card, holder)
    assert counter.screens.card.signs.text() == "カードは 1,000 pt のこの操作1回だけに使われます"
    counter.wait_step(Step.DONE)
    done = counter.screens.done
    assert counter.kiosk.window.current_screen() is done
    assert (done.title.text(), done.amount.text()) == ("ポイントを付与しました", "1,000 pt")

    # the ledger: one single-phase grant of 1,000 points, in the holder's α市 account
    (record,) = counter.outbox()
    assert (record.entry.operation, record.state) == (Operation.GRANT, EntryState.DONE)
    transfer = points_platform.transfer(record.entry.id)
    assert transfer is not None
    assert (transfer.code, transfer.amount, transfer.pending) == ("grant", 1000, False)
    assert transfer.reference == f"health|{STAFF[0]}"
    assert points_platform.points_at_alpha(mykey_id) == (1000, 0)
    done.finish_button.click()
    counter.wait_closed()


def test_cancel_on_the_confirmation_grants_nothing(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder()
    counter = grant_counter(points_platform, make_points_counter)
    to_grant_form(counter)
    fill_grant(counter, GrantReason.COMMUNITY, 300, STAFF)
    counter.screens.grant_confirm.cancel_button.click()
    counter.wait_closed()
    assert counter.outbox() == []
    assert points_platform.points_at_alpha(mykey_id) == (0, 0)


def test_a_large_grant_is_posted_only_after_a_second_staff_approval(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder()
    counter = grant_counter(points_platform, make_points_counter)
    to_grant_form(counter)
    fill_grant(counter, GrantReason.DISASTER_SUPPORT, 1500, STAFF)
    confirm = counter.screens.grant_confirm
    assert confirm.approval.text() == "この付与は別の職員の承認が必要です"
    confirm_and_tap(counter, insert_card, holder)
    counter.wait_step(Step.DONE)
    done = counter.screens.done
    assert done.title.text() == "承認待ちです（別の職員の承認後に付与されます）"
    assert done.amount.text() == "1,500 pt"
    flow = counter.controller.flow
    assert flow is not None and flow.view.grant is not None
    assert flow.view.grant.status is GrantStatus.AWAITING_APPROVAL
    grant_id = flow.view.grant.id
    done.finish_button.click()
    counter.lift_card()
    counter.wait_closed()

    # held, not posted: the holder has nothing yet
    held = points_platform.transfer(grant_id)
    assert held is not None and held.pending and held.amount == 1500
    assert points_platform.points_at_alpha(mykey_id) == (0, 0)
    assert [t for t in points_platform.transfers("grant") if t.pending_id == held.id] == []

    # the approvals screen: the one who asked cannot approve, nor anyone at this kiosk
    open_approvals(counter)
    screen = counter.screens.approvals
    assert (grant_id, True) in screen.buttons
    assert any(
        f"1,500 pt（災害支援）申請: {STAFF[0]}" == w.text()
        for frame in screen.row_widgets
        for w in frame.findChildren(type(screen.notice))
    )
    decide(counter, grant_id, STAFF, approve=True)
    assert screen.problem.text() == (
        "付与を申請した職員のアカウントでは承認できません。別の職員が承認してください"
    )
    decide(counter, grant_id, APPROVER, approve=True)
    assert screen.problem.text() == (
        "付与を行った端末では承認できません。別の端末で承認してください"
    )
    assert (grant_id, True) in screen.buttons  # still awaiting
    assert points_platform.points_at_alpha(mykey_id) == (0, 0)
    screen.back_button.click()
    counter.wait_closed()

    # another staff account approves on a second kiosk: posted now, once
    second = second_counter(points_platform, make_points_counter)
    open_approvals(second)
    screen = second.screens.approvals
    decide(second, grant_id, (APPROVER[0], "000001"), approve=True)  # a wrong PIN
    assert screen.problem.text().startswith("ログインIDまたはコードが正しくありません")
    decide(second, grant_id, APPROVER, approve=True)
    assert screen.notice.text() == "1,500 pt の付与を承認しました"
    assert not screen.problem.isVisible()
    assert (grant_id, True) not in screen.buttons
    posts = [t for t in points_platform.transfers("grant") if t.pending_id == held.id]
    assert len(posts) == 1 and posts[0].post_pending
    assert points_platform.points_at_alpha(mykey_id) == (1500, 0)
    decisions = [r for r in second.outbox() if r.entry.operation is Operation.GRANT_DECISION]
    assert [r.state for r in decisions] == [EntryState.DONE, EntryState.DONE]
    assert all(APPROVER[1] not in r.entry.request for r in decisions)  # never on disk
    screen.back_button.click()
    second.wait_closed()


def test_a_rejected_grant_posts_nothing(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder()
    counter = grant_counter(points_platform, make_points_counter)
    grant_id, title = grant(counter, insert_card, holder, 2000)
    assert title == "承認待ちです（別の職員の承認後に付与されます）"
    second = second_counter(points_platform, make_points_counter)
    open_approvals(second)
    decide(second, grant_id, APPROVER, approve=False)
    screen = second.screens.approvals
    assert screen.notice.text() == "2,000 pt の付与を却下しました"
    assert (grant_id, False) not in screen.buttons
    held = points_platform.transfer(grant_id)
    assert held is not None
    resolutions = [t for t in points_platform.transfers("grant") if t.pending_id == held.id]
    assert len(resolutions) == 1 and resolutions[0].void_pending
    assert points_platform.points_at_alpha(mykey_id) == (0, 0)
    screen.back_button.click()
    second.wait_closed()


def test_a_removed_card_ends_on_the_card_removed_screen(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, _ = points_platform.holder()
    counter = grant_counter(points_platform, make_points_counter)
    to_grant_form(counter)
    fill_grant(counter, GrantReason.HEALTH, 100, STAFF)
    counter.screens.grant_confirm.confirm_button.click()
    counter.wait_step(Step.WAIT_CARD)
    counter.put_card(insert_card, holder)
    counter.lift_card()  # before the PIN is entered
    counter.wait_step(Step.ERROR)
    window = counter.kiosk.window
    counter.qtbot.waitUntil(lambda: window.current_screen() is window.error, timeout=WAIT_MS)
    assert window.error.title.text() == "カードが外されました"
    window.error.back_button.click()  # back to "place the card", the operation still open
    counter.wait_step(Step.WAIT_CARD)
    counter.screens.card.cancel_button.click()
    counter.wait_closed()
    assert counter.outbox() == []


def test_a_terminal_whose_grant_mode_was_withdrawn_says_so(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder()
    terminal = points_platform.terminal("grant", "office", "--municipality", ALPHA)
    counter = make_points_counter(terminal)
    assert Mode.GRANT in counter.wait_modes()
    points_platform.cli("terminal", "deny", terminal.terminal_id, "--mode", "grant")
    counter.choose(Mode.GRANT)  # the button is still there: the scope came before the deny
    counter.wait_step(Step.GRANT_FORM)
    fill_grant(counter, GrantReason.HEALTH, 100, STAFF)
    confirm_and_tap(counter, insert_card, holder)
    counter.wait_step(Step.FAILED)
    done = counter.screens.done
    assert counter.kiosk.window.current_screen() is done
    assert done.title.text() == "処理できませんでした"
    assert done.lines.text() == "この端末ではこの操作はできません"
    done.finish_button.click()
    counter.wait_closed()
    assert points_platform.points_at_alpha(mykey_id) == (0, 0)


def test_a_shop_terminal_cannot_grant(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder(points=100)
    counter = make_points_counter(points_platform.terminal("shop", "till", "--shop", SHOP))
    assert Mode.GRANT not in counter.wait_modes()
    assert counter.modes.open(Mode.GRANT)  # a stray call: the platform still refuses
    counter.wait_step(Step.GRANT_FORM)
    fill_grant(counter, GrantReason.OTHER, 50, STAFF)
    confirm_and_tap(counter, insert_card, holder)
    counter.wait_step(Step.FAILED)
    flow = counter.controller.flow
    assert flow is not None and flow.view.problem is PointsErrorKind.MODE_NOT_ALLOWED
    assert counter.screens.done.lines.text() == "この端末ではこの操作はできません"
    assert counter.outbox() == []  # refused at the challenge: no card signature, no grant
    assert points_platform.points_at_alpha(mykey_id) == (100, 0)
    counter.screens.done.finish_button.click()
    counter.wait_closed()


def test_the_staff_code_is_masked_and_never_kept(qtbot: QtBot) -> None:
    """The login is a staff account's (ASCII); the PIN or TOTP code is masked, digits only,
    and leaves the screen as soon as it is entered (the outbox keeps it off disk too)."""
    from app.i18n import Catalogue
    from app.ui.screens.points_approvals import PointsApprovalsScreen
    from app.ui.screens.points_grant import PointsGrantScreen

    texts = Catalogue("ja")
    grant, approvals = PointsGrantScreen(texts), PointsApprovalsScreen(texts)
    for screen in (grant, approvals):
        qtbot.addWidget(screen)
        qtbot.keyClicks(screen.staff, "yamada")  # typed key by key
        assert screen.staff.text() == "yamada" and screen.staff.maxLength() == 32
        assert screen.staff_code.echoMode().name == "Password"
        assert screen.staff_code.maxLength() == 12
        screen.staff_code.setText("246810")
        screen.clear()
        assert screen.staff_code.text() == ""
