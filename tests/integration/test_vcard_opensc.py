"""The virtual card through a real pcscd + vpcd, driven by OpenSC's own tools.

If OpenSC binds our card as a JPKI card and signs with it, the emulation is close enough to
the real card for a third party's driver, not only for ours.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from drivers.vcard.holder import Holder
from tests.fixtures.pcscd import (
    VPCD_READER,
    InsertCard,
    MakeHolder,
    list_readers,
    reader_state,
    wait_for_card,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pcscd")]

PKCS11_MODULES = [
    Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
    Path("/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so"),
    Path("/usr/lib/opensc-pkcs11.so"),
]
AUTH_TOKEN = "JPKI (User Authentication PIN)"
TOOL_TIMEOUT_S = 60

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def opensc_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """OpenSC without its file cache: every holder has the same dummy serial 00000000."""
    if shutil.which("pkcs15-tool") is None:
        pytest.fail("OpenSC is not installed: apt-get install opensc opensc-pkcs11")
    home = tmp_path_factory.mktemp("opensc")
    conf = home / "opensc.conf"
    conf.write_text("app default {\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n")
    return {**os.environ, "HOME": str(home), "OPENSC_CONF": str(conf)}


@pytest.fixture(scope="module")
def pkcs11_module() -> Path:
    for path in PKCS11_MODULES:
        if path.exists():
            return path
    pytest.fail("opensc-pkcs11.so not found: apt-get install opensc-pkcs11")


@pytest.fixture
def run(opensc_env: dict[str, str]) -> Run:
    """Run an OpenSC tool; fail with its output if it fails (unless ``check=False``)."""

    def run_tool(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args),
            env=opensc_env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    return run_tool


def reader_index() -> str:
    """OpenSC numbers the readers in PC/SC's order."""
    return str(list_readers().index(VPCD_READER))


def pem_to_der(pem: str) -> bytes:
    block = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem, re.S)
    assert block, pem
    return x509.load_pem_x509_certificate(block.group(0).encode()).public_bytes(
        serialization.Encoding.DER
    )


