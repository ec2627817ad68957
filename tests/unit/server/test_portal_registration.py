"""The registration ticket and the registration rules (画面16), straight over HTTP:
the page's script is bypassed, the server must enforce every rule itself."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.identity.models import CertificateBinding, MyKey
from server.ledger import holders
from server.portal.models import PortalAccount, RegistrationTicket
from server.portal.passwords import verify_password
from tests.unit.server.audit_helpers import events, raw_log
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.portal_helpers import (
    add_municipalities,
    browser,
    open_registration,
    open_ticket,
    ticket_of,
    ticket_response,
)
from tests.unit.server.world import challenge, lookup_body, tap

# --- the ticket ---------------------------------------------------------------------------


def test_an_unregistered_card_gets_a_one_time_portal_link(library: Library) -> None:
    holder = library.ca.issue(2)
    response = ticket_response(library, holder)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["purpose"] == "register"
    assert body["url"].startswith("http://testserver/portal/register?ticket=")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(minutes=9) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=10)
    token = body["url"].split("ticket=")[1]
    stored = library.world.db.transaction(
        lambda s: list(s.scalars(select(RegistrationTicket.ticket_hash)))
    )
    assert token not in stored and len(stored) == 1  # only the hash is kept


def test_a_registered_card_gets_already_registered(library: Library) -> None:
    assert_error(ticket_response(library, library.patron), 409, "already_registered")


def test_a_failed_proof_still_spends_the_challenge(library: Library) -> None:
    holder = library.ca.issue(2)
    challenge_id, value = challenge(library.desk)
    forged = lookup_body(challenge_id, holder, holder.sign(b"something else"))
    assert_error(
        library.desk.post("/v1/registration-tickets", forged), 403, "card_signature_invalid"
    )
    good = lookup_body(challenge_id, holder, holder.sign(value))
    assert_error(library.desk.post("/v1/registration-tickets", good), 409, "challenge_used")


def test_an_unsigned_request_is_refused(library: Library) -> None:
    holder = library.ca.issue(2)
    challenge_id, value = challenge(library.desk)
    body = lookup_body(challenge_id, holder, holder.sign(value))
    response = library.world.client.post("/v1/registration-tickets", json=body)
    assert response.status_code == 401


def test_a_ticket_works_once(library: Library) -> None:
    token = ticket_of(library, library.ca.issue(2))
    first = open_ticket(browser(library), "/portal/register", token)
    assert first.status_code == 200 and 'name="mykey_id"' in first.text
    again = browser(library).get("/portal/register", params={"ticket": token})
    assert again.status_code == 410
    assert "使用できません" in again.text
    pressed = browser(library).post("/portal/register/open", data={"ticket": token})
    assert pressed.status_code in (403, 410)  # no form token, and spent anyway


def test_an_expired_ticket_does_not_open(library: Library) -> None:
    token = ticket_of(library, library.ca.issue(2))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    library.world.db.transaction(
        lambda s: s.execute(update(RegistrationTicket).values(expires_at=past))
    )
    assert browser(library).get("/portal/register", params={"ticket": token}).status_code == 410


def test_the_page_without_a_session_is_refused(library: Library) -> None:
    assert browser(library).get("/portal/register").status_code == 410


# --- generating and checking candidates --------------------------------------------------


def test_at_most_three_generations_and_the_third_is_registered(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    answers = [reg.generate().json() for _ in range(3)]
    assert [a["count"] for a in answers] == [1, 2, 3]
    assert [a["final"] for a in answers] == [False, False, True]
    assert all(len(a["candidate"]) == 8 for a in answers)
    fourth = reg.generate()
    assert fourth.status_code == 409 and fourth.json()["error"] == "generate_limit"
    first = answers[0]["candidate"]
    refused = reg.submit(mykey_id=first)
    assert refused.status_code == 400
    assert "3回目に自動生成された値のみ登録できます" in refused.text
    third = answers[2]["candidate"]
    done = reg.submit(mykey_id=third)
    assert done.status_code == 200, done.text
    assert third in done.text


def test_a_checked_candidate_can_be_typed_and_registered(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    assert reg.check("MYKEY001").json()["available"] is True
    assert reg.submit(mykey_id="MYKEY001").status_code == 200


def test_three_duplicate_errors_generate_a_candidate(library: Library) -> None:
    taken = library.patron_mykey_id
    reg = open_registration(library, library.ca.issue(2))
    first, second, third = (reg.check(taken).json() for _ in range(3))
    assert first["available"] is False and first["candidate"] is None
    assert "既に使用されています" in first["message"]
    assert second["candidate"] is None
    assert third["errors"] == 3 and len(third["candidate"]) == 8
    assert third["candidate"] != taken
    assert reg.submit(mykey_id=third["candidate"]).status_code == 200


def test_a_malformed_candidate_is_refused_by_the_check(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    for bad in ("abcd1234", "ABC123", "ABCD12345", "ABCD-123", "ＡＢＣＤ１２３４"):
        response = reg.check(bad)
        assert response.status_code == 400 and response.json()["error"] == "candidate_format"


def test_the_duplicate_check_is_rate_limited(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    statuses = [reg.check(f"FREE{i:04d}").status_code for i in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_generate_and_check_need_the_csrf_token(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    response = reg.client.post("/portal/register/generate", headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403
    response = reg.client.post("/portal/register/check", json={"candidate": "ABCD1234"})
    assert response.status_code == 403


# --- the form's rules ---------------------------------------------------------------------


def _refused(library: Library, serial: int, **fields: str) -> str:
    reg = open_registration(library, library.ca.issue(2))
    response = reg.submit(**{"mykey_id": "GOODID01", **fields})
    assert response.status_code == 400, response.text
    return response.text


def test_every_field_rule_is_enforced_by_the_server(library: Library) -> None:
    cases = [
        ({"mykey_id": ""}, "マイキーID候補を作成してください。"),
        ({"mykey_id": "abc"}, "8ケタの半角大文字英数字"),
        ({"mykey_id": library.patron_mykey_id}, "既に使用されています"),
        ({"password": "", "password_confirm": ""}, "パスワードを入力してください。"),
        ({"password": "abc12", "password_confirm": "abc12"}, "6～16ケタの半角英数字"),
        ({"password": "a" * 17, "password_confirm": "a" * 17}, "6～16ケタの半角英数字"),
        ({"password": "abc123!", "password_confirm": "abc123!"}, "6～16ケタの半角英数字"),
        ({"password_confirm": "abc124"}, "確認用パスワードが一致しません。"),
        ({"password": "abc123", "password_confirm": "abc123"}, "よく使われていて推測されやすい"),
        ({"password": "Password1", "password_confirm": "Password1"}, "よく使われていて"),
        (
            {"mykey_id": "OWNID123", "password": "ownid123", "password_confirm": "ownid123"},
            "マイキーIDと同じものも使えません",
        ),
        ({"email": "not-an-address", "email_confirm": "not-an-address"}, "形式が正しくありません"),
        ({"email": "a@example.jp", "email_confirm": "b@example.jp"}, "確認用メールアドレスが一致"),
        ({"notify_mykey": "on"}, "メールアドレスを入力してください。"),
        ({"default_municipality": "99999"}, "その自治体は選択できません。"),
    ]
    for serial, (fields, message) in enumerate(cases, start=20):
        assert message in _refused(library, serial, **fields), fields


def test_english_by_a_switch(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    page = reg.client.get("/portal/register", params={"lang": "en"})
    assert "Create and register a MyKey ID" in page.text
    refused = reg.submit(mykey_id="GOODID01", password="abc")  # the cookie keeps English
    assert "The password must be 6–16 ASCII letters and digits." in refused.text


def test_registration_creates_everything_at_once(library: Library) -> None:
    add_municipalities(library)
    holder = library.ca.issue(2)
    reg = open_registration(library, holder)
    response = reg.submit(
        mykey_id="NEWKEY01",
        password="Secret99",
        password_confirm="Secret99",
        email="resident@example.jp",
        email_confirm="resident@example.jp",
        notify_points_granted="on",
        notify_mykey="on",
        default_municipality="13116",
    )
    assert response.status_code == 200, response.text

    def facts(session: Session) -> tuple[PortalAccount, str, str | None]:
        mykey = session.scalar(select(MyKey).where(MyKey.mykey_id == "NEWKEY01"))
        assert mykey is not None
        account = session.scalar(select(PortalAccount).where(PortalAccount.mykey_pk == mykey.id))
        assert account is not None
        binding = session.scalar(
            select(CertificateBinding).where(CertificateBinding.mykey_pk == mykey.id)
        )
        assert binding is not None
        return account, binding.fingerprint, holders.default_municipality(session, mykey.id)

    account, fingerprint, default = library.world.db.transaction(facts)
    assert fingerprint == hashlib.sha256(holder.der).hexdigest()
    assert verify_password(account.password_hash, "Secret99")
    assert account.password_hash.startswith("$argon2id$")
    assert account.email == "resident@example.jp"
    assert (account.notify_points_granted, account.notify_points_expired) == (True, False)
    assert (account.notify_password_changed, account.notify_mykey) == (False, True)
    assert default == "13116"
    # the session is over: the form cannot be sent again
    assert reg.submit(mykey_id="NEWKEY02").status_code == 401
    # and the card is now registered: a lookup reaches "not linked", not "not registered"
    assert_error(tap(library.desk, holder), 404, "service_not_linked")
    # audited: the ticket at the counter and the registration, by certificate hash only
    logged = [(e.action, e.outcome, e.fields) for e in events(library.world.db)]
    ticket = [f for action, outcome, f in logged if action == "registration.ticket"]
    created = [f for action, outcome, f in logged if action == "portal.register"]
    assert len(ticket) == 1 and fingerprint in ticket[0]
    assert len(created) == 1 and fingerprint in created[0]
    assert "NEWKEY01" not in raw_log(library.world.db)
    assert "Secret99" not in raw_log(library.world.db)


def test_the_form_needs_the_csrf_token(library: Library) -> None:
    reg = open_registration(library, library.ca.issue(2))
    reg.csrf = "forged"
    assert reg.submit(mykey_id="GOODID02").status_code == 403
