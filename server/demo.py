"""Demo data: α市 with a library and a shop, a test CA and holders with virtual cards.

The virtual cards are made by the ``mykey-vcard`` console script (the counter's
drivers, which the platform never imports); this module only records, in one
transaction, what the platform needs to know about them.  Running it again reuses
what exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.schemas import BarcodeSpec, CheckDigit, Symbology
from server.db import utcnow
from server.demo_points import seed_points
from server.errors import PlatformError
from server.identity.certificates import verify_certificate
from server.identity.crl import import_crl
from server.identity.models import MyKey, Service, TrustAnchor
from server.identity.mykey import binding_of, find_mykey, register
from server.identity.rebinding import staff_bind
from server.identity.services import add_service, find_service, link
from server.identity.trust import add_anchor
from server.identity.x509util import der, fingerprint, load_certificate
from server.ledger.municipalities import ensure_municipality
from server.terminals.enrollment import issue_code

MUNICIPALITY = ("14130", "α市")
LIBRARY = "demo-library"
SHOP = "demo-shop"


@dataclass(frozen=True)
class DemoService:
    name: str
    display_name: str
    provider: str
    barcode: BarcodeSpec


SERVICES = (
    DemoService(
        LIBRARY,
        "α市立図書館",
        "α市",
        BarcodeSpec(
            symbology=Symbology.NW7,
            pattern=r"[0-9]{10}",
            nw7_start="A",
            nw7_stop="A",
            check_digit=CheckDigit.NONE,
        ),
    ),
    DemoService(
        SHOP,
        "α市商店街ポイントカード",
        "α市商店街振興組合",
        BarcodeSpec(symbology=Symbology.CODE128, pattern=r"[0-9]{13}"),
    ),
)


@dataclass(frozen=True)
class DemoHolder:
    """A demo card holder: how ``mykey-vcard new`` makes the card, and the links."""

    name: str
    pin: str = "1234"
    vcard_flags: tuple[str, ...] = ()
    mykey_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)


HOLDERS = (
    DemoHolder("hanako", mykey_id="HANAKO01", links={LIBRARY: "1234567890", SHOP: "2000000000015"}),
    DemoHolder("taro", mykey_id="TARO0001", links={SHOP: "2000000000022"}),
    DemoHolder("revoked", vcard_flags=("--revoked",)),
    DemoHolder("expired", vcard_flags=("--expired",)),
)


@dataclass
class HolderOutcome:
    holder: DemoHolder
    directory: Path
    certificate: str = "valid"
    mykey_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class DemoOutcome:
    holders: list[HolderOutcome]
    enrollment_code: str
    made: list[str]


class NotDemoDatabase(Exception):
    """The database holds data that demo-data did not make: it is not seeded."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("; ".join(found))
        self.found = found


def foreign_data(session: Session) -> list[str]:
    """What in the database the demo did not make (empty for a new or demo database):
    trust anchors other than J-LIS's built-in ones and the demo CA, services and MyKey
    IDs other than the demo's."""
    found: list[str] = []
    anchors = session.scalar(
        select(func.count())
        .select_from(TrustAnchor)
        .where(TrustAnchor.builtin.is_(False), TrustAnchor.demo.is_(False))
    )
    if anchors:
        found.append(f"{anchors} trust anchor(s) not of the demo")
    services = session.scalar(
        select(func.count())
        .select_from(Service)
        .where(Service.name.not_in([s.name for s in SERVICES]))
    )
    if services:
        found.append(f"{services} service(s) not of the demo")
    demo_ids = [h.mykey_id for h in HOLDERS if h.mykey_id]
    mykeys = session.scalar(
        select(func.count()).select_from(MyKey).where(MyKey.mykey_id.not_in(demo_ids))
    )
    if mykeys:
        found.append(f"{mykeys} MyKey ID(s) not of the demo")
    return found


def seed(
    session: Session, ca_pem: bytes, crl_pem: bytes, holder_dirs: dict[str, Path]
) -> DemoOutcome:
    """Record the demo world; each step reuses what an earlier run made.  Raises
    :class:`NotDemoDatabase` (before changing anything) on a database with real data."""
    found = foreign_data(session)
    if found:
        raise NotDemoDatabase(found)
    made: list[str] = []
    _, created = ensure_municipality(session, *MUNICIPALITY)
    if created:
        made.append(f"municipality {MUNICIPALITY[0]} {MUNICIPALITY[1]}")
    for service in SERVICES:
        if find_service(session, service.name) is None:
            add_service(
                session,
                service.name,
                display_name=service.display_name,
                provider=service.provider,
                barcode=service.barcode,
            )
            made.append(f"service {service.name}")
    _, anchor_outcome = add_anchor(session, load_certificate(ca_pem), demo=True)
    if anchor_outcome != "already trusted":
        made.append("trust anchor: the demo CA")
    if not import_crl(session, crl_pem).already_imported:
        made.append("CRL of the demo CA")
    outcomes = [_holder(session, h, holder_dirs[h.name], made) for h in HOLDERS]
    seed_points(session, outcomes[0].mykey_id, made)  # 4,000 α and 5,000 β points
    code = issue_code(session, LIBRARY, "demo desk").code
    made.append("enrollment code for a demo-library terminal")
    return DemoOutcome(outcomes, code, made)


def _holder(
    session: Session, holder: DemoHolder, directory: Path, made: list[str]
) -> HolderOutcome:
    outcome = HolderOutcome(holder, directory)
    body = der(load_certificate((directory / "cert.pem").read_bytes()))
    try:
        verify_certificate(session, body, utcnow())
    except PlatformError as error:
        outcome.certificate = error.code.value.removeprefix("certificate_")
        return outcome  # a revoked or expired card cannot be registered
    binding = binding_of(session, fingerprint(body))
    if binding is None and holder.mykey_id and find_mykey(session, holder.mykey_id):
        binding = staff_bind(  # a new card for the same person
            session, body, holder.mykey_id, staff="demo-data", documents="demo"
        )
        made.append(f"new certificate of {holder.name} bound to {holder.mykey_id}")
    elif binding is None:
        binding = register(session, body, holder.mykey_id)
        made.append(f"MyKey ID {binding.mykey.mykey_id} for {holder.name}")
    outcome.mykey_id = binding.mykey.mykey_id
    for service_name, service_id in holder.links.items():
        _, status = link(session, outcome.mykey_id, service_name, service_id)
        if status == "linked":
            made.append(f"{service_name} ID {service_id} of {holder.name}")
        outcome.links[service_name] = service_id
    return outcome
