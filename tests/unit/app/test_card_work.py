"""The card lane's work (app/card_work.py): flow events out, never an exception, no PIN."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from app import card_work
from app.card_step import CardProbed, TapFailed
from app.client import PlatformRefusal
from app.flow import LookupSucceeded
from app.points.flows import (
    Answered,
    ApprovalsLoaded,
    LoadFailed,
    Refused,
    SessionOpened,
    TicketIssued,
    Unreachable,
)
from app.points.outbox import Operation, Outbox, make_entry
from app.ports import CardStatus, ErrorKind, TapError
from drivers.card.transport import Transport
from server.api.schemas import (
    CardSession,
    ChallengeResponse,
    Grant,
    GrantStatus,
    LookupResult,
    RedeemRequest,
    Redemption,
    RegistrationTicket,
)

if TYPE_CHECKING:
    from app.points.services import PointsServices

PIN = "4821"
RESULT = LookupResult(service="lib", service_id="0012345678", valid=True,
                      address_changed=False, certificate_expires_soon=False)


class Tapper:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error

    def probe(self) -> CardStatus:
        if self.error is not None:
            raise self.error
        return CardStatus(2)

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        if self.error is not None:
            raise self.error
        return RESULT


def test_answers_are_events() -> None:
    assert card_work.probe(Tapper()) == CardProbed(CardStatus(2))
    assert card_work.authenticate(Tapper(), PIN, allow_last_try=False) == LookupSucceeded(RESULT)


def test_a_refusal_reaches_the_flow_with_its_code() -> None:
    refusal = PlatformRefusal(ErrorKind.NOT_REGISTERED, code="service_not_linked",
                              message="no link", status=404)
    event = card_work.authenticate(Tapper(refusal), PIN, allow_last_try=False)
    assert event == TapFailed(ErrorKind.NOT_REGISTERED, detail="service_not_linked: no link",
                              code="service_not_linked")


def test_tap_errors_keep_their_tries() -> None:
    event = card_work.authenticate(Tapper(TapError(ErrorKind.WRONG_PIN, "x", tries_left=2)),
                                   PIN, allow_last_try=False)
    assert event == TapFailed(ErrorKind.WRONG_PIN, tries_left=2, detail="x")


def test_a_bug_is_answered_and_logged_without_the_pin(caplog: pytest.LogCaptureFixture) -> None:
    bug = RuntimeError(f"the PIN was {PIN}")
    with caplog.at_level(logging.ERROR):
        event = card_work.authenticate(Tapper(bug), PIN, allow_last_try=False)
    assert event == TapFailed(ErrorKind.PLATFORM_ERROR, detail="RuntimeError")
    assert "RuntimeError" in caplog.text and PIN not in caplog.text
    assert card_work.probe(Tapper(KeyError("x"))) == TapFailed(ErrorKind.CARD_ERROR,
                                                               detail="KeyError")


def test_the_pin_never_reaches_a_proofs_error_text(caplog: pytest.LogCaptureFixture) -> None:
    class Challenge:
        def challenge(self) -> ChallengeResponse:
            return ChallengeResponse(challenge_id="c", challenge=base64.b64encode(b"x").decode(),
                                     expires_at=dt.datetime.now(dt.UTC))

    @contextmanager
    def leaky(reader: str | None) -> Iterator[Transport]:
        raise RuntimeError(f"driver dump: VERIFY {PIN}")
        yield  # pragma: no cover

    card = card_work.CardAccess(reader="R", open_card=leaky)
    with caplog.at_level(logging.ERROR), pytest.raises(TapError) as failed:
        card_work.prove(card, Challenge(), PIN, allow_last_try=False)
    assert failed.value.kind is ErrorKind.CARD_ERROR
    assert "driver dump" in failed.value.detail and PIN not in str(failed.value)
    assert failed.value.__suppress_context__  # a traceback never shows the original text
    assert "driver dump" in caplog.text and PIN not in caplog.text


# --- the points modes' work ---------------------------------------------------------------

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
SESSION = CardSession(session_id="sess-1", expires_at=NOW, balances=[])
TICKET = RegistrationTicket(url="https://portal.example/r/abc", expires_at=NOW,
                            purpose="register")
PROOF = card_work.Proof("ch-1", b"cert", b"sig")
GRANT = Grant(id="g-1", status=GrantStatus.AWAITING_APPROVAL, points=5000,
              municipality_code="14130", reason="volunteering", requested_by="佐藤",
              created_at=NOW)


class Platform:
    """The signed client as the points work calls it; ``error`` is raised by every call."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.proofs: list[tuple[str, bytes, bytes]] = []

    def _answer(self, value: Any) -> Any:
        if self.error is not None:
            raise self.error
        return value

    def card_session(self, challenge_id: str, certificate_der: bytes,
                     signature: bytes) -> CardSession:
        self.proofs.append((challenge_id, certificate_der, signature))
        return self._answer(SESSION)

    def registration_ticket(self, challenge_id: str, certificate_der: bytes,
                            signature: bytes) -> RegistrationTicket:
        self.proofs.append((challenge_id, certificate_der, signature))
        return self._answer(TICKET)

    def redeem_voucher(self, request: RedeemRequest) -> Redemption:
        return self._answer(Redemption(id=request.id, number="V-1", amount=5,
                                       municipality_code="14130", shop_code="S1"))

    def awaiting_grants(self) -> list[Grant]:
        return self._answer([GRANT])


