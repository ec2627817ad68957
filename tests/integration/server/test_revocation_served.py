"""Revocation fails closed on ``mykey-platform serve``: with no current CRL of the card's
CA, the counter's own client gets ``revocation_unknown`` and the operator's
``mykey register`` refuses, and neither changes anything."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.client import PlatformClient, fetch_health
from app.doctor import Status, check_revocation
from app.ports import EXIT_STATUS, ErrorKind, TapError
from server.db import Database
from server.identity.models import CertificateBinding, Crl, IssuedLabel, MyKey, RevokedCertificate
from tests.integration.server.conftest import LIBRARY, ServedLibrary

pytestmark = pytest.mark.integration


def forget_crls(database_url: str) -> None:
    db = Database(database_url)

    def work(session: Session) -> None:
        session.execute(delete(RevokedCertificate))
        session.execute(delete(Crl))

    try:
        db.transaction(work)
    finally:
        db.dispose()


def counts(database_url: str) -> tuple[int, ...]:
    db = Database(database_url)

    def work(session: Session) -> tuple[int, ...]:
        tables = (MyKey, CertificateBinding, IssuedLabel, Crl)
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in tables)

    try:
        return db.transaction(work)
    finally:
        db.dispose()


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_the_counter_is_told_revocation_unknown(served_library: ServedLibrary) -> None:
    library = served_library
    url = library.server.database_url
    code = library.server.run_cli(
        "terminal", "add", "--service", LIBRARY, "--name", "counter"
    ).splitlines()[-1]
    terminal_id, key, _ = PlatformClient.enroll(library.server.base_url, code)
    forget_crls(url)
    before = counts(url)
    with PlatformClient(library.server.base_url, terminal_id, key) as client:
        challenge = client.challenge()
        signature = library.patron.sign(base64.b64decode(challenge.challenge))
        with pytest.raises(TapError) as refused:
            client.lookup(challenge.challenge_id, library.patron.der, signature)
    assert refused.value.kind is ErrorKind.REVOCATION_UNKNOWN
    assert refused.value.code == "revocation_unknown"
    assert EXIT_STATUS[refused.value.kind] == 43
    assert counts(url) == before


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_the_operator_cannot_register_without_a_current_crl(
    served_library: ServedLibrary,
) -> None:
    library = served_library
    url = library.server.database_url
    forget_crls(url)
    before = counts(url)
    cert = library.ca.issue(7).write(library.files / "newcomer")
    result = library.server.cli("mykey", "register", "--cert", str(cert))
    assert result.returncode != 0
    assert "revocation_unknown" in result.stderr or "revocation status unknown" in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(url) == before


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_health_and_doctor_report_the_crl_of_each_anchor(served_library: ServedLibrary) -> None:
    library = served_library
    health = fetch_health(library.server.base_url)
    by_fingerprint = {entry.fingerprint: entry for entry in health.revocation}
    ours = by_fingerprint[library.ca.fingerprint]
    assert ours.crl_fresh and ours.crl_age_s is not None and ours.crl_age_s >= 0
    builtin = [e for f, e in by_fingerprint.items() if f != library.ca.fingerprint]
    assert builtin and all(e.crl_this_update is None and not e.crl_fresh for e in builtin)
    check = check_revocation(health)
    assert check.status is Status.WARN  # the built-in J-LIS anchors have no CRL here
    assert "fresh" in check.detail and "no CRL" in check.detail
    forget_crls(library.server.database_url)
    assert check_revocation(fetch_health(library.server.base_url)).status is Status.FAIL
