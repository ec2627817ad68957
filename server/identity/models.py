"""Tables of the identity domain: trust anchors, CRLs, MyKey IDs, services, links, labels."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, utcnow


class TrustAnchor(Base):
    """A pinned CA certificate that user-authentication certificates must chain to."""

    __tablename__ = "trust_anchors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: SHA-256 of the DER, lower-case hex
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(1024))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    #: shipped with the platform (J-LIS) rather than added by an operator
    builtin: Mapped[bool] = mapped_column(default=False)
    #: the demo's test CA (``mykey-platform demo-data``): refused outside demo mode
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]
    #: where the CA publishes its CRL (fetched by the scheduled jobs)
    crl_url: Mapped[str | None] = mapped_column(String(2048))
    #: the CA's OCSP responder: asked first, the CRL is the fall-back
    ocsp_url: Mapped[str | None] = mapped_column(String(2048))
    #: the last OCSP exchange: when, whether it gave a verified answer, and why not
    ocsp_checked_at: Mapped[dt.datetime | None]
    ocsp_ok: Mapped[bool | None]
    ocsp_error: Mapped[str | None] = mapped_column(String(512))
    #: the last fetch of ``crl_url``, and why it failed (``None``: it worked)
    crl_fetched_at: Mapped[dt.datetime | None]
    crl_fetch_error: Mapped[str | None] = mapped_column(String(512))


class Crl(Base):
    """One imported certificate revocation list (its entries are in revoked_certificates)."""

    __tablename__ = "crls"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    anchor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trust_anchors.id"), index=True)
    #: SHA-256 of the CRL's DER: importing the same CRL twice is a no-op
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(1024))
    this_update: Mapped[dt.datetime]
    next_update: Mapped[dt.datetime | None]
    crl_number: Mapped[str | None] = mapped_column(String(64))
    revoked_count: Mapped[int]
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RevokedCertificate(Base):
    """A serial number some imported CRL of the anchor lists as revoked."""

    __tablename__ = "revoked_certificates"
    __table_args__ = (UniqueConstraint("anchor_id", "serial"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    anchor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trust_anchors.id"))
    #: serial number, lower-case hex without leading zeros
    serial: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime]
    crl_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crls.id"), index=True)


class OcspResponse(Base):
    """The newest verified OCSP answer for one certificate, kept until its next update."""

    __tablename__ = "ocsp_responses"
    __table_args__ = (UniqueConstraint("anchor_id", "serial"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    anchor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trust_anchors.id"))
    #: serial number, lower-case hex without leading zeros
    serial: Mapped[str] = mapped_column(String(64))
    #: ``good`` or ``revoked`` (an ``unknown`` answer is never kept)
    status: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[dt.datetime | None]
    this_update: Mapped[dt.datetime]
    next_update: Mapped[dt.datetime]
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the response as received (DER), for the record
    der: Mapped[bytes] = mapped_column(LargeBinary)


class MyKey(Base):
    """A MyKey ID: the holder's identity on the platform."""

    __tablename__ = "mykeys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: the 8-character MyKey ID itself
    mykey_id: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the last time the holder's address changed, as municipalities report it
    address_changed_at: Mapped[dt.datetime | None]


class CertificateBinding(Base):
    """A user-authentication certificate bound to a MyKey ID (several per ID over time).

    When a renewed card is bound, the older bindings are *retired*: the row stays (the
    certificate can never be bound again) but its card no longer looks anything up.
    """

    __tablename__ = "certificate_bindings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), index=True)
    #: SHA-256 of the certificate's DER, lower-case hex
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(1024))
    serial: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[dt.datetime]
    bound_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: set when a newer card was bound to the MyKey ID: this card is refused from then on
    retired_at: Mapped[dt.datetime | None]
    #: how the newer card proved itself: ``old_card``, ``jlis_link`` or ``staff``
    retired_reason: Mapped[str | None] = mapped_column(String(32))

    mykey: Mapped[MyKey] = relationship(lazy="joined")

    @property
    def live(self) -> bool:
        return self.retired_at is None


class Service(Base):
    """A service whose IDs holders link to their MyKey ID (a library card, a shop card …)."""

    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(256))
    provider: Mapped[str] = mapped_column(String(256))
    symbology: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(String(256))
    nw7_start: Mapped[str] = mapped_column(String(1))
    nw7_stop: Mapped[str] = mapped_column(String(1))
    check_digit: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: same-day labels a holder may get per day (Japan time); ``None``: no limit
    labels_per_day: Mapped[int | None]


#: who confirmed a link (``ServiceLink.confirmed_by``)
CONFIRMED_BY_OPERATOR = "operator"
CONFIRMED_BY_PROVIDER = "provider"
CONFIRMED_BY_CODE = "code"
CONFIRMED_BY_DESK = "desk"
CONFIRMED_BY_MIGRATION = "migration"

_CONFIRMED = text("confirmed_at IS NOT NULL")


class ServiceLink(Base):
    """A holder's ID at a service (e.g. a library number), linked to a MyKey ID.

    A link a resident makes is a claim: it stays pending (``confirmed_at`` is ``None``)
    and a lookup refuses it until the service's provider confirms it.  Several holders
    may claim the same service ID (the provider sees the conflict); only one link per
    service ID can be confirmed (a partial unique index).
    """

    __tablename__ = "service_links"
    __table_args__ = (
        UniqueConstraint("mykey_pk", "service_pk"),
        Index("ix_service_links_service_pk_external_id", "service_pk", "external_id"),
        Index(
            "uq_service_links_confirmed_external_id",
            "service_pk",
            "external_id",
            unique=True,
            sqlite_where=_CONFIRMED,
            postgresql_where=_CONFIRMED,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"))
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    #: the holder's ID at the service: what the terminal receives
    external_id: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: whether the service ID is currently valid (e.g. the library card is not suspended)
    valid: Mapped[bool] = mapped_column(default=True)
    #: when the provider (or the operator) confirmed the link; ``None``: a pending claim
    confirmed_at: Mapped[dt.datetime | None]
    #: how it was confirmed: one of the ``CONFIRMED_BY_…`` values
    confirmed_by: Mapped[str | None] = mapped_column(String(16))

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class IssuedLabel(Base):
    """A same-day label a terminal printed: which terminal, service, service ID and when.

    ``mykey_pk`` is kept only to apply the service's per-card daily limit (the MyKey ID's
    key, not the certificate's, so a renewed card counts as the same card); operators'
    listings never show it.
    """

    __tablename__ = "issued_labels"
    __table_args__ = (
        Index("ix_issued_labels_mykey_service_issued_at", "mykey_pk", "service_pk", "issued_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    terminal_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminals.id"))
    service_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    #: the service ID printed on the label
    service_id: Mapped[str] = mapped_column(String(64))
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
