"""A lookup's result as the command line prints it: one JSON object, or one line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.api.schemas import LookupResult


def result_json(result: LookupResult) -> str:
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


def result_line(result: LookupResult) -> str:
    notes = ["valid" if result.valid else "NOT VALID"]
    if result.address_changed:
        notes.append("address changed / 住所変更あり")
    if result.certificate_expires_soon:
        notes.append("certificate expires soon / 電子証明書の期限が近づいています")
    return f"{result.service}: {result.service_id} ({'; '.join(notes)})"
