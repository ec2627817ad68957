"""The audit log as 16 hash chains, one head row each: appends of actors in different
chains no longer wait for one global row lock.

Existing events become chain 0 (their hashes are unchanged: chain 0's events hash as the
single chain did); heads 2 … 16 start at the genesis hash.

Revision ID: 0014_audit_chains
Revises: 0013_rate_counters
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_audit_chains"
down_revision: str | Sequence[str] | None = "0013_rate_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINS = 16
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint(op.f("pk_audit_events"), type_="primary")
        batch.create_primary_key(op.f("pk_audit_events"), ["chain", "seq"])
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("chain", server_default=None)
    with op.batch_alter_table("audit_head", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_audit_head_single_row"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_head_chain_ids"), f"id BETWEEN 1 AND {CHAINS}")
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    op.bulk_insert(head, [{"id": i, "seq": 0, "hash": GENESIS_HASH} for i in range(2, CHAINS + 1)])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_events WHERE chain <> 0")).scalar():
        raise RuntimeError("events in chains 1-15 cannot go back to one chain: export them first")
    op.execute("DELETE FROM audit_head WHERE id <> 1")
    with op.batch_alter_table("audit_head", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_audit_head_chain_ids"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_head_single_row"), "id = 1")
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.drop_constraint(op.f("pk_audit_events"), type_="primary")
        batch.create_primary_key(op.f("pk_audit_events"), ["seq"])
        batch.drop_column("chain")
