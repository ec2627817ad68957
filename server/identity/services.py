"""Services (library, shop …) and the holders' service IDs linked to their MyKey IDs."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import BarcodeSpec, ErrorCode, ServiceInfo
from server.db import utcnow
from server.errors import OperatorError, PlatformError
from server.identity.links import MAX_EXTERNAL_ID_LENGTH, link_confirmed
from server.identity.models import CONFIRMED_BY_OPERATOR, MyKey, Service, ServiceLink
from server.identity.mykey import get_mykey

_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def add_service(
    session: Session, name: str, *, display_name: str, provider: str, barcode: BarcodeSpec
) -> Service:
    """Create a service; its barcode spec says how terminals print and check its IDs."""
    if _SERVICE_NAME.fullmatch(name) is None:
        raise OperatorError(
            f"{name!r} is not a service name: lower-case letters, digits, '-' and '_', "
            "at most 64 characters"
        )
    try:
        re.compile(barcode.pattern)
    except re.error as error:
        raise OperatorError(f"--format is not a regular expression: {error}") from error
    if find_service(session, name) is not None:
        raise OperatorError(f"a service named {name} already exists")
    service = Service(
        name=name,
        display_name=display_name,
        provider=provider,
        symbology=barcode.symbology.value,
        pattern=barcode.pattern,
        nw7_start=barcode.nw7_start,
        nw7_stop=barcode.nw7_stop,
        check_digit=barcode.check_digit.value,
    )
    session.add(service)
    session.flush()
    return service


def find_service(session: Session, name: str) -> Service | None:
    return session.scalar(select(Service).where(Service.name == name))


def get_service(session: Session, name: str) -> Service:
    service = find_service(session, name)
    if service is None:
        raise OperatorError(f"no service named {name}")
    return service


def list_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)).all())


def barcode_spec(service: Service) -> BarcodeSpec:
    return BarcodeSpec.model_validate(
        {
            "symbology": service.symbology,
            "pattern": service.pattern,
            "nw7_start": service.nw7_start,
            "nw7_stop": service.nw7_stop,
            "check_digit": service.check_digit,
        }
    )


def service_info(service: Service) -> ServiceInfo:
    """The service as a terminal sees it."""
    return ServiceInfo(
        name=service.name,
        display_name=service.display_name,
        provider=service.provider,
        barcode=barcode_spec(service),
    )


def find_link(session: Session, mykey: MyKey, service: Service) -> ServiceLink | None:
    return session.scalar(
        select(ServiceLink).where(
            ServiceLink.mykey_pk == mykey.id, ServiceLink.service_pk == service.id
        )
    )


def link(
    session: Session, mykey_id: str, service_name: str, external_id: str
) -> tuple[ServiceLink, str]:
    """Link and confirm the holder's ID at a service (the operator is trusted); other
    holders' pending claims on the ID are dropped.  Return the link and what happened."""
    mykey = get_mykey(session, mykey_id)
    service = get_service(session, service_name)
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        raise OperatorError(f"a service ID has at most {MAX_EXTERNAL_ID_LENGTH} characters")
    if re.fullmatch(service.pattern, external_id) is None:
        raise OperatorError(
            f"{external_id!r} does not match the ID format of {service.name} ({service.pattern})"
        )
    try:
        return link_confirmed(session, mykey, service, external_id, CONFIRMED_BY_OPERATOR, utcnow())
    except PlatformError as error:
        if error.code is ErrorCode.SERVICE_ID_TAKEN:
            raise OperatorError(
                f"{service.name} ID {external_id} is linked to another MyKey ID"
            ) from error
        existing = find_link(session, mykey, service)
        shown = existing.external_id if existing is not None else "another ID"
        raise OperatorError(
            f"MyKey ID {mykey_id} is already linked to {service.name} ID {shown}"
        ) from error


def set_link_valid(session: Session, mykey_id: str, service_name: str, valid: bool) -> ServiceLink:
    """Mark the holder's service ID valid or invalid (e.g. a suspended library card)."""
    mykey = get_mykey(session, mykey_id)
    service = get_service(session, service_name)
    existing = find_link(session, mykey, service)
    if existing is None:
        raise OperatorError(f"MyKey ID {mykey_id} has no link to {service.name}")
    existing.valid = valid
    return existing
