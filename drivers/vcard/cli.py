"""``mykey-vcard``: make test CAs and card holders, and insert a virtual card into vpcd."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from drivers.vcard.card import VirtualJpkiCard
from drivers.vcard.holder import CERT, Holder, make_ca, make_holder, revoke
from drivers.vcard.hostile import DEFAULT_DELAY_S, HostileJpkiCard, HostileMode
from drivers.vcard.vpcd import DEFAULT_HOST, DEFAULT_PORT, VpcdCardRunner

EXIT_NO_VPCD = 2
CONTACT_TIMEOUT_S = 3.0
DirPath = click.Path(file_okay=False, path_type=Path)
ExistingDir = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
def cli(verbose: bool) -> None:
    """The virtual My Number Card (JPKI) for demos, training and tests."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@cli.command("ca")
@click.argument("directory", type=DirPath)
@click.option("--name", "common_name", default="MyKey Test JPKI User Authentication CA")
@click.option("--force", is_flag=True, help="Replace a CA already there (its cards stop chaining).")
def ca_command(directory: Path, common_name: str, force: bool) -> None:
    """Make a test user-authentication CA (certificate, key, empty CRL) in DIRECTORY."""
    _refuse_overwrite(directory / "ca.pem", force)
    make_ca(directory, common_name=common_name)
    click.echo(f"test CA {common_name!r} made in {directory}:")
    for name in ("ca.pem", "ca.key.pem", "crl.pem"):
        click.echo(f"  {directory / name}")


