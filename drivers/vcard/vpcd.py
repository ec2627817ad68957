"""Plugs the virtual card into vsmartcard's vpcd (a pcscd reader driver) over TCP.

vpcd listens on 127.0.0.1:35963 (slot 0) and 35964 (slot 1). Each message, both ways, is a
2-byte big-endian length and a payload. A 1-byte payload is a control code (power off, power
on, reset: no reply; get ATR: reply the ATR); a longer one is an APDU (reply the response).
Connecting inserts the card, closing the socket removes it.
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from drivers.vcard.card import VirtualJpkiCard

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963
CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04


class VpcdCardRunner:
    """Keeps one virtual card inserted in a vpcd slot, answering on a background thread.

    Test hooks: ``remove_after_apdus`` pulls the card out (closes the socket) right after
    answering that many APDUs of one insertion; ``apdu_log`` records every command APDU.
    """

    def __init__(
        self, card: VirtualJpkiCard, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.remove_after_apdus: int | None = None
        self.apdu_log: list[bytes] = []
        self.connect_timeout_s = 2.0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._removed = threading.Event()
        self._removed.set()
        self._contacted = threading.Event()
        self._closing = False

    @property
    def inserted(self) -> bool:
        """Whether the card is connected to vpcd."""
        return not self._removed.is_set()

    def start(self) -> None:
        """Connect to vpcd (insert the card) and serve it on a background thread.

        Raises :class:`OSError` when vpcd does not accept the connection.
        """
        if self.inserted:
            raise RuntimeError("the card is already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.card.power_off()
        self._sock, self._closing = sock, False
        self._removed.clear()
        self._contacted.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vcard-vpcd-{self.port}", daemon=True
        )
        self._thread.start()
        log.info("card inserted into vpcd at %s:%d", self.host, self.port)

    def insert(self) -> None:
        """Insert the card again after :meth:`remove`."""
        self.start()

    def remove(self) -> None:
        """Pull the card out: close the socket and wait for the serving thread."""
        self._closing = True
        self._close()
        self.card.unplug()  # a slow or mute card must not hold the serving thread
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None

    def wait_removed(self, timeout_s: float | None = None) -> bool:
        """Wait until the card is out (removed, pulled by the hook, or vpcd went away)."""
        return self._removed.wait(timeout_s)

    def wait_contacted(self, timeout_s: float | None = None) -> bool:
        """Wait until vpcd talks to the card (pcscd polls the ATR at once).

        vpcd serves one card per slot; a second one connects but waits unheard in the queue.
        """
        return self._contacted.wait(timeout_s)

    def __enter__(self) -> VpcdCardRunner:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _serve(self, sock: socket.socket) -> None:
        answered = 0
        try:
            while True:
                message = _recv_message(sock)
                if message is None:
                    if not self._closing:
                        log.warning("vpcd closed the connection")
                    break
                self._contacted.set()
                if not message:
                    continue
                if len(message) == 1:
                    self._control(sock, message[0])
                    continue
                self.apdu_log.append(message)
                _send_message(sock, self.card.process(message))
                answered += 1
                if self.remove_after_apdus is not None and answered >= self.remove_after_apdus:
                    log.info("card pulled out after %d APDUs (test hook)", answered)
                    break
        except OSError as exc:
            if not self._closing:
                log.warning("vpcd connection lost: %s", exc)
        finally:
            if self._sock is sock:
                self._close()
            else:
                sock.close()
            self.card.power_off()
            self._removed.set()
            log.info("card removed from vpcd at %s:%d", self.host, self.port)

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == CTRL_POWER_OFF:
            self.card.power_off()
        elif code == CTRL_POWER_ON:
            self.card.power_on()
        elif code == CTRL_RESET:
            self.card.reset()
        elif code == CTRL_ATR:
            _send_message(sock, self.card.atr)
        else:
            log.warning("unknown vpcd control code %02X", code)


def _quick_ack(sock: socket.socket) -> None:
    """ACK at once: vpcd writes the length and the payload separately, and Nagle on its side
    plus a delayed ACK on ours would cost 40 ms per message (Linux only; re-armed per read)."""
    if hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    """Read exactly ``size`` bytes; ``None`` if the peer closed the connection first."""
    buf = bytearray()
    while len(buf) < size:
        _quick_ack(sock)
        chunk = sock.recv(size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_message(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    return _recv_exact(sock, int.from_bytes(header, "big"))


def _send_message(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)
