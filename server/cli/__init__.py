"""``mykey-platform``: run the MyKey Platform server and its operator commands.

Every command uses the database from ``--database-url`` or ``MYKEY_PLATFORM_DATABASE_URL``
(default: an SQLite file in the user data directory) and upgrades its schema first.
"""

from __future__ import annotations

import click

from server.cli import (
    address,
    audit,
    ca,
    crl,
    db,
    demo,
    doctor,
    label,
    mail,
    mykey,
    points,
    renewal,
    serve,
    service,
    settlement,
    staff,
    terminal,
)
from server.cli.context import CliContext
from server.db import DATABASE_URL_ENV


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar=DATABASE_URL_ENV,
    default=None,
    metavar="URL",
    help=f"SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (env {DATABASE_URL_ENV}); "
    "default: platform.db in the user data directory",
)
@click.version_option(package_name="mykey-counter")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """MyKey Platform: MyKey IDs, service IDs and counter terminals."""
    cli = CliContext(database_url)
    ctx.obj = cli
    ctx.call_on_close(cli.close)


for _module in (
    serve, db, ca, crl, service, mykey, terminal, label, demo, mail, points, settlement, doctor,
    renewal, staff,
):  # fmt: skip
    for _command in _module.COMMANDS:
        main.add_command(_command)
for _command in (*audit.COMMANDS, *address.COMMANDS):
    main.add_command(_command)
service.service_group.add_command(address.credential_group)
