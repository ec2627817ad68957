"""POST /v1/terminals/enroll (unsigned, with a one-time code) and GET /v1/terminal."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from server.api.deps import DatabaseDep, SignedTerminal, refusals_per_address
from server.api.errors import SIGNED_ERRORS
from server.api.schemas import EnrollRequest, ErrorBody, TerminalInfo
from server.db import utcnow
from server.identity.services import service_info
from server.terminals.enrollment import enroll
from server.terminals.models import Terminal

router = APIRouter(tags=["terminals"])


def terminal_info(terminal: Terminal) -> TerminalInfo:
    return TerminalInfo(
        terminal_id=str(terminal.id),
        name=terminal.name,
        service=service_info(terminal.service),
        server_time=utcnow(),
    )


@router.post(
    "/terminals/enroll",
    dependencies=[Depends(refusals_per_address)],
    responses={
        400: {"model": ErrorBody, "description": "malformed request"},
        403: {"model": ErrorBody, "description": "enrollment code unknown, used or expired"},
    },
)
def enroll_terminal(request: EnrollRequest, db: DatabaseDep) -> TerminalInfo:
    """Trade a one-time enrollment code and the terminal's Ed25519 public key for an id."""
    return terminal_info(enroll(db, request))


@router.get("/terminal", responses=SIGNED_ERRORS)
def who_am_i(terminal: SignedTerminal) -> TerminalInfo:
    """The signing terminal's identity and its service (what it may look up)."""
    return terminal_info(terminal)
