"""``mykey-platform demo-data``: α市, its library and shop, a test CA and demo card holders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import platformdirs
from sqlalchemy.orm import Session

from server.cli.context import CliContext, NotDemoDatabaseRefused, echo_table, pass_cli
from server.demo import HOLDERS, LIBRARY, SHOP, DemoOutcome, NotDemoDatabase, foreign_data, seed

VCARD = "mykey-vcard"


def _vcard_command() -> list[str]:
    beside = Path(sys.executable).parent / VCARD
    if beside.exists():
        return [str(beside)]
    found = shutil.which(VCARD)
    if found is None:
        raise click.ClickException(
            f"{VCARD} not found: install the counter (pip install 'mykey-counter[counter]')"
        )
    return [found]


def _vcard(*args: str) -> None:
    result = subprocess.run(  # noqa: S603 (our own console script, arguments from us)
        [*_vcard_command(), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise click.ClickException(
            f"{VCARD} {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        )


def _make_cards(directory: Path) -> tuple[Path, dict[str, Path]]:
    ca = directory / "ca"
    if not (ca / "ca.pem").exists():
        _vcard("ca", str(ca))
    holders = {}
    for holder in HOLDERS:
        home = directory / "holders" / holder.name
        if not (home / "cert.pem").exists():
            _vcard("new", str(home), "--ca", str(ca), "--pin", holder.pin, *holder.vcard_flags)
        holders[holder.name] = home
    return ca, holders


def _write_summary(path: Path, ca: Path, outcome: DemoOutcome, database: str) -> None:
    summary = {
        "database": database,
        "ca": str(ca / "ca.pem"),
        "crl": str(ca / "crl.pem"),
        "enrollment_code": outcome.enrollment_code,
        "enrollment_service": LIBRARY,
        "holders": {
            h.holder.name: {
                "directory": str(h.directory),
                "pin": h.holder.pin,
                "certificate": h.certificate,
                "mykey_id": h.mykey_id,
                "links": h.links,
            }
            for h in outcome.holders
        },
    }
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _refuse_real_data(cli: CliContext, found: list[str]) -> None:
    if found:
        raise NotDemoDatabaseRefused(
            f"refused: {cli.display_url} is not a demo database ({'; '.join(found)}): "
            "demo-data seeds only a new database or one it made itself"
        )


@click.command("demo-data")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: Path(platformdirs.user_data_dir("mykey-platform")) / "demo",
    show_default="<user data dir>/demo",
    help="where the demo CA and the virtual cards live",
)
@pass_cli
def demo_data(cli: CliContext, directory: Path) -> None:
    """Make demo data: α市 (14130), β市 (13116), demo-library, demo-shop, a shop taking
    α市 points, points for hanako, a CA and virtual cards.

    Running it again reuses what exists.  The last line printed is a fresh enrollment
    code for a demo-library terminal.  A database with data the demo did not make (a
    real platform's) is refused with exit status 3, and nothing is made.
    """
    _refuse_real_data(cli, cli.run(foreign_data))
    directory = directory.resolve()
    ca, holder_dirs = _make_cards(directory)
    ca_pem, crl_pem = (ca / "ca.pem").read_bytes(), (ca / "crl.pem").read_bytes()

    def work(session: Session) -> DemoOutcome:
        return seed(session, ca_pem, crl_pem, holder_dirs)

    try:
        outcome = cli.run(work)
    except NotDemoDatabase as refused:  # real data arrived meanwhile
        _refuse_real_data(cli, refused.found)
        raise
    for line in outcome.made:
        click.echo(f"made: {line}")
    click.echo()
    echo_table(
        ("HOLDER", "PIN", "CERTIFICATE", "MYKEY ID", LIBRARY, SHOP, "CARD DIRECTORY"),
        [
            (
                h.holder.name,
                h.holder.pin,
                h.certificate,
                h.mykey_id or "-",
                h.links.get(LIBRARY, "-"),
                h.links.get(SHOP, "-"),
                h.directory,
            )
            for h in outcome.holders
        ],
    )
    summary = directory / "demo.json"
    _write_summary(summary, ca, outcome, cli.display_url)
    click.echo()
    click.echo(f"CA:         {ca / 'ca.pem'}")
    click.echo(f"CRL:        {ca / 'crl.pem'}")
    click.echo(f"database:   {cli.display_url}")
    click.echo(f"summary:    {summary}")
    click.echo(f"enrollment code for a {LIBRARY} terminal (single use, 7 days):")
    click.echo(outcome.enrollment_code)


COMMANDS = [demo_data]
