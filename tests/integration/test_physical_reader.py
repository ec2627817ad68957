"""Against a real reader and a real My Number Card: run with ``--reader "NAME"``.

Skipped otherwise (they are reported as skipped, never as passed). They never send a PIN:
a real card's PIN counter is shared with every other service and only a municipal office
can unlock it. They read only what JPKI.md allows.
"""

from __future__ import annotations

import pytest
from cryptography import x509

from drivers.card.jpki import JpkiSession
from drivers.card.pcsc import list_readers, open_card, wait_for_card

pytestmark = [pytest.mark.integration, pytest.mark.reader]


@pytest.fixture
def reader(request: pytest.FixtureRequest) -> str:
    name = request.config.getoption("--reader")
    assert isinstance(name, str)
    assert name in list_readers(), f"{name!r} is not among {list_readers()}"
    return wait_for_card(name, timeout_s=30)


def test_real_card_certificate_and_counter(reader: str) -> None:
    with open_card(reader) as transport:
        session = JpkiSession(transport)
        session.select_jpki()
        certificate = x509.load_der_x509_certificate(session.read_auth_certificate())
        ca = x509.load_der_x509_certificate(session.read_auth_ca_certificate())
        tries = session.pin_tries_left()
    assert certificate.issuer == ca.subject
    assert 0 <= tries <= 3
    # the user-authentication certificate names no person
    assert not certificate.subject.get_attributes_for_oid(x509.NameOID.GIVEN_NAME)
