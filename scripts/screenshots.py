"""Screenshots of every kiosk screen, offscreen, in Japanese: ``docs/screenshots/*.png`` and
``docs/screenshots/README.md`` listing them.

    python scripts/screenshots.py [--out DIR] [--language ja|en]

The screens are rendered from made-up views (no card, no platform, no keyring): idle, card
reading, PIN entry, last-try confirmation, querying, result (number + barcode), every error
kind, the locked PIN, the staff PIN prompt, the settings screen, and the points screens with
made-up data as an operation shows them (balances, a held payment, grants, a voucher's and a
registration link's QR codes …): a real ``PointsFlow`` driven with the events the points
controller would feed it, the platform's answers made up here.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import importlib
import inspect
import itertools
import os
import pkgutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TZ", "Asia/Tokyo")  # the registration link's expiry, in local time
time.tzset()

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402, TID251

from app.card_step import CardView  # noqa: E402
from app.flow import (  # noqa: E402
    CardInserted,
    CardProbed,
    PinEntered,
    StartTimer,
    State,
    TimerFired,
    View,
)
from app.i18n import Catalogue  # noqa: E402
from app.points.flows import (  # noqa: E402
    Answered,
    ApprovalsLoaded,
    LinkConfirmed,
    LinkEntered,
    PointsEffect,
    PointsEvent,
    Printed,
    Refused,
    Send,
    SessionOpened,
    Step,
    TicketIssued,
    Unreachable,
    flow_for,
)
from app.points.mode import Mode  # noqa: E402
from app.points.outbox import OutboxEntry  # noqa: E402
from app.ports import CardStatus, ErrorKind  # noqa: E402
from app.settings import KeyboardSettings, LabelSettings, Settings, save_settings  # noqa: E402
from app.ui.delivery import DeliveryContext, deliver_all, deliveries_for  # noqa: E402
from app.ui.main_window import DEFAULT_SIZE, MainWindow  # noqa: E402
from app.ui.points.renderer import PointsScreens  # noqa: E402
from app.ui.screens.base import Screen  # noqa: E402
from app.ui.screens.points_base import PointsScreen  # noqa: E402
from app.ui.style import apply_style  # noqa: E402
from server.api.schemas import (  # noqa: E402
    VOUCHER_QR_PREFIX,
    BarcodeSpec,
    CardSession,
    Grant,
    GrantReason,
    GrantStatus,
    LinkConfirmResult,
    LookupResult,
    Payment,
    PaymentRequest,
    PaymentStatus,
    PointBalance,
    PointsScope,
    Redemption,
    Refund,
    RegistrationTicket,
    ServiceInfo,
    TerminalMode,
    VoucherInfo,
)

SIZE = DEFAULT_SIZE
"""Every screenshot has the kiosk window's default size (width, height)."""
OUT = ROOT / "docs" / "screenshots"
OVERSIZE_NOTE = "does not fit the window"
"""Marks, in README.md, a screen whose minimum size exceeds SIZE (its PNG is larger)."""
NOT_RENDERED = "Points screens not rendered"
"""Heads the list, in README.md, of points screens no shot shows (add a shot for each)."""
SERVICE = ServiceInfo(
    name="library",
    display_name="みどり市立図書館 利用者カード",
    provider="midori-city",
    barcode=BarcodeSpec.model_validate({"symbology": "nw7", "pattern": r"[0-9]{10}"}),
)
SERVICE_ID = "2100045678"
"""A made-up library number (shown on the result screen)."""
#: an example detail per error kind, as the driver or the platform words it
DETAILS: dict[ErrorKind, str] = {
    ErrorKind.CARD_ERROR: "READ BINARY at offset 0 returned 11 bytes, more than the 4 asked for",
    ErrorKind.PLATFORM_ERROR: "HTTP 500",
}


@dataclass(frozen=True)
class Shot:
    """One screenshot: file stem, what it shows, and how to bring the window there."""

    name: str
    caption: str
    #: returns what must stay alive until the window is grabbed (or None)
    show: Callable[[MainWindow], object]


def _state(state: State, view: View) -> Callable[[MainWindow], QWidget | None]:
    def show(window: MainWindow) -> None:
        window.show_state(state, view)

    return show


