"""Card and platform work: the blocking functions the counter's one card thread runs.

Two layers:

- the card itself: :func:`read_tries` (the probe: the PIN counter, no try used) and
  :func:`prove`, the ONE card proof every caller uses — the lookup
  (:class:`app.tap.CardTapper`), a points session or registration ticket, and
  ``mykey-counter register``. The platform's challenge comes first (a network failure
  costs no PIN try), then ONE card transaction: select the JPKI AP, read the
  user-authentication certificate, verify the PIN, sign the challenge (PIN state ends
  with the connection). Both raise :class:`TapError` and nothing else.
- the flows' work: one function per effect of a flow that needs the card or the platform
  (:func:`probe`, :func:`authenticate`, ...). Each returns the flow event that answers it and
  raises nothing: an expected failure is an event too (``TapFailed`` ...), a bug is
  logged and answered as one.

Each runs on the kiosk's one card thread (:class:`app.ui.background.CardLane`), never on
the GUI thread, and takes plain data and plain objects (no QObject, no widget). The PIN
never appears in a log line or an exception's text.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias

from app.card_step import CardProbed, TapFailed
from app.flow import LookupSucceeded
from app.ports import CardStatus, ErrorKind, TapError, Tapper
from drivers.card.pin import PIN_LENGTH, valid_pin

if TYPE_CHECKING:  # the card stack and the wire schema load after the kiosk's first paint
    from app.points.flows.events import (
        Answered,
        ApprovalsLoaded,
        LinkConfirmed,
        LoadFailed,
        Refused,
        SessionOpened,
        TicketIssued,
        Unreachable,
    )
    from app.points.outbox import Outbox, OutboxEntry
    from drivers.card.errors import CardError
    from drivers.card.jpki import JpkiSession
    from drivers.card.transport import Transport
    from server.api.schemas import CardOperation, ChallengeResponse

log = logging.getLogger(__name__)


class PointsServices(Protocol):
    """What the points modes' card work needs of :class:`app.points.services.PointsServices`

    (spelt out here: importing that module would make a cycle through this one)."""

    @property
    def card(self) -> CardAccess: ...

    def client(self) -> Any: ...

    def outbox(self) -> Outbox: ...

#: what stands for the PIN wherever a text could have held it
REDACTED = "****"

#: opens one card transaction on a reader (None: any reader)
OpenCard: TypeAlias = "Callable[[str | None], AbstractContextManager[Transport]]"


class ProbedReader:
    """The reader whose card the last probe read: the PIN goes to that reader only, even
    when ``reader`` is None (any) and another card arrives in another reader meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # set on the card thread, read there too
        self._reader: str | None = None

    @property
    def reader(self) -> str | None:
        with self._lock:
            return self._reader

    def set(self, reader: str | None) -> None:
        with self._lock:
            self._reader = reader


@dataclass(frozen=True)
class CardAccess:
    """How to reach the holder's card: plain data, handed to the card thread."""

    #: the PC/SC reader's name; None: any reader
    reader: str | None = None
    #: one card transaction's time budget, seconds (``card_timeout_s``); a slower card is
    #: refused as broken (:class:`drivers.card.errors.CardTooSlow`); None: the driver's
    timeout_s: float | None = None
    #: opens a transaction on ``reader``; None: PC/SC (:func:`drivers.card.pcsc.open_card`)
    open_card: OpenCard | None = None
    #: ``allow_virtual_reader``: a virtual reader (vpcd) may hold the card (demo, tests)
    allow_virtual_reader: bool = False
    #: where :func:`read_tries` notes the probed reader and :func:`prove` reads it
    probed: ProbedReader | None = field(default=None, compare=False)

    def target(self) -> str | None:
        """The reader the PIN may go to: the probed one, else ``reader``."""
        probed = self.probed.reader if self.probed is not None else None
        return probed if probed is not None else self.reader

    def open(self, reader: str | None = None) -> AbstractContextManager[Transport]:
        """A transaction on ``reader`` (default: :attr:`reader`); a virtual reader is
        refused (:class:`~drivers.card.errors.VirtualReaderRefused`) unless allowed."""
        from drivers.card.errors import VirtualReaderRefused
        from drivers.card.readers import is_virtual_reader

        name = reader if reader is not None else self.reader
        if name is not None and not self.allow_virtual_reader and is_virtual_reader(name):
            raise VirtualReaderRefused(name)
        if self.open_card is not None:
            return self.open_card(name)
        from drivers.card import pcsc  # pyscard: on first use only

        return pcsc.open_card(name, allow_virtual=self.allow_virtual_reader)

    def session(self, transport: Transport) -> JpkiSession:
        from drivers.card.jpki import JpkiSession

        return JpkiSession(transport, budget_s=self.timeout_s)


