"""The municipal points ledger: rules, shops, supporters, accounts, transfers, vouchers,
grant approvals, card sessions; terminals get their modes (scope), a key-rotation time,
and re-key codes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("code", name=op.f("uq_shops_code")),
    )
    op.create_table(
        "supporters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supporters")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_supporters_api_key_hash")),
        sa.UniqueConstraint("code", name=op.f("uq_supporters_code")),
    )
    op.create_table(
        "holder_preferences",
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("default_municipality_pk", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["default_municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_holder_preferences_default_municipality_pk_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name=op.f("fk_holder_preferences_mykey_pk_mykeys")
        ),
        sa.PrimaryKeyConstraint("mykey_pk", name=op.f("pk_holder_preferences")),
    )
    op.create_table(
        "point_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_pk", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_point_events_municipality_pk_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_events")),
        sa.UniqueConstraint(
            "municipality_pk", "code", name=op.f("uq_point_events_municipality_pk_code")
        ),
    )
    op.create_table(
        "usage_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_pk", sa.Uuid(), nullable=False),
        sa.Column("shop_pk", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "(shop_pk IS NULL) <> (category IS NULL)", name=op.f("ck_usage_rules_shop_or_category")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_usage_rules_municipality_pk_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_pk"], ["shops.id"], name=op.f("fk_usage_rules_shop_pk_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_rules")),
        sa.UniqueConstraint(
            "municipality_pk",
            "shop_pk",
            "category",
            name=op.f("uq_usage_rules_municipality_pk_shop_pk_category"),
        ),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("ledger", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("municipality_pk", sa.Uuid(), nullable=True),
        sa.Column("mykey_pk", sa.Uuid(), nullable=True),
        sa.Column("shop_pk", sa.Uuid(), nullable=True),
        sa.Column("supporter_pk", sa.Uuid(), nullable=True),
        sa.Column("event_pk", sa.Uuid(), nullable=True),
        sa.Column("no_overdraft", sa.Boolean(), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT no_overdraft OR debits_posted + debits_pending <= credits_posted",
            name=op.f("ck_accounts_no_overdraft"),
        ),
        sa.CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0"
            " AND credits_pending >= 0",
            name=op.f("ck_accounts_sums_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["event_pk"], ["point_events.id"], name=op.f("fk_accounts_event_pk_point_events")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_accounts_municipality_pk_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name=op.f("fk_accounts_mykey_pk_mykeys")
        ),
        sa.ForeignKeyConstraint(["shop_pk"], ["shops.id"], name=op.f("fk_accounts_shop_pk_shops")),
        sa.ForeignKeyConstraint(
            ["supporter_pk"], ["supporters.id"], name=op.f("fk_accounts_supporter_pk_supporters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_accounts_key")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_mykey_pk"), ["mykey_pk"], unique=False)

    op.create_table(
        "card_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("terminal_pk", sa.Uuid(), nullable=False),
        sa.Column("mykey_pk", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mykey_pk"], ["mykeys.id"], name=op.f("fk_card_sessions_mykey_pk_mykeys")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_pk"], ["terminals.id"], name=op.f("fk_card_sessions_terminal_pk_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_sessions")),
    )
    with op.batch_alter_table("card_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_sessions_terminal_pk"), ["terminal_pk"], unique=False
        )

    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("ledger", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("debit_account_pk", sa.Uuid(), nullable=False),
        sa.Column("credit_account_pk", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("post_pending", sa.Boolean(), nullable=False),
        sa.Column("void_pending", sa.Boolean(), nullable=False),
        sa.Column("pending_id", sa.Uuid(), nullable=True),
        sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("points_expire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("linked_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=256), nullable=True),
        sa.Column("terminal_pk", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_transfers_amount_positive")),
        sa.CheckConstraint(
            "debit_account_pk <> credit_account_pk", name=op.f("ck_transfers_two_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_pk"],
            ["accounts.id"],
            name=op.f("fk_transfers_credit_account_pk_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_pk"],
            ["accounts.id"],
            name=op.f("fk_transfers_debit_account_pk_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_id"], ["transfers.id"], name=op.f("fk_transfers_linked_id_transfers")
        ),
        sa.ForeignKeyConstraint(
            ["pending_id"], ["transfers.id"], name=op.f("fk_transfers_pending_id_transfers")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_pk"], ["terminals.id"], name=op.f("fk_transfers_terminal_pk_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("pending_id", name=op.f("uq_transfers_pending_id")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transfers_credit_account_expiry",
            ["credit_account_pk", "points_expire_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_transfers_debit_account_pk"), ["debit_account_pk"], unique=False
        )
        batch_op.create_index(
            "ix_transfers_ledger_created_at", ["ledger", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfers_linked_id"), ["linked_id"], unique=False)

    op.create_table(
        "grant_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pending_transfer_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pending_transfer_id"],
            ["transfers.id"],
            name=op.f("fk_grant_requests_pending_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_requests")),
        sa.UniqueConstraint(
            "pending_transfer_id", name=op.f("uq_grant_requests_pending_transfer_id")
        ),
    )
    op.create_table(
        "open_pendings",
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("debit_account_pk", sa.Uuid(), nullable=False),
        sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["debit_account_pk"],
            ["accounts.id"],
            name=op.f("fk_open_pendings_debit_account_pk_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_open_pendings_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("transfer_id", name=op.f("pk_open_pendings")),
    )
    with op.batch_alter_table("open_pendings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_pendings_debit_account_pk"), ["debit_account_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_open_pendings_timeout_at"), ["timeout_at"], unique=False
        )

    op.create_table(
        "vouchers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("municipality_pk", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("issue_transfer_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeem_transfer_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_transfer_id"],
            ["transfers.id"],
            name=op.f("fk_vouchers_issue_transfer_id_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_pk"],
            ["municipalities.id"],
            name=op.f("fk_vouchers_municipality_pk_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["redeem_transfer_id"],
            ["transfers.id"],
            name=op.f("fk_vouchers_redeem_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_vouchers_code_hash")),
        sa.UniqueConstraint("issue_transfer_id", name=op.f("uq_vouchers_issue_transfer_id")),
        sa.UniqueConstraint("number", name=op.f("uq_vouchers_number")),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_valid_until"), ["valid_until"], unique=False)

    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("points_valid_days", sa.Integer(), nullable=False, server_default="365")
        )
        batch_op.add_column(
            sa.Column("assign_after_days", sa.Integer(), nullable=False, server_default="90")
        )
        batch_op.add_column(
            sa.Column(
                "grant_approval_over", sa.BigInteger(), nullable=False, server_default="10000"
            )
        )
        batch_op.add_column(
            sa.Column("voucher_valid_days", sa.Integer(), nullable=False, server_default="180")
        )

    with op.batch_alter_table("enrollment_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terminal_pk", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_enrollment_codes_terminal_pk_terminals"),
            "terminals",
            ["terminal_pk"],
            ["id"],
        )

    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("modes", sa.String(length=64), nullable=False, server_default="lookup,label")
        )
        batch_op.add_column(sa.Column("shop_pk", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("key_rotated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("municipality_pk", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_terminals_municipality_pk_municipalities"),
            "municipalities",
            ["municipality_pk"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_terminals_shop_pk_shops"), "shops", ["shop_pk"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_terminals_shop_pk_shops"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_terminals_municipality_pk_municipalities"), type_="foreignkey"
        )
        batch_op.drop_column("municipality_pk")
        batch_op.drop_column("shop_pk")
        batch_op.drop_column("key_rotated_at")
        batch_op.drop_column("modes")

    with op.batch_alter_table("enrollment_codes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_enrollment_codes_terminal_pk_terminals"), type_="foreignkey"
        )
        batch_op.drop_column("terminal_pk")

    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.drop_column("voucher_valid_days")
        batch_op.drop_column("grant_approval_over")
        batch_op.drop_column("assign_after_days")
        batch_op.drop_column("points_valid_days")

    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vouchers_valid_until"))

    op.drop_table("vouchers")
    with op.batch_alter_table("open_pendings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_pendings_timeout_at"))
        batch_op.drop_index(batch_op.f("ix_open_pendings_debit_account_pk"))

    op.drop_table("open_pendings")
    op.drop_table("grant_requests")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_linked_id"))
        batch_op.drop_index("ix_transfers_ledger_created_at")
        batch_op.drop_index(batch_op.f("ix_transfers_debit_account_pk"))
        batch_op.drop_index("ix_transfers_credit_account_expiry")

    op.drop_table("transfers")
    with op.batch_alter_table("card_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_sessions_terminal_pk"))

    op.drop_table("card_sessions")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_mykey_pk"))

    op.drop_table("accounts")
    op.drop_table("usage_rules")
    op.drop_table("point_events")
    op.drop_table("holder_preferences")
    op.drop_table("supporters")
    op.drop_table("shops")