def _result(window: MainWindow) -> None:
    result = LookupResult(
        service=SERVICE.name,
        service_id=SERVICE_ID,
        valid=True,
        address_changed=False,
        certificate_expires_soon=False,
    )
    window.show_state(State.RESULT, View(result=result))
    methods = deliveries_for(
        ["show", "barcode"], keyboard=KeyboardSettings(), label=LabelSettings()
    )
    from app.ui.background import Background

    background = Background(window)  # show and barcode run nothing in the background
    deliver_all(methods, result, DeliveryContext(SERVICE, window.result, background))
    background.stop()


def _staff_screen(make: Callable[[], Screen]) -> Callable[[MainWindow], QWidget | None]:
    def show(window: MainWindow) -> None:
        window.show_staff_screen(make())

    return show


def counter_shots(texts: Catalogue, home: Path) -> Iterator[Shot]:
    """The counter's own screens, in the order of a tap, then errors, then staff screens."""
    yield Shot("01-idle", "待機(カードを置いてください)", _state(State.IDLE, View()))
    yield Shot("02-reading", "カード読み取り中", _state(State.CARD_PRESENT, View()))
    yield Shot("03-pin", "暗証番号の入力",
               _state(State.PIN_ENTRY, View(card=CardView(tries_left=3))))
    yield Shot(
        "04-pin-wrong",
        "暗証番号の再入力(1 回間違えた後)",
        _state(State.PIN_ENTRY, View(card=CardView(tries_left=2, wrong_pin=True))),
    )
    yield Shot(
        "05-confirm-last-try",
        "最後の 1 回の確認",
        _state(State.CONFIRM_LAST_TRY, View(card=CardView(tries_left=1))),
    )
    yield Shot("06-querying", "問い合わせ中", _state(State.QUERYING, View()))
    yield Shot("07-result", "結果(番号とバーコード)", _result)
    yield Shot("08-locked-pin", "暗証番号ロック",
               _state(State.LOCKED_PIN, View(card=CardView(tries_left=0))))
    for kind in ErrorKind:
        view = View(error=kind, error_detail=DETAILS.get(kind, ""))
        yield Shot(
            f"error-{kind.value.replace('_', '-')}",
            f"エラー: {kind.value}",
            _state(State.ERROR, view),
        )

    def staff_pin() -> Screen:
        from app.ui.screens.staff_pin import StaffPinScreen

        screen = StaffPinScreen(texts)
        screen.reset()
        return screen

    def settings() -> Screen:
        from app.ui.background import Background
        from app.ui.screens.settings import SettingsScreen

        screen = SettingsScreen(
            texts,
            home=home,
            service=lambda: SERVICE,
            apply=lambda settings: True,
            back=lambda: None,
            queues=lambda: ["QL-820NWB"],
            background=Background(),  # no test is run for the screenshot
        )
        screen.open()
        return screen

    yield Shot("staff-pin", "スタッフ用暗証番号", _staff_screen(staff_pin))
    yield Shot("staff-settings", "設定(スタッフ用)", _staff_screen(settings))


# --- the points screens ------------------------------------------------------------------
# Each points shot drives a real PointsFlow with the events PointsController would post
# (the card's probe, the PIN, the platform's answers, the printer's) and shows every
# change with PointsScreens.show_points(step, view), as PointsController._apply does. What the
# operator types (an amount, a name, a code) is typed into the screen's own widgets, and
# its buttons are clicked: their intents go back into the flow. Nothing is sent, nothing
# printed: the answers are made up here.

#: "now" of the points screenshots (a kiosk in Japan)
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
ALPHA = PointBalance(
    municipality_code="990011",
    municipality_name="α市",
    available=4000,
    next_expiry=dt.date(2026, 6, 30),
    expiring_points=500,
)
BETA = PointBalance(municipality_code="990021", municipality_name="β市", available=5000)
SHOP_CODE = "shop-01"
SHOP_SCOPE = PointsScope(
    modes=[TerminalMode.LOOKUP, TerminalMode.SHOP],
    shop_code=SHOP_CODE,
    shop_name="α市中央商店街 みどり青果店",
)
OFFICE_SCOPE = PointsScope(
    modes=[TerminalMode.LOOKUP, TerminalMode.GRANT, TerminalMode.VOUCHER],
    municipality_code=ALPHA.municipality_code,
    municipality_name=ALPHA.municipality_name,
    grant_approval_over=1000,
)
STAFF = "yamada"  # staff accounts' logins; their PINs are made up
APPROVER = "sato"
STAFF_PIN = "246810"


def _token(seed: str, size: int) -> str:
    """``size`` made-up bytes, URL-safe base64 (as ``secrets.token_urlsafe``), the same on
    every run."""
    digest = hashlib.sha256(seed.encode()).digest()[:size]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


