"""What the points modes need from outside the counter, built by the composition root.

The signed platform client, the card reader, the outbox and the printer, each built on
first use (off the GUI thread, after the kiosk's first paint), and the terminal's points
scope: asked from the platform at start-up, cached in ``points_scope.json`` for when it
is away. :meth:`PointsServices.start_up` also replays what the outbox still holds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.ports import TapError
from app.settings import LabelSettings

if TYPE_CHECKING:
    from app.card_work import CardAccess, OpenCard
    from app.points.flows import PointsTimeouts
    from app.points.outbox import Outbox, OutboxRecord
    from app.points.retry import RetryPolicy
    from app.points.sending import Sent
    from drivers.printers import LabelPrinter
    from server.api.schemas import (
        ApprovalRequest,
        CardOperation,
        CardSession,
        ChallengeResponse,
        Grant,
        GrantRequestBody,
        Payment,
        PaymentRequest,
        PointsScope,
        RedeemRequest,
        Redemption,
        Refund,
        RefundRequest,
        RegistrationTicket,
        ResolveRequest,
        VoucherInfo,
        VoucherRequest,
    )

log = logging.getLogger(__name__)

SCOPE_CACHE_FILE = "points_scope.json"


class PointsClient(Protocol):
    """The signed client (:class:`app.client.PlatformClient`) as the points modes use it:
    ``app.points.outbox.PointsApi``, the card proof's calls and the rest
    (spelt out: importing those would load the wire schema before the first paint)."""

    def challenge(self) -> ChallengeResponse: ...

    def operation_challenge(self, operation: CardOperation) -> ChallengeResponse: ...

    def card_session(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> CardSession: ...

    def registration_ticket(
        self, challenge_id: str, certificate_der: bytes, signature: bytes
    ) -> RegistrationTicket: ...

    def create_payment(self, request: PaymentRequest) -> Payment: ...

    def post_payment(self, payment_id: str, request: ResolveRequest) -> Payment: ...

    def void_payment(self, payment_id: str, request: ResolveRequest) -> Payment: ...

    def refund_payment(self, payment_id: str, request: RefundRequest) -> Refund: ...

    def create_grant(self, request: GrantRequestBody) -> Grant: ...

    def decide_grant(self, grant_id: str, request: ApprovalRequest) -> Grant: ...

    def issue_voucher(self, request: VoucherRequest) -> VoucherInfo: ...

    def redeem_voucher(self, request: RedeemRequest) -> Redemption: ...

    def points_scope(self) -> PointsScope: ...

    def awaiting_grants(self) -> list[Grant]: ...

    def close(self) -> None: ...


@dataclass
class StartUp:
    """What :meth:`PointsServices.start_up` found."""

    scope: PointsScope | None
    replayed: list[Sent] = field(default_factory=list)


@dataclass
class PointsServices:
    """Factories and settings of the points modes (one per running counter)."""

    #: the signed platform client; raises TapError (NOT_ENROLLED) without a terminal key
    make_client: Callable[[], PointsClient]
    home: Path
    reader: str | None = None
    #: the printer and stock of receipts and vouchers (the ``[label]`` table)
    label: LabelSettings = field(default_factory=LabelSettings)
    #: ask the platform which points modes this terminal has
    enabled: bool = True
    #: show the MyKey ID registration button
    register: bool = False
    #: seconds of the points screens (``app.points.flows.PointsTimeouts``); None: defaults
    timeouts: PointsTimeouts | None = None
    #: one card transaction's budget (``card_timeout_s``); None: the driver's default
    card_timeout_s: float | None = None
    open_card: OpenCard | None = None
    make_printer: Callable[[LabelSettings], LabelPrinter] | None = None
    #: ``allow_virtual_reader``: a virtual reader (vpcd) may hold the card
    allow_virtual_reader: bool = False
    #: ``[points] outbox_max_tries``: tries before an entry's dead-letter list
    outbox_max_tries: int = 10
    #: the first back-off of an outbox entry (doubling up to ``retry_max_s``)
    retry_first_s: float = 30.0
    retry_max_s: float = 1800.0

    def __post_init__(self) -> None:
        from app.card_work import ProbedReader

        self._probed = ProbedReader()
        self._lock = threading.Lock()
        self._client: PointsClient | None = None
        self._outbox: Outbox | None = None
        self._printer: LabelPrinter | None = None

    # built on first use ------------------------------------------------------------------
    def client(self) -> PointsClient:
        with self._lock:
            if self._client is None:
                self._client = self.make_client()
            return self._client

    @property
    def card(self) -> CardAccess:
        """The holder's card, as the points modes reach it."""
        from app.card_work import CardAccess

        return CardAccess(self.reader, self.card_timeout_s, self.open_card,
                          allow_virtual_reader=self.allow_virtual_reader, probed=self._probed)

    def outbox(self) -> Outbox:
        from app.points.outbox import Outbox

        with self._lock:
            if self._outbox is None:
                self._outbox = Outbox.in_home(self.home)
            return self._outbox

    def printer(self) -> LabelPrinter:
        with self._lock:
            if self._printer is None:
                from app.outputs import make_printer

                self._printer = (self.make_printer or make_printer)(self.label)
            return self._printer

    def close(self) -> None:
        with self._lock:
            if self._outbox is not None:
                self._outbox.close()
                self._outbox = None

    # the scope ---------------------------------------------------------------------------
    def cached_scope(self) -> PointsScope | None:
        from pydantic import ValidationError

        from server.api.schemas import PointsScope

        path = self.home / SCOPE_CACHE_FILE
        try:
            return PointsScope.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as e:
            log.warning("ignoring the points scope cache %s: %s", path, e)
            return None

    def fetch_scope(self) -> PointsScope | None:
        """The platform's answer (cached), the cache when it is away, None when the
        platform knows no points modes (an older platform: 404)."""
        from app.client import PlatformRefusal

        try:
            scope = self.client().points_scope()
        except PlatformRefusal as e:
            if e.status == 404:
                return None
            log.warning("points scope refused (%s): using the cache", e.detail)
            return self.cached_scope()
        except TapError as e:
            log.warning("points scope unavailable (%s): using the cache", e.detail or e.kind)
            return self.cached_scope()
        path = self.home / SCOPE_CACHE_FILE
        data = json.dumps(scope.model_dump(mode="json"), ensure_ascii=False, indent=2)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data + "\n", encoding="utf-8")
        except OSError as e:
            log.warning("cannot cache the points scope in %s: %s", path, e)
        return scope

    # the outbox's schedule (app.points.retry), off the GUI thread -------------------------
    def retry_policy(self) -> RetryPolicy:
        from app.points.retry import RetryPolicy

        return RetryPolicy(self.retry_first_s, self.retry_max_s, self.outbox_max_tries)

    def retry_outbox(self) -> list[Sent]:
        """Send the outbox entries whose next try has come (the kiosk's timer)."""
        from app.points.retry import retry_due

        if not self.outbox().pending():
            return []  # no client built (nor a key read) for an empty outbox
        return retry_due(self.outbox(), self.client(), self.retry_policy())

    def dead_letters(self) -> list[OutboxRecord]:
        """The outbox's dead-letter list (the settings screen)."""
        return self.outbox().dead()

    def revive(self, entry_id: str) -> bool:
        """Staff send a dead entry again: it is due at the timer's next tick."""
        return self.outbox().revive(entry_id)

    def start_up(self) -> StartUp:
        """After the first paint, off the GUI thread: the scope, then the outbox replay."""
        from app.points.sending import replay_pending

        if not self.enabled:
            return StartUp(scope=None)
        scope = self.fetch_scope()
        replayed: list[Sent] = []
        try:
            outbox = self.outbox()
            if outbox.pending():
                replayed = replay_pending(outbox, self.client())
                self._schedule_after(replayed)
        except (OSError, TapError) as e:
            log.error("the outbox could not be replayed: %s", e)
        except Exception:  # the sqlite file: never stop the kiosk for it
            log.exception("the outbox could not be replayed")
        return StartUp(scope=scope, replayed=replayed)

    def _schedule_after(self, replayed: list[Sent]) -> None:
        """The replay stopped at an unreachable entry: its next try, or the dead letters."""
        import datetime as dt

        from app.points.retry import after_failure
        from app.points.sending import Outcome

        if replayed and replayed[-1].outcome is Outcome.UNREACHABLE:
            after_failure(self.outbox(), replayed[-1].entry_id, self.retry_policy(),
                          dt.datetime.now(dt.UTC))
