"""The card lane's work (app/card_work.py): flow events out, never an exception, no PIN."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app import card_work
from app.card_step import CardProbed, TapFailed
from app.client import PlatformRefusal
from app.flow import LookupSucceeded
from app.ports import CardStatus, ErrorKind, TapError
from drivers.card.transport import Transport
from server.api.schemas import ChallengeResponse, LookupResult

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
