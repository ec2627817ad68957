"""The whole library-desk path, every part real: `mykey-counter` → pcscd → vpcd → our virtual
card, and `mykey-counter` → HTTP (RFC 9421 signed) → `mykey-platform serve` on SQLite or
PostgreSQL. Each bad case ends in its own exit status and one-line reason, and leaves the
card's PIN counter and the platform as they should be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.ports import EXIT_STATUS, ErrorKind
from drivers.vcard.holder import Holder, make_ca, make_holder, revoke
from tests.fixtures.pcscd import VPCD_READER, InsertCard, MakeHolder
from tests.fixtures.platform import PlatformServer, start_platform
from tests.fixtures.postgres import free_port
from tests.integration.server.test_revocation_served import forget_crls

pytestmark = pytest.mark.integration

SERVICE = "demo-library"
COUNTER = str(Path(sys.executable).parent / "mykey-counter")


@dataclass
class Desk:
    """A platform with our test CA trusted, the library service, and one enrolled counter."""

    platform: PlatformServer
    home: Path
    ca_dir: Path
    next_number: int = 1000000000

    def register(self, holder: Holder, *, link: bool = True) -> str:
        """Bind the holder's certificate to a new MyKey ID (and link a library number)."""
        cert = str(holder.directory / "cert.pem")
        out = self.platform.run_cli("mykey", "register", "--cert", cert)
        mykey_id = out.strip().splitlines()[-1]
        if link:
            self.next_number += 1
            self.platform.run_cli("service", "link", "--mykey-id", mykey_id, "--service", SERVICE,
                                  "--service-id", str(self.next_number))
        return mykey_id

    def lookup(self, pin: str = "1234", *extra: str,
               home: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COUNTER, "--home", str(home or self.home), "lookup", "--reader", VPCD_READER,
             "--pin-stdin", "--json", "--wait-s", "10", *extra],
            input=pin + "\n", capture_output=True, text=True, timeout=120, check=False)


def enroll(platform: PlatformServer, home: Path, name: str = "desk") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "counter.toml").write_text('secrets_backend = "file"\nfullscreen = false\n'
                                       'demo_mode = true\nallow_virtual_reader = true\n',
                                       encoding="utf-8")
    code = platform.run_cli("terminal", "add", "--service", SERVICE, "--name", name)
    code = code.strip().splitlines()[-1]
    done = subprocess.run([COUNTER, "--home", str(home), "enroll", "--server",
                           platform.base_url, "--code", code],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def make_desk(database_url: str, tmp: Path, ca_dir: Path) -> Iterator[Desk]:
    with start_platform(database_url, tmp) as platform:
        platform.run_cli("ca", "add", str(ca_dir / "ca.pem"))
        platform.run_cli("crl", "import", str(ca_dir / "crl.pem"))  # fails closed without
        platform.run_cli("service", "add", SERVICE, "--provider", "α市",
                         "--display-name", "α市立図書館", "--barcode", "nw7",
                         "--format", "[0-9]{10}", "--check-digit", "mod16")
        home = tmp / "counter"
        enroll(platform, home)
        yield Desk(platform, home, ca_dir)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, vcard_ca: Path) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("desk")
    yield from make_desk(f"sqlite:///{tmp / 'platform.db'}", tmp, vcard_ca)


def tries_left(holder: Holder) -> int:
    return Holder.load(holder.directory).tries_left


def assert_fails(done: subprocess.CompletedProcess[str], kind: ErrorKind) -> None:
    assert done.returncode == EXIT_STATUS[kind], (done.returncode, done.stdout, done.stderr)
    reason = done.stderr.strip().splitlines()[-1]
    assert reason, "a failure must say why"
    assert done.stdout.strip() == "", "nothing may be printed as a result on failure"


# --- success ----------------------------------------------------------------------------


def test_lookup_returns_only_the_service_id_and_flags(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    runner = insert_card(holder)
    done = desk.lookup()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"service_id": str(desk.next_number), "service": SERVICE, "valid": True,
                      "address_changed": False, "certificate_expires_soon": False}
    assert "1234" not in done.stderr  # the PIN is never echoed
    assert tries_left(holder) == 3
    # the driver selected nothing but the JPKI AP and its allowed EFs
    selects = [a for a in runner.apdu_log if a[1] == 0xA4]
    assert {bytes(a[5:]).hex().upper() for a in selects} <= {
        "D392F000260100000001", "000A", "000B", "0018", "0017", "0006"}


