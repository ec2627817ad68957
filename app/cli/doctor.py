"""``mykey-counter doctor``: readers, pcscd, enrollment, the platform and the clock."""

from __future__ import annotations

import click

from app.cli.state import CliState


@click.command()
@click.pass_obj
def doctor(state: CliState) -> None:
    """Check readers, pcscd, enrollment, the platform and the clock."""
    from app.doctor import DoctorDeps, failed, format_table, run_checks

    b = state.backends
    deps = DoctorDeps(
        list_readers=b.list_readers,
        key_store=b.key_store,
        make_client=b.make_client,
        fetch_health=b.fetch_health,
    )
    checks = run_checks(state.home, deps)
    click.echo(format_table(checks))
    if failed(checks):
        raise SystemExit(1)
