"""Shop mode at the kiosk: the amount, then the card that signs for it; pay with points
(held, receipt, posted), cancel, refund, and a network cut mid-payment that a retry turns
into exactly one payment.

Real card proofs through pcscd and the virtual card; the platform in process
(:mod:`tests.gui.points_world`).
"""

from __future__ import annotations

import zxingcpp

from app.points.errors import PointsErrorKind
from app.points.flows import Step
from app.points.mode import Mode
from app.points.outbox import EntryState, Operation
from drivers.vcard.holder import Holder
from tests.fixtures.pcscd import InsertCard, MakeHolder
from tests.gui.points_world import SHOP, WAIT_MS, MakeCounter, PointsCounter, PointsPlatform


def shop_counter(platform: PointsPlatform, make: MakeCounter, **timeouts: object) -> PointsCounter:
    counter = make(platform.terminal("shop", "till", "--shop", SHOP), **timeouts)
    assert Mode.PAY in counter.wait_modes()
    return counter


def enter_amount(counter: PointsCounter, amount: int) -> None:
    """The clerk types the amount: the card screen then names what the card signs for."""
    counter.choose(Mode.PAY)
    counter.wait_step(Step.AMOUNT)
    screens = counter.screens
    assert not screens.amount.balances_title.isVisible()  # nothing of the holder yet
    screens.amount.pad.type_amount(amount)
    screens.amount.ok_button.click()
    counter.wait_step(Step.WAIT_CARD)
    assert screens.card.signs.text() == f"カードは {amount:,} pt のこの操作1回だけに使われます"


def pay(counter: PointsCounter, insert_card: InsertCard, holder: Holder, amount: int) -> None:
    """The amount, then the holder's card and PIN (one account can pay: it pays at once)."""
    enter_amount(counter, amount)
    counter.tap(insert_card, holder)


def test_pay_with_a_network_cut_yields_exactly_one_payment(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
    make_vcard_holder: MakeHolder,
) -> None:
    holder, mykey_id = points_platform.holder(points=4000)
    counter = shop_counter(points_platform, make_points_counter)
    enter_amount(counter, 700)
    screens = counter.screens
    # the hold reaches the platform, its answer is lost; then one more try is refused
    counter.transport.cut("/v1/payments", "reset", "refuse")
    counter.tap(insert_card, holder)
    counter.wait_step(Step.RETRYING)
    assert counter.kiosk.window.current_screen() is screens.progress
    assert screens.progress.message.text() == "通信を再試行しています…"
    (hold,) = counter.outbox()  # written before it was sent; pending while unanswered
    assert (hold.entry.operation, hold.state) == (Operation.PAYMENT, EntryState.PENDING)
    counter.wait_step(Step.RECEIPT)
    assert screens.receipt.amount.text() == "700 pt"
    counter.qtbot.waitUntil(lambda: len(counter.printer.jobs) == 1, timeout=WAIT_MS)
    counter.qtbot.waitUntil(
        lambda: screens.receipt.printing.text() == "明細を印刷しました", timeout=WAIT_MS
    )
    receipt = counter.printer.images[0]
    assert receipt.width == 576  # 80 mm stock
    screens.receipt.confirm_button.click()
    counter.wait_step(Step.DONE)
    assert screens.done.title.text() == "お支払いが完了しました"
    assert screens.done.amount.text() == "700 pt"

    # the platform's ledger: one held payment, posted once
    attempts = [s for s in counter.transport.seen if s.startswith("POST /v1/payments ")]
    assert attempts == [
        "POST /v1/payments reset",
        "POST /v1/payments refuse",
        "POST /v1/payments ok",
    ]
    payments = [t for t in points_platform.transfers("payment") if str(t.id) == hold.entry.id]
    assert len(payments) == 1 and payments[0].pending and payments[0].amount == 700
    posts = [t for t in points_platform.transfers("payment") if t.pending_id == payments[0].id]
    assert len(posts) == 1 and posts[0].post_pending
    assert points_platform.points_at_alpha(mykey_id) == (3300, 0)
    assert {(r.entry.operation, r.state) for r in counter.outbox()} == {
        (Operation.PAYMENT, EntryState.DONE),
        (Operation.PAYMENT_POST, EntryState.DONE),
    }
    screens.done.finish_button.click()
    counter.qtbot.waitUntil(lambda: not counter.modes.active, timeout=WAIT_MS)
    assert counter.kiosk.window.current_screen() is counter.kiosk.window.idle


