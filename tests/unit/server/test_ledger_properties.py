"""Stateful property tests of the ledger's invariants (hypothesis), on a real SQLite file.

The machine drives the ledger's own service functions — grants at a grant terminal,
conversions by a supporter, assignments, payments (hold, post, void, refund) at a shop,
vouchers (issue, redeem), the scheduled job with a moving clock — and replays earlier
requests with the same or another content.  After every step:

- :func:`server.ledger.audit.problems` finds nothing (every transfer balanced, every
  account's sums equal its transfers, every ledger sums to zero, nobody overdrawn);
- no holder account has fewer than zero points available;
- a model kept here (per holder account: credits with their expiry, debits) equals the
  database — so expiry (soonest-expiring first), hold time-outs and refunds are checked
  against an independent computation, not only for consistency.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.operations import CardOperation, OperationKind, canonical
from server.api.schemas import (
    ConversionRequest,
    EnrollRequest,
    ErrorCode,
    GrantReason,
    GrantRequestBody,
    PaymentRequest,
    RedeemRequest,
    RefundRequest,
    ResolveRequest,
    TerminalMode,
    VoucherRequest,
)
from server.db import Database
from server.errors import PlatformError
from server.identity.models import MyKey
from server.identity.services import add_service
from server.ledger import admin, audit, grant_desk, holders, payments, vouchers
from server.ledger.conversions import add_supporter, convert
from server.ledger.expiry import run_due
from server.ledger.models import Account, CardSession
from server.migrate import upgrade
from server.staff.service import add_staff
from server.terminals.enrollment import enroll, issue_code
from server.terminals.models import Terminal
from tests.unit.server.signing import public_key_b64

ALPHA, BETA = "14130", "13116"
SHOP = "shop-01"
#: a staff account per municipality grants at its terminal
STAFF = {ALPHA: "staff-a", BETA: "staff-b"}
STAFF_PIN = "135790"
SUPPORTER = "card-co"
MYKEY_IDS = ("AAAA0001", "AAAA0002")
VALID_DAYS = 365  # the municipalities' points_valid_days (the default)
VOUCHER_DAYS = 180
ASSIGN_AFTER_DAYS = 90
HOLD_TIMEOUT = payments.HOLD_TIMEOUT
START = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
#: modules whose ``utcnow`` the test's clock replaces
CLOCKED = ("payments", "vouchers", "grant_desk", "conversions", "holders", "sessions")


@dataclass
class Template:
    """A migrated database with everything set up once, copied for each example."""

    path: Path
    supporter_key: str
    shop: uuid.UUID
    voucher_desk: uuid.UUID
    granters: dict[str, uuid.UUID]
    mykeys: dict[str, uuid.UUID]


def _terminal(db: Database, name: str) -> uuid.UUID:
    code = db.transaction(lambda s: issue_code(s, "library", name)).code
    key = public_key_b64(Ed25519PrivateKey.generate())
    return enroll(db, EnrollRequest(code=code, public_key=key)).id


def _build_template(directory: Path) -> Template:
    path = directory / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)

    def setup(session: Session) -> dict[str, uuid.UUID]:
        from server.api.schemas import BarcodeSpec, Symbology

        add_service(
            session,
            "library",
            display_name="library",
            provider="α市",
            barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"),
        )
        for code, name in ((ALPHA, "α市"), (BETA, "β市")):
            admin.add_municipality(session, code, name)
            admin.set_rules(session, code, grant_approval_over=1_000_000)
            add_staff(session, STAFF[code], "staff A", code, pin=STAFF_PIN)
        admin.add_shop(session, SHOP, "みどり書店", "retail")
        admin.allow_usage(session, ALPHA, category="retail")
        admin.allow_usage(session, BETA, shop_code=SHOP)
        keys = {}
        for mykey_id in MYKEY_IDS:
            row = MyKey(mykey_id=mykey_id, created_at=START)
            session.add(row)
            session.flush()
            keys[mykey_id] = row.id
        return keys

    mykeys = db.transaction(setup)
    supporter_key = db.transaction(lambda s: add_supporter(s, SUPPORTER, "みらいカード"))
    shop = _terminal(db, "shop")
    desk = _terminal(db, "voucher desk")
    granters = {code: _terminal(db, f"granter {code}") for code in (ALPHA, BETA)}

    def modes(session: Session) -> None:
        admin.allow_terminal(session, str(shop), TerminalMode.SHOP, shop_code=SHOP)
        admin.allow_terminal(session, str(desk), TerminalMode.VOUCHER, municipality_code=ALPHA)
        for code, terminal in granters.items():
            admin.allow_terminal(session, str(terminal), TerminalMode.GRANT, municipality_code=code)
        holders.set_default_municipality(session, mykeys[MYKEY_IDS[0]], ALPHA)

    db.transaction(modes)  # card sessions are opened per operation (one tap, one operation)
    db.dispose()
    return Template(path, supporter_key, shop, desk, granters, mykeys)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return _build_template(tmp_path_factory.mktemp("ledger-template"))


# --- the model ------------------------------------------------------------------------


@dataclass
class ModelAccount:
    """A holder account as the model sees it."""

    kind: str  # holder | reserved
    #: posted credits: (amount, expires at or None, created at)
    credits: list[tuple[int, dt.datetime | None, dt.datetime]] = field(default_factory=list)
    debits_posted: int = 0
    debits_pending: int = 0

    @property
    def available(self) -> int:
        return sum(c[0] for c in self.credits) - self.debits_posted - self.debits_pending

    def expired_due(self, now: dt.datetime) -> int:
        expiring = sum(
            a for a, expires, _ in self.credits if expires is not None and expires <= now
        )
        return max(0, expiring - self.debits_posted - self.debits_pending)

    def overdue(self, now: dt.datetime) -> int:
        old = sum(a for a, _, created in self.credits if created <= now - dt.timedelta(days=90))
        return max(0, old - self.debits_posted - self.debits_pending)


@dataclass
class ModelHold:
    account: str
    amount: int
    timeout_at: dt.datetime
    state: str = "open"  # open | posted | voided
    refunded: int = 0


@dataclass
class ModelVoucher:
    code: str
    amount: int
    valid_until: dt.datetime
    state: str = "issued"  # issued | used | expired (its points moved by the scheduled job)


@dataclass
class Sent:
    """An acknowledged request: send it again as it was, or with another content."""

    name: str
    again: Callable[[], object]
    other: Callable[[], object]
    result: object


def _key(kind: str, ledger: str, owner: uuid.UUID) -> str:
    return f"{kind}:{ledger}:{owner}"


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of ledger operations against a model of the holder accounts."""

    template: Template  # set by the test function

    holds = Bundle("holds")
    posted = Bundle("posted")
    issued_vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        t = self.template
        self.directory = Path(tempfile.mkdtemp(prefix="ledger-props-"))
        shutil.copy(t.path, self.directory / "ledger.db")
        self.db = Database(f"sqlite:///{self.directory / 'ledger.db'}")
        self.now = START
        self.patches = [
            mock.patch(f"server.ledger.{module}.utcnow", lambda: self.now) for module in CLOCKED
        ]
        for patch in self.patches:
            patch.start()
        self.terminals: dict[uuid.UUID, Terminal] = self.db.transaction(
            lambda s: {
                pk: s.get_one(Terminal, pk) for pk in (t.shop, t.voucher_desk, *t.granters.values())
            }
        )
        self.accounts: dict[str, ModelAccount] = {}
        for pk in t.mykeys.values():
            for code in (ALPHA, BETA):
                self.accounts[_key("holder", code, pk)] = ModelAccount("holder")
            self.accounts[f"reserved:{SUPPORTER}:{pk}"] = ModelAccount("reserved")
        self.model_holds: dict[str, ModelHold] = {}
        self.model_vouchers: dict[str, ModelVoucher] = {}
        self.sent: list[Sent] = []
        self.posted_payments: list[str] = []
        self.refusals: dict[str, int] = {}

    def teardown(self) -> None:
        for patch in self.patches:
            patch.stop()
        self.db.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------------

    def _terminal(self, pk: uuid.UUID) -> Terminal:
        return self.terminals[pk]

    def _session(self, terminal: uuid.UUID, holder: int, operation: CardOperation) -> str:
        """A fresh card session of ``holder`` at ``terminal`` for its one ``operation``
        (one tap, one operation), as a card proof opens it."""
        place = f"shop:{SHOP}" if operation.kind is OperationKind.PAYMENT else None
        if place is None:
            granter = {pk: code for code, pk in self.template.granters.items()}.get(terminal)
            place = f"municipality:{granter or ALPHA}"
        mykey_pk = self.template.mykeys[MYKEY_IDS[holder]]

        def tap(session: Session) -> str:
            row = CardSession(
                terminal_pk=terminal,
                mykey_pk=mykey_pk,
                created_at=self.now,
                expires_at=self.now + dt.timedelta(minutes=5),
                operation=canonical(operation.at(place)).decode(),
            )
            session.add(row)
            session.flush()
            return str(row.id)

        return self.db.transaction(tap)

    def _holder_key(self, holder: int, code: str) -> str:
        return _key("holder", code, self.template.mykeys[MYKEY_IDS[holder]])

    def _reserved_key(self, holder: int) -> str:
        return f"reserved:{SUPPORTER}:{self.template.mykeys[MYKEY_IDS[holder]]}"

    def _refused(self, error: PlatformError, *expected: ErrorCode) -> None:
        assert error.code in expected, (error.code, error.message)
        self.refusals[error.code.value] = self.refusals.get(error.code.value, 0) + 1

    def _settle(self, key: str) -> tuple[ModelAccount, dict[str, str]]:
        """The model of the maintenance that runs before a holder account is debited;
        returns the state before it (see :meth:`_restore`)."""
        saved = (
            copy.deepcopy(self.accounts[key]),
            {pid: h.state for pid, h in self.model_holds.items() if h.account == key},
        )
        for hold in self.model_holds.values():
            if hold.account == key and hold.state == "open" and hold.timeout_at <= self.now:
                hold.state = "voided"
                self.accounts[key].debits_pending -= hold.amount
        account = self.accounts[key]
        if account.kind == "holder":
            account.debits_posted += account.expired_due(self.now)
        return saved

    def _restore(self, key: str, saved: tuple[ModelAccount, dict[str, str]]) -> None:
        self.accounts[key] = saved[0]
        for pid, state in saved[1].items():
            self.model_holds[pid].state = state

    def _credit(self, key: str, amount: int, *, expires: bool = True) -> None:
        when = self.now + dt.timedelta(days=VALID_DAYS) if expires else None
        self.accounts[key].credits.append((amount, when, self.now))

    def _snapshot(self) -> dict[str, tuple[int, int, int, int]]:
        rows = self.db.transaction(lambda s: list(s.scalars(select(Account))))
        return {
            a.key: (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
            for a in rows
        }

    # --- rules ------------------------------------------------------------------------

    @rule(
        holder=st.integers(0, 1), code=st.sampled_from([ALPHA, BETA]), points=st.integers(1, 5000)
    )
    def grant(self, holder: int, code: str, points: int) -> None:
        terminal = self._terminal(self.template.granters[code])
        operation = CardOperation(
            kind=OperationKind.GRANT, points=points, reason=GrantReason.VOLUNTEERING
        )
        session_id = self._session(terminal.id, holder, operation)

        def send(points: int = points) -> str:
            body = GrantRequestBody(
                id=request_id,
                session_id=session_id,
                points=points,
                reason=GrantReason.VOLUNTEERING,
                staff_login=STAFF[code],
                staff_code=STAFF_PIN,
            )
            return grant_desk.grant_at_terminal(self.db, terminal, body).id

        request_id = str(uuid.uuid4())
        result = send()
        self._credit(self._holder_key(holder, code), points)
        self.sent.append(Sent("grant", send, lambda: send(points + 1), result))

    @rule(holder=st.integers(0, 1), points=st.integers(1, 5000))
    def conversion(self, holder: int, points: int) -> None:
        def send(points: int = points) -> str:
            body = ConversionRequest(
                id=request_id, mykey_id=MYKEY_IDS[holder], points=points, reference="order 1"
            )
            return convert(self.db, self.template.supporter_key, body).id

        request_id = str(uuid.uuid4())
        result = send()
        self._credit(self._reserved_key(holder), points, expires=False)
        self.sent.append(Sent("conversion", send, lambda: send(points + 1), result))

    @rule(
        holder=st.integers(0, 1), code=st.sampled_from([ALPHA, BETA]), points=st.integers(1, 4000)
    )
    def assignment(self, holder: int, code: str, points: int) -> None:
        transfer_id = uuid.uuid4()
        pk = self.template.mykeys[MYKEY_IDS[holder]]

        def send(points: int = points) -> int:
            return self.db.transaction(
                lambda s: holders.assign_reserved(s, pk, code, points, transfer_id)
            )

        reserved = self.accounts[self._reserved_key(holder)]
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.INSUFFICIENT_POINTS)
            assert reserved.available < points
            return
        assert reserved.available >= points
        reserved.debits_posted += points
        self._credit(self._holder_key(holder, code), points)
        self.sent.append(Sent("assignment", send, lambda: send(points + 1), result))

    @rule(
        target=holds,
        holder=st.integers(0, 1),
        code=st.sampled_from([ALPHA, BETA]),
        amount=st.integers(1, 3000),
    )
    def hold_payment(self, holder: int, code: str, amount: int) -> Any:
        shop = self._terminal(self.template.shop)
        request_id = str(uuid.uuid4())
        operation = CardOperation(kind=OperationKind.PAYMENT, points=amount)
        session_id = self._session(shop.id, holder, operation)

        def send(amount: int = amount) -> str:
            body = PaymentRequest(
                id=request_id,
                session_id=session_id,
                municipality_code=code,
                amount=amount,
            )
            return payments.hold(self.db, shop, body).id

        key = self._holder_key(holder, code)
        saved = self._settle(key)
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.INSUFFICIENT_POINTS)
            assert self.accounts[key].available < amount
            self._restore(key, saved)  # the refused debit's transaction rolled back
            return None
        assert self.accounts[key].available >= amount, "held more than was available"
        self.accounts[key].debits_pending += amount
        self.model_holds[result] = ModelHold(key, amount, self.now + HOLD_TIMEOUT)
        self.sent.append(Sent("hold", send, lambda: send(amount + 1), result))
        return result

    @rule(payment=holds)
    def post_payment(self, payment: str | None) -> None:
        self._resolve(payment, post=True)

    @rule(payment=holds)
    def void_payment(self, payment: str | None) -> None:
        self._resolve(payment, post=False)

    def _resolve(self, payment: str | None, *, post: bool) -> None:
        if payment is None:
            return
        shop = self._terminal(self.template.shop)
        request_id = str(uuid.uuid4())

        def send(post: bool = post) -> str:
            body = ResolveRequest(id=request_id)
            return payments.finish(self.db, shop, payment, body, post=post).id

        hold = self.model_holds[payment]
        account = self.accounts[hold.account]
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.PENDING_EXPIRED, ErrorCode.PENDING_RESOLVED)
            if error.code is ErrorCode.PENDING_EXPIRED:
                # checked before whether it is still open: a resolved hold past its
                # timeout is refused this way too, and nothing changes then
                assert post and self.now >= hold.timeout_at
                if hold.state == "open":
                    hold.state = "voided"
                    account.debits_pending -= hold.amount
                return
            assert hold.state != "open", "an open hold was refused as resolved"
            return
        assert hold.state == "open", f"resolved a {hold.state} hold"
        assert not post or self.now < hold.timeout_at, "posted a timed-out hold"
        hold.state = "posted" if post else "voided"
        account.debits_pending -= hold.amount
        if post:
            account.debits_posted += hold.amount
            self.posted_payments.append(payment)
        self.sent.append(Sent("post" if post else "void", send, lambda: send(not post), result))

    @precondition(lambda self: bool(self.posted_payments))
    @rule(data=st.data(), amount=st.integers(1, 2000))
    def refund(self, data: st.DataObject, amount: int) -> None:
        payment = data.draw(st.sampled_from(self.posted_payments))
        shop = self._terminal(self.template.shop)
        request_id = str(uuid.uuid4())

        def send(amount: int = amount) -> str:
            body = RefundRequest(id=request_id, amount=amount)
            return payments.refund(self.db, shop, payment, body).id

        hold = self.model_holds[payment]
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.REFUND_EXCEEDS_PAYMENT)
            assert hold.refunded + amount > hold.amount
            return
        assert hold.refunded + amount <= hold.amount, "refunded more than was paid"
        hold.refunded += amount
        self._credit(hold.account, amount)
        self.sent.append(Sent("refund", send, lambda: send(amount + 1), result))

    @rule(target=issued_vouchers, holder=st.integers(0, 1), points=st.integers(1, 3000))
    def issue_voucher(self, holder: int, points: int) -> Any:
        desk = self._terminal(self.template.voucher_desk)
        request_id = str(uuid.uuid4())
        code = uuid.uuid4().hex

        operation = CardOperation(kind=OperationKind.VOUCHER, points=points)
        session_id = self._session(desk.id, holder, operation)

        def send(code: str = code) -> str:
            body = VoucherRequest(
                id=request_id,
                session_id=session_id,
                points=points,
                code=code,
            )
            return vouchers.issue(self.db, desk, body).number

        key = self._holder_key(holder, ALPHA)
        saved = self._settle(key)
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.INSUFFICIENT_POINTS)
            assert self.accounts[key].available < points
            self._restore(key, saved)
            return None
        assert self.accounts[key].available >= points
        self.accounts[key].debits_posted += points
        self.model_vouchers[code] = ModelVoucher(
            code, points, self.now + dt.timedelta(days=VOUCHER_DAYS)
        )
        self.sent.append(Sent("voucher", send, lambda: send(uuid.uuid4().hex), result))
        return code

    @rule(code=issued_vouchers)
    def redeem_voucher(self, code: str | None) -> None:
        if code is None:
            return
        shop = self._terminal(self.template.shop)
        request_id = str(uuid.uuid4())

        def send(code: str = code) -> str:
            return vouchers.redeem(self.db, shop, RedeemRequest(id=request_id, code=code)).id

        voucher = self.model_vouchers[code]
        # the platform checks the date first: past it, a voucher is refused as expired
        # whether it was used, expired by the scheduled job, or neither
        if self.now >= voucher.valid_until:
            expected: ErrorCode | None = ErrorCode.VOUCHER_EXPIRED
        else:
            expected = ErrorCode.VOUCHER_USED if voucher.state == "used" else None
        try:
            result = send()
        except PlatformError as error:
            self._refused(error, ErrorCode.VOUCHER_USED, ErrorCode.VOUCHER_EXPIRED)
            assert error.code is expected, (error.code, expected, voucher)
            return
        assert expected is None, f"redeemed a voucher that should be refused: {expected}"
        assert voucher.state == "issued"
        voucher.state = "used"
        self.sent.append(Sent("redeem", send, lambda: send(uuid.uuid4().hex), result))

    @rule(
        step=st.sampled_from(
            [
                dt.timedelta(minutes=1),
                dt.timedelta(minutes=6),
                dt.timedelta(days=1),
                dt.timedelta(days=45),
                dt.timedelta(days=100),
                dt.timedelta(days=200),
            ]
        )
    )
    def advance_clock(self, step: dt.timedelta) -> None:
        self.now += step

    @rule()
    def run_scheduled_job(self) -> None:
        report = run_due(self.db, self.now)
        for key, account in self.accounts.items():
            if account.kind == "holder":
                self._settle(key)
        for voucher in self.model_vouchers.values():
            if voucher.state == "issued" and voucher.valid_until <= self.now:
                voucher.state = "expired"
        first = MYKEY_IDS[0]
        reserved = self.accounts[self._reserved_key(0)]
        due = reserved.overdue(self.now)
        if due:
            reserved.debits_posted += due
            self._credit(self._holder_key(0, ALPHA), due)
        assert report.points_auto_assigned == due, (first, report)

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def replay_same_request(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent))
        before = self._snapshot()
        assert sent.again() == sent.result, sent.name
        assert self._snapshot() == before, f"replaying a {sent.name} changed balances"

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def replay_id_with_other_content(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent))
        before = self._snapshot()
        with pytest.raises(PlatformError) as raised:
            sent.other()
        assert raised.value.code is ErrorCode.TRANSFER_ID_CONFLICT, (
            sent.name,
            raised.value.code,
        )
        assert self._snapshot() == before

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def ledger_is_sound(self) -> None:
        assert self.db.transaction(audit.problems) == []

    @invariant()
    def model_equals_database(self) -> None:
        def read(session: Session) -> dict[str, Account]:
            return {a.key: a for a in session.scalars(select(Account))}

        rows = self.db.transaction(read)
        for account in rows.values():
            if account.no_overdraft:
                assert account.available >= 0, account.key
        for key, model in self.accounts.items():
            row = rows.get(key)
            found = (
                (0, 0, 0)
                if row is None
                else (row.credits_posted, row.debits_posted, row.debits_pending)
            )
            expected = (sum(c[0] for c in model.credits), model.debits_posted, model.debits_pending)
            assert found == expected, (key, found, expected)
        # α市's vouchers account holds exactly the points of its vouchers neither used nor
        # expired (issues credit it; redemptions and the job's voucher expiry debit it)
        vouchers = rows.get(f"vouchers:{ALPHA}")
        outstanding = sum(v.amount for v in self.model_vouchers.values() if v.state == "issued")
        assert (0 if vouchers is None else vouchers.balance) == outstanding


