"""Every transition of the card step (app/card_step.py), without Qt."""

from __future__ import annotations

import pytest

from app.card_step import (
    CardProbed,
    CardRemovedEvent,
    CardStep,
    CardView,
    Failed,
    LastTryConfirmed,
    Left,
    Locked,
    Phase,
    PinEntered,
    ProbeCard,
    Prove,
    StepEffect,
    StepEnded,
    StepEvent,
    TapFailed,
)
from app.flow_common import Cancel, ScreenTimer, StartTimer, TimerFired
from app.ports import CardStatus, ErrorKind

PIN_S = 45.0


def new_step() -> CardStep:
    return CardStep(ScreenTimer(), pin_entry_s=PIN_S)


def reading() -> CardStep:
    step = new_step()
    assert step.start() == [ProbeCard()]
    assert step.phase is Phase.READING and step.active
    return step


def at_pin(tries: int = 3) -> CardStep:
    step = reading()
    step.handle(CardProbed(CardStatus(tries)))
    assert step.phase is Phase.PIN_ENTRY
    return step


def at_confirm() -> CardStep:
    step = reading()
    step.handle(CardProbed(CardStatus(1)))
    assert step.phase is Phase.CONFIRM_LAST_TRY
    return step


def proving(tries: int = 3) -> CardStep:
    step = at_pin(tries)
    step.handle(PinEntered("1234"))
    assert step.phase is Phase.PROVING
    return step


PHASES = {
    Phase.IDLE: new_step,
    Phase.READING: reading,
    Phase.CONFIRM_LAST_TRY: at_confirm,
    Phase.PIN_ENTRY: at_pin,
    Phase.PROVING: proving,
}


def ended(effects: list[StepEffect]) -> StepEnded:
    assert len(effects) == 1 and isinstance(effects[0], StepEnded), effects
    return effects[0]


def timer(effects: list[StepEffect]) -> StartTimer:
    (start,) = [e for e in effects if isinstance(e, StartTimer)]
    return start


# --- reading the card --------------------------------------------------------------------


def test_a_new_step_is_idle_and_takes_nothing() -> None:
    step = new_step()
    assert step.phase is Phase.IDLE and not step.active
    assert step.view == CardView()
    for event in (CardProbed(CardStatus(3)), PinEntered("1234"), Cancel(), CardRemovedEvent()):
        assert step.handle(event) == []
    assert not step.proved()


def test_start_voids_the_screen_timer_before_it_and_forgets_the_last_card() -> None:
    timers = ScreenTimer()
    old = timers.start(10)
    step = CardStep(timers, pin_entry_s=PIN_S)
    step.view = CardView(1, True, True)
    step.start()
    assert not timers.fired(old.token)
    assert step.view == CardView()


@pytest.mark.parametrize("tries", [3, 2])
def test_tries_left_open_the_pin_pad_with_its_timer(tries: int) -> None:
    step = reading()
    effects = step.handle(CardProbed(CardStatus(tries)))
    assert step.phase is Phase.PIN_ENTRY
    assert step.view == CardView(tries_left=tries)
    assert timer(effects).seconds == PIN_S


def test_one_try_left_asks_for_consent_first() -> None:
    step = reading()
    effects = step.handle(CardProbed(CardStatus(1)))
    assert step.phase is Phase.CONFIRM_LAST_TRY
    assert step.view == CardView(tries_left=1)
    assert timer(effects).seconds == PIN_S


def test_no_try_left_ends_locked() -> None:
    step = reading()
    assert ended(step.handle(CardProbed(CardStatus(0)))).outcome == Locked()
    assert step.phase is Phase.IDLE
    assert step.view.tries_left == 0


@pytest.mark.parametrize(
    "kind", [ErrorKind.NOT_JPKI_CARD, ErrorKind.CARD_ERROR, ErrorKind.NO_READER]
)
def test_a_probe_failure_ends_the_step_with_it(kind: ErrorKind) -> None:
    step = reading()
    failure = TapFailed(kind, detail="why")
    assert ended(step.handle(failure)).outcome == Failed(failure)
    assert not step.active


def test_a_probe_saying_blocked_ends_locked() -> None:
    step = reading()
    assert ended(step.handle(TapFailed(ErrorKind.PIN_BLOCKED))).outcome == Locked()
    assert step.view.tries_left == 0


