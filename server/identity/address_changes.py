"""Address-change notices: J-LIS events imported by operators, fetched by providers.

J-LIS reports a holder's address change by certificate.  An operator imports such a
file (:func:`parse_notices`, :func:`import_notices`); each event that names a registered
certificate is stored once (per MyKey ID and change time) and raises the MyKey ID's
``address_changed_at`` — which lookups report.  A service provider then fetches, with
its own API key, its service IDs whose holders' addresses changed (:func:`changes_for`).

File format (CSV, UTF-8, header line required, ``#`` lines are comments)::

    serial,issuer,sha256,changed_at
    1a2b3c,"CN=JPKI CA,O=J-LIS,C=JP",,2026-11-20
    ,,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,2026-11-21T10:00+09:00

Each line names the certificate by ``serial`` (hex) and ``issuer`` (the RFC 4514 DN, as
``mykey register`` prints it) or by ``sha256`` (the certificate's SHA-256 fingerprint);
``changed_at`` is a date (00:00 Japan time) or an ISO 8601 time with its offset.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base, new_id, utcnow
from server.identity.labels import JST
from server.identity.models import CertificateBinding, MyKey, ServiceLink

COLUMNS = ("serial", "issuer", "sha256", "changed_at")
_HEX = re.compile(r"[0-9a-f]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: how far in the future a change time may lie (clock skew between J-LIS and us)
FUTURE_SLACK = dt.timedelta(hours=1)


class AddressChange(Base):
    """One address-change event of a holder, as imported (never the address itself)."""

    __tablename__ = "address_changes"
    __table_args__ = (UniqueConstraint("mykey_pk", "changed_at"),)

    #: UUIDv7: the order providers page through
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), index=True)
    #: when the address changed, as J-LIS reports it
    changed_at: Mapped[dt.datetime]
    #: when the platform imported the event: what providers' ``since`` compares with
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class NoticeStatus(enum.StrEnum):
    """What became of one line of an import."""

    RECORDED = "recorded"
    ALREADY_IMPORTED = "already imported"
    UNKNOWN_CERTIFICATE = "unknown certificate"
    INVALID = "invalid"


@dataclass(frozen=True)
class Notice:
    """One parsed line: the certificate (by fingerprint, or serial + issuer) and time."""

    line: int
    changed_at: dt.datetime
    sha256: str | None = None
    serial: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class LineResult:
    line: int
    status: NoticeStatus
    detail: str = ""


def parse_changed_at(text: str) -> dt.datetime:
    """A date (00:00 Japan time) or an ISO 8601 time with offset, as UTC; ``ValueError``."""
    text = text.strip()
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), JST).astimezone(dt.UTC)
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. +09:00)")
    return moment.astimezone(dt.UTC)


def _notice(line: int, row: dict[str, str], now: dt.datetime) -> Notice:
    """The notice on ``row``; ``ValueError`` saying what is wrong."""
    sha256 = (row.get("sha256") or "").strip().lower().replace(":", "")
    serial = (row.get("serial") or "").strip().lower().removeprefix("0x").lstrip("0")
    issuer = (row.get("issuer") or "").strip()
    changed_at = parse_changed_at(row.get("changed_at") or "")
    if changed_at > now + FUTURE_SLACK:
        raise ValueError("changed_at is in the future")
    if sha256:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("sha256 must be 64 hex digits")
        return Notice(line, changed_at, sha256=sha256)
    if not serial or not issuer:
        raise ValueError("give sha256, or both serial and issuer")
    if not _HEX.fullmatch(serial):
        raise ValueError("serial must be hexadecimal")
    return Notice(line, changed_at, serial=serial, issuer=issuer)


def parse_notices(text: str, now: dt.datetime) -> tuple[list[Notice], list[LineResult]]:
    """The notices of a file, and a result for every line that is not one."""
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return [], []
    header_line, header = lines[0]
    names = [name.strip().lower() for name in next(csv.reader([header]))]
    if "changed_at" not in names or not set(names) <= set(COLUMNS):
        return [], [
            LineResult(
                header_line, NoticeStatus.INVALID, f"the header must name {', '.join(COLUMNS)}"
            )
        ]
    notices: list[Notice] = []
    invalid: list[LineResult] = []
    for number, line in lines[1:]:
        values = next(csv.reader(io.StringIO(line)), [])
        if len(values) != len(names):
            invalid.append(
                LineResult(number, NoticeStatus.INVALID, f"{len(names)} columns expected")
            )
            continue
        try:
            notices.append(_notice(number, dict(zip(names, values, strict=True)), now))
        except ValueError as error:
            invalid.append(LineResult(number, NoticeStatus.INVALID, str(error)))
    return notices, invalid


def _binding(session: Session, notice: Notice) -> CertificateBinding | None:
    if notice.sha256 is not None:
        query = select(CertificateBinding).where(CertificateBinding.fingerprint == notice.sha256)
    else:
        query = select(CertificateBinding).where(
            CertificateBinding.serial == notice.serial, CertificateBinding.issuer == notice.issuer
        )
    return session.scalars(query).first()


def import_notices(
    session: Session, notices: list[Notice], now: dt.datetime, *, dry_run: bool = False
) -> list[LineResult]:
    """Store each new event and raise its holder's ``address_changed_at``; a result per
    notice.  Importing the same events again changes nothing."""
    results: list[LineResult] = []
    seen: set[tuple[uuid.UUID, dt.datetime]] = set()
    for notice in notices:
        binding = _binding(session, notice)
        if binding is None:
            results.append(LineResult(notice.line, NoticeStatus.UNKNOWN_CERTIFICATE))
            continue
        key = (binding.mykey_pk, notice.changed_at)
        stored = session.scalar(
            select(AddressChange.id).where(
                AddressChange.mykey_pk == binding.mykey_pk,
                AddressChange.changed_at == notice.changed_at,
            )
        )
        if key in seen or stored is not None:
            results.append(LineResult(notice.line, NoticeStatus.ALREADY_IMPORTED))
            continue
        seen.add(key)
        results.append(LineResult(notice.line, NoticeStatus.RECORDED))
        if dry_run:
            continue
        session.add(
            AddressChange(mykey_pk=binding.mykey_pk, changed_at=notice.changed_at, recorded_at=now)
        )
        mykey = session.get_one(MyKey, binding.mykey_pk)
        if mykey.address_changed_at is None or mykey.address_changed_at < notice.changed_at:
            mykey.address_changed_at = notice.changed_at
    session.flush()
    return results


@dataclass(frozen=True)
class ChangedServiceId:
    """One notice for a provider: its service ID and when the address changed."""

    cursor: uuid.UUID
    service_id: str
    changed_at: dt.datetime


def changes_for(
    session: Session,
    service_pk: uuid.UUID,
    since: dt.datetime,
    *,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> list[ChangedServiceId]:
    """The service's IDs whose holders' address-change events were imported at or after
    ``since`` (and changed after the ID was linked, as lookups report), in import order,
    at most ``limit``, after the cursor ``after``."""
    query = (
        select(AddressChange.id, ServiceLink.external_id, AddressChange.changed_at)
        .join(ServiceLink, ServiceLink.mykey_pk == AddressChange.mykey_pk)
        .where(
            ServiceLink.service_pk == service_pk,
            AddressChange.recorded_at >= since,
            AddressChange.changed_at > ServiceLink.linked_at,
        )
        .order_by(AddressChange.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(AddressChange.id > after)
    return [ChangedServiceId(*row) for row in session.execute(query).all()]
