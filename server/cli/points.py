"""``mykey-platform municipality|shop|supporter|grant|points|ledger|jobs …``: the operator's
side of the municipal points ledger."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import Grant, GrantReason
from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.cli.staff import console_actor
from server.db import new_id, utcnow
from server.errors import OperatorError, PlatformError
from server.identity.mykey import get_mykey
from server.jobs import SMTP_ENV, run_scheduled, smtp_from_env
from server.ledger import admin, bulk, grants, holders
from server.ledger.audit import problems
from server.ledger.conversions import add_supporter
from server.ledger.models import Municipality, PointEvent, Shop, UsageRule
from server.ledger.rules import event_by_code, usable_at
from server.ledger.settlement import JST
from server.ledger.supporters import list_supporters, revoke_supporter
from server.ledger.transfers import request_digest

T = TypeVar("T")


def run_ledger(cli: CliContext, work: Callable[[Session], T]) -> T:
    """:meth:`CliContext.run`, with the ledger's refusals as operator errors."""

    def guarded(session: Session) -> T:
        try:
            return work(session)
        except PlatformError as error:
            raise OperatorError(f"refused ({error.code.value}): {error.message}") from error

    return cli.run(guarded)


def _positive(points: int) -> int:
    if points <= 0:
        raise click.BadParameter(f"{points}: an amount of points is a positive whole number")
    return points


def _uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a {what} (a UUID)") from None


# --- municipality -----------------------------------------------------------------------


@click.group("municipality")
def municipality_group() -> None:
    """Municipalities (by local government code), their rules and where points are usable."""


def _usage(session: Session, municipality: Municipality) -> str:
    rules = session.scalars(select(UsageRule).where(UsageRule.municipality_pk == municipality.id))
    places = [
        f"shop {session.get_one(Shop, r.shop_pk).code}" if r.shop_pk else f"category {r.category}"
        for r in rules
    ]
    return ", ".join(sorted(places)) or "-"


def _echo_rules(m: Municipality) -> None:
    echo_fields(
        municipality=f"{m.code} {m.name}",
        points_valid_days=m.points_valid_days,
        assign_after_days=m.assign_after_days,
        grant_approval_over=m.grant_approval_over,
        voucher_valid_days=m.voucher_valid_days,
        grant_cap_holder_day=m.grant_cap_holder_day or "-",
        grant_cap_terminal_day=m.grant_cap_terminal_day or "-",
    )


@municipality_group.command("add")
@click.argument("code")
@click.argument("name")
@pass_cli
def municipality_add(cli: CliContext, code: str, name: str) -> None:
    """Add a municipality: CODE is its local government code (e.g. 14130), NAME e.g. α市."""
    _echo_rules(run_ledger(cli, lambda s: admin.add_municipality(s, code, name)))


@municipality_group.command("list")
@pass_cli
def municipality_list(cli: CliContext) -> None:
    """List municipalities with their rules and where their points are usable."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (
                m.code,
                m.name,
                m.points_valid_days,
                m.assign_after_days,
                m.grant_approval_over,
                m.voucher_valid_days,
                _usage(session, m),
            )
            for m in session.scalars(select(Municipality).order_by(Municipality.code))
        ]

    echo_table(
        (
            "CODE",
            "NAME",
            "VALID DAYS",
            "ASSIGN AFTER",
            "APPROVAL OVER",
            "VOUCHER DAYS",
            "USABLE AT",
        ),
        run_ledger(cli, work),
    )


@municipality_group.command("rules")
@click.argument("code")
@click.option("--points-valid-days", type=int, help="granted points expire after N days")
@click.option("--assign-after-days", type=int, help="unassigned support points move after N days")
@click.option("--grant-approval-over", type=int, help="grants above N points need approval")
@click.option("--voucher-valid-days", type=int, help="vouchers are valid N days")
@click.option(
    "--grant-cap-holder-day", type=int, help="at most N points granted a holder a day (0: no cap)"
)
@click.option(
    "--grant-cap-terminal-day",
    type=int,
    help="at most N points granted at a terminal a day (0: no cap)",
)
@pass_cli
def municipality_rules(cli: CliContext, code: str, **rules: int | None) -> None:
    """Show the municipality's rules, changing those given."""
    _echo_rules(run_ledger(cli, lambda s: admin.set_rules(s, code, **rules)))


