"""Audit log (hash-chained events and their head), address changes, provider API keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _audit() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _when("at"),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def _address_changes() -> None:
    op.create_table(
        "address_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        _when("changed_at"),
        _when("recorded_at"),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name=op.f("fk_address_changes_mykey_pk_mykeys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_changes")),
        sa.UniqueConstraint(
            "mykey_pk", "changed_at", name=op.f("uq_address_changes_mykey_pk_changed_at")
        ),
    )
    op.create_index(
        op.f("ix_address_changes_mykey_pk"), "address_changes", ["mykey_pk"], unique=False
    )
    op.create_index(
        op.f("ix_address_changes_recorded_at"), "address_changes", ["recorded_at"], unique=False
    )
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_pk", sa.Uuid(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["service_pk"], ["services.id"], name=op.f("fk_provider_keys_service_pk_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_provider_keys_key_hash")),
    )
    op.create_index(
        op.f("ix_provider_keys_service_pk"), "provider_keys", ["service_pk"], unique=False
    )


def upgrade() -> None:
    _audit()
    _address_changes()


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_keys_service_pk"), table_name="provider_keys")
    op.drop_table("provider_keys")
    op.drop_index(op.f("ix_address_changes_recorded_at"), table_name="address_changes")
    op.drop_index(op.f("ix_address_changes_mykey_pk"), table_name="address_changes")
    op.drop_table("address_changes")
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
