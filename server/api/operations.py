"""The operation a card tap is for, and the challenge derived from it (wire, shared).

One tap, one operation: a points session is opened for exactly one operation — a payment
of so many points at this shop, a grant of so many points for this reason at this
municipality, a voucher of so many points — and the challenge the card signs is derived
from it::

    challenge = SHA-256(CHALLENGE_DOMAIN ‖ nonce ‖ canonical(operation))

so a proof the patron gave for 500 pt cannot carry 50,000 pt.  The platform fills in the
place (the terminal's shop or municipality) and answers the nonce and the operation; the
counter recomputes the challenge from what it asked for before the card signs it.

Like :mod:`server.api.schemas`, this module is part of the counter's contract: pydantic
models and the standard library only.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: separates card challenges from any other use of SHA-256 over the same bytes
CHALLENGE_DOMAIN = b"MyKey-Platform card operation v1\x00"
NONCE_BYTES = 32


class GrantReason(StrEnum):
    """Why a municipality grants administrative points."""

    VOLUNTEERING = "volunteering"
    HEALTH = "health"
    CHILD_CARE = "child_care"
    ENVIRONMENT = "environment"
    COMMUNITY = "community"
    DISASTER_SUPPORT = "disaster_support"
    OTHER = "other"


class OperationKind(StrEnum):
    """What a points session allows: ``balance`` shows the balances and moves nothing."""

    BALANCE = "balance"
    PAYMENT = "payment"
    GRANT = "grant"
    VOUCHER = "voucher"


class CardOperation(BaseModel):
    """The one operation a points session is opened for, as the card signs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: OperationKind
    #: the payment's amount, the grant's or the voucher's points; 0 for ``balance``
    points: int = Field(default=0, ge=0, le=10_000_000)
    #: grants only: the reason, and the special event (None: the regular account)
    reason: GrantReason | None = None
    event_code: str | None = Field(default=None, max_length=32)
    #: set by the platform: ``shop:CODE`` or ``municipality:CODE`` of the terminal
    place: str | None = Field(default=None, max_length=48)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.kind is OperationKind.BALANCE) != (self.points == 0):
            raise ValueError("points must be 0 for a balance view and positive otherwise")
        if (self.kind is OperationKind.GRANT) != (self.reason is not None):
            raise ValueError("a grant, and only a grant, has a reason")
        if self.event_code is not None and self.kind is not OperationKind.GRANT:
            raise ValueError("only a grant names an event")
        return self

    def at(self, place: str) -> CardOperation:
        """This operation at ``place`` (the platform's side)."""
        return self.model_copy(update={"place": place})

    def without_place(self) -> CardOperation:
        return self.model_copy(update={"place": None})


def canonical(operation: CardOperation) -> bytes:
    """The operation's one byte form: sorted keys, no white space, ASCII, no nulls."""
    fields = operation.model_dump(mode="json", exclude_none=True)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def challenge_value(nonce: bytes, operation: CardOperation) -> bytes:
    """The 32 bytes the card signs for ``operation`` (with its place) and ``nonce``."""
    return hashlib.sha256(CHALLENGE_DOMAIN + nonce + canonical(operation)).digest()


def derived_from(
    challenge: bytes, nonce: bytes, answered: CardOperation | None, asked: CardOperation
) -> bool:
    """Whether a challenge the platform answered is derived from the operation that was
    ``asked`` for (the counter's check before the card signs): the ``answered`` operation
    is the one asked, at a place, and the challenge is its :func:`challenge_value`."""
    return (
        answered is not None
        and answered.place is not None
        and answered.without_place() == asked
        and challenge_value(nonce, answered) == challenge
    )
