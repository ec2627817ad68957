"""A renewed card binds to an existing MyKey ID only with proof: the old card in the same
session, J-LIS's old → new certificate linkage, or a staff procedure — never a password
alone.  The old binding is retired and the holder is told by e-mail."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.cli import main
from server.db import Base
from server.identity.models import CertificateBinding
from server.identity.x509util import fingerprint
from server.portal.mail import SmtpSettings, send_pending
from server.portal.models import OutboxMail, RegistrationTicket
from tests.unit.server.audit_helpers import events
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.portal_helpers import (
    Registration,
    browser,
    csrf_of,
    open_registration,
    open_ticket,
    renewal_ticket_response,
    ticket_response,
    token_of,
    verify_every_address,
)
from tests.unit.server.test_portal_mypage import Inbox, smtp  # noqa: F401 (a fixture)
from tests.unit.server.world import b64, challenge, lookup_body, tap

PASSWORD = "Secret99"
MAIL = "victim@example.jp"


def _bindings(library: Library) -> list[tuple[str, str]]:
    def work(session: Session) -> list[tuple[str, str]]:
        rows = session.execute(
            select(CertificateBinding.fingerprint, CertificateBinding.mykey_pk)
        ).all()
        return sorted((row[0], str(row[1])) for row in rows)

    return library.world.db.transaction(work)


def _count(library: Library, table: type[Base]) -> int:
    return library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(table)) or 0
    )


def open_registration_with(library: Library, token: str) -> Registration:
    client = browser(library)
    page = open_ticket(client, "/portal/register", token)
    assert page.status_code == 200, page.text
    return Registration(client, csrf_of(page.text))


def _register_on_portal(library: Library, holder: Holder, mykey_id: str) -> None:
    reg = open_registration(library, holder)
    fields = {"password": PASSWORD, "password_confirm": PASSWORD}
    response = reg.submit(mykey_id=mykey_id, email=MAIL, email_confirm=MAIL, **fields)
    assert response.status_code == 200, response.text
    verify_every_address(library)  # notices go to verified addresses only


def test_a_password_alone_does_not_bind_a_strangers_card(library: Library) -> None:
    victim = library.ca.issue(2)
    _register_on_portal(library, victim, "VICTIM01")
    stranger = library.ca.issue(3)  # the attacker's own, unregistered card
    before = _bindings(library)
    attack = open_registration(library, stranger)
    response = attack.client.post(
        "/portal/register/bind",
        data={"csrf": attack.csrf, "mykey_id": "VICTIM01", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert "パスワードだけでは新しいカードを登録できません" in response.text
    assert _bindings(library) == before  # nothing bound
    assert tap(library.desk, stranger).json()["error"] == "not_registered"
    assert tap(library.desk, library.patron).json()["service_id"] == LIBRARY_NUMBER
    count = library.world.db.transaction(
        lambda s: s.scalar(select(func.count()).select_from(CertificateBinding))
    )
    assert count == len(before)


def _outbox(library: Library) -> list[tuple[str, str, str]]:
    def work(session: Session) -> list[tuple[str, str, str]]:
        rows = session.execute(select(OutboxMail.kind, OutboxMail.recipient, OutboxMail.subject))
        return [(row[0], row[1], row[2]) for row in rows]

    return library.world.db.transaction(work)


def _bind(reg: Registration, mykey_id: str, password: str = PASSWORD) -> httpx.Response:
    return reg.client.post(
        "/portal/register/bind", data={"csrf": reg.csrf, "mykey_id": mykey_id, "password": password}
    )


def test_a_renewed_card_tapped_with_the_old_one_binds_retires_and_mails(
    library: Library,
    smtp: tuple[Inbox, SmtpSettings],  # noqa: F811 (the fixture imported above)
) -> None:
    inbox, settings = smtp
    old = library.ca.issue(2)
    _register_on_portal(library, old, "HOLDER01")
    new = library.ca.issue(3)
    ticket = renewal_ticket_response(library, new, old)
    assert ticket.json()["purpose"] == "rebind"
    renewal = open_registration_with(library, token_of(ticket))
    bound = _bind(renewal, "HOLDER01")
    assert bound.status_code == 200 and "HOLDER01" in bound.text
    assert tap(library.desk, new).json()["error"] == "service_not_linked"  # registered now
    assert_error(tap(library.desk, old), 403, "certificate_retired")
    assert ("card_rebound", MAIL, "マイキーIDに新しいカードが登録されました") in _outbox(library)
    # sent although the holder chose no MyKey ID notices: the card was replaced
    assert send_pending(library.world.db, settings).sent == 2  # the verification link, then it
    assert "以前のカードは使えなくなりました" in inbox.messages[-1].get_content()
    event = [e for e in events(library.world.db) if e.action == "portal.bind_renewed"][-1]
    assert '"proof":"old_card"' in event.fields


def test_the_old_card_of_another_mykey_id_does_not_bind_to_the_victims(library: Library) -> None:
    victim = library.ca.issue(2)
    _register_on_portal(library, victim, "VICTIM01")
    own_old = library.ca.issue(3)
    _register_on_portal(library, own_old, "ATTACK01")
    own_new = library.ca.issue(4)
    before, mails = _bindings(library), _outbox(library)
    reg = open_registration(library, own_new, old=own_old)  # a real proof — of ATTACK01
    response = _bind(reg, "VICTIM01")
    assert response.status_code == 403
    assert "パスワードだけでは新しいカードを登録できません" in response.text
    assert (_bindings(library), _outbox(library)) == (before, mails)
    english = reg.client.post(
        "/portal/register/bind?lang=en",
        data={"csrf": reg.csrf, "mykey_id": "VICTIM01", "password": PASSWORD},
    )
    assert "A password alone cannot bind a new card" in english.text


def test_an_old_card_that_did_not_sign_the_challenge_gets_no_ticket(library: Library) -> None:
    new = library.ca.issue(2)
    challenge_id, value = challenge(library.desk)
    body = {
        **lookup_body(challenge_id, new, new.sign(value)),
        "old_certificate": b64(library.patron.der),
        "old_signature": b64(library.patron.sign(b"another challenge")),
    }
    tickets = _count(library, RegistrationTicket)
    response = library.desk.post("/v1/registration-tickets", body)
    assert_error(response, 403, "rebind_old_card_invalid")
    assert _count(library, RegistrationTicket) == tickets
    retry = library.desk.post("/v1/registration-tickets", body)
    assert_error(retry, 409, "challenge_used")  # the challenge is spent all the same


def test_a_jlis_linkage_import_lets_the_renewed_card_bind(library: Library, tmp_path: Path) -> None:
    old = library.ca.issue(2)
    _register_on_portal(library, old, "LINKED01")
    new, unlinked = library.ca.issue(3), library.ca.issue(4)
    issuer = old.certificate.issuer.rfc4514_string()
    serial = f"{new.certificate.serial_number:x}"
    csv_file = tmp_path / "renewals.csv"
    csv_file.write_text(
        "old_serial,old_issuer,old_sha256,new_serial,new_issuer,new_sha256\n"
        f',,{fingerprint(old.der)},{serial},"{issuer}",\n'
        "zz,,,1,x,\n",
        encoding="utf-8",
    )
    url = library.world.platform.database_url
    result = CliRunner().invoke(main, ["--database-url", url, "renewal", "import", str(csv_file)])
    assert result.exit_code == 1, result.output  # one invalid line; the valid one imported
    assert "1 recorded" in result.output and "1 invalid" in result.output
    again = CliRunner().invoke(main, ["--database-url", url, "renewal", "import", str(csv_file)])
    assert "1 already imported" in again.output

    refused = open_registration(library, unlinked)
    assert _bind(refused, "LINKED01").status_code == 403
    ticket = ticket_response(library, new)
    assert ticket.json()["purpose"] == "rebind"
    bound = _bind(open_registration_with(library, token_of(ticket)), "LINKED01")
    assert bound.status_code == 200, bound.text
    assert_error(tap(library.desk, old), 403, "certificate_retired")
    assert tap(library.desk, new).json()["error"] == "service_not_linked"


def test_the_operator_command_binds_only_with_the_staff_check(
    library: Library, tmp_path: Path
) -> None:
    renewed = library.ca.issue(2).write(tmp_path / "renewed")
    url = library.world.platform.database_url
    before = _bindings(library)
    args = ["--database-url", url, "mykey", "bind", "--cert", str(renewed),
            "--mykey-id", library.patron_mykey_id]  # fmt: skip
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 4, refused.output
    assert "rebind_proof_required" in refused.output
    assert _bindings(library) == before
    done = CliRunner().invoke(main, [*args, "--staff", "窓口 山田", "--documents", "運転免許証"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == library.patron_mykey_id
    assert_error(tap(library.desk, library.patron), 403, "certificate_retired")