@pytest.mark.postgres
def test_lookup_on_postgresql(
    tmp_path: Path, vcard_ca: Path, postgres_database_url: str, pcscd: object,
    make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    for pg_desk in make_desk(postgres_database_url, tmp_path, vcard_ca):
        holder = make_vcard_holder()
        pg_desk.register(holder)
        insert_card(holder)
        done = pg_desk.lookup()
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["service_id"] == str(pg_desk.next_number)


def test_address_change_is_reported(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    mykey_id = desk.register(holder)
    desk.platform.run_cli("mykey", "address-changed", "--mykey-id", mykey_id)
    insert_card(holder)
    done = desk.lookup()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["address_changed"] is True


# --- PIN ------------------------------------------------------------------------------


def test_wrong_pin_says_tries_left_and_uses_one_try(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    insert_card(holder)
    done = desk.lookup("9999")
    assert_fails(done, ErrorKind.WRONG_PIN)
    assert "2" in done.stderr.strip().splitlines()[-1]
    assert "9999" not in done.stderr
    assert tries_left(holder) == 2


def test_last_try_is_refused_without_consent_and_costs_nothing(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder(tries_left=1)
    desk.register(holder)
    insert_card(holder)
    assert_fails(desk.lookup("1234"), ErrorKind.LAST_TRY_REFUSED)
    assert tries_left(holder) == 1
    done = desk.lookup("1234", "--allow-last-try")
    assert done.returncode == 0, done.stderr
    assert tries_left(holder) == 3  # a correct PIN resets the counter


def test_blocked_pin_sends_the_patron_to_the_municipal_office(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder(tries_left=0)
    desk.register(holder)
    insert_card(holder)
    assert_fails(desk.lookup(), ErrorKind.PIN_BLOCKED)
    assert tries_left(holder) == 0


# --- the card --------------------------------------------------------------------------


def test_a_card_without_jpki_is_not_a_my_number_card(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    insert_card(make_vcard_holder(jpki=False))
    assert_fails(desk.lookup(), ErrorKind.NOT_JPKI_CARD)


def test_card_pulled_out_while_reading(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    # probe: select AP, select 0018, read counter; then select AP, select 000A, read header,
    # and the card leaves during the certificate's chunks
    insert_card(holder, remove_after_apdus=7)
    assert_fails(desk.lookup(), ErrorKind.CARD_REMOVED)
    assert tries_left(holder) == 3


# --- the certificate -------------------------------------------------------------------


def test_revoked_certificate_is_refused(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    revoke(desk.ca_dir, holder.certificate_der)
    desk.platform.run_cli("crl", "import", str(desk.ca_dir / "crl.pem"))
    insert_card(holder)
    assert_fails(desk.lookup(), ErrorKind.CERTIFICATE_REVOKED)


def test_unknown_revocation_status_is_refused_with_its_own_exit_status(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    forget_crls(desk.platform.database_url)  # the platform lost its CRLs: it cannot know
    try:
        insert_card(holder)
        assert_fails(desk.lookup(), ErrorKind.REVOCATION_UNKNOWN)
        assert tries_left(holder) == 3
    finally:
        desk.platform.run_cli("crl", "import", str(desk.ca_dir / "crl.pem"))


def test_expired_certificate_is_refused(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    insert_card(make_vcard_holder(expired=True))
    assert_fails(desk.lookup(), ErrorKind.CERTIFICATE_EXPIRED)


def test_forged_certificate_from_a_look_alike_ca_is_untrusted(
    desk: Desk, pcscd: object, tmp_path: Path, insert_card: InsertCard
) -> None:
    # a CA with the very same name as the trusted one, but its own key
    forger = make_ca(tmp_path / "forger")
    holder = make_holder(tmp_path / "forged", forger)
    insert_card(holder)
    assert_fails(desk.lookup(), ErrorKind.CERTIFICATE_UNTRUSTED)


def test_unregistered_and_unlinked_holders(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard
) -> None:
    stranger = make_vcard_holder()
    runner = insert_card(stranger)
    assert_fails(desk.lookup(), ErrorKind.NOT_REGISTERED)
    runner.remove()
    unlinked = make_vcard_holder()
    desk.register(unlinked, link=False)
    insert_card(unlinked)
    assert_fails(desk.lookup(), ErrorKind.NOT_REGISTERED)


# --- the platform and the terminal -----------------------------------------------------


def test_platform_down_costs_no_pin_try(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard,
    tmp_path: Path
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    insert_card(holder)
    away = tmp_path / "away"
    away.mkdir()
    for name in ("counter.toml", "service.json", "keyring-plaintext.cfg"):
        if (desk.home / name).exists():
            (away / name).write_bytes((desk.home / name).read_bytes())
    toml = (away / "counter.toml").read_text(encoding="utf-8")
    toml = "\n".join(line for line in toml.splitlines() if not line.startswith("server_url"))
    (away / "counter.toml").write_text(
        f'{toml}\nserver_url = "http://127.0.0.1:{free_port()}"\n', encoding="utf-8")
    assert_fails(desk.lookup(home=away), ErrorKind.PLATFORM_UNREACHABLE)
    assert tries_left(holder) == 3


def test_terminal_not_enrolled_or_revoked(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard,
    tmp_path: Path
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    insert_card(holder)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "counter.toml").write_text(
        f'secrets_backend = "file"\nserver_url = "{desk.platform.base_url}"\n'
        'demo_mode = true\nallow_virtual_reader = true\n', encoding="utf-8")
    assert_fails(desk.lookup(home=fresh), ErrorKind.NOT_ENROLLED)

    other = tmp_path / "other"
    enroll(desk.platform, other, name="to be revoked")
    terminal_id = [line.split("=", 1)[1].strip().strip('"') for line in
                   (other / "counter.toml").read_text(encoding="utf-8").splitlines()
                   if line.startswith("terminal_id")][0]
    desk.platform.run_cli("terminal", "revoke", terminal_id)
    assert_fails(desk.lookup(home=other), ErrorKind.NOT_ENROLLED)
    assert tries_left(holder) == 3


# --- the kiosk, headless, as `make demo` runs it ---------------------------------------------


def test_kiosk_tap_headless_shows_number_and_scannable_barcode(
    desk: Desk, pcscd: object, make_vcard_holder: MakeHolder, insert_card: InsertCard,
    tmp_path: Path
) -> None:
    holder = make_vcard_holder()
    desk.register(holder)
    number = str(desk.next_number)
    shot = tmp_path / "result.png"
    kiosk = subprocess.Popen(
        [COUNTER, "--home", str(desk.home), "--demo-pin-stdin", "--screenshot", str(shot),
         "--once"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    insert_card(holder)
    out, err = kiosk.communicate("1234\n", timeout=120)
    assert kiosk.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["service_id"] == number
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(shot))]
    assert any(number in text for text in decoded), decoded
