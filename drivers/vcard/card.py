"""The virtual My Number Card: the JPKI AP's APDUs, answered in process (see JPKI.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.vcard.holder import MAX_TRIES, Holder

JPKI_AID = bytes.fromhex("D392F000260100000001")
TOKEN_INFO = b"JPKIAPICCTOKEN2".ljust(32, b" ")
SIGN_PIN_TRIES = 5

EF_AUTH_CERT = 0x000A
EF_AUTH_CA = 0x000B
EF_AUTH_PIN = 0x0018
EF_AUTH_KEY = 0x0017
EF_TOKEN_INFO = 0x0006
EF_SIGN_PIN = 0x001B
EF_SIGN_CERT = 0x0001
EF_SIGN_CA = 0x0002
EF_SIGN_KEY = 0x001A
ALL_EFS = frozenset(
    {EF_AUTH_CERT, EF_AUTH_CA, EF_AUTH_PIN, EF_AUTH_KEY, EF_TOKEN_INFO}
    | {EF_SIGN_PIN, EF_SIGN_CERT, EF_SIGN_CA, EF_SIGN_KEY}
)

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_INCOMPATIBLE_FILE = 0x6981
SW_SECURITY = 0x6982
SW_BLOCKED = 0x6983
SW_CONDITIONS = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REF_NOT_FOUND = 0x6A88
SW_WRONG_OFFSET = 0x6B00
SW_BAD_INS = 0x6D00
SW_BAD_CLA = 0x6E00

INS_SELECT, INS_READ_BINARY, INS_VERIFY, INS_SIGN = 0xA4, 0xB0, 0x20, 0x2A
ISO_INS = frozenset({INS_SELECT, INS_READ_BINARY, INS_VERIFY})


@dataclass(frozen=True)
class Apdu:
    """A parsed short command APDU; ``le`` is ``None`` when absent (256 when ``00``)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None


class MalformedApdu(ValueError):
    """The bytes are not a valid short APDU."""


def parse_apdu(apdu: bytes) -> Apdu:
    """Parse a short APDU (ISO 7816-4 cases 1 to 4); extended length is refused."""
    if len(apdu) < 4:
        raise MalformedApdu("shorter than a header")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return Apdu(cla, ins, p1, p2, b"", None)
    if len(body) == 1:
        return Apdu(cla, ins, p1, p2, b"", body[0] or 256)
    lc = body[0]
    if lc == 0:
        raise MalformedApdu("extended length is not supported")
    if len(body) == 1 + lc:
        return Apdu(cla, ins, p1, p2, bytes(body[1:]), None)
    if len(body) == 2 + lc:
        return Apdu(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or 256)
    raise MalformedApdu("Lc does not match the length")


def sw_bytes(sw: int) -> bytes:
    """The two status bytes of ``sw``."""
    return sw.to_bytes(2, "big")


