"""Operator commands in the audit log: any command whose transaction wrote something.

:meth:`server.cli.context.CliContext.run` wraps each command's work with
:func:`audit_operator_changes`; when the work changed the database (an ORM flush, or an
INSERT / UPDATE / DELETE statement), the event ``operator:<OS user>`` / the command path
(e.g. ``service add``) / ``ok`` is appended in the same transaction.  Read-only commands
(lists, reports, ``audit export``) leave no event; refused commands roll back and leave
none either.  Arguments are not recorded: some are personal data (MyKey IDs, service IDs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from server.audit.log import OK, Actor, record

T = TypeVar("T")


def command_path() -> str:
    """The running click command without the program name, e.g. ``service add``."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "cli"
    _, _, rest = ctx.command_path.partition(" ")
    return rest or ctx.command_path


def audit_operator_changes(work: Callable[[Session], T]) -> Callable[[Session], T]:
    """``work``, recording an operator event when it wrote to the database."""

    def audited_work(session: Session) -> T:
        wrote: list[bool] = []

        def on_flush(_session: Session, _context: Any) -> None:
            wrote.append(True)

        def on_execute(state: ORMExecuteState) -> None:
            if state.is_insert or state.is_update or state.is_delete:
                wrote.append(True)

        event.listen(session, "after_flush", on_flush)
        event.listen(session, "do_orm_execute", on_execute)
        try:
            result = work(session)
            session.flush()
        finally:
            event.remove(session, "after_flush", on_flush)
            event.remove(session, "do_orm_execute", on_execute)
        if wrote:
            record(session, Actor.operator(), command_path(), OK)
        return result

    return audited_work
