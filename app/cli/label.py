"""``mykey-counter label``: a preview of the same-day label, as a PNG or PDF."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli.barcode_spec import barcode_spec, spec_options
from app.cli.errors import usage
from app.cli.state import CliState
from app.settings import LABEL_SIZES

if TYPE_CHECKING:
    from server.api.schemas import BarcodeSpec, ServiceInfo


@click.command()
@click.option("--service-id", required=True, help="The number to print on the label.")
@click.option("--service", "service_name", default=None,
              help="The service name on the label (default: the enrolled service's).")
@click.option("--provider", default=None, help="The provider on the label.")
@click.option("--size", type=click.Choice(LABEL_SIZES), default=None,
              help="Label stock (default: [label] size in counter.toml).")
@spec_options("the ID")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.png or FILE.pdf (by extension).")
@click.pass_obj
def label(
    state: CliState,
    service_id: str,
    service_name: str | None,
    provider: str | None,
    size: str | None,
    symbology: str | None,
    nw7_start: str | None,
    nw7_stop: str | None,
    check_digit: str | None,
    pattern: str | None,
    out: Path,
) -> None:
    """Preview the same-day label for SERVICE_ID as a PNG or PDF."""
    from app.barcodes import validate_service_id
    from app.labels import FontNotFound, render_label, render_label_pdf
    from app.outputs import label_content, label_size

    suffix = out.suffix.lower()
    if suffix not in (".png", ".pdf"):
        usage(state.texts.tr("cli.label.out_suffix"))
    settings = state.settings()
    label_settings = settings.label if size is None else replace(settings.label, size=size)
    spec = barcode_spec(state, symbology, {"nw7_start": nw7_start, "nw7_stop": nw7_stop,
                                           "check_digit": check_digit, "pattern": pattern})
    service = _label_service(state, service_name, provider, spec)
    content = label_content(service, service_id, label_settings,
                            terminal_id=settings.terminal_id)
    stock = label_size(label_settings)
    try:
        validate_service_id(service_id, spec)
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".pdf":
            render_label_pdf(content, stock, out)
        else:
            render_label(content, stock).save(out, format="PNG", dpi=(stock.dpi, stock.dpi))
    except (ValueError, FontNotFound) as e:
        usage(str(e))
    click.echo(f"{out}: {stock.description}, {spec.symbology.value}")


def _label_service(
    state: CliState, service_name: str | None, provider: str | None, spec: BarcodeSpec
) -> ServiceInfo:
    """The enrolled service (names overridable), or one made of the options."""
    from server.api.schemas import ServiceInfo

    enrolled = state.settings().service
    return ServiceInfo(
        name=enrolled.name if enrolled else "preview",
        display_name=service_name or (enrolled.display_name if enrolled else "MyKey"),
        provider=provider if provider is not None else (enrolled.provider if enrolled else ""),
        barcode=spec,
    )
