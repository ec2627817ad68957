"""``mykey-counter enroll``: make the terminal's key, register it, remember the service."""

from __future__ import annotations

import click

from app.cli.errors import fail, usage
from app.cli.state import CliState
from app.ports import TapError
from app.settings import save_settings


@click.command()
@click.option("--server", "server_url", required=True, help="The platform, e.g. https://mykey.example.jp")
@click.option("--code", required=True, help="The one-time enrollment code from the provider.")
@click.pass_obj
def enroll(state: CliState, server_url: str, code: str) -> None:
    """Enroll this terminal: make its key, register it, remember the service."""
    from app.secrets import SecretsError

    settings = state.settings()
    server_url = server_url.rstrip("/")
    if not server_url.startswith(("http://", "https://")):
        usage("--server must be an http:// or https:// URL")
    backends = state.backends
    store = backends.key_store(settings, state.home)
    try:
        store.check()  # before the one-time code is spent
    except SecretsError as e:
        usage(str(e))
    try:
        terminal_id, key, info = backends.enroll(server_url, code, settings.platform_timeout_s)
    except TapError as e:
        fail(e, settings.language)
    try:
        store.store(terminal_id, key)
    except SecretsError as e:
        usage(f"enrolled as {terminal_id}, but the key could not be stored: {e} "
              "(ask for a new enrollment code)")
    old_id = settings.terminal_id
    settings.terminal_id, settings.server_url, settings.service = (
        terminal_id, server_url, info.service)
    save_settings(state.home, settings)
    if old_id and old_id != terminal_id:
        try:
            store.delete(old_id)
        except SecretsError:
            pass  # the old key is unreachable anyway: counter.toml names the new terminal
    service = info.service
    click.echo(f"terminal id: {terminal_id}")
    click.echo(f"terminal:    {info.name}")
    click.echo(f"service:     {service.display_name} ({service.name})")
    click.echo(f"provider:    {service.provider}")
    click.echo(f"settings:    {state.home}")