#: a made-up voucher secret (32 URL-safe characters, as new_voucher_code makes them)
VOUCHER_SECRET = _token("screenshot voucher", 24)
#: a made-up registration link (the platform's portal, a one-time token)
TICKET_URL = "https://portal.mykey.example/portal/register?ticket=" + _token("ticket", 32)


def transfer_id(number: int) -> str:
    """The ``number``-th transfer id of an operation: a UUID, the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mykey-screenshots/{number}"))


PAYMENT_ID = transfer_id(1)
"""The payment of points-done-payment.png (its number on the receipt), refunded."""


class PointsDriver:
    """One points operation as the controller runs it, with no platform, card or printer."""

    def __init__(self, window: MainWindow, texts: Catalogue, mode: Mode, scope: PointsScope):
        self.screens = PointsScreens(window, texts, self._intent)
        self._ids = itertools.count(1)
        self.flow = flow_for(mode, scope, new_id=self.new_id, new_code=lambda: VOUCHER_SECRET)
        self.effects: list[PointsEffect] = []
        self._apply(self.flow.start())

    def new_id(self) -> str:
        return transfer_id(next(self._ids))

    def post(self, event: PointsEvent) -> list[PointsEffect]:
        return self._apply(self.flow.handle(event))

    def _intent(self, event: object) -> None:  # a screen's button
        self.post(event)  # type: ignore[arg-type]

    def _apply(self, effects: list[PointsEffect]) -> list[PointsEffect]:
        if self.flow.step is not Step.CLOSED:
            self.screens.show_points(self.flow.step, self.flow.view)
        self.effects = effects
        return effects

    @property
    def sent(self) -> OutboxEntry:
        """The request the last event sent (its Send effect)."""
        sends = [effect.entry for effect in self.effects if isinstance(effect, Send)]
        assert sends, f"nothing sent at {self.flow.step}: {self.effects}"
        return sends[-1]

    @property
    def timer(self) -> int:
        """The token of the timer the last event started."""
        timers = [effect.token for effect in self.effects if isinstance(effect, StartTimer)]
        assert timers, f"no timer at {self.flow.step}"
        return timers[-1]

    def answer(self, make: Callable[[OutboxEntry], BaseModel]) -> None:
        """The platform's answer to the request in flight (``make`` gets its entry)."""
        entry = self.sent
        self.post(Answered(entry.id, make(entry)))

    def tap(self, answer: CardSession | RegistrationTicket) -> None:
        """The holder's card on the reader, the PIN typed, the card proved: the platform's
        answer (what the controller's OpenSession work posts)."""
        self.post(CardInserted())
        self.post(CardProbed(CardStatus(tries_left=3)))
        self.post(PinEntered("0000"))  # made up; the flow keeps no PIN
        assert self.flow.step is Step.AUTHENTICATING, self.flow.step
        if isinstance(answer, CardSession):
            self.post(SessionOpened(answer))
        else:
            self.post(TicketIssued(answer))


def _session(*balances: PointBalance) -> CardSession:
    return CardSession(
        session_id="cs-screenshot",
        expires_at=NOW + dt.timedelta(minutes=5),
        balances=list(balances),
    )


def _held(entry: OutboxEntry) -> Payment:
    """The platform's answer to a payment request: held (its id is the request's)."""
    request = entry.model()
    assert isinstance(request, PaymentRequest)
    return Payment(
        id=entry.id,
        status=PaymentStatus.HELD,
        amount=request.amount,
        municipality_code=request.municipality_code,
        shop_code=SHOP_CODE,
        hold_expires_at=NOW + dt.timedelta(minutes=5),
        created_at=NOW,
    )


def _grant(grant_id: str, points: int, reason: GrantReason, status: GrantStatus) -> Grant:
    return Grant(
        id=grant_id,
        status=status,
        points=points,
        municipality_code=ALPHA.municipality_code,
        reason=reason.value,
        requested_by=STAFF,
        created_at=NOW,
    )


def _points(
    texts: Catalogue,
    mode: Mode,
    scope: PointsScope,
    drive: Callable[[PointsDriver], None],
    step: Step,
) -> Callable[[MainWindow], object]:
    """Run ``mode`` up to ``step`` with ``drive``; the window shows that step's screen."""

    def show(window: MainWindow) -> PointsDriver:
        driver = PointsDriver(window, texts, mode, scope)
        drive(driver)
        if driver.flow.step is not step:  # the flow changed: fix this shot
            raise RuntimeError(f"{mode}: {driver.flow.step}, not {step}")
        return driver  # kept (with its screens) until the window is grabbed

    return show


