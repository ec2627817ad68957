"""PC/SC adapter: readers, card presence, one transaction per tap. The only pyscard user."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from smartcard import scard  # noqa: TID251 (this module is the pyscard boundary)
from smartcard.Exceptions import SmartcardException  # noqa: TID251

from drivers.card.errors import (
    CardDataError,
    CardError,
    CardRemoved,
    NoCard,
    NoReader,
    NotJpkiCard,
    VirtualReaderRefused,
)
from drivers.card.readers import is_virtual_reader

__all__ = [
    "CardMonitor",
    "PcscTransport",
    "list_readers",
    "open_card",
    "wait_for_card",
    "wait_for_removal",
]

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
NO_SERVICE_MESSAGE = "pcscd is not running (or not reachable): start the PC/SC service"
#: how long an empty answer waits for pcscd to notice a card that left (it polls ~0.4 s)
CARD_LEFT_WAIT_S = 1.0


def _code(hresult: int) -> int:
    """An hresult as an unsigned 32-bit number (pyscard may hand out signed ones)."""
    return hresult & 0xFFFFFFFF


def _codes(*hresults: int) -> frozenset[int]:
    return frozenset(_code(h) for h in hresults)


_REMOVED = _codes(
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_INVALID_HANDLE,
)
_NO_SERVICE = _codes(scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED)
_NO_READER = _codes(scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE)
_LOST_CONTACT = _REMOVED | _codes(
    scard.SCARD_E_NOT_TRANSACTED,  # vpcd and contactless readers: card gone mid-exchange
    scard.SCARD_F_COMM_ERROR,
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_E_TIMEOUT,
)
_INS_VERIFY = 0x20
_NO_CARD = _codes(scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD)
_TIMEOUT = _code(scard.SCARD_E_TIMEOUT)
_CANCELLED = _code(scard.SCARD_E_CANCELLED)
_NO_READERS = _code(scard.SCARD_E_NO_READERS_AVAILABLE)
_MUTE = _codes(
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNSUPPORTED_CARD,
    scard.SCARD_E_PROTO_MISMATCH,
)
_GONE_STATES = scard.SCARD_STATE_EMPTY | scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE


def _message(hresult: int) -> str:
    try:
        return f"{scard.SCardGetErrorMessage(hresult)} (0x{_code(hresult):08X})"
    except Exception:  # a message must never hide the error itself
        return f"0x{_code(hresult):08X}"


def _error(hresult: int, what: str) -> CardError:
    """The CardError for a failed PC/SC call."""
    code = _code(hresult)
    if code in _NO_SERVICE:
        return NoReader(NO_SERVICE_MESSAGE)
    if code in _REMOVED:
        return CardRemoved(f"{what}: the card was removed or reset ({_message(hresult)})")
    if code in _MUTE:
        return NotJpkiCard(f"{what}: the card does not answer ({_message(hresult)})")
    return CardError(f"{what}: {_message(hresult)}")


def _timeout_ms(deadline: float | None) -> int:
    if deadline is None:
        return int(scard.INFINITE)
    return max(0, int((deadline - time.monotonic()) * 1000))


def _establish() -> int:
    """A new PC/SC context; NoReader when pcscd is unreachable."""
    try:
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except SmartcardException as exc:
        raise NoReader(NO_SERVICE_MESSAGE) from exc
    if _code(hresult) != scard.SCARD_S_SUCCESS:
        raise NoReader(NO_SERVICE_MESSAGE if _code(hresult) in _NO_SERVICE else _message(hresult))
    return int(ctx)


@contextmanager
def _context() -> Iterator[int]:
    ctx = _establish()
    try:
        yield ctx
    finally:
        scard.SCardReleaseContext(ctx)


def _list(ctx: int) -> list[str]:
    hresult, readers = scard.SCardListReaders(ctx, [])
    code = _code(hresult)
    if code == _NO_READERS:
        return []
    if code != scard.SCARD_S_SUCCESS:
        raise NoReader(NO_SERVICE_MESSAGE if code in _NO_SERVICE else _message(hresult))
    return [str(name) for name in readers]


def _status_change(
    ctx: int, timeout_ms: int, states: list[tuple[str, int]]
) -> tuple[int, list[tuple[str, int]]]:
    hresult, new = scard.SCardGetStatusChange(ctx, timeout_ms, states)
    return _code(hresult), [(str(item[0]), int(item[1])) for item in new]


def list_readers() -> list[str]:
    """Names of the PC/SC readers; NoReader when pcscd is unreachable."""
    with _context() as ctx:
        return _list(ctx)


def _present(state: int) -> bool:
    return bool(state & scard.SCARD_STATE_PRESENT) and not state & _GONE_STATES


def wait_for_card(reader: str | None = None, timeout_s: float | None = None) -> str:
    """Block until a card is in ``reader`` (or any reader); return that reader's name."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with _context() as ctx:
        states: dict[str, int] = {}
        pnp = 0
        while True:
            names = _list(ctx)
            if reader is not None:
                if reader not in names:
                    raise NoReader(f"reader {reader!r} not found")
                names = [reader]
            query = [(n, states.get(n, scard.SCARD_STATE_UNAWARE)) for n in names]
            if reader is None:
                query.append((PNP_NOTIFICATION, pnp))
            code, new = _status_change(ctx, _timeout_ms(deadline), query)
            if code == _TIMEOUT and deadline is None:
                continue  # pyscard's INFINITE is only 2**31 - 1 ms
            if code == _TIMEOUT:
                raise TimeoutError("no card was presented in time")
            if code in _NO_READER:
                continue  # the reader list changed under us: list again
            if code != scard.SCARD_S_SUCCESS:
                raise _error(code, "waiting for a card")
            for name, state in new:
                if name == PNP_NOTIFICATION:
                    pnp = state
                elif _present(state):
                    return name
                else:
                    states[name] = state


