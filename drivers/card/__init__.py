"""The card stack: transport, PC/SC adapter (imported lazily), JPKI session, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drivers.card.allowlist import GuardedTransport
from drivers.card.errors import (
    ApduError,
    CardDataError,
    CardError,
    CardRemoved,
    CardTooSlow,
    ForbiddenCommand,
    ForbiddenSelect,
    LastTryRefused,
    NoCard,
    NoReader,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinFormatError,
    PinNotVerified,
)
from drivers.card.jpki import JPKI_AID, JpkiSession, digest_info_sha256
from drivers.card.trace import TRAFFIC
from drivers.card.transport import Transport

if TYPE_CHECKING:
    from drivers.card.pcsc import (
        CardMonitor,
        PcscTransport,
        list_readers,
        open_card,
        wait_for_card,
        wait_for_removal,
    )

_PCSC_NAMES = frozenset(
    {
        "CardMonitor",
        "PcscTransport",
        "list_readers",
        "open_card",
        "wait_for_card",
        "wait_for_removal",
    }
)

__all__ = [
    "JPKI_AID",
    "TRAFFIC",
    "ApduError",
    "CardDataError",
    "CardError",
    "CardMonitor",
    "CardRemoved",
    "CardTooSlow",
    "ForbiddenCommand",
    "ForbiddenSelect",
    "GuardedTransport",
    "JpkiSession",
    "LastTryRefused",
    "NoCard",
    "NoReader",
    "NotJpkiCard",
    "PcscTransport",
    "PinBlocked",
    "PinError",
    "PinFormatError",
    "PinNotVerified",
    "Transport",
    "digest_info_sha256",
    "list_readers",
    "open_card",
    "wait_for_card",
    "wait_for_removal",
]


def __getattr__(name: str) -> Any:
    """Import the PC/SC names on first use, so pyscard is needed only where a reader is."""
    if name in _PCSC_NAMES:
        from drivers.card import pcsc

        return getattr(pcsc, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
