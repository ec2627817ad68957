"""Every transition of the counter's state machine (app/flow.py), without Qt."""

from __future__ import annotations

import pytest

from app.flow import (
    RETRYABLE,
    Authenticate,
    Cancel,
    CardInserted,
    CardProbed,
    CardRemovedEvent,
    ClearScreen,
    CounterFlow,
    Deliver,
    Effect,
    Event,
    LastTryConfirmed,
    LookupSucceeded,
    PinEntered,
    ProbeCard,
    Retry,
    StartTimer,
    State,
    TapFailed,
    Timeouts,
    TimerFired,
)
from app.ports import CardStatus, ErrorKind
from server.api.schemas import LookupResult

TIMEOUTS = Timeouts(result_s=30.0, error_s=20.0, pin_entry_s=60.0)
RESULT = LookupResult(
    service="demo-library",
    service_id="1234567890",
    valid=True,
    address_changed=False,
    certificate_expires_soon=False,
)
ALL_EVENTS: list[Event] = [
    CardInserted(),
    CardRemovedEvent(),
    CardProbed(CardStatus(3)),
    LastTryConfirmed(),
    PinEntered("1234"),
    LookupSucceeded(RESULT),
    TapFailed(ErrorKind.PLATFORM_UNREACHABLE),
    Cancel(),
    Retry(),
    TimerFired(0),
]


def timer(effects: list[Effect]) -> StartTimer:
    timers = [e for e in effects if isinstance(e, StartTimer)]
    assert len(timers) == 1, effects
    return timers[0]


def last_token(flow: CounterFlow) -> int:
    return flow.timer_token


# --- helpers that drive a flow into each state ------------------------------------------


def new_flow() -> CounterFlow:
    return CounterFlow(TIMEOUTS)


def at_card_present() -> CounterFlow:
    flow = new_flow()
    assert flow.handle(CardInserted()) == [ProbeCard()]
    return flow


def at_pin_entry(tries: int = 3) -> CounterFlow:
    flow = at_card_present()
    flow.handle(CardProbed(CardStatus(tries)))
    assert flow.state is State.PIN_ENTRY
    return flow


def at_confirm_last_try() -> CounterFlow:
    flow = at_card_present()
    flow.handle(CardProbed(CardStatus(1)))
    assert flow.state is State.CONFIRM_LAST_TRY
    return flow


def at_querying(tries: int = 3) -> CounterFlow:
    flow = at_pin_entry(tries)
    flow.handle(PinEntered("1234"))
    assert flow.state is State.QUERYING
    return flow


def at_result() -> CounterFlow:
    flow = at_querying()
    flow.handle(LookupSucceeded(RESULT))
    assert flow.state is State.RESULT
    return flow


def at_error(kind: ErrorKind = ErrorKind.PLATFORM_UNREACHABLE) -> CounterFlow:
    flow = at_querying()
    flow.handle(TapFailed(kind, detail="boom"))
    assert flow.state is State.ERROR
    return flow


def at_locked() -> CounterFlow:
    flow = at_card_present()
    flow.handle(CardProbed(CardStatus(0)))
    assert flow.state is State.LOCKED_PIN
    return flow


STATES = {
    State.IDLE: new_flow,
    State.CARD_PRESENT: at_card_present,
    State.CONFIRM_LAST_TRY: at_confirm_last_try,
    State.PIN_ENTRY: at_pin_entry,
    State.QUERYING: at_querying,
    State.RESULT: at_result,
    State.ERROR: at_error,
    State.LOCKED_PIN: at_locked,
}


# --- IDLE → CARD_PRESENT ----------------------------------------------------------------


def test_starts_idle_with_an_empty_view() -> None:
    flow = new_flow()
    assert flow.state is State.IDLE
    assert flow.view.result is None and flow.view.error is None


def test_default_timeouts() -> None:
    assert CounterFlow().timeouts == Timeouts(result_s=30.0, error_s=20.0, pin_entry_s=60.0)


def test_card_inserted_probes_the_card() -> None:
    flow = new_flow()
    assert flow.handle(CardInserted()) == [ProbeCard()]
    assert flow.state is State.CARD_PRESENT


