"""Card renewal and housekeeping: retired certificate bindings, J-LIS's old → new
certificate linkage, the old card's proof on a registration ticket, demo trust anchors,
and the platform's audit key (HMAC of MyKey IDs in the audit log).

Revision ID: 0008_card_rebinding
Revises: 0007_service_link_confirmation
Create Date: 2026-12-03
"""

import datetime as dt
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_card_rebinding"
down_revision: str | Sequence[str] | None = "0007_service_link_confirmation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the name of the audit key's row in platform_secrets
AUDIT_KEY = "audit_hmac_key"


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _renewals() -> None:
    op.create_table(
        "certificate_renewals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("line_key", sa.String(length=64), nullable=False),
        sa.Column("old_sha256", sa.String(length=64), nullable=True),
        sa.Column("old_serial", sa.String(length=64), nullable=True),
        sa.Column("old_issuer", sa.String(length=1024), nullable=True),
        sa.Column("new_sha256", sa.String(length=64), nullable=True),
        sa.Column("new_serial", sa.String(length=64), nullable=True),
        sa.Column("new_issuer", sa.String(length=1024), nullable=True),
        _when("imported_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_renewals")),
        sa.UniqueConstraint("line_key", name=op.f("uq_certificate_renewals_line_key")),
    )
    op.create_index(
        op.f("ix_certificate_renewals_new_sha256"),
        "certificate_renewals",
        ["new_sha256"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certificate_renewals_new_serial"),
        "certificate_renewals",
        ["new_serial"],
        unique=False,
    )


def _secrets() -> None:
    table = op.create_table(
        "platform_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_platform_secrets")),
    )
    op.bulk_insert(
        table,
        [
            {
                "name": AUDIT_KEY,
                "value": secrets.token_bytes(32),
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )


def upgrade() -> None:
    with op.batch_alter_table("trust_anchors") as batch:
        batch.add_column(sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("certificate_bindings") as batch:
        batch.add_column(_when("retired_at", nullable=True))
        batch.add_column(sa.Column("retired_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("registration_tickets") as batch:
        batch.add_column(sa.Column("old_binding_pk", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("rebind_proof", sa.String(length=16), nullable=True))
        batch.create_foreign_key(
            op.f("fk_registration_tickets_old_binding_pk_certificate_bindings"),
            "certificate_bindings",
            ["old_binding_pk"],
            ["id"],
        )
    _renewals()
    _secrets()


def downgrade() -> None:
    op.drop_table("platform_secrets")
    op.drop_index(op.f("ix_certificate_renewals_new_serial"), table_name="certificate_renewals")
    op.drop_index(op.f("ix_certificate_renewals_new_sha256"), table_name="certificate_renewals")
    op.drop_table("certificate_renewals")
    with op.batch_alter_table("registration_tickets") as batch:
        batch.drop_constraint(
            op.f("fk_registration_tickets_old_binding_pk_certificate_bindings"),
            type_="foreignkey",
        )
        batch.drop_column("rebind_proof")
        batch.drop_column("old_binding_pk")
    with op.batch_alter_table("certificate_bindings") as batch:
        batch.drop_column("retired_reason")
        batch.drop_column("retired_at")
    with op.batch_alter_table("trust_anchors") as batch:
        batch.drop_column("demo")