class VirtualJpkiCard:
    """A My Number Card with the JPKI AP, answering APDUs like the real card."""

    ATR = bytes.fromhex("3BE000FF8131FE4514")
    # PC/SC part 3 ATR of a contactless FeliCa card: what a transit card looks like.
    NO_JPKI_ATR = bytes.fromhex("3B8F8001804F0CA00000030611003B0000000042")

    def __init__(
        self, holder: Holder, *, on_pin_change: Callable[[Holder], None] | None = None
    ) -> None:
        self.holder = holder
        self._on_pin_change = on_pin_change if on_pin_change is not None else Holder.save
        self._lock = threading.RLock()
        self.powered = False
        self._ap_selected = False
        self._ef: int | None = None
        self._pin_verified = False

    @property
    def atr(self) -> bytes:
        """The ATR this card answers with: the JPKI one, or a transit card's."""
        return self.ATR if self.holder.jpki else self.NO_JPKI_ATR

    @property
    def pin_verified(self) -> bool:
        """Whether the user-authentication PIN is verified in this session."""
        return self._pin_verified

    def power_on(self) -> None:
        """Power the card up: a fresh session."""
        with self._lock:
            self._clear()
            self.powered = True

    def power_off(self) -> None:
        """Power the card down: selection and PIN state are lost."""
        with self._lock:
            self._clear()
            self.powered = False

    def reset(self) -> None:
        """Warm reset: selection and PIN state are lost."""
        with self._lock:
            self._clear()
            self.powered = True

    def unplug(self) -> None:
        """The card is being pulled out: stop any answer in progress (an honest card has none;
        see :class:`drivers.vcard.hostile.HostileJpkiCard`)."""

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU: response data followed by the status word."""
        with self._lock:
            try:
                command = parse_apdu(apdu)
            except MalformedApdu:
                return sw_bytes(SW_WRONG_LENGTH)
            data, sw = self._dispatch(command)
            return data + sw_bytes(sw)

    def _clear(self) -> None:
        self._ap_selected = False
        self._ef = None
        self._pin_verified = False

    def _dispatch(self, c: Apdu) -> tuple[bytes, int]:
        if not self.holder.jpki:
            return b"", SW_NOT_FOUND
        if c.ins == INS_SIGN:
            return self._sign(c) if c.cla == 0x80 else (b"", SW_BAD_CLA)
        if c.ins not in ISO_INS:
            return b"", SW_BAD_CLA if c.cla not in (0x00, 0x80) else SW_BAD_INS
        if c.cla != 0x00:
            return b"", SW_BAD_CLA
        if c.ins == INS_SELECT:
            return b"", self._select(c)
        if c.ins == INS_READ_BINARY:
            return self._read_binary(c)
        return b"", self._verify(c)

    def _select(self, c: Apdu) -> int:
        if c.p2 not in (0x00, 0x0C):
            return SW_WRONG_P1P2
        if c.p1 == 0x04:
            if c.data != JPKI_AID:
                return SW_NOT_FOUND
            self._ap_selected, self._ef = True, None
            return SW_OK
        if c.p1 == 0x02:
            if len(c.data) != 2:
                return SW_WRONG_LENGTH
            fid = int.from_bytes(c.data, "big")
            if not self._ap_selected or fid not in ALL_EFS:
                return SW_NOT_FOUND
            self._ef = fid
            return SW_OK
        return SW_NOT_FOUND

    def _file(self, fid: int) -> bytes | None:
        """The content of a transparent EF; ``None`` for PIN and key EFs."""
        contents = {
            EF_AUTH_CERT: self.holder.certificate_der,
            EF_AUTH_CA: self.holder.ca_certificate_der,
            EF_SIGN_CA: self.holder.ca_certificate_der,
            EF_TOKEN_INFO: TOKEN_INFO,
        }
        return contents.get(fid)

    def _read_binary(self, c: Apdu) -> tuple[bytes, int]:
        if c.p1 & 0x80:
            return b"", SW_WRONG_P1P2  # short EF identifiers are not supported
        if self._ef is None:
            return b"", SW_NO_CURRENT_EF
        if self._ef == EF_SIGN_CERT:
            return b"", SW_SECURITY  # needs the signing PIN, which is not emulated
        content = self._file(self._ef)
        if content is None:
            return b"", SW_INCOMPATIBLE_FILE
        offset = c.p1 << 8 | c.p2
        if offset >= len(content):
            return b"", SW_WRONG_OFFSET
        wanted = 256 if c.le is None else c.le
        chunk = content[offset : offset + wanted]
        return chunk, SW_OK if len(chunk) == wanted else SW_END_OF_FILE

    def _verify(self, c: Apdu) -> int:
        if c.p1 != 0x00 or c.p2 != 0x80:
            return SW_WRONG_P1P2
        if self._ef == EF_SIGN_PIN:
            # The signing PIN is not emulated: answer the counter query, refuse a verify.
            return 0x63C0 | SIGN_PIN_TRIES if not c.data else SW_CONDITIONS
        if self._ef != EF_AUTH_PIN:
            return SW_REF_NOT_FOUND
        holder = self.holder
        if not c.data:
            return 0x63C0 | holder.tries_left  # a query: uses no try, never 9000
        if len(c.data) != 4:
            return SW_WRONG_LENGTH
        if holder.tries_left <= 0:
            return SW_BLOCKED
        if c.data == holder.pin.encode("ascii"):
            holder.tries_left = MAX_TRIES
            self._pin_verified = True
            self._on_pin_change(holder)
            return SW_OK
        holder.tries_left -= 1
        self._pin_verified = False
        self._on_pin_change(holder)
        return 0x63C0 | holder.tries_left

    def _sign(self, c: Apdu) -> tuple[bytes, int]:
        if c.p1 != 0x00 or c.p2 != 0x80:
            return b"", SW_WRONG_P1P2
        if self._ef == EF_SIGN_KEY:
            return b"", SW_SECURITY
        if self._ef != EF_AUTH_KEY:
            return b"", SW_CONDITIONS
        if not self._pin_verified:
            return b"", SW_SECURITY
        signature = pkcs1_sign_raw(self.holder, c.data)
        if signature is None:
            return b"", SW_WRONG_DATA
        return signature, SW_OK


def pkcs1_sign_raw(holder: Holder, data: bytes) -> bytes | None:
    """RSA-sign ``data`` (a DigestInfo built by the host) with PKCS#1 v1.5 type-1 padding.

    Like the real card, the card does not look into the data; ``None`` if it does not fit.
    """
    numbers = holder.private_key.private_numbers()
    n = numbers.public_numbers.n
    k = (n.bit_length() + 7) // 8
    if not data or len(data) > k - 11:
        return None
    block = b"\x00\x01" + b"\xff" * (k - 3 - len(data)) + b"\x00" + data
    m = int.from_bytes(block, "big")
    # CRT: s = m^d mod n, computed mod p and mod q.
    s1 = pow(m, numbers.dmp1, numbers.p)
    s2 = pow(m, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (s1 - s2)) % numbers.p
    s = s2 + h * numbers.q
    return s.to_bytes(k, "big")
