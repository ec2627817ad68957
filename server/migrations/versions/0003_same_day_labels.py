"""Same-day labels: every label issued, and a per-service daily limit per card.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_issued_labels_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "issued_labels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("terminal_pk", sa.Uuid(), nullable=False),
        sa.Column("service_pk", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        _fk("terminal_pk", "terminals"),
        _fk("service_pk", "services"),
        _fk("mykey_pk", "mykeys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_labels")),
    )
    op.create_index(
        "ix_issued_labels_mykey_service_issued_at",
        "issued_labels",
        ["mykey_pk", "service_pk", "issued_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_issued_labels_issued_at"), "issued_labels", ["issued_at"], unique=False
    )
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("labels_per_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("labels_per_day")
    op.drop_index(op.f("ix_issued_labels_issued_at"), table_name="issued_labels")
    op.drop_index("ix_issued_labels_mykey_service_issued_at", table_name="issued_labels")
    op.drop_table("issued_labels")
