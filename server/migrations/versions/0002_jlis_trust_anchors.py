"""Trust J-LIS's JPKI user-authentication CAs by default (operators may retire them).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import uuid6
from alembic import op
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from server.identity.anchors import builtin_anchor_pems

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

anchors = sa.table(
    "trust_anchors",
    sa.column("id", sa.Uuid()),
    sa.column("fingerprint", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("der", sa.LargeBinary()),
    sa.column("not_before", sa.DateTime(timezone=True)),
    sa.column("not_after", sa.DateTime(timezone=True)),
    sa.column("builtin", sa.Boolean()),
    sa.column("added_at", sa.DateTime(timezone=True)),
    sa.column("retired_at", sa.DateTime(timezone=True)),
)


def _utc(moment: dt.datetime, dialect: str) -> dt.datetime:
    # the application's UTCDateTime keeps naive UTC in SQLite
    return moment.replace(tzinfo=None) if dialect == "sqlite" else moment


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    now = dt.datetime.now(dt.UTC)
    rows = []
    for pem in builtin_anchor_pems():
        cert = x509.load_pem_x509_certificate(pem)
        der = cert.public_bytes(Encoding.DER)
        rows.append(
            {
                "id": uuid.UUID(int=uuid6.uuid7().int),
                "fingerprint": hashlib.sha256(der).hexdigest(),
                "subject": cert.subject.rfc4514_string(),
                "der": der,
                "not_before": _utc(cert.not_valid_before_utc, dialect),
                "not_after": _utc(cert.not_valid_after_utc, dialect),
                "builtin": True,
                "added_at": _utc(now, dialect),
                "retired_at": None,
            }
        )
    op.bulk_insert(anchors, rows)


def downgrade() -> None:
    op.execute(anchors.delete().where(anchors.c.builtin.is_(True)))