@pytest.mark.parametrize(
    "state", [State.CARD_PRESENT, State.CONFIRM_LAST_TRY, State.PIN_ENTRY, State.QUERYING]
)
def test_card_inserted_is_ignored_during_a_tap(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(CardInserted()) == []
    assert flow.state is state


def test_next_patrons_card_replaces_the_result() -> None:
    flow = STATES[State.RESULT]()
    stale = last_token(flow)
    assert flow.handle(CardInserted()) == [ClearScreen(), ProbeCard()]
    assert flow.state is State.CARD_PRESENT
    assert flow.view.result is None
    assert flow.handle(TimerFired(stale)) == []


@pytest.mark.parametrize("state", [State.ERROR, State.LOCKED_PIN])
def test_card_put_back_on_an_error_screen_starts_a_new_tap(state: State) -> None:
    flow = STATES[state]()
    stale = last_token(flow)
    assert flow.handle(CardInserted()) == [ProbeCard()]
    assert flow.state is State.CARD_PRESENT
    assert flow.view.error is None
    assert flow.handle(TimerFired(stale)) == []  # the error screen's timer is void
    assert flow.state is State.CARD_PRESENT


# --- CARD_PRESENT → PIN_ENTRY / CONFIRM_LAST_TRY / LOCKED_PIN ----------------------------


@pytest.mark.parametrize("tries", [3, 2])
def test_probe_with_tries_asks_the_pin(tries: int) -> None:
    flow = at_card_present()
    effects = flow.handle(CardProbed(CardStatus(tries)))
    assert flow.state is State.PIN_ENTRY
    assert flow.view.card.tries_left == tries
    assert flow.view.card.wrong_pin is False
    assert timer(effects).seconds == TIMEOUTS.pin_entry_s


def test_probe_with_one_try_asks_for_confirmation_first() -> None:
    flow = at_card_present()
    effects = flow.handle(CardProbed(CardStatus(1)))
    assert flow.state is State.CONFIRM_LAST_TRY
    assert flow.view.card.tries_left == 1
    assert flow.view.card.last_try_confirmed is False
    assert timer(effects).seconds == TIMEOUTS.pin_entry_s


def test_probe_of_a_blocked_card_shows_locked() -> None:
    flow = at_card_present()
    effects = flow.handle(CardProbed(CardStatus(0)))
    assert flow.state is State.LOCKED_PIN
    assert flow.view.card.tries_left == 0
    assert timer(effects).seconds == TIMEOUTS.error_s


@pytest.mark.parametrize("state", [s for s in State if s is not State.CARD_PRESENT])
def test_probe_result_outside_card_present_is_ignored(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(CardProbed(CardStatus(3))) == []
    assert flow.state is state


@pytest.mark.parametrize(
    "kind",
    [ErrorKind.NOT_JPKI_CARD, ErrorKind.CARD_ERROR, ErrorKind.NO_READER, ErrorKind.CARD_REMOVED],
)
def test_probe_failure_shows_the_error(kind: ErrorKind) -> None:
    flow = at_card_present()
    effects = flow.handle(TapFailed(kind, detail="why"))
    assert flow.state is State.ERROR
    assert flow.view.error is kind
    assert flow.view.error_detail == "why"
    assert timer(effects).seconds == TIMEOUTS.error_s


def test_probe_failure_pin_blocked_shows_locked() -> None:
    flow = at_card_present()
    flow.handle(TapFailed(ErrorKind.PIN_BLOCKED))
    assert flow.state is State.LOCKED_PIN
    assert flow.view.card.tries_left == 0


# --- last-try confirmation ---------------------------------------------------------------


def test_confirming_the_last_try_opens_the_pin_pad() -> None:
    flow = at_confirm_last_try()
    effects = flow.handle(LastTryConfirmed())
    assert flow.state is State.PIN_ENTRY
    assert flow.view.card.last_try_confirmed is True
    assert timer(effects).seconds == TIMEOUTS.pin_entry_s


def test_pin_typed_before_confirmation_is_ignored() -> None:
    flow = at_confirm_last_try()
    assert flow.handle(PinEntered("1234")) == []
    assert flow.state is State.CONFIRM_LAST_TRY


def test_the_confirmed_last_try_is_allowed_on_the_card() -> None:
    flow = at_confirm_last_try()
    flow.handle(LastTryConfirmed())
    assert flow.handle(PinEntered("1234")) == [Authenticate(pin="1234", allow_last_try=True)]


def test_without_confirmation_the_last_try_is_never_allowed() -> None:
    flow = at_pin_entry(3)
    assert flow.handle(PinEntered("1234")) == [Authenticate(pin="1234", allow_last_try=False)]


@pytest.mark.parametrize("state", [s for s in State if s is not State.CONFIRM_LAST_TRY])
def test_confirmation_outside_its_screen_is_ignored(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(LastTryConfirmed()) == []
    assert flow.state is state
    assert flow.view.card.last_try_confirmed is False


def test_cancel_on_the_confirmation_returns_to_idle() -> None:
    flow = at_confirm_last_try()
    assert flow.handle(Cancel()) == [ClearScreen()]
    assert flow.state is State.IDLE


# --- PIN_ENTRY → QUERYING ----------------------------------------------------------------


def test_pin_starts_authentication_and_cancels_the_pin_timer() -> None:
    flow = new_flow()
    flow.handle(CardInserted())
    pin_timer = timer(flow.handle(CardProbed(CardStatus(3))))
    effects = flow.handle(PinEntered("4321"))
    assert effects == [Authenticate(pin="4321", allow_last_try=False)]
    assert flow.state is State.QUERYING
    assert flow.handle(TimerFired(pin_timer.token)) == []
    assert flow.state is State.QUERYING


@pytest.mark.parametrize("state", [s for s in State if s is not State.PIN_ENTRY])
def test_pin_outside_the_pin_pad_is_ignored(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(PinEntered("1234")) == []
    assert flow.state is state


def test_the_pin_never_shows_in_events_effects_or_view() -> None:
    flow = at_pin_entry()
    effects = flow.handle(PinEntered("9876"))
    assert "9876" not in repr(PinEntered("9876"))
    assert "9876" not in repr(effects)
    assert "9876" not in repr(flow.view)


# --- QUERYING → RESULT -------------------------------------------------------------------


def test_success_delivers_and_starts_the_result_timer() -> None:
    flow = at_querying()
    effects = flow.handle(LookupSucceeded(RESULT))
    assert flow.state is State.RESULT
    assert flow.view.result == RESULT
    assert effects[0] == Deliver(RESULT)
    assert timer(effects).seconds == TIMEOUTS.result_s


@pytest.mark.parametrize("state", [s for s in State if s is not State.QUERYING])
def test_a_late_result_is_ignored(state: State) -> None:
    flow = STATES[state]()
    before = flow.view.result
    assert flow.handle(LookupSucceeded(RESULT)) == []
    assert flow.state is state
    assert flow.view.result == before


def test_result_times_out_to_idle_and_clears_the_screen() -> None:
    flow = new_flow()
    flow.handle(CardInserted())
    flow.handle(CardProbed(CardStatus(3)))
    flow.handle(PinEntered("1234"))
    result_timer = timer(flow.handle(LookupSucceeded(RESULT)))
    assert flow.handle(TimerFired(result_timer.token)) == [ClearScreen()]
    assert flow.state is State.IDLE
    assert flow.view.result is None


def test_cancel_on_the_result_clears_it_at_once() -> None:
    flow = at_result()
    assert flow.handle(Cancel()) == [ClearScreen()]
    assert flow.state is State.IDLE
    assert flow.view.result is None


# --- wrong PIN → tries --------------------------------------------------------------------


def test_wrong_pin_with_two_tries_left_asks_again() -> None:
    flow = at_querying(3)
    effects = flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2))
    assert flow.state is State.PIN_ENTRY
    assert flow.view.card.tries_left == 2
    assert flow.view.card.wrong_pin is True
    assert flow.view.error is None
    assert timer(effects).seconds == TIMEOUTS.pin_entry_s


def test_wrong_pin_down_to_one_try_asks_for_confirmation() -> None:
    flow = at_querying(2)
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))
    assert flow.state is State.CONFIRM_LAST_TRY
    assert flow.view.card.tries_left == 1
    assert flow.view.card.wrong_pin is True
    assert flow.view.card.last_try_confirmed is False


