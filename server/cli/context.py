"""What every operator command shares: the database setting and error reporting."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit.operator import audit_operator_changes
from server.db import Database, default_database_url
from server.errors import OperatorError
from server.migrate import upgrade

T = TypeVar("T")

#: exit statuses of refusals that scripts may tell apart (1 is any other refusal,
#: 2 a usage error)
EXIT_NOT_DEMO_DATABASE = 3
EXIT_REBIND_PROOF_REQUIRED = 4
EXIT_DEMO_ANCHORS = 5


class NotDemoDatabaseRefused(click.ClickException):
    """``demo-data`` on a database with real data."""

    exit_code = EXIT_NOT_DEMO_DATABASE


class RebindProofRequired(click.ClickException):
    """A renewed card's binding without the staff's check of identity documents."""

    exit_code = EXIT_REBIND_PROOF_REQUIRED


class DemoAnchorsTrusted(click.ClickException):
    """``doctor``: the demo's test CA is trusted outside demo mode."""

    exit_code = EXIT_DEMO_ANCHORS


class CliContext:
    """The database of this invocation, migrated to head on first use."""

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url or default_database_url()
        self._db: Database | None = None

    @property
    def display_url(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)

    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.database_url)
            upgrade(self._db.engine)
        return self._db

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction; refusals become a clean error and exit code 1."""
        try:
            return self.db().transaction(audit_operator_changes(work))
        except OperatorError as error:
            raise click.ClickException(str(error)) from error
        except IntegrityError as error:
            raise click.ClickException(
                "refused: it conflicts with a record made at the same time; try again"
            ) from error

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_cli = click.make_pass_decorator(CliContext)


def echo_fields(**fields: object) -> None:
    """Print ``name: value`` lines, aligned."""
    width = max(len(name) for name in fields)
    for name, value in fields.items():
        click.echo(f"{name.replace('_', ' ') + ':':<{width + 2}}{value}")


def echo_table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """Print a plain aligned table."""
    cells = [tuple(str(cell) for cell in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
