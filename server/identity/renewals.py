"""J-LIS's certificate linkage: which new user-authentication certificate replaced
which old one when a card was renewed, imported by an operator.

A renewed card whose *old* certificate is linked to it may be bound to the old one's
MyKey ID (:func:`linked_binding`); a card nobody can vouch for may not.

File format (CSV, UTF-8, header line required, ``#`` lines are comments)::

    old_serial,old_issuer,old_sha256,new_serial,new_issuer,new_sha256
    1a2b3c,"CN=JPKI CA,O=J-LIS,C=JP",,4d5e6f,"CN=JPKI CA,O=J-LIS,C=JP",
    ,,9f86d0…0a08,,,5feceb…b2e5

Each side names a certificate by ``sha256`` (its SHA-256 fingerprint) or by ``serial``
(hex) and ``issuer`` (the RFC 4514 DN, as ``mykey register`` prints it).  Importing the
same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base, new_id, utcnow
from server.identity.models import CertificateBinding

COLUMNS = ("old_serial", "old_issuer", "old_sha256", "new_serial", "new_issuer", "new_sha256")
_HEX = re.compile(r"[0-9a-f]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class CertificateRenewal(Base):
    """One J-LIS linkage line: the old certificate and the new one that replaced it."""

    __tablename__ = "certificate_renewals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: SHA-256 of the normalised line: the same linkage is stored once
    line_key: Mapped[str] = mapped_column(String(64), unique=True)
    old_sha256: Mapped[str | None] = mapped_column(String(64))
    old_serial: Mapped[str | None] = mapped_column(String(64))
    old_issuer: Mapped[str | None] = mapped_column(String(1024))
    new_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    new_serial: Mapped[str | None] = mapped_column(String(64), index=True)
    new_issuer: Mapped[str | None] = mapped_column(String(1024))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class CertificateName:
    """A certificate named by fingerprint, or by serial and issuer."""

    sha256: str | None = None
    serial: str | None = None
    issuer: str | None = None

    def text(self) -> str:
        return self.sha256 or f"{self.serial}@{self.issuer}"


@dataclass(frozen=True)
class Linkage:
    line: int
    old: CertificateName
    new: CertificateName

    def key(self) -> str:
        return hashlib.sha256(f"{self.old.text()}\n{self.new.text()}".encode()).hexdigest()


class LinkStatus(enum.StrEnum):
    """What became of one line of an import."""

    RECORDED = "recorded"
    ALREADY_IMPORTED = "already imported"
    INVALID = "invalid"


@dataclass(frozen=True)
class LinkResult:
    line: int
    status: LinkStatus
    detail: str = ""


def _name(row: dict[str, str], side: str) -> CertificateName:
    sha256 = (row.get(f"{side}_sha256") or "").strip().lower().replace(":", "")
    serial = (row.get(f"{side}_serial") or "").strip().lower().removeprefix("0x").lstrip("0")
    issuer = (row.get(f"{side}_issuer") or "").strip()
    if sha256:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"{side}_sha256 must be 64 hex digits")
        return CertificateName(sha256=sha256)
    if not serial or not issuer:
        raise ValueError(f"give {side}_sha256, or both {side}_serial and {side}_issuer")
    if not _HEX.fullmatch(serial):
        raise ValueError(f"{side}_serial must be hexadecimal")
    return CertificateName(serial=serial, issuer=issuer)


def parse_linkages(text: str) -> tuple[list[Linkage], list[LinkResult]]:
    """The linkages of a file, and a result for every line that is not one."""
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return [], []
    header_line, header = lines[0]
    names = [name.strip().lower() for name in next(csv.reader([header]))]
    if not set(names) <= set(COLUMNS) or not any(n.startswith("new_") for n in names):
        return [], [
            LinkResult(
                header_line, LinkStatus.INVALID, f"the header must name {', '.join(COLUMNS)}"
            )
        ]
    linkages: list[Linkage] = []
    invalid: list[LinkResult] = []
    for number, line in lines[1:]:
        values = next(csv.reader(io.StringIO(line)), [])
        if len(values) != len(names):
            invalid.append(LinkResult(number, LinkStatus.INVALID, f"{len(names)} columns expected"))
            continue
        row = dict(zip(names, values, strict=True))
        try:
            linkage = Linkage(number, _name(row, "old"), _name(row, "new"))
        except ValueError as error:
            invalid.append(LinkResult(number, LinkStatus.INVALID, str(error)))
            continue
        if linkage.old == linkage.new:
            invalid.append(LinkResult(number, LinkStatus.INVALID, "old and new are the same"))
            continue
        linkages.append(linkage)
    return linkages, invalid


def import_linkages(
    session: Session, linkages: list[Linkage], now: dt.datetime, *, dry_run: bool = False
) -> list[LinkResult]:
    """Store each new linkage; a result per linkage.  Importing again changes nothing."""
    results: list[LinkResult] = []
    seen: set[str] = set()
    for linkage in linkages:
        key = linkage.key()
        stored = session.scalar(
            select(CertificateRenewal.id).where(CertificateRenewal.line_key == key)
        )
        if key in seen or stored is not None:
            results.append(LinkResult(linkage.line, LinkStatus.ALREADY_IMPORTED))
            continue
        seen.add(key)
        results.append(LinkResult(linkage.line, LinkStatus.RECORDED))
        if not dry_run:
            session.add(
                CertificateRenewal(
                    line_key=key,
                    old_sha256=linkage.old.sha256,
                    old_serial=linkage.old.serial,
                    old_issuer=linkage.old.issuer,
                    new_sha256=linkage.new.sha256,
                    new_serial=linkage.new.serial,
                    new_issuer=linkage.new.issuer,
                    imported_at=now,
                )
            )
    session.flush()
    return results


def _names_new(fingerprint: str, serial: str, issuer: str) -> ColumnElement[bool]:
    return or_(
        CertificateRenewal.new_sha256 == fingerprint,
        and_(CertificateRenewal.new_serial == serial, CertificateRenewal.new_issuer == issuer),
    )


def linked_binding(
    session: Session, fingerprint: str, serial: str, issuer: str
) -> CertificateBinding | None:
    """The live binding of the old certificate J-LIS linked to this (new) one, if any."""
    for renewal in session.scalars(select(CertificateRenewal).where(
        _names_new(fingerprint, serial, issuer)
    )):  # fmt: skip
        if renewal.old_sha256 is not None:
            match = CertificateBinding.fingerprint == renewal.old_sha256
        else:
            match = and_(
                CertificateBinding.serial == renewal.old_serial,
                CertificateBinding.issuer == renewal.old_issuer,
            )
        binding = session.scalars(
            select(CertificateBinding).where(match, CertificateBinding.retired_at.is_(None))
        ).first()
        if binding is not None:
            return binding
    return None
