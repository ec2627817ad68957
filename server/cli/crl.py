"""``mykey-platform crl …``: certificate revocation lists."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.db import utcnow
from server.identity.crl import CrlImport, import_crl
from server.identity.models import Crl


@click.group("crl")
def crl_group() -> None:
    """Certificate revocation lists published by the CA."""


@crl_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def crl_import(cli: CliContext, file: Path) -> None:
    """Import a CRL (DER or PEM) whose signature verifies against a trusted anchor."""
    data = file.read_bytes()

    def work(session: Session) -> CrlImport:
        return import_crl(session, data)

    result = cli.run(work)
    crl = result.crl
    next_update = "-" if crl.next_update is None else f"{crl.next_update:%Y-%m-%d %H:%M:%S} UTC"
    echo_fields(
        crl="already imported" if result.already_imported else "imported",
        issuer=crl.issuer,
        this_update=f"{crl.this_update:%Y-%m-%d %H:%M:%S} UTC",
        next_update=next_update,
        crl_number=crl.crl_number or "-",
        revoked_serials=crl.revoked_count,
        newly_revoked=result.new_serials,
    )
    if crl.next_update is not None and crl.next_update < utcnow():
        click.echo("warning: this CRL is past its next update; import a newer one", err=True)


@crl_group.command("list")
@pass_cli
def crl_list(cli: CliContext) -> None:
    """List imported CRLs."""

    def work(session: Session) -> list[Crl]:
        return list(session.scalars(select(Crl).order_by(Crl.this_update)).all())

    echo_table(
        ("THIS UPDATE", "NEXT UPDATE", "REVOKED", "ISSUER"),
        [
            (
                f"{c.this_update:%Y-%m-%d %H:%M}",
                "-" if c.next_update is None else f"{c.next_update:%Y-%m-%d %H:%M}",
                c.revoked_count,
                c.issuer,
            )
            for c in cli.run(work)
        ],
    )


COMMANDS = [crl_group]
