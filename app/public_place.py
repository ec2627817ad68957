"""Settings a counter in a public place refuses: demo conveniences and plain HTTP.

- ``secrets_backend = "file"`` keeps the terminal's private key unencrypted in the counter's
  home: anyone who copies that directory can sign requests as this terminal. Only in demo
  mode (``demo_mode = true``).
- ``server_url`` must be ``https://``, but for the platform on this machine (a loopback
  address or ``localhost``): on the LAN or beyond, plain HTTP lets anyone on the path read
  the service IDs and change the answers.

Each refusal has its own exit status and a message (Japanese, then English) saying why and
how to fix it. Free of the settings module (which calls it) and of Qt.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.i18n import N_, Catalogue

#: exit status of every command (the kiosk included) when counter.toml sets file secrets
#: outside demo mode
FILE_SECRETS_STATUS = 52
#: exit status when the platform URL is plain http to a host other than this machine
PLAIN_HTTP_STATUS = 53

LOOPBACK_NAMES = ("localhost", "localhost.")


@dataclass(frozen=True)
class Refusal:
    """Why a setting is refused: its message (both languages) and exit status."""

    key: str
    message: str
    exit_status: int


def _both(message_id: str, **fields: object) -> str:
    return " / ".join(Catalogue(language).tr(message_id, **fields) for language in ("ja", "en"))


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and any address in 127.0.0.0/8 or ``::1``."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_refusal(server_url: str) -> Refusal | None:
    """The refusal of an ``http://`` URL to another machine; None when the URL is fine."""
    parts = urlsplit(server_url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        return None
    return Refusal("server_url", _both(N_("settings.refused.plain_http"), url=server_url),
                   PLAIN_HTTP_STATUS)


def file_secrets_refusal(secrets_backend: str, demo_mode: bool) -> Refusal | None:
    """The refusal of the plaintext key file outside demo mode; None when allowed."""
    if secrets_backend != "file" or demo_mode:
        return None
    return Refusal("secrets_backend", _both(N_("settings.refused.file_secrets")),
                   FILE_SECRETS_STATUS)


def refusal(server_url: str, secrets_backend: str, demo_mode: bool) -> Refusal | None:
    """The first refusal of these settings, or None."""
    return file_secrets_refusal(secrets_backend, demo_mode) or plain_http_refusal(server_url)