def wait_for_removal(reader: str, timeout_s: float | None = None) -> bool:
    """Block until ``reader`` holds no card: True once empty (or gone), False on timeout."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with _context() as ctx:
        state = scard.SCARD_STATE_UNAWARE
        while True:
            code, new = _status_change(ctx, _timeout_ms(deadline), [(reader, state)])
            if code == _TIMEOUT and deadline is None:
                continue
            if code == _TIMEOUT:
                return False
            if code in _NO_READER:
                return True
            if code != scard.SCARD_S_SUCCESS:
                raise _error(code, "waiting for the card to leave")
            state = new[0][1]
            if not _present(state):
                return True


def _reader_with_card(ctx: int, *, allow_virtual: bool) -> str:
    """The first reader holding a card; a virtual one only with ``allow_virtual`` (a card
    in a virtual reader alone is refused, so the counter can say why)."""
    names = _list(ctx)
    if not names:
        raise NoReader("no PC/SC reader is connected")
    code, new = _status_change(ctx, 0, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
    refused: str | None = None
    if code == scard.SCARD_S_SUCCESS:
        for name, state in new:
            if not _present(state):
                continue
            if allow_virtual or not is_virtual_reader(name):
                return name
            refused = refused or name
    if refused is not None:
        raise VirtualReaderRefused(refused)
    raise NoCard("no card in any reader")


class PcscTransport:
    """Transport over one PC/SC card handle (made by :func:`open_card`)."""

    def __init__(self, hcard: int, protocol: int, reader: str) -> None:
        self._hcard = hcard
        t1 = protocol == scard.SCARD_PROTOCOL_T1
        self._pci = scard.SCARD_PCI_T1 if t1 else scard.SCARD_PCI_T0
        self.reader = reader
        self._open = True
        self.lost = False
        """True once an exchange failed because the card went away (or was reset)."""
        self.pin_sent = False
        """True once a VERIFY with a PIN went out: the card must be reset at the end."""
        self.stuck = False
        """True once an exchange was abandoned (:meth:`transmit_within` ran out of time)."""
        self._pending: threading.Thread | None = None

    def close(self) -> None:
        """Refuse further commands (the handle is released by open_card)."""
        self._open = False

    def atr(self) -> bytes:
        """The card's ATR (for logs only: detect JPKI by its AID, never by ATR)."""
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(self._hcard)
        if _code(hresult) != scard.SCARD_S_SUCCESS:
            raise _error(hresult, "reading the ATR")
        return bytes(atr)

    def _failure(self, hresult: int) -> CardError:
        """Map a failed exchange: losing contact with the card mid-tap counts as removal."""
        code = _code(hresult)
        if code in _LOST_CONTACT:
            return CardRemoved(f"transmit: lost contact with the card ({_message(hresult)})")
        return _error(hresult, "transmit")

    def _card_left(self, within_s: float) -> bool:
        """Whether the card is gone now or within ``within_s`` (pcscd notices late)."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                with _context() as ctx:
                    code, states = _status_change(
                        ctx, 0, [(self.reader, scard.SCARD_STATE_UNAWARE)])
            except (CardError, SmartcardException):
                return True  # pcscd itself is gone: so is the card, for us
            if code != scard.SCARD_S_SUCCESS or not _present(states[0][1]):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def transmit_within(self, apdu: bytes, timeout_s: float) -> tuple[bytes, int]:
        """:meth:`transmit`, giving up after ``timeout_s``: TimeoutError, and the connection
        is abandoned (no further command; :func:`open_card` releases it in the background).

        pcsc-lite cannot cancel an SCardTransmit in flight: a mute card would hold the
        caller until it leaves the reader, so the exchange runs on a helper thread.
        """
        if not self._open:
            raise CardRemoved("the card connection is already closed")
        outcome: list[tuple[bytes, int] | BaseException] = []

        def exchange() -> None:
            try:
                outcome.append(self.transmit(apdu))
            except BaseException as exc:  # handed to the caller's thread below
                outcome.append(exc)

        worker = threading.Thread(target=exchange, name="card-transmit", daemon=True)
        worker.start()
        worker.join(max(0.0, timeout_s))
        if worker.is_alive():
            self.stuck = True
            self._pending = worker
            self.close()
            raise TimeoutError(f"the card did not answer within {timeout_s:.1f} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def wait_abandoned(self, timeout_s: float | None = None) -> bool:
        """Wait for an abandoned exchange to end (the card answered or left); True if it did."""
        pending = self._pending
        if pending is None:
            return True
        pending.join(timeout_s)
        return not pending.is_alive()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one APDU; CardRemoved if the card went away (or was reset) meanwhile."""
        if not self._open:
            raise CardRemoved("the card connection is already closed")
        if len(apdu) > 5 and apdu[1] == _INS_VERIFY:
            self.pin_sent = True
        try:
            hresult, response = scard.SCardTransmit(self._hcard, self._pci, list(apdu))
        except SmartcardException as exc:
            hresult = getattr(exc, "hresult", -1)
            if "Card was removed" in str(exc) or _code(hresult) in _LOST_CONTACT:
                self.lost = True
                raise CardRemoved(f"transmit: {exc}") from exc
            raise CardError(f"transmit: {exc}") from exc
        if _code(hresult) != scard.SCARD_S_SUCCESS:
            error = self._failure(hresult)
            self.lost = isinstance(error, CardRemoved)
            raise error
        if len(response) < 2:
            # a card pulled out mid-exchange can leave pcscd with an empty answer
            if self._card_left(within_s=CARD_LEFT_WAIT_S):
                self.lost = True
                raise CardRemoved("transmit: the card left during the exchange")
            raise CardDataError("transmit: the card answered without a status word")
        sw = (response[-2] & 0xFF) << 8 | (response[-1] & 0xFF)
        return bytes(b & 0xFF for b in response[:-2]), sw


