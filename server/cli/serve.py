"""``mykey-platform serve``."""

from __future__ import annotations

import os

import click

from server.api.schemas import DEFAULT_PORT
from server.cli.context import CliContext, pass_cli
from server.db import DATABASE_URL_ENV


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="worker processes (the server keeps no state outside the database)",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="proxies trusted for X-Forwarded-Proto/For (request signatures cover the URL)",
)
@click.option("--log-level", default="info", show_default=True)
@pass_cli
def serve(
    cli: CliContext, host: str, port: int, workers: int, forwarded_allow_ips: str, log_level: str
) -> None:
    """Serve the platform's HTTP API (the schema is upgraded first)."""
    import uvicorn  # the server stack loads only for this command

    from server.app import create_app

    cli.db()
    cli.close()
    click.echo(f"MyKey Platform on http://{host}:{port} (database {cli.display_url})")
    if workers == 1:
        uvicorn.run(
            create_app(cli.database_url, migrate=False),
            host=host,
            port=port,
            log_level=log_level,
            forwarded_allow_ips=forwarded_allow_ips,
        )
        return
    os.environ[DATABASE_URL_ENV] = cli.database_url
    uvicorn.run(
        "server.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        forwarded_allow_ips=forwarded_allow_ips,
    )


COMMANDS = [serve]