@municipality_group.command("allow")
@click.argument("code")
@click.option("--shop", "shop_code", help="one shop (by code)")
@click.option("--category", help="every shop of a category, e.g. retail, museum, bus")
@pass_cli
def municipality_allow(
    cli: CliContext, code: str, shop_code: str | None, category: str | None
) -> None:
    """Let the municipality's points be used at a shop, or every shop of a category."""

    if (shop_code is None) == (category is None):
        raise click.UsageError("give either --shop or --category")

    def work(session: Session) -> str:
        found = admin.municipality(session, code)
        shop_pk = admin.shop(session, shop_code).id if shop_code else None
        same = select(UsageRule).where(
            UsageRule.municipality_pk == found.id,
            UsageRule.shop_pk == shop_pk if shop_pk else UsageRule.category == category,
        )
        if session.scalar(same) is not None:
            raise OperatorError(f"{code} allows that already")
        admin.allow_usage(session, code, shop_code=shop_code, category=category)
        return _usage(session, found)

    echo_fields(municipality=code, usable_at=run_ledger(cli, work))


@municipality_group.group("event")
def event_group() -> None:
    """Special events of a municipality (each with its own holder accounts)."""


@event_group.command("add")
@click.argument("code")
@click.argument("event_code")
@click.argument("name")
@pass_cli
def event_add(cli: CliContext, code: str, event_code: str, name: str) -> None:
    """Add the event EVENT_CODE (e.g. a disaster recovery support event) to CODE."""

    def work(session: Session) -> PointEvent:
        found = admin.municipality(session, code)
        try:
            event_by_code(session, found, event_code)
        except PlatformError:
            return admin.add_event(session, code, event_code, name)
        raise OperatorError(f"{code} has an event {event_code} already")

    event = run_ledger(cli, work)
    echo_fields(municipality=code, event=event.code, name=event.name)


# --- shop -------------------------------------------------------------------------------


@click.group("shop")
def shop_group() -> None:
    """Shops, museums, bus lines … where points may be used."""


@shop_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--category", required=True, help="e.g. retail, museum, bus, tourism")
@pass_cli
def shop_add(cli: CliContext, code: str, name: str, category: str) -> None:
    """Add a shop."""
    added = run_ledger(cli, lambda s: admin.add_shop(s, code, name, category))
    echo_fields(shop=added.code, name=added.name, category=added.category)


@shop_group.command("list")
@pass_cli
def shop_list(cli: CliContext) -> None:
    """List shops and whose points they take."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (s.code, s.category, ", ".join(m.code for m in usable_at(session, s)) or "-", s.name)
            for s in session.scalars(select(Shop).order_by(Shop.code))
        ]

    echo_table(("CODE", "CATEGORY", "POINTS OF", "NAME"), run_ledger(cli, work))


# --- supporter --------------------------------------------------------------------------


@click.group("supporter")
def supporter_group() -> None:
    """Supporter companies that convert their points into support points."""


@supporter_group.command("add")
@click.argument("code")
@click.argument("name")
@pass_cli
def supporter_add(cli: CliContext, code: str, name: str) -> None:
    """Add a supporter company; its API key is the last line printed (shown only once)."""
    key = run_ledger(cli, lambda s: add_supporter(s, code, name))
    echo_fields(supporter=code, name=name, api_key="(next line; it is not stored: keep it now)")
    click.echo(key)


@supporter_group.command("list")
@pass_cli
def supporter_list(cli: CliContext) -> None:
    """List supporter companies."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (
                s.code,
                f"{s.created_at:%Y-%m-%d}",
                f"revoked {s.revoked_at:%Y-%m-%d}" if s.revoked_at else "active",
                s.name,
            )
            for s in list_supporters(session)
        ]

    echo_table(("CODE", "ADDED", "STATUS", "NAME"), run_ledger(cli, work))


