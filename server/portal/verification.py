"""Verifying a resident's e-mail address: a one-time link is mailed to it, and notices
(:func:`server.notices.enqueue_notice`) go to it only once the link was followed.

The token is 32 random bytes (URL-safe base64); only its SHA-256 is stored
(:class:`EmailVerification`).  It lives :data:`VERIFY_TTL`, works once, and verifies the
address only while that address is still the account's.  Like a ticket, the link's GET
shows a button and the button's POST spends the token (a link-preview bot spends nothing).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import claim_once
from server.portal.models import EmailVerification, OutboxMail, PortalAccount
from server.portal.ratelimit import allow
from server.portal.tickets import token_hash

VERIFY_TTL = dt.timedelta(hours=24)
VERIFY_PATH = "/portal/verify"
KIND_VERIFY = "verify_email"
#: verification mails per account and hour (registration, changes and resends together)
SEND_LIMIT = 5
SEND_WINDOW = dt.timedelta(hours=1)

MAILS = {
    "ja": (
        "メールアドレスの確認",
        "マイキープラットフォーム 利用者マイページでこのメールアドレスが登録されました。\n"
        "ご本人の場合は、24時間以内に次のリンクを開き、「確認する」を押してください。\n"
        "{url}\n"
        "確認するまで、このアドレスにお知らせは送られません。"
        "お心当たりがない場合は、このメールを破棄してください。\n",
    ),
    "en": (
        "Confirm your e-mail address",
        "This address was given on the MyKey Platform My Page.\n"
        "If it was you, open this link within 24 hours and press “Confirm”:\n"
        "{url}\n"
        "No notices are sent to this address until it is confirmed. "
        "If it was not you, ignore this mail.\n",
    ),
}


def send_verification(
    session: Session, account: PortalAccount, base_url: str, now: dt.datetime
) -> bool:
    """Queue a verification link to the account's (unverified) address; whether one was
    queued (``False``: no address, already verified, or too many sent this hour)."""
    if not account.email or account.email_verified_at is not None:
        return False
    if not allow(session, f"verify-mail:{account.mykey_pk}", SEND_LIMIT, SEND_WINDOW, now):
        return False
    token = secrets.token_urlsafe(32)
    session.add(
        EmailVerification(
            token_hash=token_hash(token),
            mykey_pk=account.mykey_pk,
            email=account.email,
            created_at=now,
            expires_at=now + VERIFY_TTL,
        )
    )
    subject, body = MAILS.get(account.lang, MAILS["ja"])
    url = f"{base_url.rstrip('/')}{VERIFY_PATH}?token={token}"
    session.add(
        OutboxMail(
            mykey_pk=account.mykey_pk,
            kind=KIND_VERIFY,
            recipient=account.email,
            subject=subject,
            body=body.format(url=url),
            created_at=now,
        )
    )
    return True


def set_email(
    session: Session, account: PortalAccount, email: str | None, base_url: str, now: dt.datetime
) -> None:
    """Change the address: a new one is unverified until its link is followed."""
    if email == account.email:
        return
    account.email = email
    account.email_verified_at = None
    send_verification(session, account, base_url, now)


def _usable(session: Session, token: str, now: dt.datetime) -> EmailVerification | None:
    row = session.scalar(
        select(EmailVerification).where(EmailVerification.token_hash == token_hash(token))
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        return None
    return row


def usable(session: Session, token: str, now: dt.datetime) -> bool:
    """Whether the link would verify (nothing spent: a GET may ask)."""
    return _usable(session, token, now) is not None


def verify(session: Session, token: str, now: dt.datetime) -> uuid.UUID | None:
    """Spend the token and mark its address verified; the MyKey's key, or ``None`` when
    the token is unknown, expired, used, or the account's address changed since."""
    row = _usable(session, token, now)
    if row is None:
        return None
    if not claim_once(session, EmailVerification, EmailVerification.id == row.id, now=now):
        return None
    account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == row.mykey_pk))
    if account is None or account.email != row.email:
        return None
    account.email_verified_at = now
    return row.mykey_pk
