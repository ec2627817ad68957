"""``mykey-platform ca …``: trust anchors (JPKI user-authentication CAs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import CliContext, echo_fields, echo_table, pass_cli
from server.db import utcnow
from server.identity.models import TrustAnchor
from server.identity.policy import PolicyError, TrustPolicy
from server.identity.trust import (
    add_anchor,
    list_anchors,
    retire_anchor,
    set_revocation_urls,
)
from server.identity.x509util import load_certificate


def _colon_hex(fingerprint: str) -> str:
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()


def _status(anchor: TrustAnchor, policy: TrustPolicy, now: dt.datetime) -> str:
    """Trusted or retired; an expired anchor is refused unless the operator keeps it."""
    if anchor.retired_at is not None:
        return f"retired {anchor.retired_at:%Y-%m-%d}"
    if anchor.not_after >= now:
        return "trusted"
    reason = policy.kept_expired_anchors.get(anchor.fingerprint)
    return "expired: refused" if reason is None else f"expired, kept: {reason}"


@click.group("ca")
def ca_group() -> None:
    """Trust anchors: the CA certificates card certificates must chain to."""


@ca_group.command("add")
@click.argument("pem", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def ca_add(cli: CliContext, pem: Path) -> None:
    """Trust the CA certificate in PEM (PEM or DER)."""
    try:
        certificate = load_certificate(pem.read_bytes())
    except ValueError as error:
        raise click.ClickException(f"{pem} holds no X.509 certificate: {error}") from error

    def work(session: Session) -> tuple[TrustAnchor, str]:
        return add_anchor(session, certificate)

    anchor, outcome = cli.run(work)
    echo_fields(
        anchor=outcome,
        subject=anchor.subject,
        valid_from=f"{anchor.not_before:%Y-%m-%d %H:%M:%S} UTC",
        valid_until=f"{anchor.not_after:%Y-%m-%d %H:%M:%S} UTC",
        sha256=_colon_hex(anchor.fingerprint),
    )


@ca_group.command("list")
@pass_cli
def ca_list(cli: CliContext) -> None:
    """List trust anchors, trusted and retired."""
    anchors = cli.run(list_anchors)
    try:
        policy = TrustPolicy.from_environment()
    except PolicyError as error:
        raise click.ClickException(str(error)) from error
    now = utcnow()
    echo_table(
        ("SHA-256", "STATUS", "SOURCE", "VALID UNTIL", "SUBJECT"),
        [
            (
                a.fingerprint,
                _status(a, policy, now),
                "built-in" if a.builtin else "DEMO" if a.demo else "operator",
                f"{a.not_after:%Y-%m-%d}",
                a.subject,
            )
            for a in anchors
        ],
    )


@ca_group.command("retire")
@click.argument("fingerprint")
@pass_cli
def ca_retire(cli: CliContext, fingerprint: str) -> None:
    """Stop trusting the anchor with this SHA-256 FINGERPRINT (hex, colons optional)."""

    def work(session: Session) -> TrustAnchor:
        return retire_anchor(session, fingerprint)

    anchor = cli.run(work)
    retired = "-" if anchor.retired_at is None else f"{anchor.retired_at:%Y-%m-%d}"
    echo_fields(
        anchor=f"retired {retired}", subject=anchor.subject, sha256=_colon_hex(anchor.fingerprint)
    )


@ca_group.command("urls")
@click.argument("fingerprint")
@click.option("--crl-url", default=None, help="the CA's CRL distribution point (http/https)")
@click.option("--ocsp-url", default=None, help="the CA's OCSP responder (http/https)")
@pass_cli
def ca_urls(cli: CliContext, fingerprint: str, crl_url: str | None, ocsp_url: str | None) -> None:
    """Where the anchor with this FINGERPRINT publishes its CRL (fetched by the scheduled
    jobs) and answers OCSP (asked first, the CRL as the fall-back); omitted: none."""

    def work(session: Session) -> TrustAnchor:
        return set_revocation_urls(session, fingerprint, crl_url=crl_url, ocsp_url=ocsp_url)

    anchor = cli.run(work)
    echo_fields(
        sha256=_colon_hex(anchor.fingerprint),
        crl_url=anchor.crl_url or "-",
        ocsp_url=anchor.ocsp_url or "-",
    )


COMMANDS = [ca_group]