@supporter_group.command("revoke")
@click.argument("code")
@pass_cli
def supporter_revoke(cli: CliContext, code: str) -> None:
    """Refuse further conversions with the company's API key."""
    revoked = run_ledger(cli, lambda s: revoke_supporter(s, code))
    echo_fields(supporter=revoked.code, revoked_at=f"{revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


# --- grant ------------------------------------------------------------------------------


@click.group("grant")
def grant_group() -> None:
    """Administrative points: grant, approve or reject, import a CSV file."""


def _echo_grant(grant: Grant) -> None:
    """The grant; its id is the last line, for scripts."""
    echo_fields(
        grant=grant.id,
        status=grant.status.value,
        municipality=grant.municipality_code,
        points=grant.points,
        reason=grant.reason,
        event=grant.event_code or "-",
        requested_by=grant.requested_by,
        decided_by=grant.decided_by or "-",
    )
    click.echo(grant.id)


@grant_group.command("give")
@click.argument("mykey_id")
@click.option("--municipality", "code", required=True)
@click.option("--points", required=True, type=int)
@click.option("--reason", required=True, type=click.Choice([r.value for r in GrantReason]))
@click.option("--event", "event_code", help="a special event's account instead of the regular one")
@click.option("--staff", "login", help="the staff account granting (its code is asked)")
@click.option("--operator", is_flag=True, help="granted by the operator, recorded as such")
@click.option("--id", "grant_id", help="the grant's UUID (run again with it: granted once)")
@pass_cli
def grant_give(
    cli: CliContext,
    mykey_id: str,
    code: str,
    points: int,
    reason: str,
    event_code: str | None,
    login: str | None,
    operator: bool,
    grant_id: str | None,
) -> None:
    """Grant points; above the municipality's threshold the grant awaits approval."""
    points = _positive(points)
    transfer_id = _uuid(grant_id, "grant id") if grant_id else new_id()
    by = console_actor(cli, login, operator, code)
    digest = request_digest(
        "grant-cli", mykey=mykey_id, municipality=code, points=points, reason=reason,
        event=event_code, staff=by.label,
    )  # fmt: skip

    def work(session: Session) -> Grant:
        municipality = admin.municipality(session, code)
        transfer = grants.grant_points(
            session,
            transfer_id=transfer_id,
            digest=digest,
            mykey_pk=get_mykey(session, mykey_id).id,
            municipality=municipality,
            points=points,
            reason=reason,
            by=by,
            event=event_by_code(session, municipality, event_code) if event_code else None,
            now=utcnow(),
        )
        return grants.describe(session, transfer)

    _echo_grant(run_ledger(cli, work))


@grant_group.command("pending")
@click.option("--municipality", "code", required=True)
@pass_cli
def grant_pending(cli: CliContext, code: str) -> None:
    """List the municipality's grants awaiting a second staff member's approval."""

    def work(session: Session) -> list[tuple[object, ...]]:
        return [
            (
                g.id,
                g.points,
                g.reason,
                g.event_code or "-",
                g.requested_by,
                f"{g.created_at.astimezone(JST):%Y-%m-%d %H:%M}",
            )
            for g in grants.awaiting(session, admin.municipality(session, code))
        ]

    echo_table(
        ("GRANT ID", "POINTS", "REASON", "EVENT", "REQUESTED BY", "AT (JST)"), run_ledger(cli, work)
    )


def _decide(cli: CliContext, grant_id: str, login: str, approve: bool) -> None:
    key = _uuid(grant_id, "grant id")
    code = run_ledger(cli, lambda s: grants.ledger_of(s, key))
    by = console_actor(cli, login, False, code)

    def work(session: Session) -> Grant:
        pending = grants.decide(
            session, key, by=by, approve=approve, decision_id=new_id(), now=utcnow()
        )
        return grants.describe(session, pending)

    _echo_grant(run_ledger(cli, work))


@grant_group.command("approve")
@click.argument("grant_id")
@click.option(
    "--staff", "login", required=True, help="the approving staff account (not the requester's)"
)
@pass_cli
def grant_approve(cli: CliContext, grant_id: str, login: str) -> None:
    """Approve a grant awaiting approval: the points reach the holder."""
    _decide(cli, grant_id, login, True)


@grant_group.command("reject")
@click.argument("grant_id")
@click.option(
    "--staff", "login", required=True, help="the deciding staff account (not the requester's)"
)
@pass_cli
def grant_reject(cli: CliContext, grant_id: str, login: str) -> None:
    """Reject a grant awaiting approval: the held points are released."""
    _decide(cli, grant_id, login, False)


@grant_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "code", required=True)
@click.option("--staff", "login", help="the staff account responsible (its code is asked)")
@click.option("--operator", is_flag=True, help="imported by the operator, recorded as such")
@click.option("--dry-run", is_flag=True, help="validate and report; grant nothing")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the per-row report (CSV)",
)
@pass_cli
def grant_import(
    cli: CliContext,
    file: Path,
    code: str,
    login: str | None,
    operator: bool,
    dry_run: bool,
    report: Path | None,
) -> None:
    """Grant the rows of a CSV file: mykey_id,points,reason[,event][,id] (UTF-8).

    Every row is checked first; if any is wrong nothing is granted.  Running the same
    file again grants nothing twice.  Exit status 1 when a row failed.
    """
    data = file.read_bytes()
    by = console_actor(cli, login, operator, code)
    try:
        outcome = bulk.run_import(cli.db(), data, code, by, utcnow(), dry_run=dry_run)
    except OperatorError as error:
        raise click.ClickException(f"{file}: {error}") from error
    echo_table(
        ("LINE", "MYKEY ID", "POINTS", "STATUS", "MESSAGE"),
        [(r.line, r.mykey_id, r.points_text, r.status.value, r.message) for r in outcome.rows],
    )
    if report is not None:
        with report.open("w", encoding="utf-8-sig", newline="") as out:
            bulk.write_report(outcome, out)
    awaiting = outcome.awaiting
    click.echo()
    echo_fields(
        rows=len(outcome.rows),
        granted_points=outcome.granted_points,
        awaiting_approval=f"{len(awaiting)} ({sum(r.points for r in awaiting)} points)",
        already_done=outcome.already_done,
        errors=outcome.errors,
    )
    if outcome.errors:
        what = "nothing was granted: fix the rows and run again" if not dry_run else "dry run"
        click.echo(f"Error: {outcome.errors} row(s) failed; {what}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing was granted")


