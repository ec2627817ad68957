"""Where a lookup flow's platform time goes: the platform's own functions, in-process.

No HTTP and no framework: the terminal's requests are built and signed by the real
:class:`PlatformClient` (not timed) and handed to the functions the endpoints call —
``authenticate`` (RFC 9421 + nonce, its own transaction), ``create_challenge`` and
``lookup`` — each timed with ``perf_counter``. SQL statements and commits are timed through
the engine, a cProfile pass over the same flows gives the cumulative time of the
interesting functions (cProfile inflates Python-heavy code such as SQLAlchemy), and the
crypto primitives are timed alone. The difference between this and the ``Server-Timing``
of the real server is the HTTP framework's share (routing, validation, thread-pool hops).
"""

from __future__ import annotations

import base64
import cProfile
import pstats
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.client import PATH_CHALLENGE, PATH_LOOKUP, PlatformClient, public_key_b64
from benchmarks.common import summary_ms
from benchmarks.desk import SERVICE, Patron
from drivers.vcard.holder import Holder
from server.api.schemas import BarcodeSpec, EnrollRequest, LookupRequest, Symbology
from server.db import Database
from server.identity.certificates import parse_certificate, verify_card_signature
from server.identity.lookup import lookup
from server.identity.mykey import register
from server.identity.services import add_service, link
from server.identity.trust import active_anchors, add_anchor
from server.migrate import upgrade
from server.terminals.challenges import create_challenge
from server.terminals.enrollment import enroll, issue_code
from server.terminals.signatures import SignedRequest, authenticate

FLOWS = 150
PRIMITIVE_ROUNDS = 300
CONCURRENT_THREADS = 8
CONCURRENT_FLOWS = 25  # per thread

#: cProfile rows to report: label → (path fragment, function name)
FUNCTIONS: dict[str, tuple[str, str]] = {
    "authenticate (both requests)": ("server/terminals/signatures.py", "authenticate"),
    "  RFC 9421 verify (library)": ("http_message_signatures/signatures.py", "verify"),
    "    terminal key lookup (DB)": ("server/terminals/signatures.py", "resolve_public_key"),
    "  nonce record (DB)": ("server/terminals/signatures.py", "_record_nonce"),
    "create_challenge": ("server/terminals/challenges.py", "create_challenge"),
    "lookup": ("server/identity/lookup.py", "lookup"),
    "  verify_certificate": ("server/identity/certificates.py", "verify_certificate"),
    "    parse card certificate": ("server/identity/certificates.py", "parse_certificate"),
    "    find_issuer (chain)": ("server/identity/trust.py", "find_issuer"),
    "      active_anchors (DB + parse)": ("server/identity/trust.py", "active_anchors"),
    "  verify_card_signature (RSA)": ("server/identity/certificates.py", "verify_card_signature"),
    "  consume challenge (DB)": ("server/terminals/challenges.py", "consume"),
    "  binding_of (DB)": ("server/identity/mykey.py", "binding_of"),
    "Database.transaction (all 4)": ("server/db.py", "transaction"),
}


class SqlTimer:
    """Counts and times SQL statements and commits on one engine (thread-safe).

    ``begin_waits`` keeps the duration of every ``BEGIN`` statement (SQLite's ``BEGIN
    IMMEDIATE``): under concurrency, that is the wait for the database's write lock.
    """

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.statement_s = 0.0
        self.commits = 0
        self.commit_s = 0.0
        self.begin_waits: list[float] = []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect
        inner = dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            t0 = time.perf_counter()
            try:
                inner(dbapi_connection)
            finally:
                elapsed = time.perf_counter() - t0
                with self._lock:
                    self.commits += 1
                    self.commit_s += elapsed

        dialect.do_commit = timed_commit  # type: ignore[method-assign]

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
        with self._lock:
            self.statements += 1
            self.statement_s += elapsed
            if statement.startswith("BEGIN"):
                self.begin_waits.append(elapsed)

    def reading(self) -> tuple[int, float, int, float]:
        return self.statements, self.statement_s, self.commits, self.commit_s


def _set_up(db: Database, ca_dir: Path, holders: Sequence[Holder], terminals: int
            ) -> tuple[list[Patron], list[tuple[str, Ed25519PrivateKey]]]:
    upgrade(db.engine)
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    barcode = BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}")

    def data(session: Session) -> tuple[list[Patron], list[str]]:
        add_anchor(session, ca)
        add_service(session, SERVICE, display_name="α市立図書館", provider="α市", barcode=barcode)
        patrons = []
        for i, holder in enumerate(holders):
            mykey_id = register(session, holder.certificate_der).mykey.mykey_id
            link(session, mykey_id, SERVICE, str(2_000_000_000 + i))
            patrons.append(Patron(holder.certificate_der, holder.private_key,
                                  str(2_000_000_000 + i)))
        codes = [issue_code(session, SERVICE, f"profile desk {i}").code for i in range(terminals)]
        return patrons, codes

    patrons, codes = db.transaction(data)
    enrolled = []
    for code in codes:
        key = Ed25519PrivateKey.generate()
        terminal = enroll(db, EnrollRequest(code=code, public_key=public_key_b64(key)))
        enrolled.append((str(terminal.id), key))
    return patrons, enrolled


