"""Pure APDU builders and parsers (short APDUs, channel 0), plus 61xx/6Cxx handling."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.card.errors import CardDataError
from drivers.card.transport import Transport

CLA_ISO = 0x00
CLA_PROPRIETARY = 0x80

INS_VERIFY = 0x20
INS_SIGN = 0x2A
INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_GET_RESPONSE = 0xC0

P1_SELECT_EF = 0x02
P1_SELECT_AID = 0x04
P2_NO_RESPONSE = 0x0C
P2_SPECIFIC_REFERENCE = 0x80

SW_OK = 0x9000
SW_EOF_WARNING = 0x6282
SW_PIN_COUNTER_BASE = 0x63C0
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_REF_DATA_UNUSABLE = 0x6984
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FUNC_NOT_SUPPORTED = 0x6A81
SW_FILE_NOT_FOUND = 0x6A82
SW_INCORRECT_P1P2 = 0x6A86
SW_REF_DATA_NOT_FOUND = 0x6A88
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_UNKNOWN = 0x6F00

SW_MESSAGES: dict[int, str] = {
    SW_OK: "success",
    SW_EOF_WARNING: "end of file reached before reading Le bytes",
    SW_WRONG_LENGTH: "wrong length",
    SW_SECURITY_NOT_SATISFIED: "security status not satisfied (PIN not verified)",
    SW_AUTH_BLOCKED: "authentication method blocked (PIN locked)",
    SW_REF_DATA_UNUSABLE: "reference data not usable (PIN locked)",
    SW_CONDITIONS_NOT_SATISFIED: "conditions of use not satisfied",
    SW_NO_CURRENT_EF: "command not allowed: no current EF",
    SW_WRONG_DATA: "incorrect data field",
    SW_FUNC_NOT_SUPPORTED: "function not supported",
    SW_FILE_NOT_FOUND: "file or application not found",
    SW_INCORRECT_P1P2: "incorrect parameters P1-P2",
    SW_REF_DATA_NOT_FOUND: "referenced data not found",
    SW_WRONG_P1P2: "wrong parameters P1-P2 (offset outside the file)",
    SW_INS_NOT_SUPPORTED: "instruction not supported",
    SW_CLA_NOT_SUPPORTED: "class not supported",
    SW_UNKNOWN: "no precise diagnosis",
}

MAX_SHORT_LC = 255
MAX_SHORT_LE = 256
MAX_GET_RESPONSE_ROUNDS = 16
"""A hostile card answering 61xx forever is cut off after this many GET RESPONSEs."""
MAX_RESPONSE_BYTES = 4096
"""No answer this driver expects is longer than this (certificates are read in chunks)."""


@dataclass(frozen=True)
class Command:
    """A parsed short command APDU; ``le`` is None when absent, 256 for ``Le=00``."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None


def describe_sw(sw: int) -> str:
    """A short English description of a status word, e.g. ``6A82 (file … not found)``."""
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw in SW_MESSAGES:
        text = SW_MESSAGES[sw]
    elif sw1 == 0x61:
        text = f"{sw2 or 256} more response bytes available"
    elif sw1 == 0x6C:
        text = f"wrong Le, exact length is {sw2 or 256}"
    elif sw & 0xFFF0 == SW_PIN_COUNTER_BASE:
        text = f"verification failed, {sw2 & 0x0F} tries left"
    else:
        text = "unexpected status word"
    return f"{sw:04X} ({text})"


def _encode_le(le: int) -> int:
    if not 1 <= le <= MAX_SHORT_LE:
        raise ValueError(f"Le {le} does not fit a short APDU (1..256)")
    return le & 0xFF


def build_apdu(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """Encode a short APDU (cases 1–4); ``le=256`` is written as ``00``."""
    for name, value in (("CLA", cla), ("INS", ins), ("P1", p1), ("P2", p2)):
        if not 0 <= value <= 0xFF:
            raise ValueError(f"{name} {value} is not a byte")
    if len(data) > MAX_SHORT_LC:
        raise ValueError(f"{len(data)} data bytes do not fit a short APDU")
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([_encode_le(le)])
    return apdu


def parse_apdu(apdu: bytes) -> Command:
    """Decode a short command APDU; raises ValueError for anything else (e.g. extended)."""
    if len(apdu) < 4:
        raise ValueError("an APDU has at least 4 bytes")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return Command(cla, ins, p1, p2)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, le=body[0] or MAX_SHORT_LE)
    lc = body[0]
    if lc == 0:
        raise ValueError("extended-length APDUs are not supported")
    if len(body) == 1 + lc:
        return Command(cla, ins, p1, p2, data=bytes(body[1:]))
    if len(body) == 2 + lc:
        return Command(cla, ins, p1, p2, data=bytes(body[1:-1]), le=body[-1] or MAX_SHORT_LE)
    raise ValueError(f"Lc {lc} does not match the {len(body) - 1} bytes that follow")