def pkcs11_sign(
    run: Run, module: Path, tmp_path: Path, pin: str, *, check: bool = True
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    message = tmp_path / "message.txt"
    message.write_bytes(b"MyKey challenge 0123456789")
    signature = tmp_path / "signature.bin"
    result = run(
        "pkcs11-tool", "--module", str(module), "--token-label", AUTH_TOKEN,
        "--login", "--pin", pin, "--sign", "--id", "01", "-m", "SHA256-RSA-PKCS",
        "--input-file", str(message), "--output-file", str(signature),
        check=check,
    )  # fmt: skip
    return result, message, signature


def test_opensc_names_it_jpki(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    insert_card(make_vcard_holder())
    result = run("opensc-tool", "--reader", reader_index(), "--name")
    assert result.stdout.strip() == "jpki"
    atr = run("opensc-tool", "--reader", reader_index(), "--atr").stdout.strip()
    assert atr == "3b:e0:00:ff:81:31:fe:45:14"


def test_pkcs15_lists_and_reads_the_user_auth_certificate(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    holder = make_vcard_holder()
    insert_card(holder)
    listing = run("pkcs15-tool", "--reader", reader_index(), "--list-certificates").stdout
    block = listing.split("X.509 Certificate [User Authentication Certificate]")[1]
    block = block.split("X.509 Certificate")[0]
    assert re.search(r"ID\s+:\s+01\b", block), listing
    assert re.search(r"Path\s+:\s+000a\b", block), listing
    assert f"{holder.certificate.serial_number:X}" in block.replace(" ", "").upper()
    read = run("pkcs15-tool", "--reader", reader_index(), "--read-certificate", "01")
    assert pem_to_der(read.stdout) == holder.certificate_der
    ca = run("pkcs15-tool", "--reader", reader_index(), "--read-certificate", "03")
    assert pem_to_der(ca.stdout) == holder.ca_certificate_der


def test_pkcs11_signature_verifies(
    make_vcard_holder: MakeHolder,
    insert_card: InsertCard,
    run: Run,
    pkcs11_module: Path,
    tmp_path: Path,
) -> None:
    holder = make_vcard_holder(tries_left=2)
    runner = insert_card(holder)
    _, message, signature_path = pkcs11_sign(run, pkcs11_module, tmp_path, "1234")
    signature = signature_path.read_bytes()
    assert len(signature) == 256
    public_key = holder.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signature, message.read_bytes(), padding.PKCS1v15(), hashes.SHA256())
    assert Holder.load(holder.directory).tries_left == 3  # a correct PIN resets the counter
    assert [a for a in runner.apdu_log if a[:4] == bytes.fromhex("802A0080")]


def test_pkcs11_wrong_pin_uses_a_try(
    make_vcard_holder: MakeHolder,
    insert_card: InsertCard,
    run: Run,
    pkcs11_module: Path,
    tmp_path: Path,
) -> None:
    holder = make_vcard_holder()
    runner = insert_card(holder)
    result, _, _ = pkcs11_sign(run, pkcs11_module, tmp_path, "9999", check=False)
    assert result.returncode != 0
    assert "CKR_PIN_INCORRECT" in result.stdout + result.stderr
    assert Holder.load(holder.directory).tries_left == 2  # persisted by the card
    assert not [a for a in runner.apdu_log if a[:4] == bytes.fromhex("802A0080")]


def test_opensc_reads_both_pin_counters_without_using_a_try(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    holder = make_vcard_holder(tries_left=2)
    runner = insert_card(holder)
    pins = run("pkcs15-tool", "--reader", reader_index(), "--list-pins").stdout
    auth, sign = pins.split("PIN [Digital Signature PIN]")
    assert "User Authentication PIN" in auth
    assert re.search(r"Tries left\s+:\s+2\b", auth), pins
    assert re.search(r"Tries left\s+:\s+5\b", sign), pins
    assert Holder.load(holder.directory).tries_left == 2
    assert bytes.fromhex("00A4020C02001B") in runner.apdu_log  # OpenSC asks the signing PIN
    assert not [a for a in runner.apdu_log if a[1] == 0x20 and len(a) > 4]


def test_blocked_card_shows_zero_tries(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    insert_card(make_vcard_holder(tries_left=0))
    pins = run("pkcs15-tool", "--reader", reader_index(), "--list-pins").stdout
    assert re.search(r"Tries left\s+:\s+0\b", pins.split("PIN [Digital Signature PIN]")[0])


def test_card_without_jpki_is_not_jpki(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    insert_card(make_vcard_holder(jpki=False))
    result = run("opensc-tool", "--reader", reader_index(), "--name", check=False)
    assert "jpki" not in result.stdout
    listing = run("pkcs15-tool", "--reader", reader_index(), "--list-certificates", check=False)
    assert "User Authentication Certificate" not in listing.stdout


def test_removal_and_insertion_seen_by_pcscd(
    make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    runner = insert_card(make_vcard_holder())
    present, atr = reader_state(VPCD_READER)
    assert present and atr == bytes.fromhex("3BE000FF8131FE4514")
    runner.remove()
    assert wait_for_card(VPCD_READER, present=False)
    runner.insert()
    assert wait_for_card(VPCD_READER, present=True)


def test_card_pulled_out_half_way(
    make_vcard_holder: MakeHolder, insert_card: InsertCard, run: Run
) -> None:
    runner = insert_card(make_vcard_holder(), remove_after_apdus=5)
    result = run("pkcs15-tool", "--reader", reader_index(), "--list-certificates", check=False)
    assert result.returncode != 0 or "User Authentication Certificate" not in result.stdout
    assert runner.wait_removed(10)
    assert wait_for_card(VPCD_READER, present=False)
    assert len(runner.apdu_log) == 5
