"""Fetching each anchor's CRL from its distribution point (``crl_url``), for the
scheduled jobs.  A fetched CRL goes through :func:`~server.identity.crl.import_crl`, so
only a CRL signed by a trusted anchor is kept; every failure is recorded on the anchor
(``crl_fetch_error``, shown by ``/v1/health`` through the CRL's age) and logged."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import Database
from server.errors import OperatorError
from server.identity.crl import import_crl
from server.identity.models import TrustAnchor

log = logging.getLogger(__name__)

#: a JPKI CRL is large (millions of revoked serials over the years) but bounded
MAX_CRL_BYTES = 512 * 1024 * 1024
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class CrlFetchReport:
    fetched: int = 0
    failed: int = 0


class FetchFailure(Exception):
    """The CRL could not be fetched or imported; the message says why."""


def _download(url: str, timeout_s: float) -> bytes:
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=False) as response:
            if response.status_code != 200:
                raise FetchFailure(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_CRL_BYTES:
                    raise FetchFailure(f"{url}: the CRL is larger than {MAX_CRL_BYTES} bytes")
            return bytes(body)
    except httpx.HTTPError as error:
        raise FetchFailure(f"{url} unreachable: {type(error).__name__}: {error}") from error


def _record(db: Database, anchor_id: uuid.UUID, now: dt.datetime, error: str | None) -> None:
    def work(session: Session) -> None:
        row = session.get(TrustAnchor, anchor_id)
        if row is not None:
            row.crl_fetched_at = now
            row.crl_fetch_error = None if error is None else error[:512]

    db.transaction(work)


def fetch_crls(
    db: Database, now: dt.datetime, timeout_s: float = DEFAULT_TIMEOUT_S
) -> CrlFetchReport:
    """Fetch and import the CRL of every active anchor that has a ``crl_url``.  The
    downloads run outside any transaction; each import is a transaction of its own."""

    def anchors(session: Session) -> list[tuple[uuid.UUID, str]]:
        rows = session.execute(
            select(TrustAnchor.id, TrustAnchor.crl_url).where(
                TrustAnchor.retired_at.is_(None), TrustAnchor.crl_url.is_not(None)
            )
        ).all()
        return [(row.id, str(row.crl_url)) for row in rows]

    fetched = failed = 0
    for anchor_id, url in db.transaction(anchors):
        try:
            body = _download(url, timeout_s)
            try:
                db.transaction(lambda s, body=body: import_crl(s, body))  # type: ignore[misc]
            except OperatorError as error:
                raise FetchFailure(f"{url}: {error}") from error
        except FetchFailure as error:
            log.warning("CRL not fetched: %s", error)
            _record(db, anchor_id, now, str(error))
            failed += 1
            continue
        _record(db, anchor_id, now, None)
        fetched += 1
    return CrlFetchReport(fetched, failed)