def test_wrong_pin_on_the_confirmed_last_try_locks() -> None:
    flow = at_confirm_last_try()
    flow.handle(LastTryConfirmed())
    flow.handle(PinEntered("0000"))
    effects = flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=0))
    assert flow.state is State.LOCKED_PIN
    assert flow.view.card.tries_left == 0
    assert timer(effects).seconds == TIMEOUTS.error_s


def test_confirmation_does_not_carry_over_to_a_later_last_try() -> None:
    # confirmed at 1 try, wrong PIN, but the card says 1 (it cannot): ask again anyway
    flow = at_confirm_last_try()
    flow.handle(LastTryConfirmed())
    flow.handle(PinEntered("0000"))
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))
    assert flow.state is State.CONFIRM_LAST_TRY
    assert flow.view.card.last_try_confirmed is False


def test_full_wrong_pin_sequence_never_allows_the_last_try_unconfirmed() -> None:
    flow = at_pin_entry(3)
    assert flow.handle(PinEntered("0000")) == [Authenticate("0000", allow_last_try=False)]
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2))
    assert flow.handle(PinEntered("1111")) == [Authenticate("1111", allow_last_try=False)]
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))
    assert flow.handle(PinEntered("2222")) == []  # confirmation first
    flow.handle(LastTryConfirmed())
    assert flow.handle(PinEntered("1234")) == [Authenticate("1234", allow_last_try=True)]
    flow.handle(LookupSucceeded(RESULT))
    assert flow.state is State.RESULT


