"""A lookup's result as the command line prints it: one JSON object, or one line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from app.cli.texts import Texts
from app.i18n import N_

if TYPE_CHECKING:
    from server.api.schemas import LookupResult


def result_json(result: LookupResult) -> str:
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


def result_line(result: LookupResult, texts: Texts) -> str:
    """``service: service id (notes)``, the notes in both languages."""
    notes = [N_("cli.result.valid") if result.valid else N_("cli.result.not_valid")]
    if result.address_changed:
        notes.append(N_("cli.result.address_changed"))
    if result.certificate_expires_soon:
        notes.append(N_("cli.result.expires_soon"))
    return f"{result.service}: {result.service_id} ({texts.tr_list(notes)})"