def _price(driver: PointsDriver) -> None:
    """Pay: the first screen, 1,200 pt typed by the clerk (the card comes next)."""
    driver.screens.amount.pad.type_amount(1200)


def _card(driver: PointsDriver) -> None:
    """Pay: place the card, which signs for the 1,200 pt entered."""
    _price(driver)
    driver.screens.amount.ok_button.click()


def _amount(driver: PointsDriver) -> None:
    """Pay: after the tap, two balances could pay 1,200 pt: the clerk picks α市."""
    _card(driver)
    driver.tap(_session(ALPHA, BETA))


def _amount_insufficient(driver: PointsDriver) -> None:
    """Pay: 6,000 pt, more than either account holds: said on the account screen."""
    driver.screens.amount.pad.type_amount(6000)
    driver.screens.amount.ok_button.click()
    driver.tap(_session(ALPHA, BETA))


def _retrying(driver: PointsDriver) -> None:
    """Pay: the payment sent twice without an answer: its second retry waits (back-off)."""
    _amount(driver)
    driver.screens.amount.ok_button.click()
    driver.post(Unreachable(driver.sent.id, "ConnectError"))
    driver.post(TimerFired(driver.timer))  # the back-off is over: the same entry again
    driver.post(Unreachable(driver.sent.id, "ConnectError"))
    assert driver.flow.step is Step.RETRYING and driver.flow.view.attempts == 2


def _receipt(driver: PointsDriver) -> None:
    """Pay: 1,200 pt held at α市, the receipt printed."""
    _amount(driver)
    driver.screens.amount.ok_button.click()
    driver.answer(_held)
    driver.post(Printed())


def _paid(driver: PointsDriver) -> None:
    """Pay: the held payment posted."""
    _receipt(driver)
    payment = driver.flow.view.payment
    assert payment is not None
    driver.screens.receipt.confirm_button.click()
    driver.answer(lambda entry: payment.model_copy(update={"status": PaymentStatus.POSTED}))


def _redeem(driver: PointsDriver) -> None:
    """Redeem: a voucher's QR code read by the scanner (typed into the code field)."""
    driver.screens.redeem.code.setText(VOUCHER_QR_PREFIX + VOUCHER_SECRET)


def _redeemed(driver: PointsDriver) -> None:
    _redeem(driver)
    driver.screens.redeem.ok_button.click()
    driver.answer(
        lambda entry: Redemption(
            id=entry.id,
            number="730215948806",
            amount=1000,
            municipality_code=ALPHA.municipality_code,
            shop_code=SHOP_CODE,
        )
    )


def _refund(driver: PointsDriver) -> None:
    """Refund: the payment number from the receipt, 500 pt to give back."""
    driver.screens.refund.payment.setText(PAYMENT_ID)
    driver.screens.refund.pad.type_amount(500)


def _refunded(driver: PointsDriver) -> None:
    _refund(driver)
    driver.screens.refund.ok_button.click()
    driver.answer(
        lambda entry: Refund(id=entry.id, payment_id=PAYMENT_ID, amount=500, refunded_total=500)
    )
    driver.post(Printed())


def _grant_form(points: int) -> Callable[[PointsDriver], None]:
    def drive(driver: PointsDriver) -> None:
        """Grant: the reason, the points and the staff name (the card comes after)."""
        grant = driver.screens.grant
        grant.choose(GrantReason.VOLUNTEERING)
        grant.pad.type_amount(points)
        grant.staff.setText(STAFF)
        grant.staff_code.setText(STAFF_PIN)

    return drive


def _grant_confirm(driver: PointsDriver) -> None:
    """Grant: 3,000 pt, over the 1,000 pt threshold: confirm, a second staff approves."""
    _grant_form(3000)(driver)
    driver.screens.grant.next_button.click()


def _granted(points: int) -> Callable[[PointsDriver], None]:
    def drive(driver: PointsDriver) -> None:
        _grant_form(points)(driver)
        driver.screens.grant.next_button.click()
        driver.screens.grant_confirm.confirm_button.click()
        driver.tap(_session(ALPHA))
        waits = driver.flow.view.needs_approval(points)
        status = GrantStatus.AWAITING_APPROVAL if waits else GrantStatus.GRANTED
        driver.answer(lambda entry: _grant(entry.id, points, GrantReason.VOLUNTEERING, status))

    return drive


