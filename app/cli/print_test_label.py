"""``mykey-counter print-test-label``: a label with a test number, on the configured printer."""

from __future__ import annotations

from dataclasses import replace

import click

from app.cli.errors import usage
from app.cli.state import CliState
from app.settings import LABEL_SIZES

#: exit status when the configured printer cannot print
PRINTER_STATUS = 50


@click.command("print-test-label")
@click.option("--size", type=click.Choice(LABEL_SIZES), default=None,
              help="Label stock (default: [label] size in counter.toml).")
@click.pass_obj
def print_test_label(state: CliState, size: str | None) -> None:
    """Print a label with a test number (TEST / テスト) on the configured printer."""
    from app.labels import FontNotFound, render_label
    from app.outputs import NoPrinterConfigured, label_content, label_size, sample_number
    from drivers.printers import PrinterError
    from server.api.schemas import BarcodeSpec, ServiceInfo, Symbology

    settings = state.settings()
    texts = state.texts
    label_settings = settings.label if size is None else replace(settings.label, size=size)
    service = settings.service or ServiceInfo(
        name="test", display_name="MyKey", provider="",
        barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}"))
    try:
        number = sample_number(service.barcode)
        image = render_label(
            label_content(service, number, label_settings, terminal_id=settings.terminal_id,
                          test=True),
            label_size(label_settings),
        )
        printer = state.backends.make_printer(label_settings)
        printer.print_image(image, copies=1, job_name="MyKey test label")
    except NoPrinterConfigured as e:
        usage(str(e))
    except PrinterError as e:
        click.echo(f"error: {texts.tr('cli.print_test_label.unavailable')}: {e.reason}",
                   err=True)
        raise SystemExit(PRINTER_STATUS) from None
    except (ValueError, FontNotFound) as e:
        usage(str(e))
    click.echo(texts.tr("cli.print_test_label.printed", number=number,
                        printer=label_settings.printer))
