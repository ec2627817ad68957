"""``mykey-platform address import`` (J-LIS address-change files) and
``mykey-platform service credential …`` (providers' API keys)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.db import utcnow
from server.identity.address_changes import (
    LineResult,
    NoticeStatus,
    import_notices,
    parse_notices,
)
from server.identity.provider_keys import IssuedKey, ProviderKey, add_key, list_keys, revoke_key


@click.group("address")
def address_group() -> None:
    """Holders' address changes, as J-LIS reports them."""


@address_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="report what would happen; change nothing")
@pass_cli
def address_import(cli: CliContext, file: Path, dry_run: bool) -> None:
    """Import FILE.csv (serial,issuer,sha256,changed_at; see docs/operations.md).

    Prints one line per entry; unknown certificates are reported, not fatal.  Importing
    the same file again changes nothing.  Exit 1 when a line is invalid (the valid lines
    are still imported).
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {file}: {error}") from error
    now = utcnow()
    notices, invalid = parse_notices(text, now)

    def work(session: Session) -> list[LineResult]:
        return import_notices(session, notices, now, dry_run=dry_run)

    results = sorted([*cli.run(work), *invalid], key=lambda result: result.line)
    echo_table(("LINE", "RESULT", "DETAIL"), [(r.line, r.status.value, r.detail) for r in results])
    counts = {status: 0 for status in NoticeStatus}
    for result in results:
        counts[result.status] += 1
    summary = ", ".join(f"{count} {status.value}" for status, count in counts.items())
    click.echo(f"{'dry run, nothing changed: ' if dry_run else ''}{summary}")
    if counts[NoticeStatus.INVALID]:
        raise click.ClickException(f"{counts[NoticeStatus.INVALID]} invalid line(s) in {file}")


@click.group("credential")
def credential_group() -> None:
    """API keys of a service's provider (address-change notices)."""


@credential_group.command("add")
@click.argument("service")
@pass_cli
def credential_add(cli: CliContext, service: str) -> None:
    """Make an API key for the provider of SERVICE; the key is shown only this once."""

    def work(session: Session) -> IssuedKey:
        return add_key(session, service)

    issued = cli.run(work)
    echo_fields(service=service, key_id=issued.record.id)
    click.echo("API key (shown once; the platform keeps only its SHA-256):", err=True)
    click.echo(issued.key)


@credential_group.command("list")
@click.argument("service", required=False)
@pass_cli
def credential_list(cli: CliContext, service: str | None) -> None:
    """List providers' API keys (never the keys themselves)."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [_row(record) for record in list_keys(session, service)]

    echo_table(("KEY ID", "SERVICE", "CREATED", "REVOKED"), cli.run(work))


def _row(record: ProviderKey) -> tuple[object, ...]:
    revoked = f"{record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "-"
    return (record.id, record.service.name, f"{record.created_at:%Y-%m-%d %H:%M}", revoked)


@credential_group.command("revoke")
@click.argument("key_id")
@pass_cli
def credential_revoke(cli: CliContext, key_id: str) -> None:
    """Refuse every further request with the key KEY_ID."""

    def work(session: Session) -> tuple[object, ...]:
        return _row(revoke_key(session, key_id))

    row = cli.run(work)
    echo_fields(key_id=row[0], service=row[1], revoked=row[3])


COMMANDS = [address_group]
