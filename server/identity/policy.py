"""The operator's settings for certificate checks, read from the environment.

- ``MYKEY_PLATFORM_CRL_GRACE_S`` (default 0): seconds a CRL still counts after its next
  update.  Past that, certificates of its CA are ``revocation_unknown``.
- ``MYKEY_PLATFORM_KEEP_EXPIRED_ANCHORS``: anchors kept in use past their own validity,
  ``FINGERPRINT=REASON`` entries separated by ``;``.  The reason is required: it is
  logged each time the anchor is used so, and shown by ``ca list``.
- ``MYKEY_PLATFORM_OCSP_TIMEOUT_S`` (default 3): how long one OCSP request may take.

A value that cannot be read refuses every check (:class:`PolicyError`): the platform
never falls back to a laxer default.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.identity.x509util import normalise_fingerprint

CRL_GRACE_ENV = "MYKEY_PLATFORM_CRL_GRACE_S"
KEEP_EXPIRED_ANCHORS_ENV = "MYKEY_PLATFORM_KEEP_EXPIRED_ANCHORS"
OCSP_TIMEOUT_ENV = "MYKEY_PLATFORM_OCSP_TIMEOUT_S"
DEFAULT_OCSP_TIMEOUT_S = 3.0


class PolicyError(ValueError):
    """A setting that cannot be read; the message names it."""


@dataclass(frozen=True)
class TrustPolicy:
    crl_grace: dt.timedelta = dt.timedelta(0)
    #: fingerprint (lower-case hex) → the operator's reason for keeping it past expiry
    kept_expired_anchors: Mapping[str, str] = field(default_factory=dict)
    ocsp_timeout_s: float = DEFAULT_OCSP_TIMEOUT_S

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> TrustPolicy:
        env = os.environ if env is None else env
        return cls(
            crl_grace=dt.timedelta(seconds=_seconds(env, CRL_GRACE_ENV, 0.0)),
            kept_expired_anchors=_kept(env.get(KEEP_EXPIRED_ANCHORS_ENV, "")),
            ocsp_timeout_s=_seconds(env, OCSP_TIMEOUT_ENV, DEFAULT_OCSP_TIMEOUT_S, positive=True),
        )


def _seconds(env: Mapping[str, str], name: str, default: float, *, positive: bool = False) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError as error:
        raise PolicyError(f"{name}={text!r} is not a number of seconds") from error
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise PolicyError(f"{name}={text!r} is out of range")
    return value


def _kept(text: str) -> dict[str, str]:
    kept: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        fingerprint, _, reason = entry.partition("=")
        fingerprint = normalise_fingerprint(fingerprint)
        if len(fingerprint) != 64 or not reason.strip():
            raise PolicyError(
                f"{KEEP_EXPIRED_ANCHORS_ENV}: {entry!r} is not FINGERPRINT=REASON "
                "(a SHA-256 fingerprint and the reason for keeping the anchor)"
            )
        kept[fingerprint] = reason.strip()
    return kept
