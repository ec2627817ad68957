"""E-mail verification: a link mailed to the address, spent by a POST, notices only to a
verified address, a changed address unverified again, resending from My Page."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update

from server.db import utcnow
from server.notices import NoticeKind, enqueue_notice
from server.portal.models import EmailVerification, OutboxMail, PortalAccount
from tests.unit.server.conftest import Library
from tests.unit.server.portal_helpers import browser, csrf_of, open_registration, open_ticket

PASSWORD = "Secret99"
MAIL = "resident@example.jp"


def _register(library: Library, mykey_id: str, email: str) -> None:
    reg = open_registration(library, library.ca.issue(2))
    fields = {"password": PASSWORD, "password_confirm": PASSWORD}
    done = reg.submit(mykey_id=mykey_id, email=email, email_confirm=email, **fields)
    assert done.status_code == 200, done.text


def _tokens(library: Library) -> list[str]:
    bodies = library.world.db.transaction(
        lambda s: list(
            s.scalars(
                select(OutboxMail.body)
                .where(OutboxMail.kind == "verify_email")
                .order_by(OutboxMail.created_at)
            )
        )
    )
    return [re.search(r"token=(\S+)", body).group(1) for body in bodies]  # type: ignore[union-attr]


def _account(library: Library) -> PortalAccount:
    return library.world.db.transaction(lambda s: s.scalars(select(PortalAccount)).one())


def _notice_now(library: Library) -> bool:
    account = _account(library)
    return library.world.db.transaction(
        lambda s: enqueue_notice(s, account.mykey_pk, NoticeKind.CARD_REBOUND, {})
    )


def test_an_address_is_verified_by_its_link_and_only_then_gets_notices(
    library: Library,
) -> None:
    _register(library, "VERIFY01", MAIL)
    (token,) = _tokens(library)
    stored = library.world.db.transaction(
        lambda s: list(s.scalars(select(EmailVerification.token_hash)))
    )
    assert token not in stored and len(stored) == 1  # only the hash is kept
    assert not _notice_now(library)  # unverified: nothing is queued
    preview = browser(library).get("/portal/verify", params={"token": token})
    assert preview.status_code == 200 and 'name="ticket"' in preview.text
    assert _account(library).email_verified_at is None  # a bot's GET verifies nothing
    done = open_ticket(browser(library), "/portal/verify", token, "token")
    assert done.status_code == 200 and "確認しました" in done.text
    assert _account(library).email_verified_at is not None
    assert _notice_now(library)
    again = open_ticket(browser(library), "/portal/verify", token, "token")
    assert again.status_code == 410  # once


def test_a_forged_or_expired_link_verifies_nothing(library: Library) -> None:
    _register(library, "VERIFY02", MAIL)
    (token,) = _tokens(library)
    assert browser(library).get("/portal/verify", params={"token": "x" * 43}).status_code == 410
    client = browser(library)
    page = client.get("/portal/verify", params={"token": token})
    forged = client.post("/portal/verify/open", data={"ticket": token, "csrf": "x"})
    assert forged.status_code == 403 and csrf_of(page.text)
    past = utcnow() - dt.timedelta(seconds=1)
    library.world.db.transaction(
        lambda s: s.execute(update(EmailVerification).values(expires_at=past))
    )
    assert open_ticket(browser(library), "/portal/verify", token, "token").status_code == 410
    assert _account(library).email_verified_at is None


def test_a_changed_address_is_unverified_again_and_the_old_link_is_dead(
    library: Library,
) -> None:
    _register(library, "VERIFY03", MAIL)
    (first,) = _tokens(library)
    client = browser(library)
    page = client.get("/portal/login")
    client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": "VERIFY03", "password": PASSWORD},
    )
    mypage = client.get("/portal/mypage")
    assert "未確認です" in mypage.text
    csrf = csrf_of(mypage.text)
    resent = client.post("/portal/mypage/verify", data={"csrf": csrf})
    assert resent.status_code == 200
    assert len(_tokens(library)) == 2
    other = "other@example.jp"
    changed = client.post(
        "/portal/mypage/email", data={"csrf": csrf, "email": other, "email_confirm": other}
    )
    assert changed.status_code == 200
    assert open_ticket(browser(library), "/portal/verify", first, "token").status_code == 410
    assert _account(library).email_verified_at is None
    newest = _tokens(library)[-1]
    assert open_ticket(browser(library), "/portal/verify", newest, "token").status_code == 200
    assert _account(library).email == other and _account(library).email_verified_at
    assert "確認済み" in client.get("/portal/mypage").text
    count = library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(OutboxMail))
    )
    assert count == 3  # three links; no notice went to an unverified address