def _signed(client: PlatformClient, path: str, body: LookupRequest | None = None
            ) -> tuple[SignedRequest, bytes]:
    request = client.build_request("POST", path, body)
    return SignedRequest(request.method, str(request.url), request.headers), request.content


def _flow(db: Database, client: PlatformClient, patron: Patron,
          timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    message, body = _signed(client, PATH_CHALLENGE)
    terminal = timed("authenticate_challenge", lambda: authenticate(db, message, body))
    challenge = timed("create_challenge", lambda: create_challenge(db, terminal))
    signature = patron.sign(base64.b64decode(challenge.challenge))
    request = LookupRequest(
        challenge_id=challenge.challenge_id,
        certificate=base64.b64encode(patron.certificate_der).decode(),
        signature=base64.b64encode(signature).decode(),
    )
    message, body = _signed(client, PATH_LOOKUP, request)
    terminal = timed("authenticate_lookup", lambda: authenticate(db, message, body))
    result = timed("lookup", lambda: lookup(db, terminal, request))
    if result.service_id != patron.service_id:
        raise AssertionError(f"profile: wrong answer {result.service_id}")


def _wall_pass(db: Database, client: PlatformClient, patrons: Sequence[Patron], sql: SqlTimer,
               flows: int) -> dict[str, Any]:
    steps: dict[str, list[float]] = defaultdict(list)
    sql_steps: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, call: Callable[[], Any]) -> Any:
        s0, t0 = sql.reading(), time.perf_counter()
        value = call()
        elapsed, s1 = time.perf_counter() - t0, sql.reading()
        steps[name].append(elapsed)
        sql_steps[name].append((s1[1] - s0[1]) + (s1[3] - s0[3]))
        return value

    before = sql.reading()
    for i in range(flows):
        _flow(db, client, patrons[i % len(patrons)], timed)
    after = sql.reading()
    totals = [sum(values) for values in zip(*steps.values(), strict=True)]
    return {
        "per_step": {name: summary_ms(values) for name, values in steps.items()},
        "per_flow": summary_ms(totals),
        "sql_and_commit_ms_per_step": {
            name: round(sum(values) * 1000 / flows, 3) for name, values in sql_steps.items()},
        "sql_per_flow": {
            "statements": round((after[0] - before[0]) / flows, 1),
            "statement_ms": round((after[1] - before[1]) * 1000 / flows, 3),
            "commits": round((after[2] - before[2]) / flows, 1),
            "commit_ms": round((after[3] - before[3]) * 1000 / flows, 3),
        },
    }


def _concurrent_pass(db: Database, clients: Sequence[PlatformClient], patrons: Sequence[Patron],
                     sql: SqlTimer) -> dict[str, Any]:
    """The same flows from several threads at once, as the server's thread pool runs them."""
    flows: list[float] = []
    begin_before = len(sql.begin_waits)

    def run(client: PlatformClient, offset: int) -> None:
        for i in range(CONCURRENT_FLOWS):
            t0 = time.perf_counter()
            _flow(db, client, patrons[(offset + i) % len(patrons)], lambda _n, call: call())
            flows.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    waits = sql.begin_waits[begin_before:]
    return {
        "threads": len(clients),
        "flows_per_s": round(len(flows) / wall, 1),
        "flow": summary_ms(flows),
        # BEGIN IMMEDIATE: SQLite's write lock (4 per flow); none on PostgreSQL
        "begin_wait": summary_ms(waits) if waits else None,
        "begin_wait_share_of_flow_time": round(sum(waits) / sum(flows), 3) if waits else None,
    }


def _cprofile_pass(db: Database, client: PlatformClient, patrons: Sequence[Patron],
                   flows: int) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(flows):
        _flow(db, client, patrons[i % len(patrons)], lambda _name, call: call())
    profiler.disable()
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())

    def cumulative(fragment: str, name: str) -> float:
        return sum(v[3] for (path, _line, func), v in raw.items()
                   if func == name and fragment in path.replace("\\", "/"))

    rows = {label: round(cumulative(*where) * 1000 / flows, 3)
            for label, where in FUNCTIONS.items()}
    top = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:12]
    return {
        "profiled_ms_per_flow": round(total * 1000 / flows, 3),
        "cumulative_ms_per_flow": rows,
        "top_tottime_ms_per_flow": [
            {"function": f"{Path(path).name}:{line}:{func}", "ms": round(v[2] * 1000 / flows, 3)}
            for (path, line, func), v in top],
    }