def _connect(ctx: int, reader: str) -> tuple[int, int]:
    hresult, hcard, protocol = scard.SCardConnect(
        ctx,
        reader,
        scard.SCARD_SHARE_SHARED,
        scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
    )
    code = _code(hresult)
    if code in _NO_CARD:
        raise NoCard(f"no card in {reader!r}")
    if code in _NO_READER:
        raise NoReader(f"reader {reader!r} not found")
    if code != scard.SCARD_S_SUCCESS:
        raise _error(hresult, f"connecting to the card in {reader!r}")
    return hcard, int(protocol)


@contextmanager
def open_card(
    reader: str | None = None, *, allow_virtual: bool = False
) -> Iterator[PcscTransport]:
    """Connect to the card and hold one PC/SC transaction for the whole tap.

    A virtual reader (:func:`drivers.card.readers.is_virtual_reader`) is refused with
    :class:`VirtualReaderRefused` before anything is sent, unless ``allow_virtual``.

    On exit the card is reset and powered down if a PIN was sent, so no verified PIN
    survives the tap. If an exchange was abandoned (:meth:`PcscTransport.transmit_within`),
    pcsc-lite still holds the context busy until the card answers or leaves: the handle and
    the context are then released on a background thread, so the caller never waits for a
    mute card.
    """
    if reader is not None and not allow_virtual and is_virtual_reader(reader):
        raise VirtualReaderRefused(reader)
    ctx = _establish()
    handed_off = False
    try:
        name = reader if reader is not None else _reader_with_card(ctx, allow_virtual=allow_virtual)
        hcard, protocol = _connect(ctx, name)
        transport = PcscTransport(hcard, protocol, name)
        began = False
        try:
            hresult = scard.SCardBeginTransaction(hcard)
            if _code(hresult) != scard.SCARD_S_SUCCESS:
                raise _error(hresult, "beginning the card transaction")
            began = True
            yield transport
        finally:
            transport.close()
            if transport.stuck:
                handed_off = True
                threading.Thread(
                    target=_release, args=(ctx, hcard, transport, began),
                    name="card-release", daemon=True,
                ).start()
            else:
                _finish(hcard, transport, began)
    finally:
        if not handed_off:
            scard.SCardReleaseContext(ctx)


def _finish(hcard: int, transport: PcscTransport, began: bool) -> None:
    """End the transaction (if it began) and disconnect, resetting the card after a PIN."""
    if began:
        hresult = scard.SCardEndTransaction(hcard, _end_disposition(transport))
        if _code(hresult) != scard.SCARD_S_SUCCESS:
            log.debug("SCardEndTransaction: %s", _message(hresult))
    hresult = scard.SCardDisconnect(hcard, _disconnect_disposition(transport))
    if _code(hresult) != scard.SCARD_S_SUCCESS:
        log.debug("SCardDisconnect: %s", _message(hresult))


