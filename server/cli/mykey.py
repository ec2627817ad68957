"""``mykey-platform mykey …``: MyKey IDs and their certificates."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, RebindProofRequired, echo_fields, pass_cli
from server.identity.models import CertificateBinding, MyKey
from server.identity.mykey import mark_address_changed, register
from server.identity.rebinding import staff_bind
from server.identity.x509util import der, load_certificate

_CERT = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read_der(path: Path) -> bytes:
    try:
        return der(load_certificate(path.read_bytes()))
    except ValueError as error:
        raise click.ClickException(f"{path} holds no X.509 certificate: {error}") from error


def _echo_binding(outcome: str, binding: CertificateBinding) -> None:
    """What was bound; the last line is the bare MyKey ID, for scripts."""
    echo_fields(
        certificate=outcome,
        issuer=binding.issuer,
        serial=binding.serial,
        sha256=binding.fingerprint,
        valid_until=f"{binding.not_after:%Y-%m-%d}",
        mykey_id=binding.mykey.mykey_id,
    )
    click.echo(binding.mykey.mykey_id)


@click.group("mykey")
def mykey_group() -> None:
    """MyKey IDs and the card certificates bound to them."""


@mykey_group.command("register")
@click.option("--cert", "cert", required=True, type=_CERT, help="user-auth certificate (PEM/DER)")
@click.option("--mykey-id", help="8 characters A-Z 0-9 (default: generated)")
@pass_cli
def mykey_register(cli: CliContext, cert: Path, mykey_id: str | None) -> None:
    """Create a MyKey ID bound to the certificate, which must chain to a trusted anchor.

    The last line printed is the MyKey ID.
    """
    body = _read_der(cert)

    def work(session: Session) -> CertificateBinding:
        return register(session, body, mykey_id)

    _echo_binding("registered", cli.run(work))


@mykey_group.command("bind")
@click.option("--cert", "cert", required=True, type=_CERT, help="user-auth certificate (PEM/DER)")
@click.option("--mykey-id", required=True)
@click.option("--staff", default="", help="the staff member who checked the documents")
@click.option("--documents", default="", help="the identity documents checked, e.g. 運転免許証")
@pass_cli
def mykey_bind(cli: CliContext, cert: Path, mykey_id: str, staff: str, documents: str) -> None:
    """The staff procedure: bind a renewed card's certificate to an existing MyKey ID
    after a staff member checked the holder's identity documents at a municipal desk.

    The older certificates of the MyKey ID are retired (they look nothing up any more)
    and the holder is mailed.  Without --staff and --documents: exit status 4
    (rebind_proof_required), nothing changes.
    """
    if not staff.strip() or not documents.strip():
        raise RebindProofRequired(
            "rebind_proof_required: a renewed card is bound only after a staff member "
            "checked the holder's identity documents: give --staff and --documents"
        )
    body = _read_der(cert)

    def work(session: Session) -> CertificateBinding:
        return staff_bind(session, body, mykey_id, staff=staff, documents=documents)

    _echo_binding("bound", cli.run(work))


@mykey_group.command("address-changed")
@click.option("--mykey-id", required=True)
@pass_cli
def mykey_address_changed(cli: CliContext, mykey_id: str) -> None:
    """Record that the holder's address changed now (lookups report it to services
    whose link is older)."""

    def work(session: Session) -> MyKey:
        return mark_address_changed(session, mykey_id)

    mykey = cli.run(work)
    echo_fields(
        mykey_id=mykey.mykey_id,
        address_changed_at=f"{mykey.address_changed_at:%Y-%m-%d %H:%M:%S} UTC",
    )


COMMANDS = [mykey_group]
