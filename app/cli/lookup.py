"""``mykey-counter lookup``: one tap without a screen, the service ID on stdout."""

from __future__ import annotations

from dataclasses import replace

import click

from app.cli.card import check_tries, read_pin, wait_for_card
from app.cli.errors import fail, not_enrolled
from app.cli.results import result_json, result_line
from app.cli.state import CliState
from app.ports import TapError


@click.command()
@click.option("--reader", default=None, help="PC/SC reader name (default: settings, else any).")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from the first line of stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--allow-last-try", is_flag=True, help="Use the PIN even if only one try is left.")
@click.option("--wait-s", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds to wait for a card.")
@click.pass_obj
def lookup(
    state: CliState,
    reader: str | None,
    pin_stdin: bool,
    as_json: bool,
    allow_last_try: bool,
    wait_s: float,
) -> None:
    """One tap, headless: wait for a card, ask the PIN, print the service ID."""
    settings = state.settings()
    language, texts = settings.language, state.texts
    if settings.terminal_id is None:
        fail(not_enrolled(texts), language)
    backends = state.backends
    try:
        card_reader = wait_for_card(backends, reader or settings.reader, wait_s, texts)
        # no label is printed here: the platform must not count one against the patron
        headless = replace(settings, delivery=[d for d in settings.delivery if d != "label"])
        tapper = backends.make_tapper(headless, state.home, card_reader)
        check_tries(tapper.probe().tries_left, allow_last_try=allow_last_try, texts=texts)
        pin = read_pin(pin_stdin, texts)
        result = tapper.authenticate(pin, allow_last_try=allow_last_try)
    except TapError as e:
        fail(e, language)
    click.echo(result_json(result) if as_json else result_line(result, texts))
