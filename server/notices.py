"""E-mail notices to residents: what happened, queued in the outbox for the mail sender.

Any domain (the ledger, the portal) calls :func:`enqueue_notice` inside its own
transaction; a row is added only when the resident chose that kind of notice on the
portal and gave an e-mail address that they verified (followed the link mailed to it:
:mod:`server.portal.verification`) — never to an address nobody confirmed.
``mykey-platform mail send`` delivers the outbox (see :mod:`server.portal.mail`).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.portal.models import OutboxMail, PortalAccount


class NoticeKind(StrEnum):
    """The events a resident may ask to be told about by e-mail (seed 画面16)."""

    POINTS_GRANTED = "points_granted"
    POINTS_EXPIRED = "points_expired"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a notice kind)
    MYKEY_REGISTERED = "mykey_registered"
    MYKEY_CHANGED = "mykey_changed"
    MYKEY_EXPIRED = "mykey_expired"
    #: a renewed card was bound and the old one retired: always sent (a security notice)
    CARD_REBOUND = "card_rebound"


#: subject and body of each notice, per language; ``{name}`` fields come from ``params``
TEMPLATES: dict[str, dict[NoticeKind, tuple[str, str]]] = {
    "ja": {
        NoticeKind.POINTS_GRANTED: (
            "自治体ポイントが付与されました",
            "{municipality}の自治体ポイント口座に {points} ポイントが付与されました。\n{reason}",
        ),
        NoticeKind.POINTS_EXPIRED: (
            "自治体ポイントが失効しました",
            "{municipality}の自治体ポイント口座の {points} ポイントが失効しました。",
        ),
        NoticeKind.PASSWORD_CHANGED: (
            "パスワードが変更されました",
            "利用者マイページのログイン用パスワードが変更されました。"
            "お心当たりがない場合はお問い合わせください。",
        ),
        NoticeKind.MYKEY_REGISTERED: (
            "マイキーIDが登録されました",
            "マイキーID {mykey_id} が登録されました。",
        ),
        NoticeKind.MYKEY_CHANGED: (
            "マイキーIDが変更されました",
            "マイキーID {mykey_id} の登録内容が変更されました。\n{reason}",
        ),
        NoticeKind.MYKEY_EXPIRED: (
            "マイキーIDが失効しました",
            "マイキーID {mykey_id} が失効しました。",
        ),
        NoticeKind.CARD_REBOUND: (
            "マイキーIDに新しいカードが登録されました",
            "マイキーID {mykey_id} に新しいマイナンバーカードの電子証明書が登録されました"
            "(確認方法: {proof})。以前のカードは使えなくなりました。\n"
            "お心当たりがない場合は、すぐにお住まいの市区町村の窓口にお問い合わせください。",
        ),
    },
    "en": {
        NoticeKind.POINTS_GRANTED: (
            "Municipal points granted",
            "{points} points were granted to your {municipality} point account.\n{reason}",
        ),
        NoticeKind.POINTS_EXPIRED: (
            "Municipal points expired",
            "{points} points of your {municipality} point account expired.",
        ),
        NoticeKind.PASSWORD_CHANGED: (
            "Password changed",
            "The password of your My Page was changed. If this was not you, contact us.",
        ),
        NoticeKind.MYKEY_REGISTERED: (
            "MyKey ID registered",
            "Your MyKey ID {mykey_id} was registered.",
        ),
        NoticeKind.MYKEY_CHANGED: (
            "MyKey ID changed",
            "The registration of your MyKey ID {mykey_id} changed.\n{reason}",
        ),
        NoticeKind.MYKEY_EXPIRED: (
            "MyKey ID expired",
            "Your MyKey ID {mykey_id} expired.",
        ),
        NoticeKind.CARD_REBOUND: (
            "A new card was bound to your MyKey ID",
            "The certificate of a new My Number Card was bound to your MyKey ID {mykey_id} "
            "(proof: {proof}). Your previous card no longer works.\n"
            "If this was not you, contact your municipal office at once.",
        ),
    },
}


class _Blank(dict[str, str | int]):
    def __missing__(self, key: str) -> str:
        return ""


def wants(account: PortalAccount, kind: NoticeKind) -> bool:
    """Whether the resident chose notices of ``kind``."""
    if kind is NoticeKind.POINTS_GRANTED:
        return account.notify_points_granted
    if kind is NoticeKind.POINTS_EXPIRED:
        return account.notify_points_expired
    if kind is NoticeKind.PASSWORD_CHANGED:
        return account.notify_password_changed
    if kind is NoticeKind.CARD_REBOUND:
        return True  # the holder must learn that their card was replaced
    return account.notify_mykey


def render(kind: NoticeKind, params: dict[str, str | int], lang: str = "ja") -> tuple[str, str]:
    """The subject and body of a notice (missing parameters render empty)."""
    subject, body = TEMPLATES.get(lang, TEMPLATES["ja"])[kind]
    values = _Blank(params)
    return subject.format_map(values), body.format_map(values).rstrip() + "\n"


def enqueue_notice(
    session: Session, mykey_pk: uuid.UUID, kind: NoticeKind, params: dict[str, str | int]
) -> bool:
    """Add an outbox mail when the resident chose ``kind`` and has a verified e-mail
    address; whether it did. Never commits: the caller's transaction decides."""
    account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey_pk))
    if account is None or not account.email or account.email_verified_at is None:
        return False
    if not wants(account, kind):
        return False
    subject, body = render(kind, params, account.lang)
    session.add(
        OutboxMail(
            mykey_pk=mykey_pk,
            kind=kind.value,
            recipient=account.email,
            subject=subject,
            body=body,
        )
    )
    return True