class Proof(NamedTuple):
    """The card's proof of its holder, as the platform's card endpoints take it."""

    challenge_id: str
    certificate: bytes
    signature: bytes


class ChallengeApi(Protocol):
    """The platform call every proof starts with (:meth:`app.client.PlatformClient.challenge`)."""

    def challenge(self) -> ChallengeResponse: ...


# --- the card ---------------------------------------------------------------------------


def card_error_to_tap(error: CardError) -> TapError:
    """The screen for a driver error (the most specific class first)."""
    from drivers.card.errors import (
        CardRemoved,
        LastTryRefused,
        NoReader,
        NotJpkiCard,
        PinBlocked,
        PinError,
        PinFormatError,
        VirtualReaderRefused,
    )

    detail = str(error) or type(error).__name__
    if isinstance(error, VirtualReaderRefused):
        return TapError(ErrorKind.VIRTUAL_READER_REFUSED, detail)
    if isinstance(error, PinError):
        return TapError(ErrorKind.WRONG_PIN, detail, tries_left=error.tries_left)
    if isinstance(error, PinBlocked):
        return TapError(ErrorKind.PIN_BLOCKED, detail, tries_left=0)
    if isinstance(error, LastTryRefused):
        return TapError(ErrorKind.LAST_TRY_REFUSED, detail, tries_left=1)
    if isinstance(error, NotJpkiCard):
        return TapError(ErrorKind.NOT_JPKI_CARD, detail)
    if isinstance(error, CardRemoved):
        return TapError(ErrorKind.CARD_REMOVED, detail)
    if isinstance(error, NoReader):
        return TapError(ErrorKind.NO_READER, detail)
    if isinstance(error, PinFormatError):
        return TapError(ErrorKind.WRONG_PIN, detail)
    return TapError(ErrorKind.CARD_ERROR, detail)


def redacted(text: str, pin: str | None) -> str:
    """``text`` with the PIN blanked out wherever it appears."""
    return text.replace(pin, REDACTED) if pin else text


def log_unexpected(operation: str, exc: BaseException, pin: str | None = None) -> None:
    """Log a bug with its traceback, the PIN blanked out wherever it appears."""
    text = "".join(traceback.format_exception(exc))
    log.error("unexpected error during %s:\n%s", operation, redacted(text, pin))


@contextmanager
def card_errors(pin: str | None = None) -> Iterator[None]:
    """Turn everything the card stack raises into a :class:`TapError`."""
    from drivers.card.errors import CardError

    try:
        yield
    except TapError:
        raise
    except CardError as e:
        raise card_error_to_tap(e) from e
    except Exception as e:  # a bug or a leaking pyscard error: still one clear screen
        log_unexpected("card work", e, pin)
        detail = redacted(f"{type(e).__name__}: {e}", pin)
        raise TapError(ErrorKind.CARD_ERROR, detail) from None  # its text may hold the PIN


