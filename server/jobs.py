"""The platform's scheduled work, in one place: the ledger's due work (timed-out holds,
expiry, unassigned support points), the "MyKey ID expired" notices, purging expired
challenges, nonces, sessions, rate events and tickets (:mod:`server.housekeeping`),
fetching each trust anchor's CRL from its distribution point, and — when an SMTP server
is configured — delivering the e-mail outbox.

Run by ``mykey-platform jobs run`` (a systemd timer) or by ``serve --jobs-every``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
from dataclasses import dataclass

from server.db import Database
from server.housekeeping import PurgeReport, purge_expired
from server.identity.crl_fetch import CrlFetchReport, fetch_crls
from server.ledger.expiry import DueReport, run_due
from server.portal.expiry import notice_expired_mykeys
from server.portal.mail import SmtpSettings, parse_smtp, send_pending

log = logging.getLogger(__name__)

#: ``HOST:PORT`` of the SMTP server the scheduled work delivers notices through
SMTP_ENV = "MYKEY_PLATFORM_SMTP"


@dataclass(frozen=True)
class ScheduledReport:
    """What one run did: the ledger's report, MyKey IDs noticed as expired, mails."""

    ledger: DueReport
    mykeys_expired: int
    mails_sent: int = 0
    mails_failed: int = 0
    purged: PurgeReport = PurgeReport()
    crls: CrlFetchReport = CrlFetchReport()

    def fields(self) -> dict[str, int]:
        """Flat figures for the operator's output."""
        return {
            **{name: getattr(self.ledger, name) for name in self.ledger.__dataclass_fields__},
            "mykeys_expired": self.mykeys_expired,
            "mails_sent": self.mails_sent,
            "mails_failed": self.mails_failed,
            "crls_fetched": self.crls.fetched,
            "crls_failed": self.crls.failed,
        }


def smtp_from_env() -> SmtpSettings | None:
    """The SMTP server of ``MYKEY_PLATFORM_SMTP``, if set (a bad value is an error)."""
    text = os.environ.get(SMTP_ENV, "").strip()
    if not text:
        return None
    host, port = parse_smtp(text)
    return SmtpSettings(host=host, port=port)


def run_scheduled(
    db: Database, now: dt.datetime, smtp: SmtpSettings | None = None
) -> ScheduledReport:
    """One run of every scheduled task.  An unreachable SMTP server is logged and the
    mails stay in the outbox for the next run; the ledger's work is done regardless."""
    ledger = run_due(db, now)
    expired = notice_expired_mykeys(db, now)
    purged = purge_expired(db, now)
    crls = fetch_crls(db, now)
    if smtp is None:
        return ScheduledReport(ledger, expired, purged=purged, crls=crls)
    try:
        sent = send_pending(db, smtp)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("e-mail notices not sent (SMTP %s:%s): %s", smtp.host, smtp.port, error)
        return ScheduledReport(ledger, expired, purged=purged, crls=crls)
    return ScheduledReport(ledger, expired, sent.sent, sent.failed, purged, crls)
