"""APDU traffic logging at the TRAFFIC level (7), with VERIFY PIN bytes redacted."""

from __future__ import annotations

import logging

from drivers.card.apdu import INS_VERIFY
from drivers.card.transport import Transport

TRAFFIC = 7  # not 5: uvicorn names 5 "TRACE" in a process that runs both
logging.addLevelName(TRAFFIC, "TRAFFIC")

logger = logging.getLogger("drivers.card.traffic")

REDACTED = "**"


def _hex(data: bytes) -> str:
    return data.hex(" ").upper()


def format_command(apdu: bytes) -> str:
    """Hex of a command APDU; the data field of VERIFY (the PIN) becomes ``**``."""
    apdu = bytes(apdu)
    if len(apdu) > 4 and apdu[1] == INS_VERIFY:
        head = apdu[:5] if len(apdu) > 5 else apdu[:4]
        return f"{_hex(head)} {REDACTED}"
    return _hex(apdu)


def format_response(data: bytes, sw: int) -> str:
    """Hex of a response: data then the status word."""
    return f"{_hex(data)} {sw:04X}" if data else f"{sw:04X}"


def log_command(apdu: bytes) -> None:
    """Log an outgoing APDU at TRAFFIC level (redacted)."""
    if logger.isEnabledFor(TRAFFIC):
        logger.log(TRAFFIC, "> %s", format_command(apdu))


def log_response(data: bytes, sw: int) -> None:
    """Log a card answer at TRAFFIC level."""
    if logger.isEnabledFor(TRAFFIC):
        logger.log(TRAFFIC, "< %s", format_response(data, sw))


class TracingTransport:
    """A Transport that logs every exchange of the transport it wraps."""

    def __init__(self, transport: Transport) -> None:
        self._inner = transport

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Log ``apdu``, pass it on, log the answer."""
        log_command(apdu)
        data, sw = self._inner.transmit(apdu)
        log_response(data, sw)
        return data, sw
