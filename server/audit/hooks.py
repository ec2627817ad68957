"""The audit events of each audited operation: one function per operation, building the
:class:`~server.audit.log.AuditSpec` its service function passes to
:func:`~server.audit.log.audited`.

Each records only what the operation needed to be understood later: the terminal, the
certificate's SHA-256 (never the certificate), transfer ids, amounts, municipality codes.
Never a PIN (the platform never sees a card's; a staff PIN or TOTP code is never
recorded), a service ID or a MyKey ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from server.audit.keys import mykey_fields
from server.audit.log import Actor, AuditSpec, sha256_hex

if TYPE_CHECKING:
    from server.api.schemas import (
        ApprovalRequest,
        ConversionRequest,
        Grant,
        GrantRequestBody,
        PaymentRequest,
        RedeemRequest,
        RefundRequest,
        ResolveRequest,
        VoucherRequest,
    )
    from server.terminals.models import Terminal


def terminal_actor(terminal: Terminal) -> Actor:
    return Actor("terminal", str(terminal.id))


def lookup(terminal: Terminal, certificate_der: bytes, *, label: bool) -> AuditSpec:
    """A lookup (or a same-day label): terminal, service, the certificate's SHA-256."""
    return AuditSpec(
        terminal_actor(terminal),
        "label" if label else "lookup",
        {"service": terminal.service.name, "certificate_sha256": sha256_hex(certificate_der)},
    )


def card_session(terminal: Terminal, certificate_der: bytes) -> AuditSpec:
    """A card tapped at a points terminal (shop, grant, voucher): the certificate's SHA-256."""
    return AuditSpec(
        terminal_actor(terminal),
        "card_session",
        {"service": terminal.service.name, "certificate_sha256": sha256_hex(certificate_der)},
    )


def _enrolled(terminal: Terminal) -> Mapping[str, object]:
    return {"terminal_id": str(terminal.id), "service": terminal.service.name}


def enrollment(code_hash: str) -> AuditSpec:
    """An enrollment attempt, known by its code's hash (the prefix ``code_hash[:16]``);
    on success also the new terminal and its service."""
    return AuditSpec(
        Actor("enrollment", f"code:{code_hash[:16]}"), "enroll", {}, result_fields=_enrolled
    )


def payment_hold(terminal: Terminal, request: PaymentRequest) -> AuditSpec:
    return AuditSpec(
        terminal_actor(terminal),
        "payment.hold",
        {
            "transfer_id": request.id,
            "amount": request.amount,
            "municipality": request.municipality_code,
            "event": request.event_code,
        },
    )


def payment_finish(
    terminal: Terminal, payment_id: str, request: ResolveRequest, *, post: bool
) -> AuditSpec:
    return AuditSpec(
        terminal_actor(terminal),
        "payment.post" if post else "payment.void",
        {"payment_id": payment_id, "transfer_id": request.id},
    )


def payment_refund(terminal: Terminal, payment_id: str, request: RefundRequest) -> AuditSpec:
    return AuditSpec(
        terminal_actor(terminal),
        "payment.refund",
        {"payment_id": payment_id, "transfer_id": request.id, "amount": request.amount},
    )


def voucher_issue(terminal: Terminal, request: VoucherRequest) -> AuditSpec:
    """Points turned into a voucher (a payment): never the voucher's secret code."""
    return AuditSpec(
        terminal_actor(terminal),
        "voucher.issue",
        {"transfer_id": request.id, "points": request.points},
    )


def voucher_redeem(terminal: Terminal, request: RedeemRequest) -> AuditSpec:
    """A voucher used at a shop: the SHA-256 of its code (never the code)."""
    return AuditSpec(
        terminal_actor(terminal),
        "voucher.redeem",
        {"transfer_id": request.id, "code_sha256": sha256_hex(request.code)},
    )


def conversion(api_key: str, request: ConversionRequest) -> AuditSpec:
    """Support points credited by a supporter company, known by its key's SHA-256 prefix
    (never the key, never the MyKey ID credited)."""
    return AuditSpec(
        Actor("supporter", f"key:{sha256_hex(api_key.strip())[:16]}"),
        "conversion",
        {"transfer_id": request.id, "points": request.points},
    )


def _granted(grant: Grant) -> Mapping[str, object]:
    """The outcome, with the requester's and the approver's staff account ids."""
    return {
        "municipality": grant.municipality_code,
        "status": grant.status.value,
        "requested_by_staff_id": grant.requested_by_staff_id,
        "decided_by_staff_id": grant.decided_by_staff_id,
    }


def grant(
    terminal: Terminal, request: GrantRequestBody, staff_id: str | None = None
) -> AuditSpec:
    """A grant at a terminal: the staff login, and its account id once the code matched."""
    return AuditSpec(
        terminal_actor(terminal),
        "grant",
        {
            "transfer_id": request.id,
            "points": request.points,
            "reason": request.reason.value,
            "event": request.event_code,
            "staff_login": request.staff_login,  # never the code
            "staff_id": staff_id,
        },
        result_fields=_granted,
    )


def grant_decision(
    terminal: Terminal, grant_id: str, request: ApprovalRequest, staff_id: str | None = None
) -> AuditSpec:
    """An approval or rejection: the deciding staff account, and (from the result) the
    requester's and the approver's account ids."""
    return AuditSpec(
        terminal_actor(terminal),
        "grant.decide",
        {
            "grant_id": grant_id,
            "transfer_id": request.id,
            "approve": request.approve,
            "staff_login": request.staff_login,  # never the code
            "staff_id": staff_id,
        },
        result_fields=_granted,
    )


def portal_login(mykey_id: str, client: str) -> AuditSpec:
    """A My Page login: the client address, and the keyed digest (HMAC-SHA256 with the
    platform's audit key) of the MyKey ID typed — a plain hash of so small an ID space
    would be reversed by trying every ID."""
    return AuditSpec(
        Actor("portal", client),
        "portal.login",
        session_fields=lambda session: mykey_fields(session, mykey_id),
    )


def registration_ticket(terminal: Terminal, certificate_der: bytes) -> AuditSpec:
    """A registration ticket asked for at a counter: the certificate's SHA-256."""
    return AuditSpec(
        terminal_actor(terminal),
        "registration.ticket",
        {"certificate_sha256": sha256_hex(certificate_der)},
    )



def staff_rebind(
    terminal: Terminal, certificate_der: bytes, mykey_id: str, staff: str, documents: str
) -> AuditSpec:
    """A municipal desk bound a renewed card: the certificate's SHA-256, the keyed digest
    of the MyKey ID, the staff member and the kind of documents checked."""
    return AuditSpec(
        terminal_actor(terminal),
        "rebind.staff",
        {
            "certificate_sha256": sha256_hex(certificate_der),
            "staff": staff.strip(),
            "documents": documents.strip(),
        },
        session_fields=lambda session: mykey_fields(session, mykey_id),
    )
