"""One tap, one operation: the operation a challenge was derived from, and the one
operation a card session allows (and the transfer that spent it).

Revision ID: 0010_operation_bound_sessions
Revises: 0009_revocation_status
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_operation_bound_sessions"
down_revision: str | Sequence[str] | None = "0009_revocation_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("operation", sa.String(length=512), nullable=True))
    with op.batch_alter_table("card_sessions") as batch:
        # sessions opened before this revision have no operation: they allow nothing
        batch.add_column(sa.Column("operation", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("transfer_pk", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card_sessions") as batch:
        batch.drop_column("spent_at")
        batch.drop_column("transfer_pk")
        batch.drop_column("operation")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("operation")
