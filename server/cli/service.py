"""``mykey-platform service …``: services and holders' service IDs."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy.orm import Session

from server.api.schemas import BarcodeSpec, CheckDigit, Symbology
from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.errors import OperatorError
from server.identity.labels import MAX_LABELS_PER_DAY, set_label_limit
from server.identity.link_codes import IssuedCode, issue_code
from server.identity.links import well_formed
from server.identity.models import Service, ServiceLink
from server.identity.services import (
    add_service,
    get_service,
    link,
    list_services,
    set_link_valid,
)

_DEFAULT_PATTERN = BarcodeSpec.model_fields["pattern"].default
_PER_DAY = click.IntRange(0, MAX_LABELS_PER_DAY)


def _limit_text(per_day: int | None) -> str:
    return "no limit" if per_day is None else f"{per_day} per card per day (Japan time)"


@click.group("service")
def service_group() -> None:
    """Services (library, shop …) and the service IDs linked to MyKey IDs."""


@service_group.command("add")
@click.argument("name")
@click.option("--provider", required=True, help="who runs the service, e.g. α市")
@click.option(
    "--barcode", "symbology", required=True, type=click.Choice([s.value for s in Symbology])
)
@click.option("--display-name", help="name shown at the counter (default: NAME)")
@click.option(
    "--format",
    "pattern",
    default=_DEFAULT_PATTERN,
    show_default=True,
    help="regular expression every service ID fully matches",
)
@click.option("--nw7-start", default="A", show_default=True, type=click.Choice(list("ABCD")))
@click.option("--nw7-stop", default="A", show_default=True, type=click.Choice(list("ABCD")))
@click.option(
    "--check-digit",
    default=CheckDigit.NONE.value,
    show_default=True,
    type=click.Choice([c.value for c in CheckDigit]),
)
@click.option(
    "--labels-per-day",
    type=_PER_DAY,
    default=None,
    help="same-day labels one card may get per day, Japan time (default: no limit)",
)
@pass_cli
def service_add(
    cli: CliContext,
    name: str,
    provider: str,
    symbology: str,
    display_name: str | None,
    pattern: str,
    nw7_start: str,
    nw7_stop: str,
    check_digit: str,
    labels_per_day: int | None,
) -> None:
    """Create the service NAME (lower-case letters, digits, '-', '_')."""
    barcode = BarcodeSpec(
        symbology=Symbology(symbology),
        pattern=pattern,
        nw7_start=nw7_start,
        nw7_stop=nw7_stop,
        check_digit=CheckDigit(check_digit),
    )

    def work(session: Session) -> Service:
        service = add_service(
            session, name, display_name=display_name or name, provider=provider, barcode=barcode
        )
        service.labels_per_day = labels_per_day
        return service

    service = cli.run(work)
    echo_fields(
        service=service.name,
        display_name=service.display_name,
        provider=service.provider,
        barcode=service.symbology,
        format=service.pattern,
        nw7_start_stop=f"{service.nw7_start}/{service.nw7_stop}",
        check_digit=service.check_digit,
        labels=_limit_text(service.labels_per_day),
    )


@service_group.command("list")
@pass_cli
def service_list(cli: CliContext) -> None:
    """List services."""
    echo_table(
        ("NAME", "BARCODE", "FORMAT", "LABELS/DAY", "PROVIDER", "DISPLAY NAME"),
        [
            (
                s.name,
                s.symbology,
                s.pattern,
                "-" if s.labels_per_day is None else s.labels_per_day,
                s.provider,
                s.display_name,
            )
            for s in cli.run(list_services)
        ],
    )


@service_group.command("link")
@click.option("--mykey-id", required=True)
@click.option("--service", "service_name", required=True)
@click.option("--service-id", required=True, help="the holder's ID at the service")
@pass_cli
def service_link(cli: CliContext, mykey_id: str, service_name: str, service_id: str) -> None:
    """Link a holder's service ID (it must match the service's format) to a MyKey ID."""

    def work(session: Session) -> tuple[ServiceLink, str]:
        return link(session, mykey_id, service_name, service_id)

    made, outcome = cli.run(work)
    echo_fields(
        link=outcome,
        mykey_id=mykey_id,
        service=service_name,
        service_id=made.external_id,
        linked_at=f"{made.linked_at:%Y-%m-%d %H:%M:%S} UTC",
    )


@service_group.command("link-code")
@click.option("--service", "service_name", required=True)
@click.option("--service-id", required=True, help="the only service ID the code confirms")
@click.option("--valid-days", type=click.IntRange(1, 90), default=14, show_default=True)
@pass_cli
def service_link_code(cli: CliContext, service_name: str, service_id: str, valid_days: int) -> None:
    """A one-time linking code for the holder of SERVICE-ID: typed on My Page with that
    ID, it confirms the link at once.  Shown once; the platform keeps only its hash."""

    def work(session: Session) -> IssuedCode:
        service = get_service(session, service_name)
        if not well_formed(service, service_id):
            raise OperatorError(
                f"{service_id!r} does not match the ID format of {service.name} ({service.pattern})"
            )
        lifetime = dt.timedelta(days=valid_days)
        return issue_code(session, service, service_id, "operator", lifetime)

    issued = cli.run(work)
    echo_fields(
        service=service_name,
        service_id=issued.record.external_id,
        expires_at=f"{issued.record.expires_at:%Y-%m-%d %H:%M:%S} UTC",
    )
    click.echo(issued.code)


@service_group.command("set-valid")
@click.option("--mykey-id", required=True)
@click.option("--service", "service_name", required=True)
@click.option("--valid/--invalid", required=True, help="whether the service ID is valid")
@pass_cli
def service_set_valid(cli: CliContext, mykey_id: str, service_name: str, valid: bool) -> None:
    """Mark a holder's service ID valid or invalid (e.g. a suspended library card)."""

    def work(session: Session) -> ServiceLink:
        return set_link_valid(session, mykey_id, service_name, valid)

    changed = cli.run(work)
    echo_fields(
        mykey_id=mykey_id,
        service=service_name,
        service_id=changed.external_id,
        valid="yes" if changed.valid else "no",
    )


@service_group.command("set-label-limit")
@click.argument("name")
@click.option("--per-day", type=_PER_DAY, help="same-day labels one card may get per day")
@click.option("--none", "no_limit", is_flag=True, help="no limit")
@pass_cli
def service_set_label_limit(
    cli: CliContext, name: str, per_day: int | None, no_limit: bool
) -> None:
    """Limit the same-day labels one card gets at service NAME per day (Japan time)."""
    if (per_day is None) == (not no_limit):
        raise click.UsageError("give exactly one of --per-day N and --none")

    def work(session: Session) -> Service:
        return set_label_limit(session, name, None if no_limit else per_day)

    service = cli.run(work)
    echo_fields(service=service.name, labels=_limit_text(service.labels_per_day))


COMMANDS = [service_group]
