"""A renewed card with the old one: both sign the same platform challenge.

The platform binds a renewed card to the old card's MyKey ID only with proof; at the
counter the proof is the old card signing the very challenge the new card signed, in
one session (``old_certificate`` / ``old_signature`` of the registration ticket).  The
new card proves first (:class:`RecordingChallenges` keeps its challenge), the patron
swaps the cards (:func:`wait_for_other_card`), and the old card signs the same challenge
(:class:`SameChallenge`) after its own PIN.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.card_work import CardAccess, ChallengeApi, card_errors
from app.ports import ErrorKind, TapError

if TYPE_CHECKING:
    from server.api.schemas import ChallengeResponse


class RecordingChallenges:
    """A :class:`~app.card_work.ChallengeApi` that keeps the challenge it handed out."""

    def __init__(self, api: ChallengeApi) -> None:
        self.api = api
        self.last: ChallengeResponse | None = None

    def challenge(self) -> ChallengeResponse:
        self.last = self.api.challenge()
        return self.last


class SameChallenge:
    """A :class:`~app.card_work.ChallengeApi` that answers one challenge again."""

    def __init__(self, challenge: ChallengeResponse) -> None:
        self._challenge = challenge

    def challenge(self) -> ChallengeResponse:
        return self._challenge


def read_certificate(card: CardAccess) -> bytes:
    """The user-authentication certificate of the card on the reader (needs no PIN)."""
    with card_errors(), card.open() as transport:
        session = card.session(transport)
        session.select_jpki()
        return session.read_auth_certificate()


def wait_for_other_card(
    card: CardAccess,
    known: bytes,
    wait_s: float,
    *,
    poll_s: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """Wait until a card whose certificate is not ``known`` is on the reader; its
    certificate.  CARD_REMOVED when none comes within ``wait_s``."""
    deadline = clock() + wait_s
    while True:
        try:
            certificate = read_certificate(card)
        except TapError as error:
            if error.kind not in (ErrorKind.CARD_REMOVED, ErrorKind.NO_READER):
                raise  # e.g. not a JPKI card: say so, do not wait on
        else:
            if certificate != known:
                return certificate
        if clock() >= deadline:
            raise TapError(ErrorKind.CARD_REMOVED, f"no other card within {wait_s:g} s")
        sleep(poll_s)
