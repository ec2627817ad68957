"""Every table of the platform, imported in one place so ``Base.metadata`` is complete."""

from server.db import Base
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
from server.ledger.models import Municipality
from server.terminals.models import Challenge, EnrollmentCode, RequestNonce, Terminal

__all__ = [
    "Base",
    "CertificateBinding",
    "Challenge",
    "Crl",
    "EnrollmentCode",
    "IssuedLabel",
    "Municipality",
    "MyKey",
    "RequestNonce",
    "RevokedCertificate",
    "Service",
    "ServiceLink",
    "Terminal",
    "TrustAnchor",
]
