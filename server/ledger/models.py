"""Tables of the municipal point ledger: municipalities and their rules, shops, supporter
companies, accounts and transfers (TigerBeetle's model), vouchers and grant approvals.

Points of each municipality are their own *ledger* (the municipality code, e.g. 14130);
support points before assignment live on the ``support`` ledger.  A transfer moves an
integer amount from a debit account to a credit account of the same ledger, and is never
edited or deleted.  Each account keeps its four running sums; a holder's account may
never have more debits (posted and held) than posted credits — a CHECK constraint says
so, so not even a bug in the code can overdraw one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow

SUPPORT_LEDGER = "support"


class Municipality(Base):
    """A municipality by its local government code (e.g. 14130, α市), with its rules."""

    __tablename__ = "municipalities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: points credited to a holder expire this many days later
    points_valid_days: Mapped[int] = mapped_column(Integer, default=365)
    #: reserved support points a holder has not assigned move to the default account
    #: this many days after their conversion
    assign_after_days: Mapped[int] = mapped_column(Integer, default=90)
    #: a grant of more points than this needs a second staff member's approval
    grant_approval_over: Mapped[int] = mapped_column(BigInteger, default=10_000)
    #: a voucher is valid this many days from its issue
    voucher_valid_days: Mapped[int] = mapped_column(Integer, default=180)
    #: most points granted to one holder, and at one terminal, in a Japan-time day
    #: (NULL: no cap)
    grant_cap_holder_day: Mapped[int | None] = mapped_column(BigInteger)
    grant_cap_terminal_day: Mapped[int | None] = mapped_column(BigInteger)


class Shop(Base):
    """A shop (or museum, bus line …) where points may be used; settles with municipalities."""

    __tablename__ = "shops"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    #: e.g. ``retail``, ``museum``, ``bus``, ``tourism``
    category: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsageRule(Base):
    """Where a municipality's points may be used: one shop, or every shop of a category."""

    __tablename__ = "usage_rules"
    __table_args__ = (
        UniqueConstraint("municipality_pk", "shop_pk", "category"),
        CheckConstraint("(shop_pk IS NULL) <> (category IS NULL)", name="shop_or_category"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    municipality_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    shop_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shops.id"))
    category: Mapped[str | None] = mapped_column(String(32))


class PointEvent(Base):
    """A special event of a municipality (e.g. disaster recovery) with its own accounts."""

    __tablename__ = "point_events"
    __table_args__ = (UniqueConstraint("municipality_pk", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    municipality_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Supporter(Base):
    """A supporter company that converts its own points into support points (API key)."""

    __tablename__ = "supporters"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    #: SHA-256 of the API key, lower-case hex; the key itself is shown once and never stored
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class HolderPreference(Base):
    """A holder's choices about points: the default municipality account."""

    __tablename__ = "holder_preferences"

    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"), primary_key=True)
    default_municipality_pk: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("municipalities.id")
    )


class AccountKind(StrEnum):
    """What an account is for."""

    HOLDER = "holder"  # a MyKey ID's regular account at a municipality
    EVENT = "event"  # a MyKey ID's account for one special event of a municipality
    RESERVED = "reserved"  # a MyKey ID's unassigned support points from one supporter
    ISSUANCE = "issuance"  # a municipality's source of the points it grants or receives
    SHOP = "shop"  # a shop's points to be settled by one municipality
    SUPPORTER = "supporter"  # a supporter company's points converted (support ledger)
    CLEARING = "clearing"  # support points assigned to a municipality (support ledger)
    VOUCHERS = "vouchers"  # a municipality's points held by issued, unredeemed vouchers
    EXPIRED = "expired"  # a municipality's expired points


#: kinds of account that belong to a holder and may never be overdrawn
HOLDER_KINDS = frozenset({AccountKind.HOLDER, AccountKind.EVENT, AccountKind.RESERVED})


class Account(Base):
    """An account of one ledger with its four running sums (posted and pending)."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "NOT no_overdraft OR debits_posted + debits_pending <= credits_posted",
            name="no_overdraft",
        ),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0"
            " AND credits_pending >= 0",
            name="sums_not_negative",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: natural key, unique: ``kind:ledger:owner[:event]`` (see server.ledger.accounts)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    ledger: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    municipality_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipalities.id"))
    mykey_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mykeys.id"), index=True)
    shop_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shops.id"))
    supporter_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("supporters.id"))
    event_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("point_events.id"))
    no_overdraft: Mapped[bool] = mapped_column(default=False)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def balance(self) -> int:
        """Posted credits minus posted debits."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What may still be debited: the balance minus the points held by pending debits."""
        return self.credits_posted - self.debits_posted - self.debits_pending


class TransferCode(StrEnum):
    """Why points moved."""

    GRANT = "grant"
    CONVERSION = "conversion"
    ASSIGNMENT = "assignment"
    AUTO_ASSIGNMENT = "auto_assignment"
    PAYMENT = "payment"
    REFUND = "refund"
    VOUCHER_ISSUE = "voucher_issue"
    VOUCHER_REDEEM = "voucher_redeem"
    VOUCHER_EXPIRY = "voucher_expiry"
    EXPIRY = "expiry"


class Transfer(Base):
    """An immutable movement of points; its id is chosen by the client (idempotency).

    A *pending* transfer holds the amount; a later transfer with ``post_pending`` or
    ``void_pending`` and ``pending_id`` resolves it, once.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_pk <> credit_account_pk", name="two_accounts"),
        Index("ix_transfers_credit_account_expiry", "credit_account_pk", "points_expire_at"),
        Index("ix_transfers_ledger_created_at", "ledger", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: SHA-256 of the request that made it: the same id with another request is a conflict
    digest: Mapped[str] = mapped_column(String(64))
    ledger: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(24))
    debit_account_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    credit_account_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending: Mapped[bool] = mapped_column(default=False)
    post_pending: Mapped[bool] = mapped_column(default=False)
    void_pending: Mapped[bool] = mapped_column(default=False)
    #: the pending transfer a post or void resolves (at most one resolution each)
    pending_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    #: a pending transfer not resolved by then is voided
    timeout_at: Mapped[dt.datetime | None]
    #: for a credit to a holder's account: when these points expire (None: never)
    points_expire_at: Mapped[dt.datetime | None]
    #: a related transfer: the payment a refund reverses, the voucher issue a redemption uses
    linked_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"), index=True)
    #: free text for people: a grant's reason, a supporter's reference, a voucher number
    reference: Mapped[str | None] = mapped_column(String(256))
    terminal_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("terminals.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OpenPending(Base):
    """A pending transfer not yet posted or voided; deleted (atomically) by its resolution."""

    __tablename__ = "open_pendings"

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    debit_account_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    timeout_at: Mapped[dt.datetime] = mapped_column(index=True)


class Voucher(Base):
    """A dated point voucher (ポイント券): points of one municipality, redeemable once."""

    __tablename__ = "vouchers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: SHA-256 of the voucher's secret code (the QR code carries the code itself)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: short printed number for people (not a secret)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    municipality_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    issue_transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[dt.datetime] = mapped_column(index=True)
    #: set once, atomically, by the redemption (or by the expiry job)
    used_at: Mapped[dt.datetime | None]
    redeem_transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"))


class GrantRequest(Base):
    """A grant of more points than the municipality's threshold, awaiting a second staff
    member; its points are held as a pending transfer until approved or rejected."""

    __tablename__ = "grant_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    pending_transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), unique=True)
    #: the requester's staff login (or ``operator:…`` for an operator's grant)
    requested_by: Mapped[str] = mapped_column(String(128))
    #: the staff account that asked (NULL for an operator's grant)
    requested_by_staff_pk: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id")
    )
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_by_staff_pk: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id")
    )
    #: set once, atomically, by the approval or rejection
    used_at: Mapped[dt.datetime | None]
    approved: Mapped[bool | None]


class CardSession(Base):
    """A holder proved by the card at one terminal, for a few minutes (a points session)."""

    __tablename__ = "card_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    terminal_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminals.id"), index=True)
    mykey_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("mykeys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    #: the one operation the card signed for (canonical JSON, with its place)
    operation: Mapped[str | None] = mapped_column(String(512))
    #: the transfer that did the operation (set once, atomically): the session is spent
    transfer_pk: Mapped[uuid.UUID | None]
    spent_at: Mapped[dt.datetime | None]
