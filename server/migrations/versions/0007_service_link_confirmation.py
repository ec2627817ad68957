"""Service links the provider confirms: pending claims, one-time linking codes.

A link gets ``confirmed_at`` / ``confirmed_by``; the unique (service, service ID) becomes
unique among confirmed links only, so several holders may claim one ID while the
provider decides.  Links already in the database were made by the operator or by
residents under the old rules and are kept confirmed (``confirmed_by = 'migration'``).

Revision ID: 0007_service_link_confirmation
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_service_link_confirmation"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONFIRMED = sa.text("confirmed_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("service_links") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(length=16), nullable=True))
        batch.drop_constraint("uq_service_links_service_pk_external_id", type_="unique")
    op.execute("UPDATE service_links SET confirmed_at = linked_at, confirmed_by = 'migration'")
    op.create_index(
        "ix_service_links_service_pk_external_id",
        "service_links",
        ["service_pk", "external_id"],
        unique=False,
    )
    op.create_index(
        "uq_service_links_confirmed_external_id",
        "service_links",
        ["service_pk", "external_id"],
        unique=True,
        sqlite_where=_CONFIRMED,
        postgresql_where=_CONFIRMED,
    )
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_pk", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_pk"], ["services.id"], name=op.f("fk_link_codes_service_pk_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )
    op.create_index(op.f("ix_link_codes_service_pk"), "link_codes", ["service_pk"], unique=False)


def downgrade() -> None:
    """Back to one link per service ID: pending claims are dropped (they were never
    handed out), confirmed links kept."""
    op.drop_index(op.f("ix_link_codes_service_pk"), table_name="link_codes")
    op.drop_table("link_codes")
    op.execute("DELETE FROM service_links WHERE confirmed_at IS NULL")
    op.drop_index("uq_service_links_confirmed_external_id", table_name="service_links")
    op.drop_index("ix_service_links_service_pk_external_id", table_name="service_links")
    with op.batch_alter_table("service_links") as batch:
        batch.create_unique_constraint(
            "uq_service_links_service_pk_external_id", ["service_pk", "external_id"]
        )
        batch.drop_column("confirmed_by")
        batch.drop_column("confirmed_at")