class Services:
    """The points services: the client (or why there is none), the outbox, the card."""

    def __init__(self, platform: Platform | TapError, outbox: Outbox | None = None) -> None:
        self.platform = platform
        self._outbox = outbox
        self.card = card_work.CardAccess(reader="Reader 0")

    def client(self) -> Platform:
        if isinstance(self.platform, TapError):
            raise self.platform
        return self.platform

    def outbox(self) -> Outbox:
        assert self._outbox is not None
        return self._outbox


@pytest.fixture
def proved(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """The card proof, faked: (pin, allow_last_try) of each call."""
    calls: list[tuple[str, bool]] = []

    def prove(card: card_work.CardAccess, api: object, pin: str, *,
              allow_last_try: bool) -> card_work.Proof:
        assert card.reader == "Reader 0"
        calls.append((pin, allow_last_try))
        return PROOF

    monkeypatch.setattr(card_work, "prove", prove)
    return calls


def services(platform: Platform | TapError, outbox: Outbox | None = None) -> PointsServices:
    return cast("PointsServices", Services(platform, outbox))


def test_a_points_session_and_a_ticket_follow_the_one_proof(
    proved: list[tuple[str, bool]]
) -> None:
    platform = Platform()
    assert card_work.open_session(services(platform), PIN, None, allow_last_try=True) == (
        SessionOpened(SESSION))
    assert card_work.issue_ticket(services(platform), PIN, allow_last_try=False) == (
        TicketIssued(TICKET))
    assert proved == [(PIN, True), (PIN, False)]
    assert platform.proofs == [tuple(PROOF)] * 2


def test_card_proof_refusals_keep_their_code(proved: list[tuple[str, bool]]) -> None:
    refusal = PlatformRefusal(ErrorKind.PLATFORM_ERROR, code="already_registered",
                              message="MK-1", status=409)
    event = card_work.issue_ticket(services(Platform(refusal)), PIN, allow_last_try=False)
    assert event == TapFailed(ErrorKind.PLATFORM_ERROR, detail="already_registered: MK-1",
                              code="already_registered")
    not_enrolled = TapError(ErrorKind.NOT_ENROLLED, "no key")
    assert card_work.open_session(services(not_enrolled), PIN, None, allow_last_try=False) == (
        TapFailed(ErrorKind.NOT_ENROLLED, detail="no key"))
    assert proved == [(PIN, False)]  # without a client, no card proof


def test_a_bug_in_a_points_proof_is_answered_without_the_pin(
    proved: list[tuple[str, bool]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        event = card_work.open_session(services(Platform(ValueError(PIN))), PIN, None,
                                       allow_last_try=False)
    assert event == TapFailed(ErrorKind.PLATFORM_ERROR, detail="ValueError")
    assert PIN not in caplog.text


def test_outbox_entries_are_answered_refused_or_unreachable(tmp_path: Path) -> None:
    outbox = Outbox.in_home(tmp_path)
    try:
        entry = make_entry(Operation.REDEEM, RedeemRequest(id="r-1", code="c" * 32))
        answered = card_work.send_entry(services(Platform(), outbox), entry)
        assert isinstance(answered, Answered) and answered.entry_id == "r-1"

        used = PlatformRefusal(ErrorKind.PLATFORM_ERROR, code="voucher_used", message="used",
                               status=409)
        second = make_entry(Operation.REDEEM, RedeemRequest(id="r-2", code="d" * 32))
        assert card_work.send_entry(services(Platform(used), outbox), second) == Refused(
            "r-2", "voucher_used", "used")

        down = TapError(ErrorKind.PLATFORM_UNREACHABLE, "refused")
        third = make_entry(Operation.REDEEM, RedeemRequest(id="r-3", code="e" * 32))
        assert card_work.send_entry(services(Platform(down), outbox), third) == Unreachable(
            "r-3", "refused")
        assert card_work.send_entry(services(down, outbox), third) == Unreachable(
            "r-3", "refused")
        assert [e.id for e in outbox.pending()] == ["r-3"]  # sent again later, same id
    finally:
        outbox.close()


def test_the_approvals_list_or_why_not() -> None:
    assert card_work.load_approvals(services(Platform())) == ApprovalsLoaded([GRANT])
    down = TapError(ErrorKind.PLATFORM_UNREACHABLE, "down")
    assert card_work.load_approvals(services(Platform(down))) == LoadFailed(
        ErrorKind.PLATFORM_UNREACHABLE, "down")
    assert card_work.load_approvals(services(Platform(KeyError("x")))) == LoadFailed(
        ErrorKind.PLATFORM_ERROR, "KeyError")


def test_forgetting_a_voucher_secret_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    broken = Services(Platform())  # no outbox: its lookup fails
    with caplog.at_level(logging.ERROR):
        assert card_work.forget_secret(cast("PointsServices", broken), "v-1") is None
    assert "forgetting a voucher secret" in caplog.text