def test_wrong_pin_without_a_count_is_an_error_screen() -> None:
    flow = at_querying()
    flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=None, detail="format"))
    assert flow.state is State.ERROR
    assert flow.view.error is ErrorKind.WRONG_PIN


def test_pin_blocked_during_the_query_shows_locked() -> None:
    flow = at_querying()
    effects = flow.handle(TapFailed(ErrorKind.PIN_BLOCKED))
    assert flow.state is State.LOCKED_PIN
    assert flow.view.card.tries_left == 0
    assert timer(effects).seconds == TIMEOUTS.error_s


def test_locked_screen_ends_on_timeout_removal_or_cancel() -> None:
    flow = new_flow()
    flow.handle(CardInserted())
    locked_timer = timer(flow.handle(CardProbed(CardStatus(0))))
    assert flow.handle(TimerFired(locked_timer.token)) == [ClearScreen()]
    assert flow.state is State.IDLE
    flow = at_locked()
    assert flow.handle(CardRemovedEvent()) == [ClearScreen()]
    flow = at_locked()
    assert flow.handle(Cancel()) == [ClearScreen()]


# --- failures during the query -----------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        k
        for k in ErrorKind
        if k not in (ErrorKind.WRONG_PIN, ErrorKind.PIN_BLOCKED)
    ],
)
def test_query_failure_shows_its_error(kind: ErrorKind) -> None:
    flow = at_querying()
    effects = flow.handle(TapFailed(kind, detail="detail"))
    assert flow.state is State.ERROR
    assert flow.view.error is kind
    assert flow.view.error_detail == "detail"
    assert timer(effects).seconds == TIMEOUTS.error_s


