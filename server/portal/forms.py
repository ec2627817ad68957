"""The rules of the portal's forms, enforced here whatever the page's script did.

Each check answers message keys of :mod:`server.portal.i18n` per field; an empty dict
means the input is acceptable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from server.identity.mykey import is_valid_mykey_id
from server.portal.passwords import is_common_password, is_valid_password

#: a pragmatic address check: one @, a dot in the domain, no spaces
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
EMAIL_MAX = 254
NOTICE_FIELDS = (
    "notify_points_granted",
    "notify_points_expired",
    "notify_password_changed",
    "notify_mykey",
)


class Refused(Exception):
    """A step was refused; ``key`` is the message (see :mod:`server.portal.i18n`) and
    ``status`` the HTTP status to answer."""

    def __init__(self, key: str, status: int = 400) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


class FormErrors(Exception):
    """The form was refused: message keys per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Notices:
    points_granted: bool = False
    points_expired: bool = False
    password_changed: bool = False
    mykey: bool = False

    def any(self) -> bool:
        return self.points_granted or self.points_expired or self.password_changed or self.mykey


@dataclass(frozen=True)
class RegistrationForm:
    mykey_id: str
    password: str
    password_confirm: str
    email: str = ""
    email_confirm: str = ""
    notices: Notices = field(default_factory=Notices)
    default_municipality: str = ""


def password_errors(
    password: str, confirm: str, name: str = "password", mykey_id: str = ""
) -> dict[str, str]:
    """The password's first problem: missing, against the rule, common (or the MyKey ID
    itself), or not confirmed."""
    if not password:
        return {name: "password_required"}
    if not is_valid_password(password):
        return {name: "password_format"}
    if is_common_password(password, mykey_id):
        return {name: "password_common"}
    if confirm != password:
        return {f"{name}_confirm": "password_mismatch"}
    return {}


def email_errors(email: str, confirm: str, wants_notices: bool) -> dict[str, str]:
    if not email:
        if confirm:
            return {"email_confirm": "email_mismatch"}
        return {"email": "email_needed"} if wants_notices else {}
    if len(email) > EMAIL_MAX or _EMAIL.fullmatch(email) is None:
        return {"email": "email_format"}
    if confirm != email:
        return {"email_confirm": "email_mismatch"}
    return {}


def candidate_error(candidate: str) -> str | None:
    if not candidate:
        return "candidate_required"
    if not is_valid_mykey_id(candidate):
        return "candidate_format"
    return None


def registration_errors(form: RegistrationForm) -> dict[str, str]:
    """Every field's first problem (the candidate's availability is checked later)."""
    errors: dict[str, str] = {}
    problem = candidate_error(form.mykey_id)
    if problem:
        errors["mykey_id"] = problem
    errors.update(password_errors(form.password, form.password_confirm, mykey_id=form.mykey_id))
    errors.update(email_errors(form.email, form.email_confirm, form.notices.any()))
    return errors