@contextmanager
def timed(timings: dict[str, float] | None, key: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[key]`` (if ``timings`` is given)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - start


def read_tries(card: CardAccess, *, timings: dict[str, float] | None = None) -> CardStatus:
    """Select the JPKI AP and read the PIN counter (uses no PIN try); note the reader in
    ``card.probed`` for the PIN."""
    if card.probed is not None:
        card.probed.set(None)
    with timed(timings, "card_io_s"), card_errors(), card.open() as transport:
        reader = getattr(transport, "reader", None)  # PcscTransport names its reader
        name = reader if isinstance(reader, str) else card.reader
        session = card.session(transport)
        session.select_jpki()
        tries = session.pin_tries_left()
    if card.probed is not None:
        card.probed.set(name)
    return CardStatus(tries_left=tries, reader=name)


def prove(
    card: CardAccess,
    api: ChallengeApi,
    pin: str,
    *,
    allow_last_try: bool,
    timings: dict[str, float] | None = None,
) -> Proof:
    """The card's proof: a platform challenge, then PIN and signature in one transaction.

    A malformed PIN reaches neither the platform nor the card (WRONG_PIN, no tries
    counted); the last try is used only with ``allow_last_try``. ``timings`` gets
    ``network_challenge_s`` and ``card_io_s``.
    """
    if not valid_pin(pin):
        raise TapError(ErrorKind.WRONG_PIN, f"the PIN must be exactly {PIN_LENGTH} digits")
    with timed(timings, "network_challenge_s"):
        challenge = api.challenge()
    raw = _challenge_bytes(challenge)
    from drivers.card.jpki import digest_info_sha256

    with timed(timings, "card_io_s"), card_errors(pin), card.open(card.target()) as transport:
        session = card.session(transport)
        session.select_jpki()
        certificate = session.read_auth_certificate()
        session.verify_pin(pin, allow_last_try=allow_last_try)
        signature = session.sign(digest_info_sha256(raw))
    return Proof(challenge.challenge_id, certificate, signature)


def _challenge_bytes(challenge: ChallengeResponse) -> bytes:
    try:
        raw = base64.b64decode(challenge.challenge, validate=True)
    except (binascii.Error, ValueError):
        raise TapError(ErrorKind.PLATFORM_ERROR, "malformed challenge from the platform") from None
    if not raw:
        raise TapError(ErrorKind.PLATFORM_ERROR, "the platform sent an empty challenge")
    return raw


# --- the flows' work --------------------------------------------------------------------


def failure_of(exc: TapError) -> TapFailed:
    """The flow event for a TapError: its kind, tries, detail and the platform's code."""
    return TapFailed(kind=exc.kind, tries_left=exc.tries_left, detail=exc.detail, code=exc.code)


def probe(tapper: Tapper) -> CardProbed | TapFailed:
    """:class:`~app.card_step.ProbeCard`: select the JPKI AP and read the PIN counter."""
    try:
        return CardProbed(tapper.probe())
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("probe", exc)
        return TapFailed(ErrorKind.CARD_ERROR, detail=type(exc).__name__)


def authenticate(
    tapper: Tapper, pin: str, *, allow_last_try: bool
) -> LookupSucceeded | TapFailed:
    """:class:`app.flow.Authenticate`: the card's proof, then the lookup."""
    try:
        return LookupSucceeded(tapper.authenticate(pin, allow_last_try=allow_last_try))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("authenticate", exc, pin)
        return TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)


def probe_card(card: CardAccess) -> CardProbed | TapFailed:
    """The points modes' :class:`~app.card_step.ProbeCard`: the PIN counter of ``card``."""
    try:
        return CardProbed(read_tries(card))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("probe", exc)
        return TapFailed(ErrorKind.CARD_ERROR, detail=type(exc).__name__)


# --- the points modes' work ---------------------------------------------------------------


@dataclass(frozen=True)
class OperationChallenges:
    """The :class:`ChallengeApi` of a points operation: the platform's challenge derived
    from ``operation``, checked to be so before the card signs it
    (:meth:`app.client.PlatformClient.operation_challenge`)."""

    client: Any
    operation: CardOperation

    def challenge(self) -> ChallengeResponse:
        return self.client.operation_challenge(self.operation)


