"""A tiny fake vpcd for the tests: the server side of vpcd's framing, on loopback."""

from __future__ import annotations

import socket
import time

TIMEOUT_S = 5.0


class FakeVpcd:
    """The server side of vpcd: accepts one card and exchanges framed messages with it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(TIMEOUT_S)
        self.port: int = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(TIMEOUT_S)
        return self.conn

    def send(self, payload: bytes, *, split: bool = False) -> None:
        assert self.conn is not None
        frame = len(payload).to_bytes(2, "big") + payload
        if not split:
            self.conn.sendall(frame)
            return
        for i in range(len(frame)):  # one byte at a time: the card must gather the message
            self.conn.sendall(frame[i : i + 1])
            time.sleep(0.002)

    def recv(self) -> bytes | None:
        """One message from the card; ``None`` if the card closed the connection."""
        header = self._exact(2)
        return None if header is None else self._exact(int.from_bytes(header, "big"))

    def exchange(self, payload: bytes, *, split: bool = False) -> bytes:
        self.send(payload, split=split)
        answer = self.recv()
        assert answer is not None
        return answer

    def _exact(self, size: int) -> bytes | None:
        assert self.conn is not None
        data = b""
        while len(data) < size:
            chunk = self.conn.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()