def test_cancel_at_the_receipt_voids_and_a_refund_gives_back(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
    make_vcard_holder: MakeHolder,
) -> None:
    holder, mykey_id = points_platform.holder(points=1000)
    counter = shop_counter(points_platform, make_points_counter)
    pay(counter, insert_card, holder, 400)
    screens = counter.screens
    counter.wait_step(Step.RECEIPT)
    screens.receipt.cancel_button.click()  # 取消
    counter.wait_step(Step.DONE)
    assert screens.done.title.text().startswith("お支払いを取り消しました")
    held = counter.outbox()[0].entry.id
    voids = [t for t in points_platform.transfers("payment") if str(t.pending_id) == held]
    assert len(voids) == 1 and voids[0].void_pending
    screens.done.finish_button.click()
    counter.lift_card()

    # pay 300 for real, then the staff refund 100 of it
    counter.qtbot.waitUntil(lambda: not counter.modes.active, timeout=WAIT_MS)
    pay(counter, insert_card, holder, 300)
    counter.wait_step(Step.RECEIPT)
    payment = counter.controller.flow.view.payment if counter.controller.flow else None
    assert payment is not None
    payment_id = payment.id
    screens.receipt.confirm_button.click()
    counter.wait_step(Step.DONE)
    screens.done.finish_button.click()
    counter.lift_card()
    counter.qtbot.waitUntil(lambda: not counter.modes.active, timeout=WAIT_MS)
    counter.choose(Mode.REFUND)
    counter.wait_step(Step.REFUND_FORM)
    screens.refund.payment.setText(payment_id)
    screens.refund.pad.type_amount(500)  # more than was paid
    screens.refund.ok_button.click()
    counter.qtbot.waitUntil(
        lambda: counter.step is Step.REFUND_FORM and screens.refund.problem.isVisible(),
        timeout=WAIT_MS,
    )
    assert screens.refund.problem.text() == "返金額が支払額を超えています"
    screens.refund.pad.type_amount(100)
    screens.refund.ok_button.click()
    counter.wait_step(Step.DONE)
    assert screens.done.title.text() == "返金しました"
    counter.qtbot.waitUntil(lambda: len(counter.printer.jobs) == 3, timeout=WAIT_MS)
    assert [job.job_name for job in counter.printer.jobs] == [
        "MyKey payment",  # the voided hold's receipt
        "MyKey payment",
        "MyKey refund",
    ]
    refunds = points_platform.transfers("refund")
    assert [(str(t.linked_id), t.amount) for t in refunds if str(t.linked_id) == payment_id] == [
        (payment_id, 100)
    ]
    assert points_platform.points_at_alpha(mykey_id) == (800, 0)  # 1000 - 300 + 100


def test_more_than_the_balance_is_refused_on_the_amount_screen(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
    make_vcard_holder: MakeHolder,
) -> None:
    holder, _ = points_platform.holder(points=100)
    counter = shop_counter(points_platform, make_points_counter)
    pay(counter, insert_card, holder, 101)
    screens = counter.screens
    counter.qtbot.waitUntil(lambda: screens.amount.balances_title.isVisible(), timeout=WAIT_MS)
    assert counter.step is Step.AMOUNT
    assert [b.text().splitlines()[0] for b in screens.amount.balance_buttons] == ["α市  100 pt"]
    assert screens.amount.pad.value() == 101 and not screens.amount.pad.isEnabled()
    assert counter.controller.flow is not None
    assert counter.controller.flow.view.problem is PointsErrorKind.INSUFFICIENT_POINTS
    assert screens.amount.problem.text() == "ポイントが足りません"
    screens.amount.cancel_button.click()
    counter.qtbot.waitUntil(lambda: not counter.modes.active, timeout=WAIT_MS)
    assert counter.outbox() == []  # refused at the counter: nothing was sent


def test_a_post_left_pending_by_a_long_cut_is_sent_at_the_next_start_up(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
    make_vcard_holder: MakeHolder,
) -> None:
    holder, mykey_id = points_platform.holder(points=500)
    terminal = points_platform.terminal("shop", "till", "--shop", SHOP)
    first = make_points_counter(terminal, retry_s=(0.05,), max_attempts=3)
    assert Mode.PAY in first.wait_modes()
    home = first.home
    pay(first, insert_card, holder, 200)
    screens = first.screens
    first.wait_step(Step.RECEIPT)
    first.transport.down = True  # the network goes away for good
    screens.receipt.confirm_button.click()
    first.wait_step(Step.ERROR)
    window = first.kiosk.window
    assert window.current_screen() is window.error
    post = [r for r in first.outbox() if r.entry.operation is Operation.PAYMENT_POST]
    assert [r.state for r in post] == [EntryState.PENDING] and post[0].attempts == 3
    first.stop()

    again = make_points_counter(terminal, home=home)  # the counter starts again, online
    again.wait_modes()
    again.qtbot.waitUntil(
        lambda: all(r.state is EntryState.DONE for r in again.outbox()), timeout=WAIT_MS
    )
    posted = [t for t in points_platform.transfers("payment") if str(t.id) == post[0].entry.id]
    assert len(posted) == 1 and posted[0].post_pending
    assert points_platform.points_at_alpha(mykey_id) == (300, 0)


def test_the_receipt_is_readable(points_platform: PointsPlatform) -> None:
    from app.labels import LABEL_80MM
    from app.points.flows import Receipt
    from app.points.receipts import render_receipt

    image = render_receipt(
        Receipt("voucher", 1000, "V-1", "α市役所", "α市", "2026-12-31", qr="MYKEYV1:" + "a" * 32),
        LABEL_80MM,
    )
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == ["MYKEYV1:" + "a" * 32]