@pytest.mark.parametrize(
    "state",
    [State.IDLE, State.CONFIRM_LAST_TRY, State.PIN_ENTRY, State.RESULT, State.ERROR,
     State.LOCKED_PIN],
)
def test_failure_outside_a_card_operation_is_ignored(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(TapFailed(ErrorKind.CARD_ERROR)) == []
    assert flow.state is state


def test_error_screen_times_out_to_idle() -> None:
    flow = at_querying()
    error_timer = timer(flow.handle(TapFailed(ErrorKind.NOT_REGISTERED)))
    assert flow.handle(TimerFired(error_timer.token)) == [ClearScreen()]
    assert flow.state is State.IDLE
    assert flow.view.error is None


def test_cancel_dismisses_an_error() -> None:
    flow = at_error()
    assert flow.handle(Cancel()) == [ClearScreen()]
    assert flow.state is State.IDLE


# --- retry only for retryable errors -----------------------------------------------------


def test_retryable_kinds_are_the_platform_ones() -> None:
    assert RETRYABLE == {
        ErrorKind.PLATFORM_UNREACHABLE,
        ErrorKind.PLATFORM_ERROR,
        ErrorKind.REVOCATION_UNKNOWN,
    }


@pytest.mark.parametrize("kind", sorted(RETRYABLE))
def test_retry_after_a_platform_error_probes_again(kind: ErrorKind) -> None:
    flow = at_error(kind)
    assert flow.handle(Retry()) == [ProbeCard()]
    assert flow.state is State.CARD_PRESENT
    assert flow.view.error is None
    assert flow.view.card.tries_left is None


@pytest.mark.parametrize("kind", sorted(set(ErrorKind) - RETRYABLE - {ErrorKind.PIN_BLOCKED}))
def test_retry_is_refused_for_other_errors(kind: ErrorKind) -> None:
    flow = at_querying()
    flow.handle(TapFailed(kind))
    assert flow.state is State.ERROR
    assert flow.handle(Retry()) == []
    assert flow.state is State.ERROR
    assert flow.view.error is kind


@pytest.mark.parametrize("state", [s for s in State if s is not State.ERROR])
def test_retry_outside_the_error_screen_is_ignored(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(Retry()) == []
    assert flow.state is state


def test_the_error_timer_is_void_after_retry() -> None:
    flow = at_querying()
    error_timer = timer(flow.handle(TapFailed(ErrorKind.PLATFORM_UNREACHABLE)))
    flow.handle(Retry())
    assert flow.handle(TimerFired(error_timer.token)) == []  # probe still running
    assert flow.state is State.CARD_PRESENT


def test_retry_forgets_the_last_try_confirmation() -> None:
    flow = at_confirm_last_try()
    flow.handle(LastTryConfirmed())
    flow.handle(PinEntered("1234"))
    flow.handle(TapFailed(ErrorKind.PLATFORM_UNREACHABLE))
    flow.handle(Retry())
    flow.handle(CardProbed(CardStatus(1)))
    assert flow.state is State.CONFIRM_LAST_TRY
    assert flow.view.card.last_try_confirmed is False


# --- card removed in each state ----------------------------------------------------------


@pytest.mark.parametrize("state", [State.CARD_PRESENT, State.CONFIRM_LAST_TRY, State.PIN_ENTRY])
def test_card_removed_during_a_tap_is_an_error(state: State) -> None:
    flow = STATES[state]()
    effects = flow.handle(CardRemovedEvent())
    assert flow.state is State.ERROR
    assert flow.view.error is ErrorKind.CARD_REMOVED
    assert timer(effects).seconds == TIMEOUTS.error_s


def test_card_removed_while_idle_changes_nothing() -> None:
    flow = new_flow()
    assert flow.handle(CardRemovedEvent()) == []
    assert flow.state is State.IDLE


def test_card_removed_keeps_the_result_for_the_librarian() -> None:
    flow = at_result()
    assert flow.handle(CardRemovedEvent()) == []
    assert flow.state is State.RESULT
    assert flow.view.result == RESULT


@pytest.mark.parametrize("state", [State.ERROR, State.LOCKED_PIN])
def test_card_removed_dismisses_error_screens(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(CardRemovedEvent()) == [ClearScreen()]
    assert flow.state is State.IDLE


def test_lifting_the_card_while_querying_keeps_the_lookup() -> None:
    flow = at_querying()
    assert flow.handle(CardRemovedEvent()) == []
    assert flow.state is State.QUERYING
    effects = flow.handle(LookupSucceeded(RESULT))
    assert Deliver(RESULT) in effects
    assert flow.state is State.RESULT


def test_card_lifted_before_it_signed_is_reported_by_the_tapper() -> None:
    flow = at_querying()
    flow.handle(CardRemovedEvent())
    flow.handle(TapFailed(ErrorKind.CARD_REMOVED))
    assert flow.state is State.ERROR
    assert flow.view.error is ErrorKind.CARD_REMOVED
    assert flow.view.result is None


def test_removed_then_put_back_runs_a_fresh_tap() -> None:
    flow = at_pin_entry()
    flow.handle(CardRemovedEvent())
    assert flow.handle(CardInserted()) == [ProbeCard()]
    flow.handle(CardProbed(CardStatus(3)))
    assert flow.state is State.PIN_ENTRY


# --- timers ------------------------------------------------------------------------------


def test_each_timer_gets_a_new_token() -> None:
    flow = at_card_present()
    first = timer(flow.handle(CardProbed(CardStatus(2))))
    flow.handle(PinEntered("0000"))
    second = timer(flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1)))
    assert second.token > first.token


def test_stale_pin_timer_after_a_wrong_pin_is_ignored() -> None:
    flow = at_card_present()
    first = timer(flow.handle(CardProbed(CardStatus(3))))
    flow.handle(PinEntered("0000"))
    second = timer(flow.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2)))
    assert flow.handle(TimerFired(first.token)) == []
    assert flow.state is State.PIN_ENTRY
    assert flow.handle(TimerFired(second.token)) == [ClearScreen()]
    assert flow.state is State.IDLE


