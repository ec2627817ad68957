"""``mykey-platform demo-data`` refuses a database that holds real (non-demo) data, and
the demo's trust anchor is marked as a demo anchor."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.cli import main
from server.identity.models import CertificateBinding, MyKey, Service, TrustAnchor
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
