"""The card stack: transport, PC/SC adapter, JPKI session, PIN rules, errors.

Every name loads its module on first use (PEP 562): the kiosk's PIN pad imports only
:mod:`drivers.card.pin` before its first paint, and pyscard loads only where a reader is.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        VirtualReaderRefused,
    )
    from drivers.card.jpki import JPKI_AID, JpkiSession, digest_info_sha256
    from drivers.card.pcsc import (
        CardMonitor,
        PcscTransport,
        list_readers,
        open_card,
        wait_for_card,
        wait_for_removal,
    )
    from drivers.card.pin import PIN_LENGTH, PinGate, pin_gate, valid_pin
    from drivers.card.trace import TRAFFIC
    from drivers.card.transport import Transport

#: every public name → the module that defines it
_MODULES = {
    "GuardedTransport": "allowlist",
    **dict.fromkeys(
        (
            "ApduError",
            "CardDataError",
            "CardError",
            "CardRemoved",
            "CardTooSlow",
            "ForbiddenCommand",
            "ForbiddenSelect",
            "LastTryRefused",
            "NoCard",
            "NoReader",
            "NotJpkiCard",
            "PinBlocked",
            "PinError",
            "PinFormatError",
            "PinNotVerified",
            "VirtualReaderRefused",
        ),
        "errors",
    ),
    **dict.fromkeys(("JPKI_AID", "JpkiSession", "digest_info_sha256"), "jpki"),
    **dict.fromkeys(
        (
            "CardMonitor",
            "PcscTransport",
            "list_readers",
            "open_card",
            "wait_for_card",
            "wait_for_removal",
        ),
        "pcsc",
    ),
    **dict.fromkeys(("PIN_LENGTH", "PinGate", "pin_gate", "valid_pin"), "pin"),
    "TRAFFIC": "trace",
    "is_virtual_reader": "readers",
    "Transport": "transport",
}

__all__ = [
    "JPKI_AID",
    "PIN_LENGTH",
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
    "PinGate",
    "PinNotVerified",
    "Transport",
    "VirtualReaderRefused",
    "digest_info_sha256",
    "is_virtual_reader",
    "list_readers",
    "open_card",
    "pin_gate",
    "valid_pin",
    "wait_for_card",
    "wait_for_removal",
]


def __getattr__(name: str) -> Any:
    """Import the module of ``name`` on first use."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
