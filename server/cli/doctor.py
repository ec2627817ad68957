"""``mykey-platform doctor``: what an operator should know before going live."""

from __future__ import annotations

import os

import click
from sqlalchemy.orm import Session

from server.audit.keys import AUDIT_KEY_ENV, AuditKeyMissing, audit_key, key_id
from server.cli.context import CliContext, DemoAnchorsTrusted, echo_fields, pass_cli
from server.identity.trust import active_anchors, demo_anchors
from server.migrate import current

#: set to ``1`` on a demo or training machine: demo trust anchors are then expected
DEMO_ENV = "MYKEY_PLATFORM_DEMO"


@click.command("doctor")
@pass_cli
def doctor(cli: CliContext) -> None:
    """Check the platform's set-up: the schema, the trust anchors, the audit key.

    Exit status 5 when a demo trust anchor (the test CA of ``demo-data``) is trusted and
    MYKEY_PLATFORM_DEMO is not 1: cards of that CA would be accepted as real ones.
    """

    def work(session: Session) -> tuple[int, list[str], str]:
        try:
            key = f"{key_id(audit_key(session))} (from {_key_source()})"
        except AuditKeyMissing as error:
            key = f"MISSING: {error}"
        demo = [anchor.subject for anchor in demo_anchors(session)]
        return len(active_anchors(session)), demo, key

    trusted, demo, key = cli.run(work)
    demo_mode = os.environ.get(DEMO_ENV, "").strip() == "1"
    echo_fields(
        database=cli.display_url,
        schema_revision=current(cli.db().engine),
        trust_anchors=trusted,
        demo_anchors=", ".join(demo) if demo else "none",
        demo_mode="yes" if demo_mode else "no",
        audit_key=key,
    )
    if demo and not demo_mode:
        raise DemoAnchorsTrusted(
            "demo trust anchors are trusted outside demo mode: retire them "
            f"(mykey-platform ca retire …) or set {DEMO_ENV}=1 on a demo machine"
        )
    if key.startswith("MISSING"):
        raise click.ClickException("no audit key")


def _key_source() -> str:
    return AUDIT_KEY_ENV if os.environ.get(AUDIT_KEY_ENV, "").strip() else "the database"


COMMANDS = [doctor]