# --- points -----------------------------------------------------------------------------


@click.group("points")
def points_group() -> None:
    """A holder's points: balances, history, assigning support points, the default account."""


@points_group.command("balance")
@click.argument("mykey_id")
@pass_cli
def points_balance(cli: CliContext, mykey_id: str) -> None:
    """The holder's accounts and their balances."""

    def work(session: Session) -> tuple[list[holders.AccountBalance], str | None]:
        mykey = get_mykey(session, mykey_id)
        return holders.balances(session, mykey.id), holders.default_municipality(session, mykey.id)

    lines, default = run_ledger(cli, work)
    echo_table(
        ("MUNICIPALITY", "NAME", "ACCOUNT", "BALANCE", "HELD", "NEXT EXPIRY", "EXPIRING"),
        [
            (
                b.municipality_code or "-",
                b.municipality_name or "-",
                f"event {b.event_code}" if b.event_code else b.kind,
                b.balance,
                b.held,
                b.next_expiry or "-",
                b.expiring_points,
            )
            for b in lines
        ],
    )
    click.echo(f"default municipality: {default or '-'}")


@points_group.command("history")
@click.argument("mykey_id")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@pass_cli
def points_history(cli: CliContext, mykey_id: str, limit: int) -> None:
    """The holder's movements of points, newest first."""

    def work(session: Session) -> list[holders.HistoryLine]:
        return holders.history(session, get_mykey(session, mykey_id).id, limit)

    echo_table(
        ("AT (JST)", "MUNICIPALITY", "CODE", "POINTS", "DESCRIPTION"),
        [
            (
                f"{h.at.astimezone(JST):%Y-%m-%d %H:%M}",
                h.municipality_code or "reserved",
                h.code,
                f"{h.amount:+}",
                h.description,
            )
            for h in run_ledger(cli, work)
        ],
    )


