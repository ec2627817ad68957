"""My Page over HTTP: login (rate limit, lockout), service IDs, settings, a renewed card,
and the e-mail notices delivered to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.api.schemas import ConversionRequest, LookupResult
from server.db import utcnow
from server.identity.models import CertificateBinding, MyKey
from server.jobs import run_scheduled
from server.ledger.conversions import add_supporter, convert
from server.ledger.holders import balances, reserved_points
from server.portal.login import FREE_FAILURES, MAX_DELAY, delay_after
from server.portal.mail import SmtpSettings, send_pending
from server.portal.models import LoginFailure, OutboxMail
from tests.unit.server.conftest import LIBRARY, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.portal_helpers import (
    add_municipalities,
    browser,
    csrf_of,
    follow_verification,
    open_registration,
    ticket_response,
)
from tests.unit.server.world import tap

PASSWORD = "Secret99"
MAIL = "resident@example.jp"


@dataclass
class Inbox:
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        content = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, SmtpSettings(host="127.0.0.1", port=port)
    finally:
        controller.stop()


def _register(library: Library, mykey_id: str, **extra: str) -> None:
    reg = open_registration(library, library.ca.issue(2))
    fields = {"password": PASSWORD, "password_confirm": PASSWORD, **extra}
    assert reg.submit(mykey_id=mykey_id, **fields).status_code == 200


def _login(library: Library, mykey_id: str, password: str = PASSWORD) -> tuple[object, str]:
    client = browser(library)
    page = client.get("/portal/login")
    response = client.post(
        "/portal/login",
        data={"csrf": csrf_of(page.text), "mykey_id": mykey_id, "password": password},
        follow_redirects=False,
    )
    return client, response  # type: ignore[return-value]


def _mypage(library: Library, mykey_id: str):  # type: ignore[no-untyped-def]
    client, response = _login(library, mykey_id)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    page = client.get("/portal/mypage")  # type: ignore[attr-defined]
    assert page.status_code == 200
    return client, csrf_of(page.text)


def test_login_links_a_service_id_and_a_lookup_finds_it(library: Library) -> None:
    holder = library.ca.issue(2)
    reg = open_registration(library, holder)
    assert (
        reg.submit(mykey_id="LINKME01", password=PASSWORD, password_confirm=PASSWORD).status_code
        == 200
    )
    assert_error(tap(library.desk, holder), 404, "service_not_linked")
    client, csrf = _mypage(library, "LINKME01")
    bad = client.post(
        "/portal/mypage/link", data={"csrf": csrf, "service": LIBRARY, "service_id": "12"}
    )
    assert bad.status_code == 400 and "形式が正しくありません" in bad.text
    taken = client.post(
        "/portal/mypage/link", data={"csrf": csrf, "service": LIBRARY, "service_id": "1234567890"}
    )
    assert taken.status_code == 400 and "他のマイキーIDに連携" in taken.text
    forged = client.post(
        "/portal/mypage/link", data={"csrf": "x", "service": LIBRARY, "service_id": "5555555555"}
    )
    assert forged.status_code == 403
    done = client.post(
        "/portal/mypage/link", data={"csrf": csrf, "service": LIBRARY, "service_id": "5555555555"}
    )
    assert done.status_code == 200 and "5555555555" in done.text
    assert "まだ図書館で確認されていません" in client.get("/portal/mypage").text
    assert_error(tap(library.desk, holder), 403, "link_unconfirmed")  # a claim, until …
    library.world.link("LINKME01", LIBRARY, "5555555555")  # … the library confirms it
    assert "確認済み" in client.get("/portal/mypage").text
    result = LookupResult.model_validate(tap(library.desk, holder).json())
    assert result.service_id == "5555555555"
    client.post("/portal/mypage/unlink", data={"csrf": csrf, "service": LIBRARY})
    assert_error(tap(library.desk, holder), 404, "service_not_linked")


def test_failures_slow_only_their_address_and_answer_alike(library: Library) -> None:
    _register(library, "SLOWME01")
    for _ in range(6):
        _, response = _login(library, "SLOWME01", "wrong000")
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "続けて失敗した場合は" in response.text  # type: ignore[attr-defined]
    row = library.world.db.transaction(lambda s: s.scalars(select(LoginFailure)).one())
    assert row.failures >= FREE_FAILURES and row.client == "testclient"
    soon = utcnow() + dt.timedelta(minutes=1)
    library.world.db.transaction(
        lambda s: s.execute(update(LoginFailure).values(next_allowed_at=soon))
    )
    _, response = _login(library, "SLOWME01")  # the right password, too soon from here
    assert response.status_code == 401  # type: ignore[attr-defined]
    past = utcnow() - dt.timedelta(seconds=1)
    library.world.db.transaction(
        lambda s: s.execute(update(LoginFailure).values(next_allowed_at=past))
    )
    _, response = _login(library, "SLOWME01")  # after the delay
    assert response.status_code == 303  # type: ignore[attr-defined]
    gone = library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(LoginFailure))
    )
    assert gone == 0  # a success clears this address's failures


def test_the_delay_doubles_up_to_a_cap() -> None:
    assert [delay_after(n).total_seconds() for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert delay_after(40) == MAX_DELAY


def test_login_is_rate_limited_per_client(library: Library) -> None:
    statuses = [_login(library, "NOBODY01", "wrong000")[1].status_code for _ in range(21)]  # type: ignore[attr-defined]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429


def test_login_needs_the_csrf_cookie(library: Library) -> None:
    _register(library, "CSRFME01")
    response = browser(library).post(
        "/portal/login", data={"csrf": "x", "mykey_id": "CSRFME01", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_a_renewed_card_tapped_with_the_old_one_is_bound_by_logging_in(library: Library) -> None:
    old = library.ca.issue(2)
    reg = open_registration(library, old)
    assert (
        reg.submit(mykey_id="RENEW001", password=PASSWORD, password_confirm=PASSWORD).status_code
        == 200
    )
    client, csrf = _mypage(library, "RENEW001")
    client.post(
        "/portal/mypage/link", data={"csrf": csrf, "service": LIBRARY, "service_id": "7777777777"}
    )
    library.world.link("RENEW001", LIBRARY, "7777777777")  # the library confirms the claim
    new = library.ca.issue(3)
    renewal = open_registration(library, new, old=old)
    wrong = renewal.client.post(
        "/portal/register/bind",
        data={"csrf": renewal.csrf, "mykey_id": "RENEW001", "password": "wrong000"},
    )
    assert wrong.status_code == 401
    bound = renewal.client.post(
        "/portal/register/bind",
        data={"csrf": renewal.csrf, "mykey_id": "RENEW001", "password": PASSWORD},
    )
    assert bound.status_code == 200 and "RENEW001" in bound.text
    assert tap(library.desk, new).json()["service_id"] == "7777777777"
    assert_error(ticket_response(library, new), 409, "already_registered")
    assert_error(tap(library.desk, old), 403, "certificate_retired")  # the old card is retired


def test_notices_are_delivered_only_when_chosen(
    library: Library, smtp: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, settings = smtp
    add_municipalities(library)
    _register(
        library,
        "MAILME01",
        email=MAIL,
        email_confirm=MAIL,
        notify_mykey="on",
        notify_password_changed="on",
    )
    _register(library, "QUIET001", email="quiet@example.jp", email_confirm="quiet@example.jp")
    assert send_pending(library.world.db, settings).sent == 2  # a verification link each
    assert {str(m["Subject"]) for m in inbox.messages} == {"メールアドレスの確認"}
    link = next(m for m in inbox.messages if str(m["To"]) == MAIL)
    assert follow_verification(library, link.get_content()).status_code == 200
    inbox.messages.clear()
    client, csrf = _mypage(library, "MAILME01")
    assert "確認済み" in client.get("/portal/mypage").text
    changed = client.post(
        "/portal/mypage/password",
        data={
            "csrf": csrf,
            "current_password": PASSWORD,
            "new_password": "Newpass77",
            "new_password_confirm": "Newpass77",
        },
    )
    assert changed.status_code == 200, changed.text
    report = send_pending(library.world.db, settings)
    assert (report.sent, report.failed) == (1, 0)  # "registered" went nowhere: unverified
    assert [str(m["Subject"]) for m in inbox.messages] == ["パスワードが変更されました"]
    assert {str(m["To"]) for m in inbox.messages} == {MAIL}
    assert send_pending(library.world.db, settings).sent == 0  # each mail once
    _, relogin = _login(library, "MAILME01", "Newpass77")
    assert relogin.status_code == 303  # type: ignore[attr-defined]


def test_settings_are_checked_by_the_server(library: Library) -> None:
    add_municipalities(library)
    _register(library, "SETME001")
    client, csrf = _mypage(library, "SETME001")
    no_mail = client.post("/portal/mypage/notices", data={"csrf": csrf, "notify_mykey": "on"})
    assert no_mail.status_code == 400 and "メールアドレスを入力してください" in no_mail.text
    mismatch = client.post(
        "/portal/mypage/email", data={"csrf": csrf, "email": MAIL, "email_confirm": "x@example.jp"}
    )
    assert mismatch.status_code == 400
    ok = client.post(
        "/portal/mypage/email", data={"csrf": csrf, "email": MAIL, "email_confirm": MAIL}
    )
    assert ok.status_code == 200
    default = client.post(
        "/portal/mypage/default", data={"csrf": csrf, "default_municipality": "14130"}
    )
    assert default.status_code == 200 and 'value="14130" selected' in default.text
    bad_default = client.post(
        "/portal/mypage/default", data={"csrf": csrf, "default_municipality": "00000"}
    )
    assert bad_default.status_code == 400
    nothing = client.post(
        "/portal/mypage/assign", data={"csrf": csrf, "municipality": "14130", "points": "5"}
    )
    assert nothing.status_code >= 400  # no reserved points to assign
    short = client.post(
        "/portal/mypage/password",
        data={
            "csrf": csrf,
            "current_password": PASSWORD,
            "new_password": "abc",
            "new_password_confirm": "abc",
        },
    )
    assert short.status_code == 400
    common = client.post(
        "/portal/mypage/password",
        data={
            "csrf": csrf,
            "current_password": PASSWORD,
            "new_password": "qwerty123",
            "new_password_confirm": "qwerty123",
        },
    )
    assert common.status_code == 400 and "よく使われていて" in common.text
    _, still = _login(library, mykey_id="SETME001")
    assert still.status_code == 303  # type: ignore[attr-defined]  # the password did not move


def _mykey_pk(library: Library, mykey_id: str) -> uuid.UUID:
    return library.world.db.transaction(
        lambda s: s.scalars(select(MyKey.id).where(MyKey.mykey_id == mykey_id)).one()
    )


def test_reserved_support_points_are_assigned_on_my_page(library: Library) -> None:
    add_municipalities(library)
    _register(library, "ASSIGN01")
    key = library.world.db.transaction(lambda s: add_supporter(s, "airline", "空の航空"))
    request = ConversionRequest(
        id=str(uuid.uuid4()), mykey_id="ASSIGN01", points=300, reference="order-1"
    )
    convert(library.world.db, key, request)
    client, csrf = _mypage(library, "ASSIGN01")
    page = client.get("/portal/mypage")
    assert "300" in page.text  # the reserved points are shown
    too_many = client.post(
        "/portal/mypage/assign", data={"csrf": csrf, "municipality": "14130", "points": "301"}
    )
    assert too_many.status_code == 409 and "留保ポイントが足りません" in too_many.text
    done = client.post(
        "/portal/mypage/assign", data={"csrf": csrf, "municipality": "14130", "points": "120"}
    )
    assert done.status_code == 200, done.text
    pk = _mykey_pk(library, "ASSIGN01")

    def state(session: Session) -> tuple[int, dict[str, int]]:
        lines = balances(session, pk)
        return reserved_points(session, pk), {b.municipality_code: b.balance for b in lines}

    reserved, by_code = library.world.db.transaction(state)
    assert reserved == 180 and by_code["14130"] == 120
    unknown = client.post(
        "/portal/mypage/assign", data={"csrf": csrf, "municipality": "99999", "points": "10"}
    )
    assert unknown.status_code >= 400 and "その自治体のポイント口座はありません" in unknown.text
    assert library.world.db.transaction(state)[0] == 180  # nothing moved


def test_an_expired_mykey_id_is_noticed_once_and_again_after_renewal(
    library: Library, smtp: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, settings = smtp
    _register(library, "EXPIRE01", email=MAIL, email_confirm=MAIL, notify_mykey="on")
    _register(library, "NOMAIL01")  # chose no notices: counted, no mail
    pk = _mykey_pk(library, "EXPIRE01")
    not_after = library.world.db.transaction(
        lambda s: s.scalars(
            select(CertificateBinding.not_after).where(CertificateBinding.mykey_pk == pk)
        ).one()
    )
    before = run_scheduled(library.world.db, not_after - dt.timedelta(days=1), settings)
    assert before.mykeys_expired == 0 and before.mails_sent == 1  # the verification link
    assert follow_verification(library, inbox.messages[-1].get_content()).status_code == 200
    after = run_scheduled(library.world.db, not_after + dt.timedelta(days=1), settings)
    assert after.mykeys_expired == 2 and after.mails_sent == 1
    assert str(inbox.messages[-1]["Subject"]) == "マイキーIDが失効しました"
    assert "EXPIRE01" in inbox.messages[-1].get_content()
    again = run_scheduled(library.world.db, not_after + dt.timedelta(days=2), settings)
    assert (again.mykeys_expired, again.mails_sent) == (0, 0)  # once per expiry

    later = not_after + dt.timedelta(days=3650)
    library.world.db.transaction(
        lambda s: s.add(
            CertificateBinding(
                mykey_pk=pk, fingerprint="f" * 64, issuer="CN=test", serial="99", not_after=later
            )
        )
    )  # a renewed card bound on My Page
    assert (
        run_scheduled(library.world.db, not_after + dt.timedelta(days=3), settings).mykeys_expired
        == 0
    )
    renewed_expiry = run_scheduled(library.world.db, later + dt.timedelta(days=1), settings)
    assert renewed_expiry.mykeys_expired == 1 and renewed_expiry.mails_sent == 1
    assert len(inbox.messages) == 3


def test_the_scheduled_run_keeps_mails_when_smtp_is_down(library: Library) -> None:
    _register(library, "DOWNSMTP", email=MAIL, email_confirm=MAIL, notify_mykey="on")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = run_scheduled(library.world.db, utcnow(), SmtpSettings(host="127.0.0.1", port=port))
    assert (report.mails_sent, report.mails_failed) == (0, 0)
    pending = library.world.db.transaction(
        lambda s: s.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))
        )
    )
    assert pending == 1  # still queued for the next run


def test_text_from_other_parties_is_escaped_on_my_page(library: Library) -> None:
    """A service's display name is an operator's free text: markup in it is shown as
    text on My Page, never run."""
    from server.api.schemas import BarcodeSpec, Symbology
    from server.identity.services import add_service

    script = '<script>alert("x")</script>'
    library.world.db.transaction(
        lambda s: add_service(s, "museum", display_name=f"美術館{script}", provider="α市",
                              barcode=BarcodeSpec(symbology=Symbology.QR))
    )  # fmt: skip
    _register(library, "ESCAPE01")
    library.world.link("ESCAPE01", "museum", "M-1")
    client, _ = _mypage(library, "ESCAPE01")
    page = client.get("/portal/mypage").text
    assert script not in page
    assert "美術館&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
