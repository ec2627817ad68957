"""Tables of the resident portal: accounts, tickets (registration, password reset),
sessions, rate events, login failures, e-mail verifications and the e-mail outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow


class PortalAccount(Base):
    """A resident's My Page login and preferences, one per MyKey ID."""

    __tablename__ = "portal_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), unique=True)
    #: argon2id hash (PHC string) of the My Page password
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(254))
    #: language of the resident's pages and mails: "ja" or "en"
    lang: Mapped[str] = mapped_column(String(2), default="ja")
    notify_points_granted: Mapped[bool] = mapped_column(default=False)
    notify_points_expired: Mapped[bool] = mapped_column(default=False)
    notify_password_changed: Mapped[bool] = mapped_column(default=False)
    #: MyKey ID registered, changed or expired
    notify_mykey: Mapped[bool] = mapped_column(default=False)
    #: when the resident followed the link mailed to ``email``; notices wait for it
    email_verified_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the certificate expiry (``not_after``) for which "MyKey ID expired" was noticed
    expiry_noticed_for: Mapped[dt.datetime | None]


class RegistrationTicket(Base):
    """A one-time, short-lived ticket a counter obtained by proving an unregistered card.

    Only the SHA-256 of the ticket is stored; the certificate's facts needed to bind it
    later are copied from the verified certificate.
    """

    __tablename__ = "registration_tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: SHA-256 of the ticket, lower-case hex
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    terminal_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminals.id"), index=True)
    #: the proven certificate: SHA-256 of its DER, issuer, serial, expiry
    fingerprint: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(1024))
    serial: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    #: set once, atomically, when a browser opens the ticket
    used_at: Mapped[dt.datetime | None]
    #: the live binding of the card this one renews, when proven: by the old card
    #: signing the same challenge (``old_card``) or by J-LIS's linkage (``jlis_link``)
    old_binding_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("certificate_bindings.id"))
    rebind_proof: Mapped[str | None] = mapped_column(String(16))


class PortalSession(Base):
    """A browser session: a registration in progress (``ticket_pk``) or a My Page login
    (``mykey_pk``). Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "portal_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "register" or "mypage"
    kind: Mapped[str] = mapped_column(String(16))
    ticket_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("registration_tickets.id"))
    mykey_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mykeys.id"), index=True)
    #: the CSRF token every state-changing request of this session must echo
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    #: registration state the server enforces: candidates generated so far (at most 3),
    #: the last one, failed duplicate checks, and the candidate generated after 3 failures
    generated_count: Mapped[int] = mapped_column(default=0)
    generated_last: Mapped[str | None] = mapped_column(String(8))
    duplicate_errors: Mapped[int] = mapped_column(default=0)
    suggested: Mapped[str | None] = mapped_column(String(8))


class RateEvent(Base):
    """One rate-limited action (a duplicate check, a login attempt) in a named bucket."""

    __tablename__ = "portal_rate_events"
    __table_args__ = (Index("ix_portal_rate_events_bucket_at", "bucket", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    bucket: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxMail(Base):
    """An e-mail notice waiting for (or done with) delivery by ``mykey-platform mail send``."""

    __tablename__ = "mail_outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1024))


class LoginFailure(Base):
    """Failed logins to one MyKey ID from one client address since its last success
    there: the delay before that address may try that ID again grows with them.  Other
    addresses are not slowed (a stranger cannot keep the owner out)."""

    __tablename__ = "portal_login_failures"
    __table_args__ = (Index("ix_portal_login_failures_key", "mykey_pk", "client", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"))
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    #: attempts before this are answered as failures without trying the password
    next_allowed_at: Mapped[dt.datetime]


class EmailVerification(Base):
    """A one-time link mailed to an address the resident gave; only its SHA-256 is kept."""

    __tablename__ = "portal_email_verifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), index=True)
    #: the address the link was sent to: it verifies only while still the account's
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