def open_session(
    services: PointsServices,
    pin: str,
    operation: CardOperation | None,
    *,
    allow_last_try: bool,
) -> SessionOpened | TapFailed:
    """:class:`~app.points.flows.events.OpenSession`: the card's proof for ``operation``
    (None: a look at the balances), then a points session (``POST /v1/card-sessions``)
    that allows that one operation, with the holder's balances."""
    from app.points.flows.events import SessionOpened
    from server.api.schemas import CardOperation, OperationKind

    try:
        client = services.client()
        asked = operation or CardOperation(kind=OperationKind.BALANCE)
        challenges = OperationChallenges(client, asked)
        proof = prove(services.card, challenges, pin, allow_last_try=allow_last_try)
        return SessionOpened(client.card_session(*proof))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("points card proof", exc, pin)
        return TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)


def issue_ticket(
    services: PointsServices, pin: str, *, allow_last_try: bool
) -> TicketIssued | TapFailed:
    """``OpenSession(ticket=True)``: the card's proof, then a one-time link to the portal's
    MyKey ID registration (``POST /v1/registration-tickets``)."""
    from app.points.flows.events import TicketIssued

    try:
        client = services.client()
        proof = prove(services.card, client, pin, allow_last_try=allow_last_try)
        return TicketIssued(client.registration_ticket(*proof))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("registration card proof", exc, pin)
        return TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)


def confirm_link(
    services: PointsServices, pin: str, service_id: str, *, allow_last_try: bool
) -> LinkConfirmed | TapFailed:
    """``OpenSession(link_service_id=…)``: the card's proof, then the desk's confirmation
    of the holder's service ID (``POST /v1/link-confirmations``)."""
    from app.points.flows.events import LinkConfirmed

    try:
        client = services.client()
        proof = prove(services.card, client, pin, allow_last_try=allow_last_try)
        return LinkConfirmed(client.confirm_link(*proof, service_id))
    except TapError as exc:
        return failure_of(exc)
    except Exception as exc:
        log_unexpected("link confirmation card proof", exc, pin)
        return TapFailed(ErrorKind.PLATFORM_ERROR, detail=type(exc).__name__)


def send_entry(services: PointsServices, entry: OutboxEntry) -> Answered | Refused | Unreachable:
    """:class:`~app.points.flows.events.Send`: the entry written to the outbox, then sent
    once (:func:`app.points.sending.send`); a refusal keeps the platform's code."""
    from app.points.flows.events import Answered, Refused, Unreachable
    from app.points.sending import Outcome, send

    try:
        result = send(services.outbox(), services.client(), entry)
    except TapError as exc:  # no client (not enrolled): nothing was sent
        return Unreachable(entry.id, exc.detail or exc.kind.value)
    except Exception as exc:  # a bug, or the outbox's file: sent again, or left to it
        log_unexpected("points request", exc)
        return Unreachable(entry.id, type(exc).__name__)
    if result.outcome is Outcome.ANSWERED and result.answer is not None:
        return Answered(entry.id, result.answer)
    if result.outcome is Outcome.REFUSED:
        return Refused(entry.id, result.code, result.detail)
    return Unreachable(entry.id, result.detail)


def load_approvals(services: PointsServices) -> ApprovalsLoaded | LoadFailed:
    """:class:`~app.points.flows.events.LoadApprovals`: the grants awaiting approval."""
    from app.points.flows.events import ApprovalsLoaded, LoadFailed

    try:
        return ApprovalsLoaded(services.client().awaiting_grants())
    except TapError as exc:
        return LoadFailed(exc.kind, exc.detail)
    except Exception as exc:
        log_unexpected("approvals list", exc)
        return LoadFailed(ErrorKind.PLATFORM_ERROR, type(exc).__name__)


def forget_secret(services: PointsServices, entry_id: str) -> None:
    """:class:`~app.points.flows.events.ForgetSecret`: the printed voucher's code leaves
    the outbox (a failure is logged: the code then stays until the next try)."""
    try:
        services.outbox().forget_secret(entry_id)
    except Exception as exc:
        log_unexpected("forgetting a voucher secret", exc)
