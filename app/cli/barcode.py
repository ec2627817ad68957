"""``mykey-counter barcode``: a service ID rendered as the counter's screen shows it."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.barcode_spec import barcode_spec, spec_options
from app.cli.errors import usage
from app.cli.state import CliState


@click.command()
@click.argument("value")
@spec_options("the value")
@click.option("--module-px", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--height-px", type=click.IntRange(min=1), default=160, show_default=True)
@click.option("--text/--no-text", "human_readable", default=False, show_default=True,
              help="Print the value under 1D codes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_obj
def barcode(
    state: CliState,
    value: str,
    symbology: str | None,
    nw7_start: str | None,
    nw7_stop: str | None,
    check_digit: str | None,
    pattern: str | None,
    module_px: int,
    height_px: int,
    human_readable: bool,
    out: Path,
) -> None:
    """Render VALUE exactly as the counter's screen shows it, into a PNG."""
    from app.barcodes import barcode_text, render_barcode, validate_service_id

    spec = barcode_spec(state, symbology, {"nw7_start": nw7_start, "nw7_stop": nw7_stop,
                                           "check_digit": check_digit, "pattern": pattern})
    try:
        validate_service_id(value, spec)
        image = render_barcode(value, spec, module_px=module_px, height_px=height_px,
                               human_readable=human_readable)
    except ValueError as e:
        usage(str(e))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG")
    click.echo(f"{out}: {spec.symbology.value} {barcode_text(value, spec)}")
