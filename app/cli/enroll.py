"""``mykey-counter enroll``: make the terminal's key, register it, remember the service."""

from __future__ import annotations

import click

from app.cli.errors import fail, usage
from app.cli.state import CliState
from app.i18n import N_
from app.ports import TapError
from app.public_place import plain_http_refusal
from app.settings import save_settings

#: what ``enroll`` reports, line by line
REPORT = (N_("cli.enroll.terminal_id"), N_("cli.enroll.terminal"), N_("cli.enroll.service"),
          N_("cli.enroll.provider"), N_("cli.enroll.settings"))


@click.command()
@click.option("--server", "server_url", required=True, help="The platform, e.g. https://mykey.example.jp")
@click.option("--code", required=True, help="The one-time enrollment code from the provider.")
@click.pass_obj
def enroll(state: CliState, server_url: str, code: str) -> None:
    """Enroll this terminal: make its key, register it, remember the service."""
    from app.secrets import SecretsError

    settings = state.settings()
    texts = state.texts
    server_url = server_url.rstrip("/")
    if not server_url.startswith(("http://", "https://")):
        usage(texts.tr("cli.enroll.server_url"))
    refused = plain_http_refusal(server_url)
    if refused is not None:  # before the one-time code goes out in clear
        click.echo(f"error: {refused.message}", err=True)
        raise SystemExit(refused.exit_status)
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
        usage(f"{texts.tr('cli.enroll.key_not_stored', terminal_id=terminal_id)} ({e})")
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
    values = (terminal_id, info.name, f"{service.display_name} ({service.name})",
              service.provider, str(state.home))
    for name, value in zip(REPORT, values, strict=True):
        click.echo(f"{texts.tr(name)}: {value}")
