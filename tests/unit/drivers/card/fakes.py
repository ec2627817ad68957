"""Fake transports for the card stack's unit tests."""

from __future__ import annotations

from collections.abc import Callable

JPKI_AID = bytes.fromhex("D392F000260100000001")


def der_blob(total: int) -> bytes:
    """A fake DER object of exactly ``total`` bytes with a ``30 82 HH LL`` header."""
    assert total >= 4
    body = bytes((i * 7 + 3) & 0xFF for i in range(total - 4))
    return b"\x30\x82" + (total - 4).to_bytes(2, "big") + body


class ScriptedTransport:
    """Answers with a fixed script of ``(data, sw)``; records every APDU it was given."""

    def __init__(self, *responses: tuple[bytes, int]) -> None:
        self.responses = list(responses)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(bytes(apdu))
        if not self.responses:
            raise AssertionError(f"unexpected APDU {apdu.hex()}")
        return self.responses.pop(0)


class RecordingTransport:
    """Answers with ``answer(apdu)``; records every APDU it was given."""

    def __init__(self, answer: Callable[[bytes], tuple[bytes, int]] | None = None) -> None:
        self.answer = answer or (lambda apdu: (b"", 0x9000))
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(bytes(apdu))
        return self.answer(bytes(apdu))


class FakeJpkiCard:
    """A minimal scripted JPKI card: files, PIN counter, signature; records every APDU."""

    def __init__(
        self,
        *,
        files: dict[int, bytes] | None = None,
        pin: str = "1234",
        tries_left: int = 3,
        blocked_sw: int = 0x6983,
        jpki: bool = True,
        signature: bytes = b"\x5a" * 256,
        max_chunk: int = 256,
    ) -> None:
        self.files = files if files is not None else {0x000A: der_blob(1000)}
        self.pin = pin.encode()
        self.tries_left = tries_left
        self.blocked_sw = blocked_sw
        self.jpki = jpki
        self.signature = signature
        self.max_chunk = max_chunk
        self.sent: list[bytes] = []
        self.ap = False
        self.ef: int | None = None
        self.verified = False

    @property
    def verifies_with_pin(self) -> list[bytes]:
        """The VERIFY commands that carried data (a PIN)."""
        return [a for a in self.sent if a[1] == 0x20 and len(a) > 4]

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        apdu = bytes(apdu)
        self.sent.append(apdu)
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4:
            return b"", self._select(p1, apdu[5:])
        if ins == 0xB0:
            return self._read((p1 << 8) | p2, apdu[4] or 256)
        if ins == 0x20:
            return b"", self._verify(apdu[5:] if len(apdu) > 4 else b"")
        if ins == 0x2A:
            if self.ef != 0x0017:
                return b"", 0x6985
            return (self.signature, 0x9000) if self.verified else (b"", 0x6982)
        return b"", 0x6D00

    def _select(self, p1: int, data: bytes) -> int:
        if p1 == 0x04:
            self.ap = self.jpki and data == JPKI_AID
            return 0x9000 if self.ap else 0x6A82
        if not self.ap:
            return 0x6A82
        fid = int.from_bytes(data, "big")
        self.ef = fid
        return 0x9000 if fid in self.files or fid in (0x0017, 0x0018) else 0x6A82

    def _read(self, offset: int, le: int) -> tuple[bytes, int]:
        content = self.files.get(self.ef or -1)
        if content is None:
            return b"", 0x6986
        if offset >= len(content):
            return b"", 0x6B00
        chunk = content[offset : offset + min(le, self.max_chunk)]
        return chunk, 0x9000 if len(chunk) == le else 0x6282

    def _verify(self, data: bytes) -> int:
        if self.ef != 0x0018:
            return 0x6A88
        if self.tries_left == 0:
            return self.blocked_sw
        if not data:
            return 0x63C0 | self.tries_left
        if data == self.pin:
            self.tries_left, self.verified = 3, True
            return 0x9000
        self.tries_left -= 1
        self.verified = False
        if self.tries_left == 0:
            return self.blocked_sw
        return 0x63C0 | self.tries_left
