"""The JPKI user-authentication session: certificate, PIN counter, PIN, signature."""

from __future__ import annotations

import hashlib

from drivers.card import apdu as A
from drivers.card import deadline
from drivers.card.allowlist import (
    EF_AUTH_CA_CERT,
    EF_AUTH_CERT,
    EF_AUTH_KEY,
    EF_AUTH_PIN,
    JPKI_AID,
    GuardedTransport,
)
from drivers.card.deadline import DeadlineTransport
from drivers.card.errors import (
    ApduError,
    CardDataError,
    LastTryRefused,
    NotJpkiCard,
    PinBlocked,
    PinError,
    PinFormatError,
    PinNotVerified,
)
from drivers.card.pin import PIN_LENGTH, PinGate, pin_gate, valid_pin
from drivers.card.trace import TracingTransport
from drivers.card.transport import Transport

__all__ = [
    "JPKI_AID",
    "MAX_CERTIFICATE_BYTES",
    "SHA256_DIGEST_INFO_PREFIX",
    "JpkiSession",
    "digest_info_sha256",
]

SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300D060960864801650304020105000420")
MAX_CERTIFICATE_BYTES = 8192
"""A certificate EF announcing more than this is refused (a hostile card can't keep us busy)."""

CHUNK_BYTES = 256
_PAST_END_SWS = frozenset({A.SW_WRONG_P1P2, A.SW_INCORRECT_P1P2})
"""What a card answers to a READ BINARY past the end of the file."""
_BLOCKED_SWS = frozenset({A.SW_AUTH_BLOCKED, A.SW_REF_DATA_UNUSABLE, A.SW_PIN_COUNTER_BASE})


def digest_info_sha256(data: bytes) -> bytes:
    """The DER DigestInfo of SHA-256(``data``), as the card expects to sign it."""
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(data).digest()


def _is_pin_counter(sw: int) -> bool:
    return sw & 0xFFF0 == A.SW_PIN_COUNTER_BASE


def _check_pin_format(pin: str) -> bytes:
    if not valid_pin(pin):
        raise PinFormatError(f"the PIN must be exactly {PIN_LENGTH} ASCII digits")
    return pin.encode("ascii")