def _approvals(driver: PointsDriver) -> None:
    """Approvals: two grants awaiting a second staff member, the approver's name typed."""
    driver.post(
        ApprovalsLoaded(
            [
                _grant(
                    driver.new_id(), 3000, GrantReason.VOLUNTEERING, GrantStatus.AWAITING_APPROVAL
                ),
                _grant(
                    driver.new_id(),
                    5000,
                    GrantReason.DISASTER_SUPPORT,
                    GrantStatus.AWAITING_APPROVAL,
                ),
            ]
        )
    )
    driver.screens.approvals.staff.setText(APPROVER)
    driver.screens.approvals.staff_code.setText(STAFF_PIN)


def _voucher_amount(points: int) -> Callable[[PointsDriver], None]:
    def drive(driver: PointsDriver) -> None:
        driver.screens.amount.pad.type_amount(points)
        driver.screens.amount.ok_button.click()
        driver.tap(_session(ALPHA))

    return drive


def _voucher(driver: PointsDriver) -> None:
    """Voucher: 1,000 pt issued, printed; its QR code on the screen."""
    _voucher_amount(1000)(driver)
    driver.answer(
        lambda entry: VoucherInfo(
            number="482019375561",
            amount=1000,
            municipality_code=ALPHA.municipality_code,
            municipality_name=ALPHA.municipality_name,
            valid_until=NOW + dt.timedelta(days=180),
        )
    )
    driver.post(Printed())


def _failed(driver: PointsDriver) -> None:
    """Voucher: 6,000 pt asked from α市's 4,000: the platform refuses it."""
    _voucher_amount(6000)(driver)
    driver.post(Refused(driver.sent.id, "insufficient_points", "available 4000"))


def _register(driver: PointsDriver) -> None:
    """Register: the card proved, a one-time link as a QR code, valid 10 minutes."""
    ticket = RegistrationTicket(
        url=TICKET_URL, expires_at=NOW + dt.timedelta(minutes=10), purpose="register"
    )
    driver.tap(ticket)


LINK_NUMBER = "2222222222"


def _link_entry(driver: PointsDriver) -> None:
    """Confirm link: the number of the library card in hand, typed (or scanned)."""
    driver.screens.link.number.setText(LINK_NUMBER)


def _link_confirmed(driver: PointsDriver) -> None:
    """Confirm link: the number, the card proved, the link confirmed (a rival claim dropped)."""
    driver.post(LinkEntered(LINK_NUMBER))
    driver.post(CardInserted())
    driver.post(CardProbed(CardStatus(tries_left=3)))
    driver.post(PinEntered("0000"))  # made up; the flow keeps no PIN
    assert driver.flow.step is Step.AUTHENTICATING, driver.flow.step
    result = LinkConfirmResult(
        service="library", service_id=LINK_NUMBER, outcome="confirmed", dropped_claims=1
    )
    driver.post(LinkConfirmed(result))