# --- the last try ------------------------------------------------------------------------


def test_consent_opens_the_pin_pad_and_allows_the_last_try() -> None:
    step = at_confirm()
    effects = step.handle(LastTryConfirmed())
    assert step.phase is Phase.PIN_ENTRY and step.view.last_try_confirmed
    assert timer(effects).seconds == PIN_S
    assert step.handle(PinEntered("1234")) == [Prove(pin="1234", allow_last_try=True)]


def test_without_consent_no_pin_is_taken() -> None:
    step = at_confirm()
    assert step.handle(PinEntered("1234")) == []
    assert step.phase is Phase.CONFIRM_LAST_TRY


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.CONFIRM_LAST_TRY])
def test_consent_outside_its_screen_is_ignored(phase: Phase) -> None:
    step = PHASES[phase]()
    assert step.handle(LastTryConfirmed()) == []
    assert step.phase is phase and not step.view.last_try_confirmed


# --- the PIN and the proof -----------------------------------------------------------------


def test_the_pin_asks_for_the_proof_and_voids_the_pin_timer() -> None:
    step = reading()
    pin_timer = timer(step.handle(CardProbed(CardStatus(3))))
    assert step.handle(PinEntered("4321")) == [Prove(pin="4321", allow_last_try=False)]
    assert step.phase is Phase.PROVING
    assert step.handle(TimerFired(pin_timer.token)) == []
    assert step.phase is Phase.PROVING


def test_the_pin_never_shows_in_effects_or_view() -> None:
    step = at_pin()
    effects = step.handle(PinEntered("9876"))
    assert "9876" not in repr(effects) and "9876" not in repr(step.view)
    assert "9876" not in repr(PinEntered("9876"))


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.PIN_ENTRY])
def test_a_pin_outside_the_pin_pad_is_ignored(phase: Phase) -> None:
    step = PHASES[phase]()
    assert step.handle(PinEntered("1234")) == []
    assert step.phase is phase


def test_a_successful_proof_ends_the_step() -> None:
    step = proving()
    assert step.proved()
    assert step.phase is Phase.IDLE
    assert not step.proved()  # a second answer: nobody waits for it


@pytest.mark.parametrize("phase", [Phase.READING, Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY])
def test_a_proof_answer_before_the_pin_is_stale(phase: Phase) -> None:
    step = PHASES[phase]()
    assert not step.proved()
    assert step.phase is phase


def test_a_wrong_pin_asks_again_with_the_tries_left() -> None:
    step = proving(3)
    effects = step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2))
    assert step.phase is Phase.PIN_ENTRY
    assert step.view == CardView(tries_left=2, wrong_pin=True)
    assert timer(effects).seconds == PIN_S


def test_a_wrong_pin_down_to_one_try_asks_for_consent() -> None:
    step = proving(2)
    step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))
    assert step.phase is Phase.CONFIRM_LAST_TRY
    assert step.view == CardView(tries_left=1, wrong_pin=True)


def test_a_consent_counts_for_one_try_only() -> None:
    step = at_confirm()
    step.handle(LastTryConfirmed())
    step.handle(PinEntered("0000"))
    step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))  # a card cannot say so, yet
    assert step.phase is Phase.CONFIRM_LAST_TRY and not step.view.last_try_confirmed


def test_a_wrong_last_try_ends_locked() -> None:
    step = at_confirm()
    step.handle(LastTryConfirmed())
    step.handle(PinEntered("0000"))
    assert ended(step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=0))).outcome == Locked()
    assert step.view.tries_left == 0


def test_the_full_wrong_pin_sequence_never_spends_the_last_try_unasked() -> None:
    step = at_pin(3)
    assert step.handle(PinEntered("0000")) == [Prove("0000", allow_last_try=False)]
    step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=2))
    assert step.handle(PinEntered("1111")) == [Prove("1111", allow_last_try=False)]
    step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1))
    assert step.handle(PinEntered("2222")) == []
    step.handle(LastTryConfirmed())
    assert step.handle(PinEntered("1234")) == [Prove("1234", allow_last_try=True)]
    assert step.proved()