def select_aid(aid: bytes) -> bytes:
    """SELECT by DF name (AID), no response data: ``00 A4 04 0C Lc aid``."""
    if not 5 <= len(aid) <= 16:
        raise ValueError(f"an AID has 5..16 bytes, not {len(aid)}")
    return build_apdu(CLA_ISO, INS_SELECT, P1_SELECT_AID, P2_NO_RESPONSE, aid)


def select_ef(fid: bytes) -> bytes:
    """SELECT an EF under the current DF, no response data: ``00 A4 02 0C 02 fid``."""
    if len(fid) != 2:
        raise ValueError(f"a file identifier has 2 bytes, not {len(fid)}")
    return build_apdu(CLA_ISO, INS_SELECT, P1_SELECT_EF, P2_NO_RESPONSE, fid)


def read_binary(offset: int, le: int) -> bytes:
    """READ BINARY of the current EF: ``00 B0 off_hi off_lo Le`` (offset below 0x8000)."""
    if not 0 <= offset <= 0x7FFF:
        raise ValueError(f"offset {offset} needs more than 15 bits")
    return build_apdu(CLA_ISO, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=le)


def verify(pin: bytes | None = None) -> bytes:
    """VERIFY against the current PIN EF; without ``pin`` it only asks the tries counter."""
    return build_apdu(CLA_ISO, INS_VERIFY, 0x00, P2_SPECIFIC_REFERENCE, pin or b"")


def sign(digest_info: bytes) -> bytes:
    """JPKI COMPUTE DIGITAL SIGNATURE: ``80 2A 00 80 Lc DigestInfo 00``."""
    if not digest_info:
        raise ValueError("nothing to sign")
    return build_apdu(CLA_PROPRIETARY, INS_SIGN, 0x00, P2_SPECIFIC_REFERENCE, digest_info, 256)


def get_response(le: int) -> bytes:
    """GET RESPONSE: ``00 C0 00 00 Le``."""
    return build_apdu(CLA_ISO, INS_GET_RESPONSE, 0x00, 0x00, le=le)


def with_le(apdu: bytes, le: int) -> bytes:
    """The same command with its Le replaced (or added), as a 6Cxx answer asks."""
    cmd = parse_apdu(apdu)
    return build_apdu(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, le)


def transmit_checked(transport: Transport, apdu: bytes) -> tuple[bytes, int]:
    """Send ``apdu``, resolve 6Cxx (resend once with Le=xx) and 61xx (GET RESPONSE loop).

    Returns the concatenated data and the final status word, which is never 61xx/6Cxx.
    Raises CardDataError when the card keeps asking for more than any sane answer holds.
    """
    data, sw = transport.transmit(apdu)
    if sw >> 8 == 0x6C:
        data, sw = transport.transmit(with_le(apdu, (sw & 0xFF) or MAX_SHORT_LE))
    chunks = [data]
    total = len(data)
    if total > MAX_RESPONSE_BYTES:
        raise CardDataError(f"card answered {total} bytes, over {MAX_RESPONSE_BYTES}")
    rounds = 0
    while sw >> 8 == 0x61:
        rounds += 1
        if rounds > MAX_GET_RESPONSE_ROUNDS:
            raise CardDataError(f"card still answers 61xx after {MAX_GET_RESPONSE_ROUNDS} rounds")
        request = get_response((sw & 0xFF) or MAX_SHORT_LE)
        data, sw = transport.transmit(request)
        if sw >> 8 == 0x6C:
            data, sw = transport.transmit(with_le(request, (sw & 0xFF) or MAX_SHORT_LE))
        chunks.append(data)
        total += len(data)
        if total > MAX_RESPONSE_BYTES:
            raise CardDataError(f"card answer exceeds {MAX_RESPONSE_BYTES} bytes")
    if sw >> 8 == 0x6C:
        raise CardDataError(f"card answered {describe_sw(sw)} twice for the same command")
    return b"".join(chunks), sw