#: examples × steps per run: ``default`` keeps a local run near 10 s; ``ci`` (set
#: ``HYPOTHESIS_PROFILE=ci``) explores longer sequences, within about a minute
PROFILES = {"default": (25, 40), "ci": (60, 60)}
EXAMPLES, STEPS = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "default")]

LedgerMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_ledger_invariants_hold_under_random_operations(template: Template) -> None:
    LedgerMachine.template = template
    LedgerMachine.TestCase("runTest").runTest()


def test_an_assignment_id_reused_for_another_request_is_a_conflict(template: Template) -> None:
    """Found by the machine: the assignment's digest did not cover its content."""
    directory = Path(tempfile.mkdtemp(prefix="ledger-assign-"))
    try:
        shutil.copy(template.path, directory / "ledger.db")
        db = Database(f"sqlite:///{directory / 'ledger.db'}")
        mykey_id = MYKEY_IDS[0]
        body = ConversionRequest(id=str(uuid.uuid4()), mykey_id=mykey_id, points=50, reference="x")
        convert(db, template.supporter_key, body)
        pk, transfer_id = template.mykeys[mykey_id], uuid.uuid4()

        def assign(points: int, code: str = ALPHA) -> int:
            return db.transaction(
                lambda s: holders.assign_reserved(s, pk, code, points, transfer_id)
            )

        assert assign(10) == 10
        assert assign(10) == 10  # the same request again: the same result
        for other in (lambda: assign(20), lambda: assign(10, BETA)):
            with pytest.raises(PlatformError) as raised:
                other()
            assert raised.value.code is ErrorCode.TRANSFER_ID_CONFLICT
        assert db.transaction(audit.problems) == []
        db.dispose()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
