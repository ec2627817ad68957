"""The operator commands of ``mykey-platform``, run as a user runs them (subprocesses)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.migrate import head
from tests.fixtures.platform import run_platform_cli
from tests.unit.server.certs import make_ca

pytestmark = pytest.mark.integration


class Cli:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, *args: str) -> str:
        return run_platform_cli(self.database_url, *args).stdout

    def fails(self, *args: str) -> str:
        result = run_platform_cli(self.database_url, *args, check=False)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        return result.stderr


@pytest.fixture
def cli(platform_database_url: str) -> Cli:
    return Cli(platform_database_url)


def test_db_upgrade_reports_the_revision(cli: Cli) -> None:
    newest = head()  # the newest migration in server/migrations
    number = newest.split("_", 1)[0]  # revision ids are NNNN or NNNN_name
    assert number.isdigit() and int(number) >= 6
    first = cli("db", "upgrade")
    assert f"schema revision: {newest} (was None)" in first
    assert cli("db", "upgrade").splitlines()[-1] == f"schema revision: {newest}"


def test_ca_add_list_retire(cli: Cli, tmp_path: Path) -> None:
    ca = make_ca(0)
    pem = ca.write(tmp_path / "ca.pem")
    added = cli("ca", "add", str(pem))
    assert "anchor:" in added and "trusted" in added
    assert "MyKey Unit Test JPKI User Authentication CA" in added
    colon_fingerprint = ":".join(re.findall("..", ca.fingerprint)).upper()
    assert colon_fingerprint in added
    assert re.search(r"valid from:\s+\d{4}-\d\d-\d\d", added)
    assert "already trusted" in cli("ca", "add", str(pem))
    listing = cli("ca", "list")
    assert ca.fingerprint in listing and "built-in" in listing
    assert "retired" in cli("ca", "retire", colon_fingerprint)
    assert "no trust anchor" in cli.fails("ca", "retire", "00" * 32)


def test_ca_add_refuses_what_is_not_a_ca(cli: Cli, tmp_path: Path) -> None:
    leaf = make_ca(0).issue(1).write(tmp_path)
    assert "not a CA certificate" in cli.fails("ca", "add", str(leaf))
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    assert "holds no X.509 certificate" in cli.fails("ca", "add", str(junk))


def test_crl_import_verifies_the_signature(cli: Cli, tmp_path: Path) -> None:
    ca = make_ca(0)
    cli("ca", "add", str(ca.write(tmp_path / "ca.pem")))
    holders = [ca.issue(1), ca.issue(2)]
    good = tmp_path / "good.crl"
    good.write_bytes(ca.crl(*holders))
    out = cli("crl", "import", str(good))
    assert "issuer:" in out and "MyKey Unit Test" in out
    assert re.search(r"this update:\s+\d{4}-", out) and re.search(r"next update:\s+\d{4}-", out)
    assert re.search(r"revoked serials:\s+2", out)
    forged = tmp_path / "forged.crl"
    forged.write_bytes(ca.crl(*holders, signer=make_ca(5).key))
    message = cli.fails("crl", "import", str(forged))
    assert "does not verify against any trusted anchor" in message


def test_register_link_and_address_change(cli: Cli, tmp_path: Path) -> None:
    ca = make_ca(0)
    cli("ca", "add", str(ca.write(tmp_path / "ca.pem")))
    (tmp_path / "crl.pem").write_bytes(ca.crl())  # revocation fails closed: a fresh CRL
    cli("crl", "import", str(tmp_path / "crl.pem"))
    cli("service", "add", "lib", "--provider", "α市", "--barcode", "nw7", "--format", "[0-9]{10}")
    hanako = ca.issue(1).write(tmp_path / "hanako")
    out = cli("mykey", "register", "--cert", str(hanako), "--mykey-id", "HANAKO01")
    assert out.splitlines()[-1] == "HANAKO01"
    generated = cli("mykey", "register", "--cert", str(ca.issue(2).write(tmp_path / "b")))
    assert re.fullmatch(r"[A-Z0-9]{8}", generated.splitlines()[-1])
    taken = cli.fails("mykey", "register", "--cert", str(ca.issue(3).write(tmp_path / "c")),
                      "--mykey-id", "HANAKO01")  # fmt: skip
    assert "MyKey ID HANAKO01 is already taken" in taken
    linked = cli("service", "link", "--mykey-id", "HANAKO01", "--service", "lib",
                 "--service-id", "1234567890")  # fmt: skip
    assert "linked" in linked and "1234567890" in linked
    bad = cli.fails("service", "link", "--mykey-id", "HANAKO01", "--service", "lib",
                    "--service-id", "12AB")  # fmt: skip
    assert "does not match the ID format" in bad
    assert "address changed at" in cli("mykey", "address-changed", "--mykey-id", "HANAKO01")
    renewed = ca.issue(4).write(tmp_path / "renewed")
    assert (
        cli("mykey", "bind", "--cert", str(renewed), "--mykey-id", "HANAKO01",
            "--staff", "窓口 1", "--documents", "運転免許証").splitlines()[-1]  # fmt: skip
        == "HANAKO01"
    )


def test_register_refuses_an_untrusted_certificate(cli: Cli, tmp_path: Path) -> None:
    stranger = make_ca(5, "Stranger CA").issue(1).write(tmp_path)
    assert "certificate_untrusted" in cli.fails("mykey", "register", "--cert", str(stranger))


def test_service_add_options(cli: Cli) -> None:
    out = cli("service", "add", "lib", "--provider", "α市", "--barcode", "nw7",
              "--display-name", "α市立図書館", "--format", "[0-9]{10}", "--nw7-start", "B",
              "--nw7-stop", "C", "--check-digit", "mod16")  # fmt: skip
    assert "α市立図書館" in out and "B/C" in out and "mod16" in out
    assert "already exists" in cli.fails(
        "service", "add", "lib", "--provider", "x", "--barcode", "qr"
    )
    assert "Invalid value" in cli.fails(
        "service", "add", "x", "--provider", "x", "--barcode", "ean"
    )
    assert "lib" in cli("service", "list")


def test_terminal_add_prints_a_code_last(cli: Cli) -> None:
    cli("service", "add", "shop", "--provider", "商店街", "--barcode", "code128")
    out = cli("terminal", "add", "--service", "shop", "--name", "till 1")
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", out.splitlines()[-1])
    assert "no service named nope" in cli.fails(
        "terminal", "add", "--service", "nope", "--name", "x"
    )
