"""Staff accounts with a credential of their own; grants and approvals by staff account;
daily grant caps per holder and per terminal.

Revision ID: 0011_staff_accounts
Revises: 0010_operation_bound_sessions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_staff_accounts"
down_revision: str | Sequence[str] | None = "0010_operation_bound_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("municipality_pk", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("credential_kind", sa.String(length=8), nullable=False),
        sa.Column("pin_hash", sa.String(length=256), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        _when("locked_until", nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_staff_accounts_municipality_pk_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_accounts_login")),
    )
    with op.batch_alter_table("municipalities") as batch:
        batch.add_column(sa.Column("grant_cap_holder_day", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("grant_cap_terminal_day", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("grant_requests") as batch:
        # grants asked before this revision were by typed name: they have no staff account
        batch.add_column(sa.Column("requested_by_staff_pk", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("decided_by_staff_pk", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_grant_requests_requested_by_staff_pk_staff_accounts"),
            "staff_accounts",
            ["requested_by_staff_pk"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_grant_requests_decided_by_staff_pk_staff_accounts"),
            "staff_accounts",
            ["decided_by_staff_pk"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("grant_requests") as batch:
        batch.drop_constraint(
            op.f("fk_grant_requests_decided_by_staff_pk_staff_accounts"), type_="foreignkey"
        )
        batch.drop_constraint(
            op.f("fk_grant_requests_requested_by_staff_pk_staff_accounts"), type_="foreignkey"
        )
        batch.drop_column("decided_by_staff_pk")
        batch.drop_column("requested_by_staff_pk")
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("grant_cap_terminal_day")
        batch.drop_column("grant_cap_holder_day")
    op.drop_table("staff_accounts")