@cli.command("new")
@click.argument("directory", type=DirPath)
@click.option("--ca", "ca_directory", type=ExistingDir, required=True, help="The CA dir.")
@click.option("--pin", default="1234", show_default=True, help="4-digit user-auth PIN.")
@click.option("--expired", is_flag=True, help="The certificate expired yesterday.")
@click.option("--revoked", is_flag=True, help="Put the certificate on the CA's CRL.")
@click.option("--not-yet-valid", is_flag=True, help="The certificate starts in 30 days.")
@click.option("--no-jpki", is_flag=True, help="A card without the JPKI AP (a transit card).")
@click.option("--blocked", is_flag=True, help="The PIN is blocked (0 tries left).")
@click.option("--force", is_flag=True, help="Replace a holder already there.")
def new_command(
    directory: Path,
    ca_directory: Path,
    pin: str,
    expired: bool,
    revoked: bool,
    not_yet_valid: bool,
    no_jpki: bool,
    blocked: bool,
    force: bool,
) -> None:
    """Make a card holder in DIRECTORY with a certificate issued by the CA."""
    _refuse_overwrite(directory / "holder.json", force)
    try:
        holder = make_holder(
            directory,
            ca_directory,
            pin=pin,
            expired=expired,
            revoked=revoked,
            not_yet_valid=not_yet_valid,
            jpki=not no_jpki,
            tries_left=0 if blocked else 3,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    cert = holder.certificate
    click.echo(f"holder made in {directory}")
    click.echo(f"serial:      {cert.serial_number:X}")
    click.echo(f"sha256:      {cert.fingerprint(hashes.SHA256()).hex(':').upper()}")
    click.echo(f"certificate: {directory / CERT}")


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists: pass --force to replace it")


@cli.command("revoke")
@click.argument("directory", type=ExistingDir)
@click.option("--ca", "ca_directory", type=ExistingDir, required=True, help="The CA dir.")
def revoke_command(directory: Path, ca_directory: Path) -> None:
    """Put the holder's certificate on the CA's CRL."""
    holder = Holder.load(directory)
    revoke(ca_directory, holder.certificate_der)
    click.echo(f"revoked {holder.certificate.serial_number:X} in {ca_directory / 'crl.pem'}")


@cli.command("show")
@click.argument("directory", type=ExistingDir)
def show_command(directory: Path) -> None:
    """Show a holder: certificate, validity, PIN tries left (never the key or the PIN)."""
    holder = Holder.load(directory)
    cert = holder.certificate
    for label, value in _describe(cert, holder):
        click.echo(f"{label + ':':<14}{value}")


def _describe(cert: x509.Certificate, holder: Holder) -> list[tuple[str, str]]:
    return [
        ("serial", f"{cert.serial_number:X}"),
        ("subject", cert.subject.rfc4514_string()),
        ("issuer", cert.issuer.rfc4514_string()),
        ("not before", cert.not_valid_before_utc.isoformat()),
        ("not after", cert.not_valid_after_utc.isoformat()),
        ("sha256", cert.fingerprint(hashes.SHA256()).hex(":").upper()),
        ("JPKI AP", "yes" if holder.jpki else "no (not a My Number Card)"),
        ("tries left", f"{holder.tries_left}" + (" (blocked)" if holder.tries_left == 0 else "")),
    ]


@cli.command("run")
@click.argument("directory", type=ExistingDir)
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="35964: slot 1")
@click.option(
    "--remove-after-apdus",
    type=click.IntRange(min=1),
    default=None,
    help="Pull the card out after answering N APDUs (test hook).",
)
@click.option(
    "--hostile",
    type=click.Choice([m.value for m in HostileMode]),
    default=None,
    help="Misbehave on purpose, to test the counter's defences (modes listed above).",
)
@click.option(
    "--delay-s",
    type=click.FloatRange(min=0),
    default=DEFAULT_DELAY_S,
    show_default=True,
    help="With --hostile slow: seconds before each answer.",
)
@click.option(
    "--connect-timeout",
    "connect_timeout_s",
    default=5.0,
    show_default=True,
    type=float,
    help="Seconds to keep trying to reach vpcd.",
)
def run_command(
    directory: Path,
    host: str,
    port: int,
    remove_after_apdus: int | None,
    hostile: str | None,
    delay_s: float,
    connect_timeout_s: float,
) -> None:
    """Insert the holder's card into vpcd until stopped (Ctrl-C or SIGTERM removes it).

    \b
    --hostile MODE makes it a broken or hostile card (docs/development.md):
      wrong-length    READ BINARY answers more bytes than asked for
      garbage-sw      status words no card uses (12 34, FF FF, 00 00, 6F 42)
      truncated-cert  the certificate ends halfway through what its header announces
      oversized-cert  the certificate header announces 65,539 bytes
      endless-61xx    "61 00, more data" forever, GET RESPONSE included
      slow            every answer comes after --delay-s seconds
      mute            no APDU is ever answered (the ATR still is)
    """
    holder = Holder.load(directory)
    card = (
        VirtualJpkiCard(holder)
        if hostile is None
        else HostileJpkiCard(holder, HostileMode(hostile), delay_s=delay_s)
    )
    if hostile is not None:
        click.echo(f"hostile card: {hostile}", err=True)
    runner = VpcdCardRunner(card, host, port)
    runner.remove_after_apdus = remove_after_apdus
    if not _connect(runner, connect_timeout_s):
        click.echo(
            f"cannot reach vpcd at {host}:{port} — is pcscd running with vsmartcard-vpcd?",
            err=True,
        )
        sys.exit(EXIT_NO_VPCD)
    stop = threading.Event()
    previous = _install_stop_handlers(stop)
    try:
        click.echo("Ctrl-C removes the card")
        _wait_until_out(runner, stop)
    finally:
        _restore_handlers(previous)
        was_stopped = stop.is_set()
        runner.remove()
    if was_stopped:
        click.echo("card removed")
    elif remove_after_apdus is not None and len(runner.apdu_log) >= remove_after_apdus:
        click.echo(f"card pulled out after {remove_after_apdus} APDUs")
    else:
        click.echo("vpcd closed the connection (pcscd stopped?)", err=True)
        sys.exit(1)


def _wait_until_out(runner: VpcdCardRunner, stop: threading.Event) -> None:
    """Serve until stopped or removed; warn if vpcd never talks to the card."""
    warn_at = time.monotonic() + CONTACT_TIMEOUT_S
    warned = False
    while not stop.is_set() and not runner.wait_removed(0.2):
        if not warned and time.monotonic() >= warn_at and not runner.wait_contacted(0):
            warned = True
            click.echo(
                f"vpcd at {runner.host}:{runner.port} has not talked to the card for "
                f"{CONTACT_TIMEOUT_S:.0f} s: another card is probably in this slot "
                "(try --port 35964); waiting for it to leave",
                err=True,
            )


def _connect(runner: VpcdCardRunner, timeout_s: float) -> bool:
    """Try to insert the card until ``timeout_s`` passes (pcscd may still be starting)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            runner.start()
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _install_stop_handlers(stop: threading.Event) -> dict[int, _Handler]:
    """Make SIGINT and SIGTERM set ``stop``; return the handlers they replace."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, _Handler] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_handlers(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def main() -> None:
    """Console-script entry point of ``mykey-vcard``."""
    cli(prog_name="mykey-vcard")
