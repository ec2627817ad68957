"""The real :class:`app.ports.Tapper`: the card through PC/SC, the holder through the platform.

Order of work in :meth:`CardTapper.authenticate`: the platform's challenge first (a
network failure then costs no PIN try), then ONE card transaction (select, certificate,
PIN, signature: PIN state ends with the connection), then the lookup.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from app.ports import CardStatus, ErrorKind, TapError
from drivers.card.errors import (
    CardError,
    CardRemoved,
    LastTryRefused,
    NoReader,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinFormatError,
)
from drivers.card.jpki import JpkiSession, digest_info_sha256
from drivers.card.pcsc import open_card
from drivers.card.pin import PIN_LENGTH, valid_pin
from drivers.card.transport import Transport
from server.api.schemas import ChallengeResponse, LookupResult

log = logging.getLogger(__name__)

OpenCard = Callable[[str | None], AbstractContextManager[Transport]]


class PlatformApi(Protocol):
    """The two calls of :class:`app.client.PlatformClient` a tap needs."""

    def challenge(self) -> ChallengeResponse: ...

    def lookup(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> LookupResult: ...


def card_error_to_tap(error: CardError) -> TapError:
    """The screen for a driver error (the most specific class first)."""
    detail = str(error) or type(error).__name__
    if isinstance(error, PinError):
        return TapError(ErrorKind.WRONG_PIN, detail, tries_left=error.tries_left)
    if isinstance(error, PinBlocked):
        return TapError(ErrorKind.PIN_BLOCKED, detail, tries_left=0)
    if isinstance(error, LastTryRefused):
        return TapError(ErrorKind.LAST_TRY_REFUSED, detail, tries_left=1)
    if isinstance(error, NotJpkiCard):
        return TapError(ErrorKind.NOT_JPKI_CARD, detail)
    if isinstance(error, CardRemoved):
        return TapError(ErrorKind.CARD_REMOVED, detail)
    if isinstance(error, NoReader):
        return TapError(ErrorKind.NO_READER, detail)
    return TapError(ErrorKind.CARD_ERROR, detail)


@contextmanager
def _card_errors() -> Iterator[None]:
    """Turn everything the card stack raises into a :class:`TapError`."""
    try:
        yield
    except TapError:
        raise
    except CardError as e:
        raise card_error_to_tap(e) from e
    except Exception as e:  # a bug or a leaking pyscard error: still one clear screen
        log.exception("unexpected error from the card stack")
        raise TapError(ErrorKind.CARD_ERROR, f"{type(e).__name__}: {e}") from e


def _check_pin(pin: str) -> None:
    if not valid_pin(pin):
        # nothing reaches the card: the counter on the card is untouched
        raise TapError(ErrorKind.WRONG_PIN, f"the PIN must be exactly {PIN_LENGTH} digits")


class CardTapper:
    """One reader (or any), one platform. Blocking: call it off the GUI thread.

    A card that breaks the protocol (wrong lengths, unknown status words, a truncated or
    oversized certificate, endless 61xx) or answers too slowly ends as a CARD_ERROR whose
    detail names the fault; the PIN is never sent to such a card before the fault shows.

    ``timings`` holds the seconds the last call spent: ``card_io_s`` and, for
    :meth:`authenticate`, ``network_challenge_s``, ``network_lookup_s``, ``network_s``.
    """

    def __init__(
        self,
        client: PlatformApi,
        reader: str | None = None,
        *,
        open_card: OpenCard | None = None,
        card_timeout_s: float | None = None,
    ) -> None:
        self.client = client
        self.reader = reader
        self._open_card = open_card
        #: one card transaction's time budget (None: the driver's default); a slower card
        #: is refused as broken (:class:`drivers.card.errors.CardTooSlow`)
        self.card_timeout_s = card_timeout_s
        self.timings: dict[str, float] = {}

    def _open(self) -> AbstractContextManager[Transport]:
        opener = self._open_card if self._open_card is not None else open_card
        return opener(self.reader)

    @contextmanager
    def _timed(self, key: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - start

    def probe(self) -> CardStatus:
        """Select the JPKI AP and read the PIN counter (uses no PIN try)."""
        self.timings = {}
        with self._timed("card_io_s"), _card_errors(), self._open() as transport:
            session = JpkiSession(transport, budget_s=self.card_timeout_s)
            session.select_jpki()
            tries = session.pin_tries_left()
        return CardStatus(tries_left=tries)

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        """Challenge, then PIN + signature in one transaction, then the lookup."""
        challenge_id, certificate, signature = self.prove(pin, allow_last_try=allow_last_try)
        with self._timed("network_lookup_s"):
            result = self.client.lookup(challenge_id, certificate, signature)
        self.timings["network_s"] = (
            self.timings["network_challenge_s"] + self.timings["network_lookup_s"]
        )
        return result

    def prove(self, pin: str, *, allow_last_try: bool) -> tuple[str, bytes, bytes]:
        """The card's proof: a platform challenge, then PIN + signature in one transaction;
        ``(challenge id, certificate DER, signature)`` (a lookup or a registration ticket
        sends them)."""
        self.timings = {}
        _check_pin(pin)
        with self._timed("network_challenge_s"):
            challenge = self.client.challenge()
        raw = _challenge_bytes(challenge)
        with self._timed("card_io_s"), _card_errors(), self._open() as transport:
            session = JpkiSession(transport, budget_s=self.card_timeout_s)
            session.select_jpki()
            certificate = session.read_auth_certificate()
            try:
                session.verify_pin(pin, allow_last_try=allow_last_try)
            except PinFormatError as e:
                raise TapError(ErrorKind.WRONG_PIN, str(e)) from e
            signature = session.sign(digest_info_sha256(raw))
        return challenge.challenge_id, certificate, signature


def _challenge_bytes(challenge: ChallengeResponse) -> bytes:
    try:
        raw = base64.b64decode(challenge.challenge, validate=True)
    except (binascii.Error, ValueError):
        raise TapError(ErrorKind.PLATFORM_ERROR, "malformed challenge from the platform") from None
    if not raw:
        raise TapError(ErrorKind.PLATFORM_ERROR, "the platform sent an empty challenge")
    return raw
