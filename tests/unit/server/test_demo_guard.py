"""``mykey-platform demo-data`` refuses a database that holds real (non-demo) data, and
the demo's trust anchor is marked as a demo anchor."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.cli import main
from server.cli.doctor import DEMO_ENV
from server.identity.models import CertificateBinding, MyKey, Service, TrustAnchor
from server.identity.trust import add_anchor
from tests.unit.server.certs import make_ca
from tests.unit.server.conftest import Library


def _counts(library: Library) -> tuple[int, int, int, int]:
    def work(session: Session) -> tuple[int, int, int, int]:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (MyKey, CertificateBinding, Service, TrustAnchor)
        )

    return library.world.db.transaction(work)


def test_demo_data_refuses_a_database_with_real_data(library: Library, tmp_path: Path) -> None:
    before = _counts(library)  # a real library, a real anchor, a real patron
    result = CliRunner().invoke(
        main,
        ["--database-url", library.world.platform.database_url, "demo-data",
         "--dir", str(tmp_path / "demo")],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "not a demo database" in result.output
    assert _counts(library) == before
    assert not (tmp_path / "demo").exists()  # no demo CA or cards were made either


def test_doctor_reports_a_trusted_demo_anchor_and_fails_outside_demo_mode(
    library: Library,
) -> None:
    url = library.world.platform.database_url
    clean = CliRunner().invoke(main, ["--database-url", url, "doctor"])
    assert clean.exit_code == 0, clean.output
    assert "demo anchors:" in clean.output and "none" in clean.output
    assert "audit key:" in clean.output and "(from the database)" in clean.output

    demo_ca = make_ca(6, "Demo CA")
    library.world.db.transaction(lambda s: add_anchor(s, demo_ca.certificate, demo=True))
    flagged = library.world.db.transaction(
        lambda s: s.scalar(select(TrustAnchor.demo).where(TrustAnchor.subject.contains("Demo CA")))
    )
    assert flagged is True
    listed = CliRunner().invoke(main, ["--database-url", url, "ca", "list"])
    assert "DEMO" in listed.output
    refused = CliRunner().invoke(main, ["--database-url", url, "doctor"], env={DEMO_ENV: ""})
    assert refused.exit_code == 5, refused.output
    assert "Demo CA" in refused.output and "outside demo mode" in refused.output
    demo = CliRunner().invoke(main, ["--database-url", url, "doctor"], env={DEMO_ENV: "1"})
    assert demo.exit_code == 0, demo.output
