"""The points flows' events and effects (besides the card step's and the common ones).

Events come from the screens (the operator's intents) and from the card lane (the
answers of :mod:`app.card_work`); effects are what the points controller carries out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from app.card_step import (
    CardInserted,
    CardProbed,
    CardRemovedEvent,
    LastTryConfirmed,
    PinEntered,
    ProbeCard,
    TapFailed,
)
from app.flow_common import Cancel, ClearScreen, Retry, StartTimer, TimerFired
from app.points.outbox import OutboxEntry
from app.ports import ErrorKind
from server.api.schemas import (
    CardOperation,
    CardSession,
    Grant,
    GrantReason,
    LinkConfirmResult,
    RegistrationTicket,
)

# --- events: answers of the card lane -----------------------------------------------------


@dataclass(frozen=True)
class SessionOpened:
    session: CardSession


@dataclass(frozen=True)
class TicketIssued:
    ticket: RegistrationTicket


@dataclass(frozen=True)
class LinkConfirmed:
    result: LinkConfirmResult


@dataclass(frozen=True)
class Answered:
    entry_id: str
    answer: BaseModel


@dataclass(frozen=True)
class Refused:
    """A definite refusal of an outbox entry; ``code`` is the platform's error code."""

    entry_id: str
    code: str | None
    detail: str = ""


@dataclass(frozen=True)
class Unreachable:
    """No definite answer for an outbox entry: it is sent again (the same entry)."""

    entry_id: str
    detail: str = ""


@dataclass(frozen=True)
class ApprovalsLoaded:
    grants: list[Grant]


@dataclass(frozen=True)
class LoadFailed:
    kind: ErrorKind
    detail: str = ""


@dataclass(frozen=True)
class Printed:
    pass


@dataclass(frozen=True)
class PrintFailed:
    detail: str


# --- events: the operator's intents ----------------------------------------------------------


@dataclass(frozen=True)
class AmountEntered:
    """pay: the account (index into the balances) and amount; voucher: the points."""

    index: int
    amount: int


@dataclass(frozen=True)
class GrantEntered:
    reason: GrantReason
    points: int
    #: the staff account's login and its PIN or TOTP code (never stored, never logged)
    staff_login: str
    staff_code: str = field(repr=False)
    note: str | None = None


@dataclass(frozen=True)
class Confirm:
    """Grant: confirm the form; pay: post the held payment."""


@dataclass(frozen=True)
class CodeEntered:
    text: str


@dataclass(frozen=True)
class LinkEntered:
    """Confirm link: the number staff typed or scanned from the service's own card."""

    text: str


@dataclass(frozen=True)
class RefundEntered:
    payment_id: str
    amount: int


@dataclass(frozen=True)
class Decide:
    grant_id: str
    #: the approving staff account's login and its PIN or TOTP code (never stored or logged)
    staff_login: str
    staff_code: str = field(repr=False)
    approve: bool = False


@dataclass(frozen=True)
class Reprint:
    pass


@dataclass(frozen=True)
class Finish:
    """The operator is done with the result screen."""


PointsEvent = (
    CardInserted
    | CardRemovedEvent
    | CardProbed
    | LastTryConfirmed
    | PinEntered
    | TapFailed
    | Cancel
    | Retry
    | TimerFired
    | SessionOpened
    | TicketIssued
    | LinkConfirmed
    | Answered
    | Refused
    | Unreachable
    | AmountEntered
    | GrantEntered
    | Confirm
    | CodeEntered
    | LinkEntered
    | RefundEntered
    | ApprovalsLoaded
    | LoadFailed
    | Decide
    | Printed
    | PrintFailed
    | Reprint
    | Finish
)
POINTS_EVENTS = (
    CardInserted,
    CardRemovedEvent,
    CardProbed,
    LastTryConfirmed,
    PinEntered,
    TapFailed,
    Cancel,
    Retry,
    TimerFired,
    SessionOpened,
    TicketIssued,
    LinkConfirmed,
    Answered,
    Refused,
    Unreachable,
    AmountEntered,
    GrantEntered,
    Confirm,
    CodeEntered,
    LinkEntered,
    RefundEntered,
    ApprovalsLoaded,
    LoadFailed,
    Decide,
    Printed,
    PrintFailed,
    Reprint,
    Finish,
)

# --- effects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSession:
    """The card step's proof for a points mode, on the card lane: challenge, PIN, signature,
    then ``POST /v1/card-sessions`` — or ``/v1/registration-tickets`` with ``ticket``, or
    ``/v1/link-confirmations`` with ``link_service_id``; answer SessionOpened /
    TicketIssued / LinkConfirmed or TapFailed."""

    pin: str = field(repr=False)
    allow_last_try: bool
    ticket: bool = False
    link_service_id: str | None = None
    #: a points session's one operation: the challenge the card signs is derived from it
    operation: CardOperation | None = None


@dataclass(frozen=True)
class Send:
    """Write ``entry`` to the outbox, send it; answer Answered / Refused / Unreachable."""

    entry: OutboxEntry


@dataclass(frozen=True)
class LoadApprovals:
    """``GET /v1/grants?status=awaiting_approval``; answer ApprovalsLoaded or LoadFailed."""


@dataclass(frozen=True)
class Receipt:
    """What a printed receipt or voucher says (all texts are filled in by the printer)."""

    kind: str  # "payment", "refund", "voucher"
    amount: int
    number: str
    place: str
    municipality: str
    valid_until: str = ""
    qr: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PrintReceipt:
    """Print ``receipt`` off the GUI thread; answer Printed or PrintFailed."""

    receipt: Receipt


@dataclass(frozen=True)
class ForgetSecret:
    """The voucher is printed: its code leaves the outbox."""

    entry_id: str


@dataclass(frozen=True)
class CloseMode:
    """Back to the lookup's idle screen."""


PointsEffect = (
    ProbeCard
    | StartTimer
    | ClearScreen
    | OpenSession
    | Send
    | LoadApprovals
    | PrintReceipt
    | ForgetSecret
    | CloseMode
)


@dataclass(frozen=True)
class PointsTimeouts:
    """Seconds a screen waits for the operator before the counter gives up."""

    form_s: float = 120.0
    result_s: float = 30.0
    error_s: float = 20.0
    pin_entry_s: float = 60.0
    #: back-off before each retry of an unanswered request, the last one repeated
    retry_s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    #: attempts before the counter stops retrying (the entry stays in the outbox)
    max_attempts: int = 8
