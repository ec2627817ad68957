"""Wire types of the providers' link endpoints (``/v1/providers/pending-links``,
``/v1/providers/link-codes``): what a service provider sees, never a MyKey ID."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class PendingLink(BaseModel):
    """A holder's pending claim on one of the provider's service IDs."""

    #: the id to confirm or reject the claim with
    link_id: str
    service_id: str
    claimed_at: dt.datetime
    #: how many holders claim this service ID
    claims: int
    #: more than one holder claims it: check who really holds the card
    conflict: bool


class PendingLinksPage(BaseModel):
    service: str
    links: list[PendingLink]
    #: the service IDs with a conflict on this page, each once
    conflicts: list[str]
    #: more claims follow: pass this as ``cursor``
    next_cursor: str | None = None


class LinkDecision(BaseModel):
    """The answer to a confirmation or rejection of a claim."""

    service: str
    service_id: str
    #: ``confirmed`` or ``rejected``
    decision: str
    #: other holders' claims on the same service ID dropped by a confirmation
    dropped_claims: int = 0


class LinkCodeRequest(BaseModel):
    service_id: str = Field(min_length=1, max_length=64)
    #: how long the code may be used
    valid_days: int = Field(default=14, ge=1, le=90)


class LinkCodeIssued(BaseModel):
    """A one-time linking code, shown once: hand it to the holder of ``service_id``."""

    service: str
    service_id: str
    code: str
    expires_at: dt.datetime