def test_stale_timer_from_a_previous_tap_is_ignored() -> None:
    flow = at_card_present()
    old = timer(flow.handle(CardProbed(CardStatus(3))))
    flow.handle(Cancel())
    flow.handle(CardInserted())
    flow.handle(CardProbed(CardStatus(3)))
    assert flow.handle(TimerFired(old.token)) == []
    assert flow.state is State.PIN_ENTRY


def test_timer_while_querying_is_ignored() -> None:
    flow = at_querying()
    assert flow.handle(TimerFired(last_token(flow))) == []
    assert flow.state is State.QUERYING


def test_timer_while_idle_is_ignored() -> None:
    flow = new_flow()
    assert flow.handle(TimerFired(last_token(flow))) == []


@pytest.mark.parametrize("state", [State.CONFIRM_LAST_TRY, State.PIN_ENTRY])
def test_pin_screens_time_out_to_idle(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(TimerFired(last_token(flow))) == [ClearScreen()]
    assert flow.state is State.IDLE
    assert flow.view.card.tries_left is None


def test_configured_timeouts_are_used() -> None:
    flow = CounterFlow(Timeouts(result_s=5, error_s=6, pin_entry_s=7))
    flow.handle(CardInserted())
    assert timer(flow.handle(CardProbed(CardStatus(3)))).seconds == 7
    flow.handle(PinEntered("1234"))
    assert timer(flow.handle(LookupSucceeded(RESULT))).seconds == 5
    flow.handle(Cancel())
    flow.handle(CardInserted())
    assert timer(flow.handle(TapFailed(ErrorKind.CARD_ERROR))).seconds == 6


# --- cancel ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.IDLE, State.QUERYING])
def test_cancel_is_ignored_while_idle_or_querying(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(Cancel()) == []
    assert flow.state is state


@pytest.mark.parametrize(
    "state", [State.CARD_PRESENT, State.CONFIRM_LAST_TRY, State.PIN_ENTRY, State.RESULT,
              State.ERROR, State.LOCKED_PIN]
)
def test_cancel_returns_to_idle(state: State) -> None:
    flow = STATES[state]()
    assert flow.handle(Cancel()) == [ClearScreen()]
    assert flow.state is State.IDLE
    assert flow.view.result is None and flow.view.error is None


def test_probe_answer_after_cancel_is_ignored() -> None:
    flow = at_card_present()
    flow.handle(Cancel())
    assert flow.handle(CardProbed(CardStatus(3))) == []
    assert flow.state is State.IDLE


# --- robustness --------------------------------------------------------------------------


def test_unknown_event_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        new_flow().handle(object())  # type: ignore[arg-type]


@pytest.mark.parametrize("state", list(State))
def test_every_event_in_every_state_keeps_a_consistent_view(state: State) -> None:
    for event in ALL_EVENTS:
        flow = STATES[state]()
        flow.handle(event)
        assert (flow.view.error is not None) == (flow.state is State.ERROR)
        assert (flow.view.result is not None) == (flow.state is State.RESULT)