def _release(ctx: int, hcard: int, transport: PcscTransport, began: bool) -> None:
    """:func:`_finish` and release the context: waits for the abandoned exchange first."""
    try:
        transport.wait_abandoned()
        _finish(hcard, transport, began)
        scard.SCardReleaseContext(ctx)
    except Exception:  # a background thread must not die loudly over a card that left
        log.debug("releasing an abandoned card connection failed", exc_info=True)
    log.info("an abandoned card connection was released")


def _must_reset(transport: PcscTransport) -> bool:
    """Whether to reset and power down the card when the tap ends.

    After a PIN went out, yes: no verified PIN may outlive the tap, even if another handle
    keeps pcscd from powering the card down. Otherwise, and never on a card already lost:
    pcscd 1.9.9 + vpcd wedge the slot for good when asked to reset or power down a card
    that vanished before pcscd's 400 ms presence poll noticed.
    """
    return transport.pin_sent and not transport.lost


def _end_disposition(transport: PcscTransport) -> int:
    return scard.SCARD_RESET_CARD if _must_reset(transport) else scard.SCARD_LEAVE_CARD


def _disconnect_disposition(transport: PcscTransport) -> int:
    return scard.SCARD_UNPOWER_CARD if _must_reset(transport) else scard.SCARD_LEAVE_CARD


#: ``CardMonitor.stop`` logs a warning each time this long passes without the thread ending
MONITOR_JOIN_WARNING_S = 5.0


class CardMonitor:
    """Reports card insertions and removals (one reader, or all) from a background thread.

    Cards already present at ``start()`` are reported as inserted. Callbacks run on the
    monitor thread; an exception in one is logged and does not stop the monitor.
    """

    def __init__(
        self,
        on_insert: Callable[[str], None],
        on_remove: Callable[[str], None],
        reader: str | None = None,
        *,
        poll_s: float = 1.0,
    ) -> None:
        self._on_insert = on_insert
        self._on_remove = on_remove
        self._reader = reader
        self._poll_ms = int(poll_s * 1000)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ctx: int | None = None
        self._thread: threading.Thread | None = None
        self._present: dict[str, bool] = {}

    def start(self) -> None:
        """Start watching (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="card-monitor", daemon=False)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the thread to end (SCardCancel wakes it at once;
        a callback still running is waited for, with a warning every few seconds)."""
        self._stop.set()
        with self._lock:
            if self._ctx is not None:
                scard.SCardCancel(self._ctx)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            while True:
                thread.join(MONITOR_JOIN_WARNING_S)
                if not thread.is_alive():
                    break
                log.warning("the card monitor has not stopped yet; still waiting")
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with _context() as ctx:
                    with self._lock:
                        self._ctx = ctx
                    try:
                        self._watch(ctx)
                    finally:
                        with self._lock:
                            self._ctx = None
            except CardError as exc:
                log.warning("card monitor: %s; retrying", exc)
                self._stop.wait(self._poll_ms / 1000)
            except Exception:
                log.exception("card monitor failed; retrying")
                self._stop.wait(self._poll_ms / 1000)

    def _fire(self, callback: Callable[[str], None], reader: str) -> None:
        try:
            callback(reader)
        except Exception:
            log.exception("card monitor callback failed for %r", reader)

    def _update(self, reader: str, present: bool) -> None:
        was = self._present.get(reader, False)
        self._present[reader] = present
        if present and not was:
            self._fire(self._on_insert, reader)
        elif was and not present:
            self._fire(self._on_remove, reader)

    def _watch(self, ctx: int) -> None:
        states: dict[str, int] = {}
        pnp = 0
        while not self._stop.is_set():
            names = _list(ctx)
            if self._reader is not None:
                names = [n for n in names if n == self._reader]
            for gone in [n for n in self._present if n not in names]:
                self._update(gone, False)
                states.pop(gone, None)
            query = [(n, states.get(n, scard.SCARD_STATE_UNAWARE)) for n in names]
            query.append((PNP_NOTIFICATION, pnp))
            code, new = _status_change(ctx, self._poll_ms, query)
            if code in (_TIMEOUT, _CANCELLED):
                continue
            if code in _NO_READER:
                self._stop.wait(0.05)  # the reader list changed: list again
                continue
            if code != scard.SCARD_S_SUCCESS:
                raise _error(code, "monitoring readers")
            for name, state in new:
                if name == PNP_NOTIFICATION:
                    pnp = state
                else:
                    states[name] = state
                    self._update(name, _present(state))
