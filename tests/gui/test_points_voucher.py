"""Voucher mode at the kiosk: a dated point voucher issued from the holder's points (its QR
code on screen and printed), redeemed once at a shop; a second use and a voucher past its
date are refused with a clear message.

Real card proofs through pcscd and the virtual card; the platform in process
(:mod:`tests.gui.points_world`); the QR codes read back with zxing-cpp.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import zxingcpp
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.points.errors import PointsErrorKind
from app.points.flows import Step
from app.points.mode import Mode
from app.points.outbox import REDACTED, EntryState, Operation
from drivers.printers import PrintFailed
from drivers.vcard.holder import Holder
from server.api.schemas import VOUCHER_QR_PREFIX
from server.ledger.models import Voucher
from tests.fixtures.pcscd import InsertCard
from tests.gui.points_world import (
    ALPHA,
    SHOP,
    WAIT_MS,
    MakeCounter,
    PointsCounter,
    PointsPlatform,
)


def read_qr(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def screen_qr(counter: PointsCounter) -> list[str]:
    """The QR codes of the done screen's voucher, as a phone or scanner would read them."""
    qr = counter.screens.done.qr
    assert qr.isVisible()
    pixmap = qr.pixmap()
    assert not pixmap.isNull()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert pixmap.save(buffer, "PNG")
    return read_qr(Image.open(io.BytesIO(bytes(buffer.data().data()))))


def stored_code(counter: PointsCounter) -> str:
    """The voucher code the counter's outbox holds (its one entry)."""
    (record,) = counter.outbox()
    code = json.loads(record.entry.request)["code"]
    assert isinstance(code, str)
    return code


def voucher_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    counter = make(platform.terminal("voucher", "desk", "--municipality", ALPHA))
    assert counter.wait_modes() == {Mode.VOUCHER}
    return counter


def shop_counter(platform: PointsPlatform, make: MakeCounter) -> PointsCounter:
    counter = make(platform.terminal("shop", "till", "--shop", SHOP))
    assert Mode.REDEEM in counter.wait_modes()
    return counter


def ask_voucher(
    counter: PointsCounter, insert_card: InsertCard, holder: Holder, points: int
) -> None:
    """Voucher mode, ``points`` on the pad, OK; then the card (it signs for them) and PIN."""
    counter.choose(Mode.VOUCHER)
    counter.wait_step(Step.AMOUNT)
    amount = counter.screens.amount
    assert counter.kiosk.window.current_screen() is amount
    assert amount.title.text() == "ポイント券を発行する"
    amount.pad.type_amount(points)
    amount.ok_button.click()
    counter.wait_step(Step.WAIT_CARD)
    counter.tap(insert_card, holder)


def issue_voucher(
    counter: PointsCounter, insert_card: InsertCard, holder: Holder, points: int
) -> str:
    """A voucher of ``points`` issued, printed and shown; the text of its QR code."""
    ask_voucher(counter, insert_card, holder, points)
    counter.wait_step(Step.DONE)
    (text,) = screen_qr(counter)
    counter.screens.done.finish_button.click()
    counter.lift_card()
    counter.wait_closed()
    return text


def redeem(counter: PointsCounter, text: str) -> None:
    """At the shop: ポイント券を使う, the QR code scanned (a keyboard wedge: text, Enter)."""
    counter.choose(Mode.REDEEM)
    counter.wait_step(Step.CODE_ENTRY)
    screen = counter.screens.redeem
    assert counter.kiosk.window.current_screen() is screen
    counter.qtbot.keyClicks(screen.code, text)
    counter.qtbot.keyClick(screen.code, Qt.Key.Key_Return)


def voucher_row(platform: PointsPlatform, issue_transfer_id: str) -> Voucher:
    def work(session: Session) -> Voucher:
        row = session.scalars(
            select(Voucher).where(Voucher.issue_transfer_id == uuid.UUID(issue_transfer_id))
        ).one()
        session.expunge(row)
        return row

    return platform.db.transaction(work)


