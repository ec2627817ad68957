"""``/v1/health/revocation`` reports, per active anchor, the newest CRL's age and freshness and the
last OCSP exchange."""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

from server.api.schemas import RevocationHealth
from tests.fixtures.postgres import free_port
from tests.unit.server.certs import now
from tests.unit.server.conftest import Library
from tests.unit.server.test_ocsp import use_responder
from tests.unit.server.test_revocation_attacks import forget_crls
from tests.unit.server.world import tap


def ours(library: Library) -> dict[str, object]:
    response = library.world.client.get("/v1/health/revocation")
    assert response.status_code == 200
    health = RevocationHealth.model_validate(response.json())
    (entry,) = [e for e in health.revocation if e.fingerprint == library.ca.fingerprint]
    return entry.model_dump()


def test_a_fresh_crl_then_a_stale_one(library: Library) -> None:
    entry = ours(library)
    assert entry["crl_fresh"] is True and entry["ocsp_url"] is None
    forget_crls(library.world)
    assert ours(library)["crl_this_update"] is None
    library.world.import_crl(library.ca.crl(next_update=now() - dt.timedelta(hours=1)))
    entry = ours(library)
    assert entry["crl_fresh"] is False
    assert isinstance(entry["crl_age_s"], float) and entry["crl_age_s"] > 3600


def test_the_last_ocsp_exchange(library: Library) -> None:
    use_responder(library, f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    assert ours(library)["ocsp_ok"] is None
    assert tap(library.desk, library.patron).status_code == 200  # by the CRL
    entry = ours(library)
    assert entry["ocsp_ok"] is False and "unreachable" in str(entry["ocsp_error"])


def test_health_itself_reads_no_database(library: Library) -> None:
    """``/v1/health`` answers with the database gone (a load balancer's probe costs nothing)."""
    library.world.db.dispose()
    engine = library.world.db.engine
    engine.dispose()
    with patch.object(engine, "connect", side_effect=AssertionError("health read the database")):
        response = library.world.client.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["revocation"] == [] and response.json()["version"]
