"""``mykey-platform serve``."""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

import click

from server.api.schemas import DEFAULT_PORT
from server.cli.context import CliContext, pass_cli
from server.db import DATABASE_URL_ENV, Database, utcnow
from server.jobs import run_scheduled, smtp_from_env
from server.ledger.jobs import PeriodicJobs


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
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="one log line per request (off for load tests and benchmarks)",
)
@click.option(
    "--jobs-every",
    "jobs_every_s",
    default=3600,
    show_default=True,
    type=click.IntRange(min=0),
    metavar="SECONDS",
    help="run the scheduled jobs (expiry, timed-out holds, notices; mail with "
    "MYKEY_PLATFORM_SMTP) this often; 0: never",
)
@pass_cli
def serve(
    cli: CliContext,
    host: str,
    port: int,
    workers: int,
    forwarded_allow_ips: str,
    log_level: str,
    access_log: bool,
    jobs_every_s: int,
) -> None:
    """Serve the platform's HTTP API (the schema is upgraded first)."""
    cli.db()
    cli.close()
    click.echo(f"MyKey Platform on http://{host}:{port} (database {cli.display_url})")
    jobs = None
    if jobs_every_s:
        smtp = smtp_from_env()

        def scheduled(db: Database) -> object:
            return run_scheduled(db, utcnow(), smtp)

        jobs = PeriodicJobs(cli.database_url, jobs_every_s, scheduled)
    if jobs is not None:
        click.echo(f"ledger jobs every {jobs_every_s} s")
        jobs.start()
        _stop_on_signals(jobs)
    try:
        _serve(cli, host, port, workers, forwarded_allow_ips, log_level, access_log)
    finally:
        if jobs is not None:
            jobs.stop()


def _stop_on_signals(jobs: PeriodicJobs) -> None:
    """Uvicorn re-raises SIGINT/SIGTERM after its shutdown: stop the jobs first, then let
    the signal end the process as before."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: FrameType | None) -> None:
        jobs.stop()
        click.echo("ledger jobs stopped", err=True)
        signal.signal(signum, previous[signal.Signals(signum)])
        signal.raise_signal(signum)

    for sig in previous:
        signal.signal(sig, handler)


def _serve(
    cli: CliContext,
    host: str,
    port: int,
    workers: int,
    forwarded_allow_ips: str,
    log_level: str,
    access_log: bool,
) -> None:
    import uvicorn  # the server stack loads only for this command

    from server.app import create_app

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "forwarded_allow_ips": forwarded_allow_ips,
    }
    if workers == 1:
        uvicorn.run(create_app(cli.database_url, migrate=False), **options)
        return
    os.environ[DATABASE_URL_ENV] = cli.database_url
    uvicorn.run("server.app:app_from_environment", factory=True, workers=workers, **options)


COMMANDS = [serve]
