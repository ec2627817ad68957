"""A hostile virtual card: a :class:`VirtualJpkiCard` whose answers are corrupted on purpose.

``mykey-vcard run --hostile MODE`` inserts one; the counter must stay up and say what is
wrong. Each mode breaks one thing and leaves the rest of the card honest, so a test sees
exactly which defence caught it:

- ``wrong-length``: READ BINARY answers more bytes than its ``Le`` asked for.
- ``garbage-sw``: everything but the SELECT of the JPKI AP ends in a status word no card
  uses (``12 34``, ``FF FF``, ``00 00``, ``6F 42``, in turn).
- ``truncated-cert``: the certificate EF stops halfway, though its DER header promises more.
- ``oversized-cert``: the certificate EF announces 65,539 bytes (``30 82 FF FF``).
- ``endless-61xx``: every answer is ``61 00`` ("256 more bytes"), forever, GET RESPONSE too.
- ``slow``: every APDU is answered only after ``delay_s`` seconds (the ATR stays quick).
- ``mute``: APDUs are never answered (until the card is removed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum

from drivers.vcard.card import EF_AUTH_CERT, INS_SELECT, JPKI_AID, VirtualJpkiCard, sw_bytes
from drivers.vcard.holder import Holder

INS_READ_BINARY = 0xB0
INS_GET_RESPONSE = 0xC0
GARBAGE_SWS = (0x1234, 0xFFFF, 0x0000, 0x6F42)
"""Status words no JPKI card answers, used in turn by ``garbage-sw``."""
EXTRA_BYTES = b"\xde\xad\xbe\xef\xde\xad\xbe"
"""What ``wrong-length`` appends to every READ BINARY answer."""
OVERSIZED_HEADER = b"\x30\x82\xff\xff"
SW_MORE_256 = 0x6100
DEFAULT_DELAY_S = 5.0


class HostileMode(StrEnum):
    """The ways a hostile card misbehaves (``mykey-vcard run --hostile MODE``)."""

    WRONG_LENGTH = "wrong-length"
    GARBAGE_SW = "garbage-sw"
    TRUNCATED_CERT = "truncated-cert"
    OVERSIZED_CERT = "oversized-cert"
    ENDLESS_61XX = "endless-61xx"
    SLOW = "slow"
    MUTE = "mute"


def truncated(certificate: bytes) -> bytes:
    """The first half of ``certificate``: its header still announces the whole."""
    return certificate[: len(certificate) // 2]


def oversized(certificate: bytes) -> bytes:
    """``certificate`` behind a header that announces 0xFFFF bytes, padded to 10 kB."""
    body = certificate[4:] if certificate[:2] == b"\x30\x82" else certificate
    return (OVERSIZED_HEADER + body).ljust(10_240, b"\x00")


class HostileJpkiCard(VirtualJpkiCard):
    """A virtual My Number Card that misbehaves in one ``mode`` (see the module docstring).

    ``delay_s`` is the answer delay of ``slow``. :meth:`unplug` (the card leaves the reader)
    wakes a ``slow`` or ``mute`` card that is still holding an answer back.
    """

    def __init__(
        self,
        holder: Holder,
        mode: HostileMode | str,
        *,
        delay_s: float = DEFAULT_DELAY_S,
        on_pin_change: Callable[[Holder], None] | None = None,
    ) -> None:
        super().__init__(holder, on_pin_change=on_pin_change)
        self.mode = HostileMode(mode)
        self.delay_s = delay_s
        self._answered = 0
        self._gone = threading.Event()

    def _file(self, fid: int) -> bytes | None:
        content = super()._file(fid)
        if content is None or fid != EF_AUTH_CERT:
            return content
        if self.mode is HostileMode.TRUNCATED_CERT:
            return truncated(content)
        if self.mode is HostileMode.OVERSIZED_CERT:
            return oversized(content)
        return content

    def power_on(self) -> None:
        """Power up; a card that was woken by :meth:`unplug` becomes hostile again."""
        self._gone.clear()
        super().power_on()

    def unplug(self) -> None:
        """The card leaves the reader: stop holding back any answer."""
        self._gone.set()

    def process(self, apdu: bytes) -> bytes:
        """Answer like the honest card, then corrupt the answer as the mode says."""
        if self.mode is HostileMode.MUTE:
            self._gone.wait()
            return b""
        if self.mode is HostileMode.SLOW:
            self._gone.wait(self.delay_s)
        if self.mode is HostileMode.ENDLESS_61XX:
            data = bytes(256) if apdu[1:2] == bytes([INS_GET_RESPONSE]) else b""
            return data + sw_bytes(SW_MORE_256)
        answer = super().process(apdu)
        if self.mode is HostileMode.WRONG_LENGTH and apdu[1:2] == bytes([INS_READ_BINARY]):
            return answer[:-2] + EXTRA_BYTES + answer[-2:]
        if self.mode is HostileMode.GARBAGE_SW and not _selects_jpki(apdu):
            sw = GARBAGE_SWS[self._answered % len(GARBAGE_SWS)]
            self._answered += 1
            return answer[:-2] + sw_bytes(sw)
        return answer


def _selects_jpki(apdu: bytes) -> bool:
    return len(apdu) > 4 and apdu[1] == INS_SELECT and apdu[2] == 0x04 and apdu[5:] == JPKI_AID
