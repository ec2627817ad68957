"""The operator's side of service links: ``service link`` confirms (the operator is
trusted), ``service link-code`` hands out a one-time code."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy import select

from server.cli import main
from server.identity.link_codes import LinkCode
from server.identity.models import ServiceLink
from tests.unit.server.conftest import LIBRARY, Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.test_link_attacks import NEIGHBOURS_NUMBER, claim, resident
from tests.unit.server.world import tap


def cli(library: Library, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", library.world.platform.database_url, *args])


def test_an_operators_link_confirms_and_drops_the_other_claims(library: Library) -> None:
    attacker, attacker_client, attacker_csrf = resident(library, "OPATT001", 2)
    owner, client, csrf = resident(library, "OPOWN001", 3)
    assert claim(attacker_client, attacker_csrf, NEIGHBOURS_NUMBER).status_code == 200
    assert claim(client, csrf, NEIGHBOURS_NUMBER).status_code == 200
    args = ("--mykey-id", "OPOWN001", "--service", LIBRARY, "--service-id", NEIGHBOURS_NUMBER)
    done = cli(library, "service", "link", *args)
    assert done.exit_code == 0, done.output
    assert "confirmed" in done.output  # the owner's own claim, now confirmed
    assert tap(library.desk, owner).json()["service_id"] == NEIGHBOURS_NUMBER
    assert_error(tap(library.desk, attacker), 404, "service_not_linked")
    again = cli(library, "service", "link", *args)
    assert again.exit_code == 0 and "already linked" in again.output


def test_an_operators_code_confirms_on_my_page(library: Library) -> None:
    made = cli(
        library, "service", "link-code", "--service", LIBRARY, "--service-id", NEIGHBOURS_NUMBER
    )
    assert made.exit_code == 0, made.output
    code = made.output.strip().splitlines()[-1]
    assert len(code) == 14 and code.count("-") == 2
    holder, client, csrf = resident(library, "OPCODE01", 2)
    typed = code.lower().replace("-", " ")  # as a resident may type it
    assert claim(client, csrf, NEIGHBOURS_NUMBER, typed).status_code == 200
    assert tap(library.desk, holder).json()["service_id"] == NEIGHBOURS_NUMBER

    def confirmed_by(session):  # type: ignore[no-untyped-def]
        return session.scalar(
            select(ServiceLink.confirmed_by).where(ServiceLink.external_id == NEIGHBOURS_NUMBER)
        )

    assert library.world.db.transaction(confirmed_by) == "code"


def test_a_code_for_a_malformed_number_is_refused_and_none_is_made(library: Library) -> None:
    refused = cli(library, "service", "link-code", "--service", LIBRARY, "--service-id", "12")
    assert refused.exit_code == 1 and "format" in refused.output
    unknown = cli(library, "service", "link-code", "--service", "nosuch", "--service-id", "1")
    assert unknown.exit_code == 1 and "no service named nosuch" in unknown.output
    assert count(library.world.db, LinkCode) == 0
