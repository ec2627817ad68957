"""The ``mykey-counter`` group: its options, the kiosk when no command is given, the commands.

The commands are imported when one is looked up (:mod:`app.cli.lazy`), not with the group:
the kiosk's path to its first paint loads none of them.
"""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.backends import Backends, KioskFlags
from app.cli.errors import usage
from app.cli.lazy import LazyCommands
from app.cli.state import CliState
from app.settings import HOME_ENV, home_dir

#: each command's module (``app.cli.<name with underscores>``, one command each)
COMMAND_NAMES = (
    "barcode",
    "confirm-link",
    "doctor",
    "enroll",
    "label",
    "lookup",
    "outbox",
    "print-test-label",
    "register",
    "staff-pin",
)


def _module_path(name: str) -> str:
    attribute = name.replace("-", "_")
    return f"app.cli.{attribute}:{attribute}"


_COMMANDS = LazyCommands({name: _module_path(name) for name in COMMAND_NAMES})


def __getattr__(name: str) -> tuple[click.Command, ...]:
    """``COMMANDS``: every command, imported (for the tests of the CLI's shape)."""
    if name == "COMMANDS":
        return tuple(_COMMANDS[command] for command in COMMAND_NAMES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@click.group(invoke_without_command=True, commands=_COMMANDS)
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