class JpkiSession:
    """Business operations on the JPKI AP over one transport (one connection / transaction).

    Every command passes a :class:`GuardedTransport` (allow-list) and the TRAFFIC log; the
    whole session must finish within ``budget_s`` seconds (default
    :data:`drivers.card.deadline.TAP_BUDGET_S`), else :class:`CardTooSlow`.
    """

    def __init__(self, transport: Transport, *, budget_s: float | None = None) -> None:
        budget = deadline.TAP_BUDGET_S if budget_s is None else budget_s
        self._transport = GuardedTransport(TracingTransport(DeadlineTransport(transport, budget)))
        self._ap_selected = False

    def _send(self, apdu: bytes) -> tuple[bytes, int]:
        return A.transmit_checked(self._transport, apdu)

    def select_jpki(self) -> None:
        """Select the JPKI AP; NotJpkiCard if the card has none."""
        self._ap_selected = False
        _, sw = self._send(A.select_aid(JPKI_AID))
        if sw != A.SW_OK:
            raise NotJpkiCard(f"the card has no JPKI AP (SELECT answered {A.describe_sw(sw)})")
        self._ap_selected = True

    def _select_ef(self, fid: bytes) -> None:
        if not self._ap_selected:
            self.select_jpki()
        _, sw = self._send(A.select_ef(fid))
        if sw != A.SW_OK:
            raise ApduError(sw, f"cannot select EF {fid.hex().upper()}: {A.describe_sw(sw)}")

    def _read_binary(self, offset: int, le: int) -> bytes:
        data, sw = self._send(A.read_binary(offset, le))
        if sw not in (A.SW_OK, A.SW_EOF_WARNING):
            raise ApduError(sw, f"READ BINARY at offset {offset} failed: {A.describe_sw(sw)}")
        if not data:
            raise CardDataError(f"READ BINARY at offset {offset} returned no data")
        if len(data) > le:
            raise CardDataError(
                f"READ BINARY at offset {offset} returned {len(data)} bytes, "
                f"more than the {le} asked for"
            )
        return data

    def _read_certificate(self, fid: bytes) -> bytes:
        self._select_ef(fid)
        header = self._read_binary(0, 4)[:4]
        name = fid.hex().upper()
        if len(header) < 4 or header[:2] != b"\x30\x82":
            raise CardDataError(f"EF {name} does not start with a DER header 30 82: {header.hex()}")
        total = int.from_bytes(header[2:4], "big") + 4
        if total > MAX_CERTIFICATE_BYTES:
            raise CardDataError(f"EF {name} announces {total} bytes, over {MAX_CERTIFICATE_BYTES}")
        chunks = [header]
        offset = len(header)
        while offset < total:
            try:
                data = self._read_binary(offset, min(CHUNK_BYTES, total - offset))
            except ApduError as e:
                if e.sw not in _PAST_END_SWS:
                    raise
                raise CardDataError(
                    f"EF {name} is truncated: its header announces {total} bytes, "
                    f"the file ends after {offset} ({A.describe_sw(e.sw)})"
                ) from e
            chunks.append(data[: total - offset])
            offset += len(chunks[-1])
        return b"".join(chunks)

    def read_auth_certificate(self) -> bytes:
        """The user-authentication certificate (EF 000A), DER; needs no PIN."""
        return self._read_certificate(EF_AUTH_CERT)

    def read_auth_ca_certificate(self) -> bytes:
        """The user-authentication CA certificate (EF 000B), DER; never trust it by itself."""
        return self._read_certificate(EF_AUTH_CA_CERT)

    def _query_tries(self) -> int:
        _, sw = self._send(A.verify())
        if _is_pin_counter(sw):
            return sw & 0x0F
        if sw in _BLOCKED_SWS:
            return 0
        raise ApduError(sw, f"cannot read the PIN counter: {A.describe_sw(sw)}")

    def pin_tries_left(self) -> int:
        """Tries left on the user-authentication PIN (EF 0018); an empty VERIFY uses no try."""
        self._select_ef(EF_AUTH_PIN)
        return self._query_tries()

    def verify_pin(self, pin: str, *, allow_last_try: bool = False) -> None:
        """Verify the 4-digit PIN; refuses the last try unless ``allow_last_try``."""
        pin_bytes = _check_pin_format(pin)
        gate = pin_gate(self.pin_tries_left(), last_try_allowed=allow_last_try)
        if gate is PinGate.LOCKED:
            raise PinBlocked("the PIN is locked; only a municipal office can unlock it")
        if gate is PinGate.CONFIRM:
            raise LastTryRefused("only one PIN try is left; confirm before using it")
        _, sw = self._send(A.verify(pin_bytes))
        if sw == A.SW_OK:
            return
        if sw in _BLOCKED_SWS:
            raise PinBlocked("wrong PIN: the PIN is now locked")
        if _is_pin_counter(sw):
            raise PinError(sw & 0x0F)
        raise ApduError(sw, f"PIN verification failed: {A.describe_sw(sw)}")

    def sign(self, digest_info: bytes) -> bytes:
        """Sign a DER DigestInfo with the user-authentication key (EF 0017); PIN first."""
        if not 0 < len(digest_info) <= A.MAX_SHORT_LC:
            raise ValueError(f"a DigestInfo of {len(digest_info)} bytes cannot be signed")
        self._select_ef(EF_AUTH_KEY)
        data, sw = self._send(A.sign(digest_info))
        if sw == A.SW_SECURITY_NOT_SATISFIED:
            raise PinNotVerified()
        if sw != A.SW_OK:
            raise ApduError(sw, f"signing failed: {A.describe_sw(sw)}")
        if not data:
            raise CardDataError("the card answered 9000 to SIGN without a signature")
        return data
