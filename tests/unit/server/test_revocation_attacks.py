"""Attacks on revocation checking: each one a card that must be refused, and nothing kept.

- a card the CA has revoked, while the platform holds no CRL of that CA;
- a card checked against a CRL past its next update (the CA may have revoked it since);
- a certificate without a keyUsage extension;
- a card of an anchor that is itself past its validity.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from server.errors import OperatorError
from server.identity.models import CertificateBinding, Crl, MyKey, RevokedCertificate
from server.identity.mykey import register
from server.identity.x509util import fingerprint, serial_hex
from server.ledger.models import CardSession
from tests.unit.server.certs import Holder, TestCA, make_ca, now
from tests.unit.server.conftest import LIBRARY, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.points_world import PointsWorld
from tests.unit.server.world import World, tap


def forget_crls(world: World) -> None:
    """The platform holds no CRL at all (as before any import, or after losing them)."""

    def work(session: Session) -> None:
        session.execute(delete(RevokedCertificate))
        session.execute(delete(Crl))

    world.db.transaction(work)


def bind_unchecked(world: World, holder: Holder, mykey_id: str) -> None:
    """Record a binding without the checks of :func:`register` (a card registered while
    the platform still accepted it), so that only the lookup's checks are exercised."""

    def work(session: Session) -> None:
        mykey = MyKey(mykey_id=mykey_id)
        session.add(mykey)
        session.flush()
        session.add(
            CertificateBinding(
                mykey_pk=mykey.id,
                fingerprint=fingerprint(holder.der),
                issuer=holder.certificate.issuer.rfc4514_string(),
                serial=serial_hex(holder.certificate.serial_number),
                not_after=holder.certificate.not_valid_after_utc,
            )
        )

    world.db.transaction(work)


def _linked(library: Library, holder: Holder, mykey_id: str, number: str) -> None:
    bind_unchecked(library.world, holder, mykey_id)
    library.world.link(mykey_id, LIBRARY, number)


def _no_label_no_binding_change(library: Library, bindings: int) -> None:
    from server.identity.models import IssuedLabel

    assert count(library.world.db, IssuedLabel) == 0
    assert count(library.world.db, CertificateBinding) == bindings


def test_a_revoked_card_is_refused_while_no_crl_is_held(library: Library) -> None:
    library.ca.crl(library.patron)  # the CA revoked the card; the platform never imported it
    forget_crls(library.world)
    response = tap(library.desk, library.patron)
    assert_error(response, 503, "revocation_unknown")
    _no_label_no_binding_change(library, 1)
    assert count(library.world.db, Crl) == 0


def test_a_card_is_refused_against_a_stale_crl(library: Library) -> None:
    forget_crls(library.world)
    library.world.import_crl(library.ca.crl(next_update=now() - dt.timedelta(hours=1)))
    response = tap(library.desk, library.patron)
    message = assert_error(response, 503, "revocation_unknown")
    assert "next update" in message
    _no_label_no_binding_change(library, 1)


def test_registration_is_refused_while_no_crl_is_held(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    forget_crls(world)
    holder = test_ca.issue(3)
    with pytest.raises(OperatorError, match="revocation_unknown"):
        world.db.transaction(lambda s: register(s, holder.der, "NOCRL001"))
    assert count(world.db, MyKey) == 0
    assert count(world.db, CertificateBinding) == 0


def test_a_card_session_is_refused_while_no_crl_is_held(points: PointsWorld) -> None:
    holder, _ = points.holder(0)
    forget_crls(points.world)
    response = points.session(points.shop, holder)
    assert_error(response, 503, "revocation_unknown")
    assert count(points.db, CardSession) == 0


def test_a_certificate_without_key_usage_is_refused(library: Library) -> None:
    bare = library.ca.issue(4, key_usage=False)
    _linked(library, bare, "NOKU0001", "1111111111")
    response = tap(library.desk, bare)
    message = assert_error(response, 403, "certificate_untrusted")
    assert "keyUsage" in message
    _no_label_no_binding_change(library, 2)


def test_a_card_of_an_expired_anchor_is_refused(library: Library) -> None:
    old = make_ca(
        3,
        "Expired Test CA",
        not_before=now() - dt.timedelta(days=3650),
        not_after=now() - dt.timedelta(days=1),
    )
    library.world.trust(old)
    library.world.import_crl(old.crl())
    holder = old.issue(5)
    _linked(library, holder, "OLDCA001", "2222222222")
    response = tap(library.desk, holder)
    message = assert_error(response, 403, "certificate_untrusted")
    assert "expired" in message
    _no_label_no_binding_change(library, 2)
