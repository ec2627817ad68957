"""OCSP first, the CRL as the fall-back, against an independent responder (``openssl
ocsp`` serving an index file): good, revoked, unknown, unreachable, signed by the wrong
key, by a delegated responder, stale; verified answers are kept until their next update."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.models import IssuedLabel, OcspResponse, TrustAnchor
from server.identity.trust import set_revocation_urls
from tests.fixtures.ocsp_responder import IndexEntry, openssl_responder
from tests.fixtures.postgres import free_port
from tests.unit.server.certs import TestCA, make_ca, now, rsa_key
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.test_revocation_attacks import forget_crls
from tests.unit.server.world import tap


def use_responder(library: Library, url: str) -> None:
    fingerprint = library.ca.fingerprint
    library.world.db.transaction(
        lambda s: set_revocation_urls(s, fingerprint, crl_url=None, ocsp_url=url)
    )


def anchor_row(library: Library) -> TrustAnchor:
    def work(session: Session) -> TrustAnchor:
        row = session.scalar(
            select(TrustAnchor).where(TrustAnchor.fingerprint == library.ca.fingerprint)
        )
        assert row is not None
        session.expunge(row)
        return row

    return library.world.db.transaction(work)


def cached(library: Library) -> list[tuple[str, str]]:
    def work(session: Session) -> list[tuple[str, str]]:
        return [(r.serial, r.status) for r in session.scalars(select(OcspResponse))]

    return library.world.db.transaction(work)


def delegate(
    ca: TestCA, *, ocsp_signing: bool = True
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A responder certificate issued by ``ca`` (with id-kp-OCSPSigning unless told not)."""
    key = rsa_key(6)
    usages = [ExtendedKeyUsageOID.OCSP_SIGNING if ocsp_signing else ExtendedKeyUsageOID.CLIENT_AUTH]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "OCSP signer")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - dt.timedelta(days=1))
        .not_valid_after(now() + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return certificate, key


def test_a_good_answer_is_enough_without_a_crl_and_is_kept(
    library: Library, tmp_path: Path
) -> None:
    forget_crls(library.world)
    serial = library.patron.certificate.serial_number
    ca = library.ca
    with openssl_responder(tmp_path, ca.certificate, ca.certificate, ca.key,
                           [IndexEntry(serial)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        response = tap(library.desk, library.patron)
        assert response.status_code == 200, response.text
    assert cached(library) == [(f"{serial:x}", "good")]
    assert anchor_row(library).ocsp_ok is True
    # the responder is gone: the kept answer still counts until its next update
    assert tap(library.desk, library.patron).status_code == 200


def test_a_revoked_answer_refuses_though_the_crl_does_not_list_it(
    library: Library, tmp_path: Path
) -> None:
    serial = library.patron.certificate.serial_number
    ca = library.ca
    revoked = IndexEntry(serial, revoked_at=now() - dt.timedelta(hours=2))
    with openssl_responder(tmp_path, ca.certificate, ca.certificate, ca.key,
                           [revoked]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        response = tap(library.desk, library.patron)
    message = assert_error(response, 403, "certificate_revoked")
    assert "OCSP" in message
    assert count(library.world.db, IssuedLabel) == 0


def test_an_unknown_answer_falls_back_to_the_crl(library: Library, tmp_path: Path) -> None:
    ca = library.ca
    with openssl_responder(tmp_path, ca.certificate, ca.certificate, ca.key,
                           [IndexEntry(12345)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        assert tap(library.desk, library.patron).status_code == 200  # the fresh CRL
        forget_crls(library.world)
        assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    assert cached(library) == []


def test_an_unreachable_responder_falls_back_to_the_crl(library: Library) -> None:
    use_responder(library, f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    assert tap(library.desk, library.patron).status_code == 200
    forget_crls(library.world)
    message = assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    assert "OCSP" in message
    assert count(library.world.db, IssuedLabel) == 0


def test_an_answer_signed_by_another_key_is_not_believed(library: Library, tmp_path: Path) -> None:
    forget_crls(library.world)
    stranger = make_ca(5)  # same name as the anchor, another key: a forger's responder
    serial = library.patron.certificate.serial_number
    with openssl_responder(tmp_path, library.ca.certificate, stranger.certificate,
                           stranger.key, [IndexEntry(serial)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    assert cached(library) == []


def test_a_delegated_responder_is_believed_only_with_ocsp_signing(
    library: Library, tmp_path: Path
) -> None:
    forget_crls(library.world)
    serial = library.patron.certificate.serial_number
    ca = library.ca
    plain, plain_key = delegate(ca, ocsp_signing=False)
    with openssl_responder(tmp_path / "plain", ca.certificate, plain, plain_key,
                           [IndexEntry(serial)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    signer, signer_key = delegate(ca)
    with openssl_responder(tmp_path / "signer", ca.certificate, signer, signer_key,
                           [IndexEntry(serial)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        assert tap(library.desk, library.patron).status_code == 200


class _Fixed(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


def stale_answer(ca: TestCA, certificate: x509.Certificate) -> bytes:
    """A GOOD answer correctly signed by the anchor, whose next update has passed (a
    replay of an old answer: openssl ocsp makes only current ones)."""
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=certificate,
            issuer=ca.certificate,
            algorithm=hashes.SHA1(),  # noqa: S303
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now() - dt.timedelta(days=2),
            next_update=now() - dt.timedelta(days=1),
            revocation_time=None,
            revocation_reason=None,
        )  # fmt: skip
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
        .sign(ca.key, hashes.SHA256())
    )
    return response.public_bytes(serialization.Encoding.DER)


def test_a_stale_answer_is_not_believed(library: Library) -> None:
    forget_crls(library.world)
    body = stale_answer(library.ca, library.patron.certificate)
    handler = type("Stale", (_Fixed,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        use_responder(library, f"http://127.0.0.1:{server.server_address[1]}/")
        assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert cached(library) == []
    assert "stale" in (anchor_row(library).ocsp_error or "")


def test_a_crl_revocation_wins_over_a_kept_good_answer(library: Library, tmp_path: Path) -> None:
    serial = library.patron.certificate.serial_number
    ca = library.ca
    with openssl_responder(tmp_path, ca.certificate, ca.certificate, ca.key,
                           [IndexEntry(serial)]) as responder:  # fmt: skip
        use_responder(library, responder.url)
        assert tap(library.desk, library.patron).status_code == 200  # good, kept an hour
    library.world.import_crl(ca.crl(library.patron, number=2))  # revoked since
    assert_error(tap(library.desk, library.patron), 403, "certificate_revoked")
    assert count(library.world.db, IssuedLabel) == 0