def _time_us(call: Callable[[], Any], rounds: int = PRIMITIVE_ROUNDS) -> float:
    call()
    t0 = time.perf_counter()
    for _ in range(rounds):
        call()
    return round((time.perf_counter() - t0) * 1e6 / rounds, 1)


def _primitives(db: Database, patron: Patron) -> dict[str, Any]:
    key = Ed25519PrivateKey.generate()
    message = b"x" * 200
    signature = key.sign(message)
    public = key.public_key()
    certificate = parse_certificate(patron.certificate_der)
    challenge = b"c" * 32
    card_signature = patron.sign(challenge)
    with db.sessions() as session:
        anchors = active_anchors(session)
        issuer = next(a for a in anchors if a.certificate.subject == certificate.issuer)
        ders = [a.row.der for a in anchors]
        return {
            "active_anchors": len(anchors),
            "us": {
                "ed25519_verify": _time_us(lambda: public.verify(signature, message)),
                "parse_card_certificate": _time_us(
                    lambda: parse_certificate(patron.certificate_der)),
                "parse_all_anchor_certificates": _time_us(
                    lambda: [x509.load_der_x509_certificate(d) for d in ders]),
                "active_anchors_query_and_parse": _time_us(lambda: active_anchors(session)),
                "verify_directly_issued_by": _time_us(
                    lambda: certificate.verify_directly_issued_by(issuer.certificate)),
                "rsa2048_pkcs1_verify_card_signature": _time_us(
                    lambda: verify_card_signature(certificate, challenge, card_signature)),
                "rsa2048_sign_in_process_card_standin": _time_us(
                    lambda: patron.sign(challenge), rounds=50),
            },
        }


def profile(database_url: str, ca_dir: Path, holders: Sequence[Holder],
            flows: int = FLOWS) -> dict[str, Any]:
    """Set up a fresh database at ``database_url`` and break one flow's platform time down."""
    db = Database(database_url)
    try:
        patrons, terminals = _set_up(db, ca_dir, holders, CONCURRENT_THREADS)
        sql = SqlTimer(db.engine)
        clients = [PlatformClient("http://testserver", tid, key) for tid, key in terminals]
        try:
            _wall_pass(db, clients[0], patrons, sql, 20)  # warm caches and pools
            wall = _wall_pass(db, clients[0], patrons, sql, flows)
            profiled = _cprofile_pass(db, clients[0], patrons, flows)
            concurrent = _concurrent_pass(db, clients, patrons, sql)
        finally:
            for client in clients:
                client.close()
        return {"backend": db.dialect, "flows": flows, "wall": wall, "cprofile": profiled,
                "concurrent": concurrent, "primitives": _primitives(db, patrons[0])}
    finally:
        db.dispose()


def markdown_lines(data: dict[str, Any]) -> list[str]:
    wall = data["wall"]
    lines = [f"Platform functions called directly, {data['flows']} sequential flows, "
             "no HTTP (ms per flow, p50; SQL = statements + commits):", "",
             "| step | p50 ms | SQL ms |", "|---|---|---|"]
    for name, summary in wall["per_step"].items():
        lines.append(f"| {name} | {summary['p50_ms']} | "
                     f"{wall['sql_and_commit_ms_per_step'][name]} |")
    sql = wall["sql_per_flow"]
    lines += [f"| **flow** | **{wall['per_flow']['p50_ms']}** | "
              f"**{round(sql['statement_ms'] + sql['commit_ms'], 2)}** |", "",
              f"SQL per flow: {sql['statements']} statements ({sql['statement_ms']} ms), "
              f"{sql['commits']} commits ({sql['commit_ms']} ms).", "",
              "cProfile, cumulative ms per flow (inflates Python-heavy code):", "",
              "| function | ms |", "|---|---|"]
    for label, ms in data["cprofile"]["cumulative_ms_per_flow"].items():
        lines.append(f"| {label.replace('  ', '&nbsp;&nbsp;')} | {ms} |")
    conc = data["concurrent"]
    lines += ["", f"The same flows from {conc['threads']} threads at once (in-process): "
              f"{conc['flows_per_s']} flows/s, flow p50 / p99 {conc['flow']['p50_ms']} / "
              f"{conc['flow']['p99_ms']} ms."]
    if conc["begin_wait"]:
        wait = conc["begin_wait"]
        lines.append(f"Waiting in BEGIN IMMEDIATE (SQLite's write lock, 4 per flow): p50 "
                     f"{wait['p50_ms']} ms, p99 {wait['p99_ms']} ms, mean {wait['mean_ms']} ms "
                     f"— {conc['begin_wait_share_of_flow_time']:.0%} of all flow time.")
    prims = data["primitives"]
    lines += ["", f"Primitives alone (µs per call; {prims['active_anchors']} active anchors):",
              "", "| primitive | µs |", "|---|---|"]
    lines += [f"| {name} | {us} |" for name, us in prims["us"].items()]
    return lines
