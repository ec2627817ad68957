"""Revocation that fails closed: where each anchor publishes its CRL and OCSP answers,
the last OCSP exchange per anchor, and the cache of verified OCSP answers.

Revision ID: 0009_revocation_status
Revises: 0008_card_rebinding
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_revocation_status"
down_revision: str | Sequence[str] | None = "0008_card_rebinding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("trust_anchors") as batch:
        batch.add_column(sa.Column("crl_url", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("ocsp_url", sa.String(length=2048), nullable=True))
        batch.add_column(_when("ocsp_checked_at", nullable=True))
        batch.add_column(sa.Column("ocsp_ok", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("ocsp_error", sa.String(length=512), nullable=True))
        batch.add_column(_when("crl_fetched_at", nullable=True))
        batch.add_column(sa.Column("crl_fetch_error", sa.String(length=512), nullable=True))
    op.create_table(
        "ocsp_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("anchor_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("revoked_at", nullable=True),
        _when("this_update"),
        _when("next_update"),
        _when("fetched_at"),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["trust_anchors.id"],
            name=op.f("fk_ocsp_responses_anchor_id_trust_anchors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocsp_responses")),
        sa.UniqueConstraint("anchor_id", "serial", name=op.f("uq_ocsp_responses_anchor_id_serial")),
    )


def downgrade() -> None:
    op.drop_table("ocsp_responses")
    with op.batch_alter_table("trust_anchors") as batch:
        for column in (
            "crl_fetch_error",
            "crl_fetched_at",
            "ocsp_error",
            "ocsp_ok",
            "ocsp_checked_at",
            "ocsp_url",
            "crl_url",
        ):
            batch.drop_column(column)
