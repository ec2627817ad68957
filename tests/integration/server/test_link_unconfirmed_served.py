"""A pending link over real HTTP: the served platform answers ``link_unconfirmed``, the
counter's own client turns it into its screen, and ``mykey-counter lookup`` exits 36."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import cli
from app.client import PlatformClient
from app.i18n import Catalogue
from app.ports import EXIT_STATUS, ErrorKind, TapError
from server.db import Database, utcnow
from server.identity.models import MyKey, Service, ServiceLink
from tests.integration.server.conftest import LIBRARY, ServedLibrary
from tests.unit.app.test_cli import Fakes, FakeTapper, enrolled_home

pytestmark = pytest.mark.integration
CLAIMED = "2222222222"


def _claim(database_url: str, mykey_id: str) -> None:
    """A resident's claim as My Page makes it: pending."""
    db = Database(database_url)
    try:

        def work(session):  # type: ignore[no-untyped-def]
            mykey = session.scalar(select(MyKey).where(MyKey.mykey_id == mykey_id))
            service = session.scalar(select(Service).where(Service.name == LIBRARY))
            session.add(
                ServiceLink(
                    mykey_pk=mykey.id,
                    service_pk=service.id,
                    external_id=CLAIMED,
                    linked_at=utcnow(),
                )
            )

        db.transaction(work)
    finally:
        db.dispose()


@pytest.mark.parametrize("platform_database_url", ["sqlite"], indirect=True)
def test_a_pending_link_is_its_own_screen_and_exit_status(
    served_library: ServedLibrary, tmp_path: Path
) -> None:
    library = served_library
    holder = library.ca.issue(2)
    _claim(library.server.database_url, library.register(holder, "claimant"))
    code = library.server.run_cli(
        "terminal", "add", "--service", LIBRARY, "--name", "counter"
    ).splitlines()[-1]
    terminal_id, key, _ = PlatformClient.enroll(library.server.base_url, code)
    with PlatformClient(library.server.base_url, terminal_id, key) as client:
        challenge = client.challenge()
        signature = holder.sign(base64.b64decode(challenge.challenge))
        with pytest.raises(TapError) as refused:
            client.lookup(challenge.challenge_id, holder.der, signature)
    error = refused.value
    assert (error.kind, error.code) == (ErrorKind.LINK_UNCONFIRMED, "link_unconfirmed")
    assert CLAIMED not in str(error.detail)
    fakes = Fakes(tapper=FakeTapper(error=error))
    home = enrolled_home(tmp_path / "counter")
    result = CliRunner().invoke(
        cli, ["--home", str(home), "lookup", "--pin-stdin"], input="1234\n", obj=fakes.backends()
    )
    assert result.exit_code == EXIT_STATUS[ErrorKind.LINK_UNCONFIRMED] == 36
    assert "まだ図書館で確認されていません" in result.stderr
    assert Catalogue("ja").tr("error.link_unconfirmed.title") == "まだ図書館で確認されていません"
    assert Catalogue("en").tr("error.link_unconfirmed.title") == "Not yet confirmed by the library"
