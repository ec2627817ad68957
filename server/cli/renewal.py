"""``mykey-platform renewal import``: J-LIS's old → new certificate linkage of renewed cards."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_table, pass_cli
from server.db import utcnow
from server.identity.renewals import LinkResult, LinkStatus, import_linkages, parse_linkages


@click.group("renewal")
def renewal_group() -> None:
    """Renewed cards: which new certificate replaced which old one, as J-LIS reports it."""


@renewal_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="report what would happen; change nothing")
@pass_cli
def renewal_import(cli: CliContext, file: Path, dry_run: bool) -> None:
    """Import FILE.csv (old_serial,old_issuer,old_sha256,new_serial,new_issuer,new_sha256;
    see docs/operations.md).

    A renewed card whose old certificate is linked may then be bound to the old one's
    MyKey ID on the portal.  Importing the same file again changes nothing.  Exit 1 when
    a line is invalid (the valid lines are still imported).
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {file}: {error}") from error
    linkages, invalid = parse_linkages(text)
    now = utcnow()

    def work(session: Session) -> list[LinkResult]:
        return import_linkages(session, linkages, now, dry_run=dry_run)

    results = sorted([*cli.run(work), *invalid], key=lambda result: result.line)
    echo_table(("LINE", "RESULT", "DETAIL"), [(r.line, r.status.value, r.detail) for r in results])
    counts = {status: 0 for status in LinkStatus}
    for result in results:
        counts[result.status] += 1
    summary = ", ".join(f"{count} {status.value}" for status, count in counts.items())
    click.echo(f"{'dry run, nothing changed: ' if dry_run else ''}{summary}")
    if counts[LinkStatus.INVALID]:
        raise click.ClickException(f"{counts[LinkStatus.INVALID]} invalid line(s) in {file}")


COMMANDS = [renewal_group]
