"""The operator's trust settings: a CRL's grace, an expired anchor kept with a reason, and
settings that cannot be read (which refuse every certificate rather than relax)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.identity.models import CertificateBinding, IssuedLabel
from server.identity.policy import (
    CRL_GRACE_ENV,
    KEEP_EXPIRED_ANCHORS_ENV,
    OCSP_TIMEOUT_ENV,
    PolicyError,
    TrustPolicy,
)
from server.identity.x509util import der, fingerprint
from tests.unit.server.certs import Holder, make_ca, now
from tests.unit.server.conftest import Library
from tests.unit.server.helpers import assert_error, count
from tests.unit.server.test_revocation_attacks import _linked, forget_crls
from tests.unit.server.world import tap


def _expired_anchor_card(library: Library) -> tuple[str, Holder]:
    old = make_ca(
        3,
        "Expired Test CA",
        not_before=now() - dt.timedelta(days=3650),
        not_after=now() - dt.timedelta(days=1),
    )
    library.world.trust(old)
    holder = old.issue(5)
    _linked(library, holder, "OLDCA001", "2222222222")
    return fingerprint(der(old.certificate)), holder


def test_an_expired_anchor_kept_with_a_reason_is_used_and_logged(
    library: Library, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    anchor, holder = _expired_anchor_card(library)
    reason = "J-LIS successor CA not yet published (ticket OPS-7)"
    monkeypatch.setenv(KEEP_EXPIRED_ANCHORS_ENV, f"{anchor}={reason}")
    with caplog.at_level(logging.WARNING, logger="server.identity.certificates"):
        response = tap(library.desk, holder)
    assert response.status_code == 200, response.text
    assert response.json()["service_id"] == "2222222222"
    assert any(reason in r.getMessage() and anchor in r.getMessage() for r in caplog.records)


def test_keeping_another_anchor_does_not_keep_this_one(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, holder = _expired_anchor_card(library)
    monkeypatch.setenv(KEEP_EXPIRED_ANCHORS_ENV, f"{'ab' * 32}=some other CA")
    response = tap(library.desk, holder)
    assert "expired" in assert_error(response, 403, "certificate_untrusted")
    assert count(library.world.db, IssuedLabel) == 0


def test_a_crl_counts_for_the_grace_past_its_next_update(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_crls(library.world)
    library.world.import_crl(library.ca.crl(next_update=now() - dt.timedelta(hours=1)))
    monkeypatch.setenv(CRL_GRACE_ENV, str(2 * 3600))
    assert tap(library.desk, library.patron).status_code == 200
    monkeypatch.setenv(CRL_GRACE_ENV, str(1800))
    assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (CRL_GRACE_ENV, "a week"),
        (CRL_GRACE_ENV, "-1"),
        (CRL_GRACE_ENV, "inf"),
        (OCSP_TIMEOUT_ENV, "0"),
        (KEEP_EXPIRED_ANCHORS_ENV, "ab" * 32),  # no reason
        (KEEP_EXPIRED_ANCHORS_ENV, "abcd=too short a fingerprint"),
    ],
)
def test_a_setting_that_cannot_be_read_refuses_every_card(
    library: Library, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(PolicyError, match=name):
        TrustPolicy.from_environment({name: value})
    monkeypatch.setenv(name, value)
    bindings = count(library.world.db, CertificateBinding)
    message = assert_error(tap(library.desk, library.patron), 503, "revocation_unknown")
    assert name in message
    assert count(library.world.db, IssuedLabel) == 0
    assert count(library.world.db, CertificateBinding) == bindings


def test_the_defaults() -> None:
    policy = TrustPolicy.from_environment({})
    assert policy.crl_grace == dt.timedelta(0)
    assert policy.kept_expired_anchors == {}
    assert policy.ocsp_timeout_s > 0


def test_ca_list_says_which_expired_anchor_is_kept_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = make_ca(3, "Expired Test CA", not_before=now() - dt.timedelta(days=3650),
                  not_after=now() - dt.timedelta(days=1))  # fmt: skip
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, ["--database-url", url, *args])
        assert result.exit_code == 0, result.output
        return result.output

    cli("ca", "add", str(old.write(tmp_path / "old.pem")))
    assert "expired: refused" in cli("ca", "list")
    anchor = fingerprint(der(old.certificate))
    monkeypatch.setenv(KEEP_EXPIRED_ANCHORS_ENV, f"{anchor}=successor not yet published")
    assert "expired, kept: successor not yet published" in cli("ca", "list")
