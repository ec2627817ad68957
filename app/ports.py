"""Interfaces between the counter's flow, its card/platform work and its screens.

The UI and the headless CLI both drive a :class:`Tapper`; tests give them fakes or the
real one (``app.tap.CardTapper``) over pcscd and a virtual card.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the wire schema (pydantic) stays out of the kiosk's start-up
    from server.api.schemas import LookupResult


class ErrorKind(StrEnum):
    """Every way a tap can fail, one screen (and one CLI exit status) each."""

    NOT_JPKI_CARD = "not_jpki_card"
    CARD_REMOVED = "card_removed"
    NO_READER = "no_reader"
    WRONG_PIN = "wrong_pin"
    PIN_BLOCKED = "pin_blocked"
    LAST_TRY_REFUSED = "last_try_refused"
    NOT_REGISTERED = "not_registered"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    #: a renewed card was bound to the MyKey ID: this (old) card no longer works
    CERTIFICATE_RETIRED = "certificate_retired"
    PLATFORM_UNREACHABLE = "platform_unreachable"
    NOT_ENROLLED = "not_enrolled"
    CARD_ERROR = "card_error"
    PLATFORM_ERROR = "platform_error"
    LABEL_LIMIT_REACHED = "label_limit_reached"
    RATE_LIMITED = "rate_limited"
    LINK_UNCONFIRMED = "link_unconfirmed"
    SERVICE_ID_TAKEN = "service_id_taken"
    LINK_MISMATCH = "link_mismatch"
    VIRTUAL_READER_REFUSED = "virtual_reader_refused"
    REVOCATION_UNKNOWN = "revocation_unknown"


#: exit status of ``mykey-counter lookup`` per error; 0 is success, 1 is reserved for usage
EXIT_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NO_READER: 10,
    ErrorKind.NOT_JPKI_CARD: 11,
    ErrorKind.CARD_REMOVED: 12,
    ErrorKind.CARD_ERROR: 13,
    ErrorKind.VIRTUAL_READER_REFUSED: 14,
    ErrorKind.WRONG_PIN: 20,
    ErrorKind.PIN_BLOCKED: 21,
    ErrorKind.LAST_TRY_REFUSED: 22,
    ErrorKind.NOT_REGISTERED: 30,
    ErrorKind.CERTIFICATE_REVOKED: 31,
    ErrorKind.CERTIFICATE_EXPIRED: 32,
    ErrorKind.CERTIFICATE_UNTRUSTED: 33,
    ErrorKind.LABEL_LIMIT_REACHED: 34,
    ErrorKind.RATE_LIMITED: 35,
    ErrorKind.LINK_UNCONFIRMED: 36,
    ErrorKind.SERVICE_ID_TAKEN: 37,
    ErrorKind.LINK_MISMATCH: 38,
    ErrorKind.CERTIFICATE_RETIRED: 39,
    ErrorKind.PLATFORM_UNREACHABLE: 40,
    ErrorKind.NOT_ENROLLED: 41,
    ErrorKind.PLATFORM_ERROR: 42,
    ErrorKind.REVOCATION_UNKNOWN: 43,
}


class TapError(Exception):
    """A tap failed; ``kind`` says which screen to show. ``code`` is the platform's error
    code (its error body's ``error``) when the platform refused; ``detail`` is for people
    to read, never for code to decide on."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str = "",
        tries_left: int | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail
        self.tries_left = tries_left
        self.code = code
        super().__init__(detail or kind.value)


@dataclass(frozen=True)
class CardStatus:
    """What the counter knows about a card before the PIN: no personal data."""

    tries_left: int
    #: the reader that holds the card, when the transport knows it; the PIN goes only there
    reader: str | None = None


class Tapper(Protocol):
    """One card on one reader: probe it, then authenticate and look up the service ID.

    Both methods block (card I/O, HTTP) and are called off the GUI thread.
    They raise :class:`TapError` and nothing else.
    """

    def probe(self) -> CardStatus:
        """Select the JPKI AP and read the PIN counter (uses no PIN try)."""
        ...

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        """Verify the PIN, have the card sign a platform challenge, return the lookup."""
        ...
