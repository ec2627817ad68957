"""The password reset pages: the card-proven ticket's button, the new password's form."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.deps import get_db
from server.portal import pages as P
from server.portal import reset
from server.portal.forms import FormErrors, Refused
from server.portal.sessions import COOKIE

router = APIRouter(prefix=P.PREFIX, include_in_schema=False)


@router.get("/reset")
async def reset_page(request: Request) -> Response:
    ticket = request.query_params.get("ticket")
    if ticket:
        return await P.ticket_landing(request, reset.usable, ticket, "reset")
    return await _form(request, {}, 200)


@router.post("/reset/open")
async def reset_open(request: Request) -> Response:
    """The reset link's button: spend the ticket, open the reset session."""
    return await P.spend_ticket(request, reset.start, "reset")


async def _form(request: Request, errors: Mapping[str, str], status: int) -> Response:
    state = await run_in_threadpool(reset.state, get_db(request), request.cookies.get(COOKIE))
    if state is None:
        return P.invalid(request, 410)
    shown = P.messages(request, errors)
    return P.page(request, "reset.html", status, state=state, errors=shown)


@router.post("/reset")
async def reset_submit(request: Request) -> Response:
    form = await request.form()
    args = (P.text(form, "csrf"), P.text(form, "password"), P.text(form, "password_confirm"))
    cookie = request.cookies.get(COOKIE)
    try:
        mykey_id = await run_in_threadpool(reset.reset_password, get_db(request), cookie, *args)
    except FormErrors as refused:
        return await _form(request, refused.errors, 400)
    except Refused as refused:
        return P.invalid(request, refused.status, refused.key)
    response = P.page(
        request, "done.html", title="reset_title", body="reset_done", mykey_id=mykey_id
    )
    P.end_session(response)
    return response
