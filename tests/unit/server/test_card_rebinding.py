"""A renewed card binds to an existing MyKey ID only with proof: the old card in the same
session, J-LIS's old → new certificate linkage, or a staff procedure — never a password
alone.  The old binding is retired and the holder is told by e-mail."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.identity.models import CertificateBinding
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import LIBRARY_NUMBER, Library
from tests.unit.server.portal_helpers import open_registration
from tests.unit.server.world import tap

PASSWORD = "Secret99"
MAIL = "victim@example.jp"


def _bindings(library: Library) -> list[tuple[str, str]]:
    def work(session: Session) -> list[tuple[str, str]]:
        rows = session.execute(
            select(CertificateBinding.fingerprint, CertificateBinding.mykey_pk)
        ).all()
        return sorted((row[0], str(row[1])) for row in rows)

    return library.world.db.transaction(work)


def _register_on_portal(library: Library, holder: Holder, mykey_id: str) -> None:
    reg = open_registration(library, holder)
    fields = {"password": PASSWORD, "password_confirm": PASSWORD}
    response = reg.submit(mykey_id=mykey_id, email=MAIL, email_confirm=MAIL, **fields)
    assert response.status_code == 200, response.text


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
