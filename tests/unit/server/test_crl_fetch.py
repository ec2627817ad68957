"""The scheduled jobs fetch each anchor's CRL from its distribution point (a real HTTP
server on loopback): a new CRL is imported, a forged or unreachable one is recorded as a
failure and changes nothing else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cli import main
from server.db import utcnow
from server.identity.models import Crl, TrustAnchor
from server.identity.trust import set_revocation_urls
from server.jobs import run_scheduled
from tests.fixtures.postgres import free_port
from tests.unit.server.certs import make_ca
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.world import tap


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """An HTTP server on loopback answering every GET with ``body``; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ca.crl"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def publish_at(library: Library, url: str) -> None:
    fingerprint = library.ca.fingerprint
    library.world.db.transaction(
        lambda s: set_revocation_urls(s, fingerprint, crl_url=url, ocsp_url=None)
    )


def fetch_error(library: Library) -> str | None:
    def work(session: Session) -> str | None:
        query = select(TrustAnchor.crl_fetch_error)
        return session.scalar(query.where(TrustAnchor.fingerprint == library.ca.fingerprint))

    return library.world.db.transaction(work)


def test_the_jobs_import_a_new_crl_from_the_distribution_point(library: Library) -> None:
    with serving(library.ca.crl(library.patron, number=2)) as url:
        publish_at(library, url)
        report = run_scheduled(library.world.db, utcnow())
    assert (report.crls.fetched, report.crls.failed) == (1, 0)
    assert report.fields()["crls_fetched"] == 1
    assert fetch_error(library) is None
    assert_error(tap(library.desk, library.patron), 403, "certificate_revoked")


def test_a_forged_crl_at_the_distribution_point_is_refused(library: Library) -> None:
    crls = count(library.world.db, Crl)
    forged = library.ca.crl(library.patron, signer=make_ca(5).key)
    with serving(forged) as url:
        publish_at(library, url)
        report = run_scheduled(library.world.db, utcnow())
    assert (report.crls.fetched, report.crls.failed) == (0, 1)
    assert "does not verify" in (fetch_error(library) or "")
    assert count(library.world.db, Crl) == crls
    assert tap(library.desk, library.patron).status_code == 200


def test_an_unreachable_distribution_point_is_recorded(library: Library) -> None:
    publish_at(library, f"http://127.0.0.1:{free_port()}/ca.crl")  # nothing listens there
    report = run_scheduled(library.world.db, utcnow())
    assert (report.crls.fetched, report.crls.failed) == (0, 1)
    assert "unreachable" in (fetch_error(library) or "")


def test_ca_urls_sets_and_refuses(tmp_path: Path) -> None:
    ca = make_ca(0)
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["--database-url", url, "ca", "add", str(ca.write(tmp_path / "ca.pem"))]
        ).exit_code
        == 0
    )
    done = runner.invoke(main, ["--database-url", url, "ca", "urls", ca.fingerprint,
                                "--crl-url", "http://ca.example/ca.crl",
                                "--ocsp-url", "http://ocsp.example/"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "http://ca.example/ca.crl" in done.output and "http://ocsp.example/" in done.output
    bad = runner.invoke(main, ["--database-url", url, "ca", "urls", ca.fingerprint,
                               "--crl-url", "file:///etc/passwd"])  # fmt: skip
    assert bad.exit_code != 0 and "not an http(s) URL" in bad.output
