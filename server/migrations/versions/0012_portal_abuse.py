"""A portal that holds against abuse: login delays per (MyKey ID, client address)
instead of a lock-out per ID, and verified e-mail addresses.

Revision ID: 0012_portal_abuse
Revises: 0011_staff_accounts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_portal_abuse"
down_revision: str | Sequence[str] | None = "0011_staff_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name="fk_portal_login_failures_mykey_pk_mykeys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portal_login_failures"),
    )
    op.create_index(
        "ix_portal_login_failures_key",
        "portal_login_failures",
        ["mykey_pk", "client"],
        unique=True,
    )
    op.create_table(
        "portal_email_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name="fk_portal_email_verifications_mykey_pk_mykeys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portal_email_verifications"),
        sa.UniqueConstraint("token_hash", name="uq_portal_email_verifications_token_hash"),
    )
    op.create_index(
        "ix_portal_email_verifications_mykey_pk", "portal_email_verifications", ["mykey_pk"]
    )
    with op.batch_alter_table("portal_accounts") as batch:
        # addresses given before this revision were never verified: notices wait for it
        batch.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("portal_accounts") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("email_verified_at")
    op.drop_index("ix_portal_email_verifications_mykey_pk", "portal_email_verifications")
    op.drop_table("portal_email_verifications")
    op.drop_index("ix_portal_login_failures_key", "portal_login_failures")
    op.drop_table("portal_login_failures")