def test_a_voucher_is_issued_printed_and_redeemed_once(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder(points=3000)
    desk = voucher_counter(points_platform, make_points_counter)
    ask_voucher(desk, insert_card, holder, 1200)
    desk.wait_step(Step.DONE)  # after the printer took it
    done = desk.screens.done
    assert desk.kiosk.window.current_screen() is done
    assert (done.title.text(), done.amount.text()) == ("ポイント券を発行しました", "1,200 pt")
    assert done.printing.text() == "明細を印刷しました"
    assert not done.reprint_button.isVisible()

    # the ledger: the points left the holder for α市's vouchers account; a dated voucher
    (record,) = desk.outbox()
    assert (record.entry.operation, record.state) == (Operation.VOUCHER, EntryState.DONE)
    issued = points_platform.transfer(record.entry.id)
    assert issued is not None and (issued.code, issued.amount) == ("voucher_issue", 1200)
    assert points_platform.points_at_alpha(mykey_id) == (1800, 0)
    voucher = voucher_row(points_platform, record.entry.id)
    valid_until = voucher.valid_until.date().isoformat()
    assert voucher.valid_until > dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert done.lines.text().splitlines() == [
        f"番号: {voucher.number}",
        "α市",
        f"有効期限: {valid_until}",
    ]

    # the QR code on screen and on the printed voucher carries the voucher's code
    (text,) = screen_qr(desk)
    assert text.startswith(VOUCHER_QR_PREFIX)
    code = text.removeprefix(VOUCHER_QR_PREFIX)
    from server.ledger.vouchers import code_hash

    assert code_hash(code) == voucher.code_hash
    (job,) = desk.printer.jobs
    assert job.job_name == "MyKey voucher"
    assert read_qr(job.image) == [text]
    # printed: the code leaves the outbox
    desk.qtbot.waitUntil(lambda: stored_code(desk) == REDACTED, timeout=WAIT_MS)
    done.finish_button.click()
    desk.lift_card()
    desk.wait_closed()

    # redeemed once at the shop
    shop = shop_counter(points_platform, make_points_counter)
    redeem(shop, text)
    shop.wait_step(Step.DONE)
    done = shop.screens.done
    assert (done.title.text(), done.amount.text()) == ("ポイント券を使用しました", "1,200 pt")
    assert done.lines.text() == f"番号: {voucher.number}"
    redemptions = [
        t for t in points_platform.transfers("voucher_redeem") if t.linked_id == issued.id
    ]
    assert [t.amount for t in redemptions] == [1200]
    done.finish_button.click()
    shop.wait_closed()

    # a second use is refused on the code screen, and redeems nothing
    redeem(shop, text)
    screen = shop.screens.redeem
    shop.qtbot.waitUntil(
        lambda: shop.step is Step.CODE_ENTRY and screen.problem.isVisible(), timeout=WAIT_MS
    )
    assert screen.problem.text() == "このポイント券はすでに使用されています"
    flow = shop.controller.flow
    assert flow is not None and flow.view.problem is PointsErrorKind.VOUCHER_USED
    again = [t for t in points_platform.transfers("voucher_redeem") if t.linked_id == issued.id]
    assert len(again) == 1
    screen.cancel_button.click()
    shop.wait_closed()


def test_a_voucher_past_its_date_says_so(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, _ = points_platform.holder(points=500)
    desk = voucher_counter(points_platform, make_points_counter)
    text = issue_voucher(desk, insert_card, holder, 500)
    (record,) = desk.outbox()

    def backdate(session: Session) -> None:
        voucher = session.scalars(
            select(Voucher).where(Voucher.issue_transfer_id == uuid.UUID(record.entry.id))
        ).one()
        voucher.valid_until = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)

    points_platform.db.transaction(backdate)  # the voucher's date has passed

    shop = shop_counter(points_platform, make_points_counter)
    redeem(shop, text)
    screen = shop.screens.redeem
    shop.qtbot.waitUntil(
        lambda: shop.step is Step.CODE_ENTRY and screen.problem.isVisible(), timeout=WAIT_MS
    )
    assert screen.problem.text() == "このポイント券は有効期限が切れています"
    issued = points_platform.transfer(record.entry.id)
    assert issued is not None
    assert [
        t for t in points_platform.transfers("voucher_redeem") if t.linked_id == issued.id
    ] == []
    screen.cancel_button.click()
    shop.wait_closed()


def test_a_mistyped_code_is_refused_at_the_counter(
    points_platform: PointsPlatform, make_points_counter: MakeCounter
) -> None:
    shop = shop_counter(points_platform, make_points_counter)
    redeem(shop, "MYKEYV1:too-short")
    screen = shop.screens.redeem
    assert shop.step is Step.CODE_ENTRY
    assert screen.problem.text() == "このポイント券は読み取れないか、無効です"
    assert shop.outbox() == []  # nothing was sent
    screen.code.clear()
    redeem_text = VOUCHER_QR_PREFIX + "x" * 32  # well formed, but no such voucher
    shop.qtbot.keyClicks(screen.code, redeem_text)
    shop.qtbot.keyClick(screen.code, Qt.Key.Key_Return)
    shop.qtbot.waitUntil(
        lambda: shop.step is Step.CODE_ENTRY and shop.outbox() != [], timeout=WAIT_MS
    )
    assert screen.problem.text() == "このポイント券は読み取れないか、無効です"
    (record,) = shop.outbox()  # sent, and definitely refused: never sent again
    assert record.state is EntryState.DONE and record.answer is not None
    assert json.loads(record.answer)["error"] == "voucher_invalid"
    screen.cancel_button.click()
    shop.wait_closed()


def test_a_voucher_above_the_balance_is_refused(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, mykey_id = points_platform.holder(points=300)
    desk = voucher_counter(points_platform, make_points_counter)
    ask_voucher(desk, insert_card, holder, 301)
    desk.wait_step(Step.FAILED)
    done = desk.screens.done
    assert done.title.text() == "処理できませんでした"
    assert done.lines.text() == "ポイントが足りません"
    assert not done.qr.isVisible()
    assert desk.printer.jobs == []
    assert points_platform.points_at_alpha(mykey_id) == (300, 0)
    done.finish_button.click()
    desk.wait_closed()


def test_a_printer_failure_leaves_the_qr_on_screen_and_a_reprint(
    points_platform: PointsPlatform,
    make_points_counter: MakeCounter,
    pcscd: object,
    insert_card: InsertCard,
) -> None:
    holder, _ = points_platform.holder(points=400)
    desk = voucher_counter(points_platform, make_points_counter)
    desk.printer.error = PrintFailed("out of paper")
    ask_voucher(desk, insert_card, holder, 400)
    desk.wait_step(Step.DONE)
    done = desk.screens.done
    assert done.printing.text().startswith("印刷できませんでした")
    (text,) = screen_qr(desk)
    assert done.reprint_button.isVisible()
    assert stored_code(desk) == text.removeprefix(VOUCHER_QR_PREFIX)  # kept for the reprint
    desk.printer.error = None  # paper loaded
    done.reprint_button.click()
    desk.qtbot.waitUntil(lambda: done.printing.text() == "明細を印刷しました", timeout=WAIT_MS)
    assert read_qr(desk.printer.images[0]) == [text]
    assert not done.reprint_button.isVisible()
    desk.qtbot.waitUntil(lambda: stored_code(desk) == REDACTED, timeout=WAIT_MS)
    done.finish_button.click()
    desk.lift_card()
    desk.wait_closed()
