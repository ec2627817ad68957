"""Every table of the platform, imported in one place so ``Base.metadata`` is complete."""

from server.audit.keys import PlatformSecret
from server.audit.models import AuditEvent, AuditHead
from server.db import Base
from server.identity.address_changes import AddressChange
from server.identity.link_codes import LinkCode
from server.identity.models import (
    CertificateBinding,
    Crl,
    IssuedLabel,
    MyKey,
    RevokedCertificate,
    Service,
    ServiceLink,
    TrustAnchor,
)
from server.identity.provider_keys import ProviderKey
from server.identity.renewals import CertificateRenewal
from server.ledger.models import Municipality
from server.portal.models import (
    OutboxMail,
    PortalAccount,
    PortalSession,
    RateEvent,
    RegistrationTicket,
)
from server.ratelimit import RateCounter
from server.staff.models import StaffAccount
from server.terminals.models import Challenge, EnrollmentCode, RequestNonce, Terminal

__all__ = [
    "StaffAccount",
    "AddressChange",
    "AuditEvent",
    "AuditHead",
    "ProviderKey",
    "Base",
    "CertificateBinding",
    "CertificateRenewal",
    "Challenge",
    "Crl",
    "EnrollmentCode",
    "IssuedLabel",
    "LinkCode",
    "Municipality",
    "MyKey",
    "OutboxMail",
    "PlatformSecret",
    "PortalAccount",
    "PortalSession",
    "RateCounter",
    "RateEvent",
    "RegistrationTicket",
    "RequestNonce",
    "RevokedCertificate",
    "Service",
    "ServiceLink",
    "Terminal",
    "TrustAnchor",
]
