"""Initial schema: identity, terminals, municipalities.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _uuid(name: str) -> sa.Column:
    return sa.Column(name, sa.Uuid(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "municipalities",
        _id(),
        _text("code", 6),
        _text("name", 128),
        _time("created_at"),
        _pk("municipalities"),
        _unique("municipalities", "code"),
    )
    op.create_table(
        "mykeys",
        _id(),
        _text("mykey_id", 8),
        _time("created_at"),
        _time("address_changed_at", nullable=True),
        _pk("mykeys"),
        _unique("mykeys", "mykey_id"),
    )
    op.create_table(
        "services",
        _id(),
        _text("name", 64),
        _text("display_name", 256),
        _text("provider", 256),
        _text("symbology", 16),
        _text("pattern", 256),
        _text("nw7_start", 1),
        _text("nw7_stop", 1),
        _text("check_digit", 8),
        _time("created_at"),
        _pk("services"),
        _unique("services", "name"),
    )
    op.create_table(
        "trust_anchors",
        _id(),
        _text("fingerprint", 64),
        _text("subject", 1024),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        _time("not_before"),
        _time("not_after"),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        _time("added_at"),
        _time("retired_at", nullable=True),
        _pk("trust_anchors"),
        _unique("trust_anchors", "fingerprint"),
    )
    op.create_table(
        "certificate_bindings",
        _id(),
        _uuid("mykey_pk"),
        _text("fingerprint", 64),
        _text("issuer", 1024),
        _text("serial", 64),
        _time("not_after"),
        _time("bound_at"),
        _fk("certificate_bindings", "mykey_pk", "mykeys"),
        _pk("certificate_bindings"),
        _unique("certificate_bindings", "fingerprint"),
    )
    _index("certificate_bindings", "mykey_pk")
    op.create_table(
        "crls",
        _id(),
        _uuid("anchor_id"),
        _text("fingerprint", 64),
        _text("issuer", 1024),
        _time("this_update"),
        _time("next_update", nullable=True),
        _text("crl_number", 64, nullable=True),
        sa.Column("revoked_count", sa.Integer(), nullable=False),
        _time("imported_at"),
        _fk("crls", "anchor_id", "trust_anchors"),
        _pk("crls"),
        _unique("crls", "fingerprint"),
    )
    _index("crls", "anchor_id")
    op.create_table(
        "enrollment_codes",
        _id(),
        _text("code_hash", 64),
        _uuid("service_pk"),
        _text("terminal_name", 128),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _fk("enrollment_codes", "service_pk", "services"),
        _pk("enrollment_codes"),
        _unique("enrollment_codes", "code_hash"),
    )
    op.create_table(
        "service_links",
        _id(),
        _uuid("mykey_pk"),
        _uuid("service_pk"),
        _text("external_id", 64),
        _time("linked_at"),
        sa.Column("valid", sa.Boolean(), nullable=False),
        _fk("service_links", "mykey_pk", "mykeys"),
        _fk("service_links", "service_pk", "services"),
        _pk("service_links"),
        _unique("service_links", "mykey_pk", "service_pk"),
        _unique("service_links", "service_pk", "external_id"),
    )
    op.create_table(
        "revoked_certificates",
        _id(),
        _uuid("anchor_id"),
        _text("serial", 64),
        _time("revoked_at"),
        _uuid("crl_id"),
        _fk("revoked_certificates", "anchor_id", "trust_anchors"),
        _fk("revoked_certificates", "crl_id", "crls"),
        _pk("revoked_certificates"),
        _unique("revoked_certificates", "anchor_id", "serial"),
    )
    _index("revoked_certificates", "crl_id")
    op.create_table(
        "terminals",
        _id(),
        _text("name", 128),
        _uuid("service_pk"),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        _uuid("enrollment_code_pk"),
        _time("enrolled_at"),
        _time("revoked_at", nullable=True),
        _fk("terminals", "enrollment_code_pk", "enrollment_codes"),
        _fk("terminals", "service_pk", "services"),
        _pk("terminals"),
        _unique("terminals", "enrollment_code_pk"),
    )
    _index("terminals", "service_pk")
    op.create_table(
        "challenges",
        _id(),
        _uuid("terminal_pk"),
        sa.Column("value", sa.LargeBinary(length=32), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _fk("challenges", "terminal_pk", "terminals"),
        _pk("challenges"),
    )
    _index("challenges", "terminal_pk")
    op.create_table(
        "request_nonces",
        _id(),
        _uuid("terminal_pk"),
        _text("nonce", 128),
        _time("expires_at"),
        _fk("request_nonces", "terminal_pk", "terminals"),
        _pk("request_nonces"),
        _unique("request_nonces", "terminal_pk", "nonce"),
    )


def downgrade() -> None:
    for table in (
        "request_nonces",
        "challenges",
        "terminals",
        "revoked_certificates",
        "service_links",
        "enrollment_codes",
        "crls",
        "certificate_bindings",
        "trust_anchors",
        "services",
        "mykeys",
        "municipalities",
    ):
        op.drop_table(table)
