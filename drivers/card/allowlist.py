"""The allow-list: the only AP and EFs the terminal may touch, enforced at the transport.

The My Number Card also holds the individual number, the card face (photo, name, address)
and the signing key; the terminal must never reach them, not even by a bug. Every command
passes :class:`GuardedTransport`, which lets through only the few commands the JPKI
user-authentication flow needs and refuses every other SELECT before it reaches the card.
"""

from __future__ import annotations

from drivers.card import apdu as A
from drivers.card.errors import ForbiddenCommand, ForbiddenSelect
from drivers.card.transport import Transport

JPKI_AID = bytes.fromhex("D392F000260100000001")

EF_TOKEN_INFO = bytes.fromhex("0006")
EF_AUTH_CERT = bytes.fromhex("000A")
EF_AUTH_CA_CERT = bytes.fromhex("000B")
EF_AUTH_KEY = bytes.fromhex("0017")
EF_AUTH_PIN = bytes.fromhex("0018")

ALLOWED_AIDS: frozenset[bytes] = frozenset({JPKI_AID})
ALLOWED_EFS: frozenset[bytes] = frozenset(
    {EF_AUTH_CERT, EF_AUTH_CA_CERT, EF_AUTH_PIN, EF_AUTH_KEY, EF_TOKEN_INFO}
)

FORBIDDEN_AIDS: dict[bytes, str] = {
    bytes.fromhex("D3921000310001010408"): "card-info input helper AP",
    bytes.fromhex("D3921000310001010402"): "card-face AP",
    bytes.fromhex("D3921000310001010100"): "residence-registry AP",
}
"""Known APs the terminal must never select (documentation and tests; any AID but JPKI is
refused)."""

FORBIDDEN_EFS: dict[bytes, str] = {
    bytes.fromhex("0001"): "signing certificate",
    bytes.fromhex("0002"): "signing CA certificate",
    bytes.fromhex("001A"): "signing private key",
    bytes.fromhex("001B"): "signing PIN",
}
"""Known JPKI EFs the terminal must never select (any EF not allowed is refused)."""

_ALLOWED_CLA = frozenset({A.CLA_ISO, A.CLA_PROPRIETARY})
_ALLOWED_INS = frozenset(
    {A.INS_SELECT, A.INS_READ_BINARY, A.INS_VERIFY, A.INS_SIGN, A.INS_GET_RESPONSE}
)


def check_select_aid(aid: bytes) -> None:
    """Raise ForbiddenSelect unless ``aid`` is the JPKI AP."""
    if bytes(aid) not in ALLOWED_AIDS:
        what = FORBIDDEN_AIDS.get(bytes(aid), "AID outside the allow-list")
        raise ForbiddenSelect(f"refusing to select AID {bytes(aid).hex().upper()}: {what}")


def check_select_ef(fid: bytes) -> None:
    """Raise ForbiddenSelect unless ``fid`` is one of the five allowed JPKI EFs."""
    if bytes(fid) not in ALLOWED_EFS:
        what = FORBIDDEN_EFS.get(bytes(fid), "EF outside the allow-list")
        raise ForbiddenSelect(f"refusing to select EF {bytes(fid).hex().upper()}: {what}")


def check_command(apdu: bytes, *, ap_selected: bool = True) -> None:
    """Raise unless ``apdu`` is an allowed command; SELECTs must name allowed files.

    An EF may be selected only once the JPKI AP is the current DF (``ap_selected``).
    """
    try:
        cmd = A.parse_apdu(apdu)
    except ValueError as exc:
        raise ForbiddenCommand(f"refusing a malformed APDU: {exc}") from None
    if cmd.cla not in _ALLOWED_CLA:
        raise ForbiddenCommand(f"refusing CLA {cmd.cla:02X} (channel 0, no secure messaging)")
    if cmd.ins not in _ALLOWED_INS:
        raise ForbiddenCommand(f"refusing INS {cmd.ins:02X}: not in the command allow-list")
    if cmd.ins == A.INS_READ_BINARY and cmd.p1 & 0x80:
        raise ForbiddenCommand("refusing READ BINARY by short EF identifier (reads without SELECT)")
    if cmd.ins != A.INS_SELECT:
        return
    if cmd.p1 == A.P1_SELECT_AID:
        check_select_aid(cmd.data)
    elif cmd.p1 == A.P1_SELECT_EF:
        check_select_ef(cmd.data)
        if not ap_selected:
            raise ForbiddenSelect("refusing to select an EF before the JPKI AP is selected")
    else:
        raise ForbiddenSelect(f"refusing SELECT with P1={cmd.p1:02X} (only by AID or EF id)")


class GuardedTransport:
    """A Transport that refuses, before they reach the card, commands outside the allow-list."""

    def __init__(self, transport: Transport) -> None:
        self._inner = transport
        self._ap_selected = False

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Check ``apdu`` against the allow-list, then pass it on."""
        apdu = bytes(apdu)
        check_command(apdu, ap_selected=self._ap_selected)
        is_aid_select = apdu[1] == A.INS_SELECT and apdu[2] == A.P1_SELECT_AID
        if is_aid_select:
            self._ap_selected = False
        data, sw = self._inner.transmit(apdu)
        if is_aid_select and (sw == A.SW_OK or sw >> 8 == 0x61):
            self._ap_selected = True
        return data, sw
