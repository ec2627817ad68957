"""The mail sender: delivers the outbox (:class:`~server.portal.models.OutboxMail`) by SMTP.

Each mail is claimed before it is sent (``sent_at`` set where it is still NULL, in its
own transaction), so two senders never deliver the same mail; a failed delivery gives
the claim back and records the error, and is tried again by the next run, at most
:data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from server.db import Database, utcnow
from server.portal.models import OutboxMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DEFAULT_SENDER = "MyKey Platform <noreply@mykey-platform.invalid>"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    sender: str = DEFAULT_SENDER
    starttls: bool = False
    timeout_s: float = 10.0


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int


def parse_smtp(text: str) -> tuple[str, int]:
    """``host:port`` (or ``host``, port 25)."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "25")
    if not host or not port.isdigit():
        raise ValueError(f"not host:port: {text!r}")
    return host, int(port)


def _pending(session: Session, limit: int) -> list[uuid.UUID]:
    query = (
        select(OutboxMail.id)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMail.created_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def _claim(db: Database, mail_id: uuid.UUID) -> OutboxMail | None:
    def work(session: Session) -> OutboxMail | None:
        result = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None))
            .values(sent_at=utcnow(), attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            return None
        return session.get(OutboxMail, mail_id)

    return db.transaction(work)


def _give_back(db: Database, mail_id: uuid.UUID, error: str) -> None:
    def work(session: Session) -> None:
        mail = session.get(OutboxMail, mail_id)
        if mail is not None:
            mail.sent_at = None
            mail.last_error = error[:1024]

    db.transaction(work)


def message_of(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mykey-platform.invalid")
    message["X-MyKey-Notice"] = mail.kind
    message.set_content(mail.body)
    return message


def send_pending(db: Database, smtp: SmtpSettings, limit: int = 100) -> SendReport:
    """Deliver up to ``limit`` pending mails through one SMTP connection."""
    ids = db.transaction(lambda session: _pending(session, limit))
    if not ids:
        return SendReport(0, 0)
    sent = failed = 0
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as connection:
        if smtp.starttls:
            connection.starttls()
        for mail_id in ids:
            mail = _claim(db, mail_id)
            if mail is None:
                continue  # another sender has it
            try:
                connection.send_message(message_of(mail, smtp.sender))
            except smtplib.SMTPException as error:
                log.warning("mail %s not delivered: %s", mail_id, error)
                _give_back(db, mail_id, str(error))
                failed += 1
            else:
                sent += 1
    return SendReport(sent, failed)
