"""Errors of the card stack. Each carries the data a screen needs to explain it."""

from __future__ import annotations


class CardError(Exception):
    """Base of every error raised by ``drivers.card``."""


class NoReader(CardError):
    """No PC/SC reader (or pcscd itself) is available."""


class CardRemoved(CardError):
    """The card left the reader (or was reset) during an operation."""


class NotJpkiCard(CardError):
    """The card in the reader has no JPKI AP: not a My Number Card, or unreadable."""


class ForbiddenSelect(CardError):
    """Somebody asked the driver to select an AID or EF outside the JPKI allow-list."""


class ApduError(CardError):
    """The card answered with an unexpected status word."""

    def __init__(self, sw: int, message: str = "") -> None:
        self.sw = sw
        super().__init__(message or f"card answered SW={sw:04X}")


class PinError(CardError):
    """Wrong PIN; ``tries_left`` tries remain before the PIN locks."""

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        super().__init__(f"wrong PIN, {tries_left} tries left")


class PinBlocked(CardError):
    """The PIN is locked: only a municipal office can unlock it."""


class LastTryRefused(CardError):
    """Only one PIN try is left and the caller did not allow using it."""


class PinFormatError(CardError):
    """The PIN is not 4 ASCII digits; nothing was sent to the card."""


class NoCard(CardRemoved):
    """No card is in the reader (or in any reader) when one was needed."""


class ForbiddenCommand(CardError):
    """An APDU outside the driver's command allow-list (not a SELECT) was refused."""


class PinNotVerified(ApduError):
    """The card refused to sign because the PIN was not verified in this session (69 82)."""

    def __init__(self, sw: int = 0x6982, message: str = "") -> None:
        super().__init__(sw, message or "the PIN must be verified before signing (SW=6982)")


class CardDataError(CardError):
    """The card returned data that cannot be right (bad header, absurd length, endless reply)."""


class CardTooSlow(CardError):
    """The card took longer than the tap's time budget: a broken or hostile card."""

    def __init__(self, budget_s: float, elapsed_s: float) -> None:
        self.budget_s = budget_s
        self.elapsed_s = elapsed_s
        super().__init__(
            f"the card answers too slowly: {elapsed_s:.1f} s spent, "
            f"the limit for one tap is {budget_s:g} s"
        )


class VirtualReaderRefused(CardError):
    """The card is in a virtual reader (vsmartcard's vpcd …) and virtual readers are not
    allowed here: vpcd listens on the network, so anyone who reaches it could insert a card
    and receive the PIN."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        super().__init__(f"reader {reader!r} is a virtual reader; refused")
