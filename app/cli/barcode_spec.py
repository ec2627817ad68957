"""The barcode options ``barcode`` and ``label`` share, and the BarcodeSpec made of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from app.cli.errors import usage
from app.cli.state import CliState

if TYPE_CHECKING:
    from server.api.schemas import BarcodeSpec

#: the wire schema's ``Symbology`` and ``CheckDigit`` values, spelt out so that building
#: the CLI does not import pydantic (a unit test checks that they agree)
SYMBOLOGIES = ("nw7", "code39", "code128", "qr")
CHECK_DIGITS = ("none", "mod10", "mod11", "mod16", "7dr", "7dsr")

F = TypeVar("F", bound=Callable[..., Any])


def spec_options(subject: str) -> Callable[[F], F]:
    """``--symbology``, ``--nw7-start``, ``--nw7-stop``, ``--check-digit`` and ``--pattern``
    (which ``subject`` must fullmatch), in that order."""
    options = (
        click.option("--symbology", type=click.Choice(SYMBOLOGIES), default=None,
                     help="Default: the enrolled service's."),
        click.option("--nw7-start", type=click.Choice(list("ABCD")), default=None),
        click.option("--nw7-stop", type=click.Choice(list("ABCD")), default=None),
        click.option("--check-digit", type=click.Choice(CHECK_DIGITS), default=None,
                     help="NW-7 check character scheme."),
        click.option("--pattern", default=None,
                     help=f"Regular expression {subject} must fullmatch."),
    )

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def barcode_spec(state: CliState, symbology: str | None, overrides: dict[str, Any]) -> BarcodeSpec:
    """The options' spec on top of the enrolled service's (without ``--symbology``)."""
    from server.api.schemas import BarcodeSpec

    base: dict[str, Any] = {}
    if symbology is None:
        service = state.settings().service
        if service is None:
            usage(state.texts.tr("cli.barcode.symbology_required"))
        base = service.barcode.model_dump()
    else:
        base = {"symbology": symbology}
    base.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return BarcodeSpec.model_validate(base)
    except ValueError as e:
        usage(f"{state.texts.tr('cli.barcode.bad_options')}: {e}")