@points_group.command("assign")
@click.argument("mykey_id")
@click.option("--municipality", "code", required=True)
@click.option("--points", required=True, type=int)
@pass_cli
def points_assign(cli: CliContext, mykey_id: str, code: str, points: int) -> None:
    """Assign the holder's reserved support points to a municipality."""
    points = _positive(points)

    def work(session: Session) -> int:
        mykey = get_mykey(session, mykey_id)
        return holders.assign_reserved(session, mykey.id, code, points, new_id())

    echo_fields(mykey_id=mykey_id, municipality=code, assigned=run_ledger(cli, work))


@points_group.command("default")
@click.argument("mykey_id")
@click.argument("code")
@pass_cli
def points_default(cli: CliContext, mykey_id: str, code: str) -> None:
    """Set the holder's default municipality (unassigned support points move there)."""

    def work(session: Session) -> None:
        holders.set_default_municipality(session, get_mykey(session, mykey_id).id, code)

    run_ledger(cli, work)
    echo_fields(mykey_id=mykey_id, default_municipality=code)


# --- ledger, jobs -----------------------------------------------------------------------


@click.group("ledger")
def ledger_group() -> None:
    """The ledger as a whole."""


@ledger_group.command("check")
@pass_cli
def ledger_check(cli: CliContext) -> None:
    """Check the ledger's invariants from the transfers; exit status 1 on any problem."""
    found = run_ledger(cli, problems)
    if not found:
        click.echo("OK: every ledger sums to zero and every account agrees with its transfers")
        return
    for problem in found:
        click.echo(problem)
    click.echo(f"Error: {len(found)} problem(s)", err=True)
    sys.exit(1)


@click.group("jobs")
def jobs_group() -> None:
    """The ledger's scheduled job (also run by ``serve --jobs-every``)."""


def _instant(text: str | None) -> dt.datetime:
    if text is None:
        return utcnow()
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--now") from None
    return (when if when.tzinfo else when.replace(tzinfo=JST)).astimezone(dt.UTC)


@jobs_group.command("run")
@click.option("--now", "now_text", metavar="ISO8601", help="run as of this time (default: now; "
              "without an offset, Japan time)")  # fmt: skip
@pass_cli
def jobs_run(cli: CliContext, now_text: str | None) -> None:
    """Void timed-out holds, expire points and vouchers, move unassigned support points,
    queue "MyKey ID expired" notices, purge expired challenges, nonces, sessions, rate
    events and tickets; with MYKEY_PLATFORM_SMTP set, deliver the mails."""
    now = _instant(now_text)
    try:
        report = run_scheduled(cli.db(), now, smtp_from_env())
    except (OperatorError, PlatformError) as error:
        raise click.ClickException(str(error)) from error
    except ValueError as error:  # a malformed MYKEY_PLATFORM_SMTP
        raise click.ClickException(f"{SMTP_ENV}: {error}") from error
    echo_fields(as_of=f"{now.astimezone(JST):%Y-%m-%d %H:%M:%S} JST", **report.fields())
    echo_fields(**report.purged.fields())


COMMANDS = [
    municipality_group,
    shop_group,
    supporter_group,
    grant_group,
    points_group,
    ledger_group,
    jobs_group,
]