def points_shots(texts: Catalogue) -> Iterator[Shot]:
    """The points screens with made-up data, in the order of the operations."""
    pay, redeem, refund = Mode.PAY, Mode.REDEEM, Mode.REFUND
    grant, approvals, voucher, register = Mode.GRANT, Mode.APPROVALS, Mode.VOUCHER, Mode.REGISTER
    shop, office = SHOP_SCOPE, OFFICE_SCOPE
    table: list[tuple[str, str, Mode, PointsScope, Callable[[PointsDriver], None], Step]] = [
        ("points-price", "支払い — 金額 1,200 pt を入力(次にカードがこの金額に署名)",
         pay, shop, _price, Step.AMOUNT),
        ("points-card", "カードを置く(1,200 pt の支払いに署名)", pay, shop, _card,
         Step.WAIT_CARD),
        ("points-amount", "支払い — 払える口座が 2 つ(α市・β市):係員が選ぶ",
         pay, shop, _amount, Step.AMOUNT),
        ("points-amount-insufficient", "支払い — どの口座も足りない(ポイントが足りません)",
         pay, shop, _amount_insufficient, Step.AMOUNT),
        ("points-progress", "通信の再試行中(2 回目、同じ取引として送り直し)",
         pay, shop, _retrying, Step.RETRYING),
        ("points-receipt", "支払い — ポイントを確保、明細を印刷済み(確定/取消)",
         pay, shop, _receipt, Step.RECEIPT),
        ("points-done-payment", "支払い完了", pay, shop, _paid, Step.DONE),
        ("points-redeem", "ポイント券を使う — QRコードを読み取った後",
         redeem, shop, _redeem, Step.CODE_ENTRY),
        ("points-done-redeem", "ポイント券の使用完了", redeem, shop, _redeemed, Step.DONE),
        ("points-refund", "返金(係員)— 支払い番号と返金額を入力",
         refund, shop, _refund, Step.REFUND_FORM),
        ("points-done-refund", "返金完了(明細を印刷済み)", refund, shop, _refunded, Step.DONE),
        ("points-grant", "付与 — 理由・ポイント数・担当職員を入力",
         grant, office, _grant_form(3000), Step.GRANT_FORM),
        ("points-grant-confirm", "付与の確認(承認が必要な 3,000 pt)",
         grant, office, _grant_confirm, Step.GRANT_CONFIRM),
        ("points-done-grant", "付与完了(500 pt)", grant, office, _granted(500), Step.DONE),
        ("points-done-grant-awaiting", "付与 — 承認待ち(3,000 pt)",
         grant, office, _granted(3000), Step.DONE),
        ("points-approvals", "付与の承認(係員)— 承認待ち 2 件",
         approvals, office, _approvals, Step.APPROVALS),
        ("points-done-voucher", "ポイント券の発行完了(QRコード、印刷済み)",
         voucher, office, _voucher, Step.DONE),
        ("points-failed", "処理できませんでした(ポイント券の発行でポイント不足)",
         voucher, office, _failed, Step.FAILED),
        ("register", "MyKey ID 登録(登録リンクのQRコードと有効期限)",
         register, office, _register, Step.TICKET),
        ("points-link", "利用カードの確認(係員)— お手元の利用カードの番号を入力",
         Mode.CONFIRM_LINK, office, _link_entry, Step.LINK_ENTRY),
        ("points-done-link", "利用カードの確認完了(同じ番号への他の申請 1 件を取消)",
         Mode.CONFIRM_LINK, office, _link_confirmed, Step.DONE),
    ]  # fmt: skip
    for name, caption, mode, scope, drive, step in table:
        yield Shot(name, f"ポイント: {caption}", _points(texts, mode, scope, drive, step))


def points_screen_classes() -> list[str]:
    """The names of every points screen (app/ui/screens/points_*.py and register.py)."""
    import app.ui.screens as screens_package

    names: list[str] = []
    for module_info in pkgutil.iter_modules(screens_package.__path__):
        if not module_info.name.startswith(("points_", "register")):
            continue
        module = importlib.import_module(f"app.ui.screens.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, PointsScreen):
                continue
            if inspect.isabstract(cls) or cls is PointsScreen:
                continue
            names.append(name)
    return sorted(names)


def render(out: Path, language: str = "ja") -> list[Path]:
    """Render every screen into ``out``; returns the PNG files written."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_style(app)
    texts = Catalogue(language)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    lines = [
        "# Screenshots of the counter",
        "",
        f"Made by `python scripts/screenshots.py` (offscreen Qt, language `{language}`, "
        f"{SIZE[0]}×{SIZE[1]}). Do not edit by hand: run the script again.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        save_settings(
            home,
            Settings(secrets_backend="file", demo_mode=True, terminal_id="term-1",
                     delivery=["show", "barcode"]),
        )
        shown: set[str] = set()
        for shot in [*counter_shots(texts, home), *points_shots(texts)]:
            window = MainWindow(texts, SERVICE.display_name)
            window.resize(*SIZE)
            window.show()
            keep = shot.show(window)
            for _ in range(5):
                app.processEvents()
            shown.add(type(window.stack.currentWidget()).__name__)
            path = out / f"{shot.name}.png"
            if not window.grab().save(str(path), "PNG"):
                raise OSError(f"cannot write {path}")
            written.append(path)
            caption = shot.caption
            width, height = window.width(), window.height()
            if (width, height) != SIZE:  # the screen's minimum size is larger than the window
                caption += f" — {OVERSIZE_NOTE}: {width}×{height}"
            lines.append(f"- `{path.name}`: {caption}")
            window.close()
            window.deleteLater()
            del keep
            app.processEvents()
    missing = [name for name in points_screen_classes() if name not in shown]
    if missing:  # a new points screen: add a shot for it
        lines += ["", f"{NOT_RENDERED}:", ""]
        lines += [f"- {name}" for name in missing]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--language", choices=("ja", "en"), default="ja")
    args = parser.parse_args(argv)
    written = render(args.out, args.language)
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
