"""The ``mykey-counter`` group: its options, the kiosk when no command is given, the commands."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.backends import Backends, KioskFlags
from app.cli.barcode import barcode
from app.cli.confirm_link import confirm_link
from app.cli.doctor import doctor
from app.cli.enroll import enroll
from app.cli.errors import usage
from app.cli.label import label
from app.cli.lookup import lookup
from app.cli.outbox import outbox
from app.cli.print_test_label import print_test_label
from app.cli.register import register
from app.cli.staff_pin import staff_pin
from app.cli.state import CliState
from app.settings import HOME_ENV, home_dir

COMMANDS = (
    barcode,
    confirm_link,
    doctor,
    enroll,
    label,
    lookup,
    outbox,
    print_test_label,
    register,
    staff_pin,
)


@click.group(invoke_without_command=True, commands=COMMANDS)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=HOME_ENV,
    help="Directory of counter.toml and the caches (default: the user config dir).",
)
@click.option("--demo-pin-stdin", is_flag=True, help="Kiosk: read a PIN from stdin and type it.")
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Kiosk: save a screenshot of the result screen to this PNG.",
)
@click.option("--once", is_flag=True, help="Kiosk: exit after the first result screen.")
@click.option(
    "--startup-check",
    is_flag=True,
    help="Kiosk: open as usual, wait until the idle screen is painted, print "
    '{"idle_painted_s": …} as JSON and exit 0. Checks the display, fonts and Qt plugins; '
    "works before enrollment too.",
)
@click.version_option("0.1.0", prog_name="mykey-counter")
@click.pass_context
def cli(
    ctx: click.Context,
    home: Path | None,
    demo_pin_stdin: bool,
    screenshot: Path | None,
    once: bool,
    startup_check: bool,
) -> None:
    """MyKey Counter: tap a My Number Card, get the patron's service ID.

    Without a command, opens the counter kiosk.
    """
    if not isinstance(ctx.obj, Backends):
        raise TypeError("mykey-counter runs with its backends: cli.main(obj=Backends(…))")
    state = CliState(home=home or home_dir(), backends=ctx.obj)
    ctx.obj = state
    if ctx.invoked_subcommand is None:
        if startup_check and (demo_pin_stdin or screenshot or once):
            usage(state.texts.tr("cli.kiosk.startup_check_alone"))
        flags = KioskFlags(home=state.home, demo_pin_stdin=demo_pin_stdin,
                           screenshot=screenshot, once=once, startup_check=startup_check)
        settings = state.settings(service_cache=False)
        ctx.exit(state.backends.compose_kiosk(settings, flags))
