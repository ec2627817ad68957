"""How fresh each active anchor's revocation information is, for ``/v1/health`` and the
operator: the newest CRL's dates and age, and the last OCSP exchange."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from server.api.schemas import AnchorRevocation
from server.identity.policy import PolicyError, TrustPolicy
from server.identity.revocation import crl_is_fresh, newest_crl
from server.identity.trust import active_anchors


def anchor_revocation(session: Session, now: dt.datetime) -> list[AnchorRevocation]:
    """One entry per active anchor.  With a trust setting that cannot be read, no CRL
    counts as fresh (as the checks themselves refuse)."""
    try:
        policy: TrustPolicy | None = TrustPolicy.from_environment()
    except PolicyError:
        policy = None
    report = []
    for anchor in active_anchors(session):
        row = anchor.row
        crl = newest_crl(session, row.id)
        report.append(
            AnchorRevocation(
                fingerprint=row.fingerprint,
                subject=row.subject,
                crl_this_update=None if crl is None else crl.this_update,
                crl_next_update=None if crl is None else crl.next_update,
                crl_age_s=None if crl is None else (now - crl.this_update).total_seconds(),
                crl_fresh=policy is not None and crl_is_fresh(crl, now, policy),
                ocsp_url=row.ocsp_url,
                ocsp_checked_at=row.ocsp_checked_at,
                ocsp_ok=row.ocsp_ok,
                ocsp_error=row.ocsp_error,
            )
        )
    return sorted(report, key=lambda entry: entry.subject)
