"""Trust anchors (J-LIS shipped by default) and CRL import with signature verification."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from server.errors import OperatorError
from server.identity.anchors import builtin_anchor_pems
from server.identity.crl import import_crl
from server.identity.models import Crl, RevokedCertificate, TrustAnchor
from server.identity.trust import add_anchor, list_anchors, retire_anchor
from tests.unit.server.certs import TestCA, make_ca
from tests.unit.server.helpers import count
from tests.unit.server.world import World

JLIS_2015 = "4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d"
JLIS_2023 = "64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5"


def test_a_fresh_database_trusts_the_jlis_anchors(world: World) -> None:
    anchors = world.db.transaction(list_anchors)
    assert {a.fingerprint for a in anchors} == {JLIS_2015, JLIS_2023}
    assert all(a.builtin and a.retired_at is None for a in anchors)
    assert all("JPKI for user authentication" in a.subject for a in anchors)


def test_the_shipped_anchors_are_self_signed_cas() -> None:
    for pem in builtin_anchor_pems():
        certificate = x509.load_pem_x509_certificate(pem)
        certificate.verify_directly_issued_by(certificate)
        assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_builtin_anchor_can_be_retired(world: World) -> None:
    world.db.transaction(lambda s: retire_anchor(s, JLIS_2015.upper()))
    retired = {a.fingerprint for a in world.db.transaction(list_anchors) if a.retired_at}
    assert retired == {JLIS_2015}


def test_adding_twice_and_after_retiring(world: World, test_ca: TestCA) -> None:
    assert world.db.transaction(lambda s: add_anchor(s, test_ca.certificate))[1] == "trusted"
    assert (
        world.db.transaction(lambda s: add_anchor(s, test_ca.certificate))[1] == "already trusted"
    )
    colon = ":".join(test_ca.fingerprint[i : i + 2] for i in range(0, 64, 2))
    world.db.transaction(lambda s: retire_anchor(s, colon))
    assert world.db.transaction(lambda s: add_anchor(s, test_ca.certificate))[1] == "trusted again"
    assert count(world.db, TrustAnchor) == 3


def test_a_leaf_certificate_is_not_an_anchor(world: World, test_ca: TestCA) -> None:
    with pytest.raises(OperatorError, match="not a CA certificate"):
        world.db.transaction(lambda s: add_anchor(s, test_ca.issue(1).certificate))
    assert count(world.db, TrustAnchor) == 2


def test_retiring_an_unknown_fingerprint(world: World) -> None:
    with pytest.raises(OperatorError, match="no trust anchor"):
        world.db.transaction(lambda s: retire_anchor(s, "00" * 32))


def test_a_crl_is_imported_in_pem_and_der(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    first, second = test_ca.issue(1), test_ca.issue(2)
    pem_crl = test_ca.crl(first)
    result = world.db.transaction(lambda s: import_crl(s, pem_crl))
    assert (result.new_serials, result.already_imported) == (1, False)
    der_crl = x509.load_pem_x509_crl(test_ca.crl(first, second)).public_bytes(Encoding.DER)
    result = world.db.transaction(lambda s: import_crl(s, der_crl))
    assert (result.new_serials, result.crl.revoked_count) == (1, 2)
    assert count(world.db, RevokedCertificate) == 2


def test_the_same_crl_twice_is_a_no_op(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    crl = test_ca.crl(test_ca.issue(1))
    world.db.transaction(lambda s: import_crl(s, crl))
    again = world.db.transaction(lambda s: import_crl(s, crl))
    assert again.already_imported
    # trust() imported the CA's empty CRL too
    assert (count(world.db, Crl), count(world.db, RevokedCertificate)) == (2, 1)


def test_a_crl_signed_by_a_forger_is_refused(world: World, test_ca: TestCA) -> None:
    world.trust(test_ca)
    forged = test_ca.crl(test_ca.issue(1), signer=make_ca(5).key)  # right name, wrong key
    with pytest.raises(OperatorError, match="does not verify against any trusted anchor"):
        world.db.transaction(lambda s: import_crl(s, forged))
    # only the empty CRL trust() imported
    assert (count(world.db, Crl), count(world.db, RevokedCertificate)) == (1, 0)


def test_a_crl_of_an_untrusted_ca_is_refused(world: World) -> None:
    stranger = make_ca(5, "Stranger CA")
    with pytest.raises(OperatorError, match="issuer .*Stranger CA"):
        world.db.transaction(lambda s: import_crl(s, stranger.crl()))


def test_a_file_that_is_not_a_crl_is_refused(world: World, test_ca: TestCA) -> None:
    with pytest.raises(OperatorError, match="not a CRL"):
        world.db.transaction(lambda s: import_crl(s, test_ca.pem))
