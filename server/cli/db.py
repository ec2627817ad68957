"""``mykey-platform db …``: schema migrations."""

from __future__ import annotations

import click

from server.cli.context import CliContext, pass_cli
from server.db import make_engine
from server.migrate import current, upgrade


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@pass_cli
def db_upgrade(cli: CliContext) -> None:
    """Upgrade the schema to the newest revision (every command also does it)."""
    engine = make_engine(cli.database_url)
    try:
        before = current(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"database: {cli.display_url}")
    click.echo(f"schema revision: {after}" + ("" if before == after else f" (was {before})"))


COMMANDS = [db_group]
