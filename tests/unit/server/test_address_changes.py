"""Address-change notices: the J-LIS file import, lookups, and providers' fetches."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from server.cli import main
from server.identity.address_changes import AddressChange
from tests.unit.server.certs import Holder
from tests.unit.server.conftest import LIBRARY, LIBRARY_NUMBER, Library
from tests.unit.server.helpers import assert_error
from tests.unit.server.world import tap

MUSEUM, MUSEUM_NUMBER = "museum", "5550001111"
ENDPOINT = "/v1/providers/address-changes"
HEADER = "serial,issuer,sha256,changed_at\n"


def cli(library: Library, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", library.world.platform.database_url, *args])


def ok(library: Library, *args: str) -> str:
    result = cli(library, *args)
    assert result.exit_code == 0, result.output
    return result.output


def key_for(library: Library, service: str) -> str:
    return ok(library, "service", "credential", "add", service).strip().splitlines()[-1]


def sha256(holder: Holder) -> str:
    return hashlib.sha256(holder.der).hexdigest()


def by_serial(holder: Holder) -> str:
    """``serial,"issuer",,`` (the sha256 column left empty), to be followed by changed_at."""
    issuer = holder.certificate.issuer.rfc4514_string().replace('"', '""')
    return f'{holder.certificate.serial_number:x},"{issuer}",,'


def just_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "jlis.csv"
    path.write_text("# J-LIS address changes\n" + HEADER + "".join(f"{ln}\n" for ln in lines))
    return path


def fetch(library: Library, key: str | None, **params: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return library.world.client.get(ENDPOINT, params=params, headers=headers)


def changes(library: Library) -> int:
    return library.world.db.transaction(
        lambda s: int(s.scalar(select(func.count()).select_from(AddressChange)) or 0)
    )


@pytest.fixture
def museum(library: Library) -> Library:
    """The library's patron also has a museum membership (another provider's service)."""
    library.world.add_service(MUSEUM)
    library.world.link(library.patron_mykey_id, MUSEUM, MUSEUM_NUMBER)
    return library


def test_import_reports_each_line_and_a_lookup_then_shows_the_change(
    library: Library, tmp_path: Path
) -> None:
    other = library.ca.issue(2)
    other_id = library.world.register(other)
    library.world.link(other_id, LIBRARY, "2222222222")
    stranger = library.ca.issue(3)
    path = write(
        tmp_path,
        f",,{sha256(library.patron)},{just_now()}",
        f"{by_serial(other)}{just_now()}",
        f",,{sha256(stranger)},2026-01-05",
    )
    assert tap(library.desk, library.patron).json()["address_changed"] is False
    output = ok(library, "address", "import", str(path))
    assert "1 unknown certificate" in output and "2 recorded" in output
    assert tap(library.desk, library.patron).json()["address_changed"] is True
    assert tap(library.desk, other).json()["address_changed"] is True


def test_a_dry_run_changes_nothing_and_a_reimport_changes_nothing(
    library: Library, tmp_path: Path
) -> None:
    path = write(tmp_path, f",,{sha256(library.patron)},{just_now()}")
    dry = ok(library, "address", "import", "--dry-run", str(path))
    assert "dry run" in dry and "1 recorded" in dry
    assert changes(library) == 0
    assert tap(library.desk, library.patron).json()["address_changed"] is False
    assert "1 recorded" in ok(library, "address", "import", str(path))
    again = ok(library, "address", "import", str(path))
    assert "0 recorded" in again and "1 already imported" in again
    assert changes(library) == 1


def test_invalid_lines_are_reported_and_the_rest_imported(library: Library, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f",,{sha256(library.patron)},{just_now()}",
        ",,abc,2026-01-05",
        f",,{sha256(library.patron)},2026-01-05T10:00:00",
        f",,{sha256(library.patron)},2999-01-01",
        "zz,CN=x,,2026-01-05",
        "only,three,columns",
    )
    result = cli(library, "address", "import", str(path))
    assert result.exit_code == 1
    for reason in ("64 hex", "no UTC offset", "future", "hexadecimal", "4 columns"):
        assert reason in result.output, reason
    assert "5 invalid line(s)" in result.output
    assert changes(library) == 1


def test_a_file_without_the_header_is_refused(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{sha256(library.patron)},2026-01-05\n")
    result = cli(library, "address", "import", str(path))
    assert result.exit_code == 1 and "header" in result.output


def test_a_provider_sees_only_its_own_service_ids_right_after_the_import(
    museum: Library, tmp_path: Path
) -> None:
    library_key, museum_key = key_for(museum, LIBRARY), key_for(museum, MUSEUM)
    since = just_now()
    assert fetch(museum, library_key, since=since).json()["changes"] == []
    ok(museum, "address", "import", str(write(tmp_path, f",,{sha256(museum.patron)},{just_now()}")))
    page = fetch(museum, library_key, since=since)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["service"] == LIBRARY and body["next_cursor"] is None
    assert [c["service_id"] for c in body["changes"]] == [LIBRARY_NUMBER]
    assert MUSEUM_NUMBER not in page.text and museum.patron_mykey_id not in page.text
    museum_page = fetch(museum, museum_key, since=since).json()
    assert [c["service_id"] for c in museum_page["changes"]] == [MUSEUM_NUMBER]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    assert fetch(museum, library_key, since=later).json()["changes"] == []


def test_a_provider_of_another_service_sees_none_of_them(museum: Library, tmp_path: Path) -> None:
    museum.world.add_service("pool")
    pool_key = key_for(museum, "pool")
    ok(museum, "address", "import", str(write(tmp_path, f",,{sha256(museum.patron)},{just_now()}")))
    body = fetch(museum, pool_key, since="2000-01-01").json()
    assert body == {"service": "pool", "changes": [], "next_cursor": None}


def test_keys_missing_unknown_or_revoked_are_401(library: Library) -> None:
    key = key_for(library, LIBRARY)
    assert fetch(library, key, since="2026-01-01").status_code == 200
    assert_error(fetch(library, None, since="2026-01-01"), 401, "provider_key_invalid")
    assert_error(fetch(library, "mkp_nonsense", since="2026-01-01"), 401, "provider_key_invalid")
    listing = ok(library, "service", "credential", "list", LIBRARY)
    key_id = listing.splitlines()[1].split()[0]
    assert key not in listing
    ok(library, "service", "credential", "revoke", key_id)
    assert_error(fetch(library, key, since="2026-01-01"), 401, "provider_key_invalid")


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-01-05T10:00:00", ""])
def test_a_malformed_since_is_400(library: Library, since: str) -> None:
    key = key_for(library, LIBRARY)
    assert_error(fetch(library, key, since=since), 400, "malformed")


def test_bad_cursor_and_limit_are_400(library: Library) -> None:
    key = key_for(library, LIBRARY)
    assert_error(fetch(library, key, since="2026-01-01", cursor="x"), 400, "malformed")
    assert_error(fetch(library, key, since="2026-01-01", limit="0"), 400, "malformed")


def test_pages_follow_the_cursor(library: Library, tmp_path: Path) -> None:
    lines = [f",,{sha256(library.patron)},{just_now()}"]
    for index in range(2, 6):
        holder = library.ca.issue(index)
        library.world.link(library.world.register(holder), LIBRARY, f"{index:010d}")
        lines.append(f",,{sha256(holder)},{just_now()}")
    ok(library, "address", "import", str(write(tmp_path, *lines)))
    key, seen, cursor = key_for(library, LIBRARY), [], None
    for _ in range(3):
        params = {"since": "2026-01-01", "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = fetch(library, key, **params).json()
        seen += [c["service_id"] for c in body["changes"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([LIBRARY_NUMBER, *(f"{i:010d}" for i in range(2, 6))])
    assert cursor is None


def test_a_fetch_is_audited_without_the_service_ids(library: Library, tmp_path: Path) -> None:
    from tests.unit.server.audit_helpers import events, raw_log

    key = key_for(library, LIBRARY)
    ok(
        library,
        "address",
        "import",
        str(write(tmp_path, f",,{sha256(library.patron)},{just_now()}")),
    )
    fetch(library, key, since="2026-01-01")
    fetch(library, "mkp_wrong", since="2026-01-01")
    fetched = [e for e in events(library.world.db) if e.action == "provider.address_changes"]
    assert [e.outcome for e in fetched] == ["ok", "provider_key_invalid"]
    assert '"count":1' in fetched[0].fields
    operator = [e.action for e in events(library.world.db) if e.actor_kind == "operator"]
    assert "address import" in operator and "service credential add" in operator
    raw = raw_log(library.world.db)
    assert LIBRARY_NUMBER not in raw and key not in raw


def test_an_operators_manual_mark_reaches_the_provider_too(library: Library) -> None:
    key, since = key_for(library, LIBRARY), just_now()
    ok(library, "mykey", "address-changed", "--mykey-id", library.patron_mykey_id)
    body = fetch(library, key, since=since).json()
    assert [c["service_id"] for c in body["changes"]] == [LIBRARY_NUMBER]
    assert tap(library.desk, library.patron).json()["address_changed"] is True
