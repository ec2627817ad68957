"""Resident portal: My Page accounts, registration tickets, sessions, rate events, outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("notify_points_granted", sa.Boolean(), nullable=False),
        sa.Column("notify_points_expired", sa.Boolean(), nullable=False),
        sa.Column("notify_password_changed", sa.Boolean(), nullable=False),
        sa.Column("notify_mykey", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _when("locked_until", nullable=True),
        _when("created_at"),
        _when("password_changed_at"),
        _when("expiry_noticed_for", nullable=True),
        _fk("portal_accounts", "mykey_pk", "mykeys"),
        _pk("portal_accounts"),
        sa.UniqueConstraint("mykey_pk", name=op.f("uq_portal_accounts_mykey_pk")),
    )
    op.create_table(
        "registration_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("terminal_pk", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        _when("not_after"),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        _fk("registration_tickets", "terminal_pk", "terminals"),
        _pk("registration_tickets"),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_registration_tickets_ticket_hash")),
    )
    op.create_index(
        op.f("ix_registration_tickets_terminal_pk"),
        "registration_tickets",
        ["terminal_pk"],
        unique=False,
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ticket_pk", sa.Uuid(), nullable=True),
        sa.Column("mykey_pk", sa.Uuid(), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        _when("ended_at", nullable=True),
        sa.Column("generated_count", sa.Integer(), nullable=False),
        sa.Column("generated_last", sa.String(length=8), nullable=True),
        sa.Column("duplicate_errors", sa.Integer(), nullable=False),
        sa.Column("suggested", sa.String(length=8), nullable=True),
        _fk("portal_sessions", "ticket_pk", "registration_tickets"),
        _fk("portal_sessions", "mykey_pk", "mykeys"),
        _pk("portal_sessions"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_portal_sessions_mykey_pk"), "portal_sessions", ["mykey_pk"], unique=False
    )
    op.create_table(
        "portal_rate_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=128), nullable=False),
        _when("at"),
        _pk("portal_rate_events"),
    )
    op.create_index(
        "ix_portal_rate_events_bucket_at", "portal_rate_events", ["bucket", "at"], unique=False
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        _when("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1024), nullable=True),
        _fk("mail_outbox", "mykey_pk", "mykeys"),
        _pk("mail_outbox"),
    )
    op.create_index(op.f("ix_mail_outbox_mykey_pk"), "mail_outbox", ["mykey_pk"], unique=False)
    op.create_index(op.f("ix_mail_outbox_sent_at"), "mail_outbox", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_outbox_sent_at"), table_name="mail_outbox")
    op.drop_index(op.f("ix_mail_outbox_mykey_pk"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_portal_rate_events_bucket_at", table_name="portal_rate_events")
    op.drop_table("portal_rate_events")
    op.drop_index(op.f("ix_portal_sessions_mykey_pk"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index(op.f("ix_registration_tickets_terminal_pk"), table_name="registration_tickets")
    op.drop_table("registration_tickets")
    op.drop_table("portal_accounts")
