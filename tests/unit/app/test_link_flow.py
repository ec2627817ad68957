"""The counter's confirm-link mode as a state machine: number → card → PIN → confirmed."""

from __future__ import annotations

from app.card_step import CardInserted, PinEntered, ProbeCard, TapFailed
from app.flow_common import Cancel, ClearScreen
from app.points.flows import (
    CloseMode,
    Finish,
    LinkConfirmed,
    LinkEntered,
    Mode,
    OpenSession,
    Step,
)
from app.points.mode import OPERATIONS
from app.ports import ErrorKind
from server.api.schemas import LinkConfirmResult
from tests.unit.app.test_points_flows import make, to_pin

NUMBER = "2222222222"
RESULT = LinkConfirmResult(
    service="library", service_id=NUMBER, outcome="confirmed", dropped_claims=1
)


def test_a_link_confirm_terminal_offers_the_mode() -> None:
    assert OPERATIONS["link_confirm"] == (Mode.CONFIRM_LINK,)


def test_number_then_card_then_pin_proves_for_that_number() -> None:
    flow = make(Mode.CONFIRM_LINK)
    assert flow.step is Step.LINK_ENTRY
    assert flow.handle(CardInserted()) == []  # no card before the number
    assert flow.handle(LinkEntered("   ")) == [] and flow.step is Step.LINK_ENTRY
    flow.handle(LinkEntered(f" {NUMBER}\n"))
    assert flow.step is Step.WAIT_CARD and flow.view.link_service_id == NUMBER
    to_pin(flow)
    assert flow.view.link_service_id == NUMBER  # kept when the card starts a fresh view
    effects = flow.handle(PinEntered("1234"))
    assert effects == [OpenSession(pin="1234", allow_last_try=False, link_service_id=NUMBER)]
    assert flow.step is Step.AUTHENTICATING
    flow.handle(LinkConfirmed(RESULT))
    assert flow.step is Step.DONE and flow.view.link_result == RESULT
    assert flow.handle(Finish()) == [ClearScreen(), CloseMode()]
    assert flow.step is Step.CLOSED and flow.view.link_service_id == ""


def test_a_refusal_is_its_error_screen_and_cancel_goes_back_to_the_card() -> None:
    flow = make(Mode.CONFIRM_LINK)
    flow.handle(LinkEntered(NUMBER))
    to_pin(flow)
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.SERVICE_ID_TAKEN, code="service_id_taken"))
    assert flow.step is Step.ERROR and flow.view.error is ErrorKind.SERVICE_ID_TAKEN
    assert flow.view.link_result is None
    flow.handle(Cancel())
    assert flow.step is Step.WAIT_CARD and flow.view.link_service_id == NUMBER
    assert flow.handle(CardInserted()) == [ProbeCard()]


def test_a_late_answer_without_a_proof_is_ignored() -> None:
    flow = make(Mode.CONFIRM_LINK)
    flow.handle(LinkEntered(NUMBER))
    assert flow.handle(LinkConfirmed(RESULT)) == [] and flow.step is Step.WAIT_CARD


def test_too_long_a_number_is_not_taken() -> None:
    flow = make(Mode.CONFIRM_LINK)
    assert flow.handle(LinkEntered("1" * 65)) == [] and flow.step is Step.LINK_ENTRY
