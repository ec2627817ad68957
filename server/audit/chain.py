"""The hash chain: the canonical form of an event and its SHA-256 link to the previous one.

``hash = SHA-256(prev_hash ‖ canonical)``, where ``prev_hash`` is the previous event's
hash in the same chain as 64 lower-case hex characters (64 zeros for a chain's first event)
and ``canonical`` is the UTF-8 JSON of ``{seq, at, actor_kind, actor_id, action, outcome,
fields}`` — plus ``chain`` for every chain but 0, whose events keep the form the single
chain had — with sorted keys, no spaces and ``at`` in ISO 8601 UTC with microseconds
(``2026-11-25T23:33:27.000123Z``).
An auditor can recompute it from an export with any SHA-256 and JSON tool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

#: the values an event's fields may hold (no floats: their JSON form is not canonical)
FieldValue = str | int | bool | None


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace, non-ASCII kept as UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_at(at: dt.datetime) -> str:
    """``at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(
    *,
    seq: int,
    at: dt.datetime,
    actor_kind: str,
    actor_id: str,
    action: str,
    outcome: str,
    fields: Mapping[str, FieldValue],
    chain: int = 0,
) -> dict[str, object]:
    """The hashed content of an event, as a JSON-ready dict."""
    body: dict[str, object] = {"chain": chain} if chain else {}
    return body | {
        "seq": seq,
        "at": format_at(at),
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "action": action,
        "outcome": outcome,
        "fields": dict(fields),
    }


def link_hash(prev_hash: str, body: Mapping[str, object]) -> str:
    """SHA-256(prev_hash ‖ canonical JSON of body), lower-case hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(body).encode("utf-8"))
    return digest.hexdigest()