def test_blocked_during_the_proof_ends_locked() -> None:
    step = proving()
    assert ended(step.handle(TapFailed(ErrorKind.PIN_BLOCKED))).outcome == Locked()


@pytest.mark.parametrize(
    "failure",
    [
        TapFailed(ErrorKind.WRONG_PIN, detail="the PIN must be exactly 4 digits"),
        TapFailed(ErrorKind.PLATFORM_UNREACHABLE, detail="down"),
        TapFailed(ErrorKind.PLATFORM_ERROR, detail="yes", code="already_registered"),
        TapFailed(ErrorKind.CARD_REMOVED),
        TapFailed(ErrorKind.LAST_TRY_REFUSED, tries_left=1),
    ],
)
def test_any_other_proof_failure_ends_the_step_with_it(failure: TapFailed) -> None:
    step = proving()
    assert ended(step.handle(failure)).outcome == Failed(failure)
    assert step.phase is Phase.IDLE


@pytest.mark.parametrize("phase", [Phase.IDLE, Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY])
def test_a_failure_while_no_card_work_is_out_is_stale(phase: Phase) -> None:
    step = PHASES[phase]()
    assert step.handle(TapFailed(ErrorKind.CARD_ERROR)) == []
    assert step.phase is phase


# --- the card leaves, the patron leaves ---------------------------------------------------


@pytest.mark.parametrize("phase", [Phase.READING, Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY])
def test_the_card_removed_before_the_pin_went_in_fails_the_step(phase: Phase) -> None:
    step = PHASES[phase]()
    outcome = ended(step.handle(CardRemovedEvent())).outcome
    assert outcome == Failed(TapFailed(ErrorKind.CARD_REMOVED))


def test_the_card_lifted_during_the_proof_is_left_to_the_proof() -> None:
    step = proving()
    assert step.handle(CardRemovedEvent()) == []
    assert step.proved()


@pytest.mark.parametrize("phase", [Phase.READING, Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY])
def test_cancel_leaves_and_forgets_the_card(phase: Phase) -> None:
    step = PHASES[phase]()
    assert ended(step.handle(Cancel())).outcome == Left(timed_out=False)
    assert step.view == CardView()
    assert step.handle(CardProbed(CardStatus(3))) == []  # the probe's late answer


def test_cancel_while_proving_is_ignored() -> None:
    step = proving()
    assert step.handle(Cancel()) == []
    assert step.phase is Phase.PROVING


@pytest.mark.parametrize("phase", [Phase.CONFIRM_LAST_TRY, Phase.PIN_ENTRY])
def test_the_pin_screens_left_alone_time_out(phase: Phase) -> None:
    step = PHASES[phase]()
    token = step.timer.token
    assert step.handle(TimerFired(token - 1)) == []  # an older timer
    assert ended(step.handle(TimerFired(token))).outcome == Left(timed_out=True)
    assert step.view == CardView()


@pytest.mark.parametrize("phase", [Phase.IDLE, Phase.READING, Phase.PROVING])
def test_no_timer_ends_a_step_that_waits_for_the_card(phase: Phase) -> None:
    step = PHASES[phase]()
    assert step.handle(TimerFired(step.timer.token)) == []
    assert step.phase is phase


def test_each_pin_screen_gets_a_new_token() -> None:
    step = reading()
    first = timer(step.handle(CardProbed(CardStatus(2))))
    step.handle(PinEntered("0000"))
    second = timer(step.handle(TapFailed(ErrorKind.WRONG_PIN, tries_left=1)))
    assert second.token > first.token
    assert step.handle(TimerFired(first.token)) == []
    third = timer(step.handle(LastTryConfirmed()))
    assert third.token > second.token


@pytest.mark.parametrize("phase", list(Phase))
def test_no_event_in_any_phase_raises_or_shows_a_pin(phase: Phase) -> None:
    events: list[StepEvent] = [
        CardProbed(CardStatus(3)), LastTryConfirmed(), PinEntered("5555"),
        TapFailed(ErrorKind.CARD_ERROR), CardRemovedEvent(), Cancel(), TimerFired(0),
    ]
    for event in events:
        step = PHASES[phase]()
        effects = step.handle(event)
        assert "5555" not in repr(effects) and "5555" not in repr(step.view)
        assert step.active == (step.phase is not Phase.IDLE)
