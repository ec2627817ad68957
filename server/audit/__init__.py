"""The platform's append-only audit log: who did what, when, and the outcome.

Every audited operation appends one :class:`~server.audit.models.AuditEvent` inside its
own transaction with :func:`~server.audit.log.record`; the events form a SHA-256 hash
chain (:mod:`server.audit.chain`) that :func:`~server.audit.verify.verify` recomputes.
"""
