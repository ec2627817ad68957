"""The registration pages (画面16): the ticket's button, the form, its script's calls
(generate, duplicate check) and binding a renewed card."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.deps import get_db
from server.portal import pages as P
from server.portal import registration
from server.portal.forms import NOTICE_FIELDS, FormErrors, Refused, RegistrationForm
from server.portal.i18n import translate
from server.portal.sessions import COOKIE

router = APIRouter(prefix=P.PREFIX, include_in_schema=False)


@router.get("/register")
async def register_page(request: Request) -> Response:
    ticket = request.query_params.get("ticket")
    if ticket:
        return await P.ticket_landing(request, registration.usable, ticket, "register")
    return await _register_form(request, {}, {}, 200)


@router.post("/register/open")
async def register_open(request: Request) -> Response:
    """The ticket's button: spend the ticket, open the registration session."""
    return await P.spend_ticket(request, registration.start, "register")


async def _register_form(
    request: Request, errors: Mapping[str, str], values: Mapping[str, object], status: int
) -> Response:
    db = get_db(request)
    state = await run_in_threadpool(registration.state, db, request.cookies.get(COOKIE))
    if state is None:
        return P.invalid(request, 410)
    choices = await run_in_threadpool(registration.municipalities, db)
    return P.page(
        request,
        "register.html",
        status,
        state=state,
        municipalities=choices,
        errors=P.messages(request, errors),
        values=values,
        notice_fields=NOTICE_FIELDS,
        message_keys=_client_messages(P.lang_of(request)),
    )


def _client_messages(lang: str) -> dict[str, str]:
    """The messages the page's script shows itself (the same words as the server's)."""
    keys = (
        "candidate_format candidate_required candidate_free candidate_taken "
        "candidate_suggested generated_n generated_final generate_limit password_required "
        "password_format password_mismatch email_format email_mismatch email_needed "
        "paste_blocked rate_limited session_expired csrf candidate_not_third"
    ).split()
    return {key: translate(key, lang) for key in keys}


async def _register_json(
    request: Request, action: Callable[[str | None, str | None], object]
) -> Response:
    cookie = request.cookies.get(COOKIE)
    csrf = request.headers.get("X-CSRF-Token")
    try:
        outcome = await run_in_threadpool(action, cookie, csrf)
    except Refused as refused:
        message = translate(refused.key, P.lang_of(request))
        return P.json(request, refused.status, error=refused.key, message=message)
    return P.json(request, 200, **_describe(outcome, P.lang_of(request)))


def _describe(outcome: object, lang: str) -> dict[str, object]:
    if isinstance(outcome, registration.Generated):
        message = translate("generated_n", lang).format(n=outcome.count)
        if outcome.final:
            message += " " + translate("generated_final", lang)
        return {
            "candidate": outcome.candidate,
            "count": outcome.count,
            "final": outcome.final,
            "message": message,
        }
    assert isinstance(outcome, registration.Checked)
    if outcome.available:
        key = "candidate_free"
    elif outcome.suggested:
        key = "candidate_suggested"
    else:
        key = "candidate_taken"
    message = translate(key, lang)
    if outcome.suggested:
        message = translate("candidate_taken", lang) + " " + message
    return {
        "available": outcome.available,
        "errors": outcome.errors,
        "candidate": outcome.suggested,
        "message": message,
    }


@router.post("/register/generate")
async def register_generate(request: Request) -> Response:
    db = get_db(request)
    return await _register_json(request, lambda c, x: registration.generate(db, c, x))


@router.post("/register/check")
async def register_check(request: Request) -> Response:
    db = get_db(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    candidate = body.get("candidate") if isinstance(body, dict) else None
    if not isinstance(candidate, str):
        return P.json(request, 400, error="candidate_format", message="candidate_format")
    client = P.client_of(request)
    return await _register_json(
        request, lambda c, x: registration.check(db, c, x, candidate, client)
    )


@router.post("/register")
async def register_submit(request: Request) -> Response:
    db = get_db(request)
    form = await request.form()
    data = RegistrationForm(
        mykey_id=P.text(form, "mykey_id").strip(),
        password=P.text(form, "password"),
        password_confirm=P.text(form, "password_confirm"),
        email=P.text(form, "email").strip(),
        email_confirm=P.text(form, "email_confirm").strip(),
        notices=P.notices(form),
        default_municipality=P.text(form, "default_municipality"),
    )
    lang = P.lang_of(request)
    cookie = request.cookies.get(COOKIE)
    try:
        mykey_id = await run_in_threadpool(
            registration.register, db, cookie, P.text(form, "csrf"), data, lang, P.origin(request)
        )
    except FormErrors as refused:
        values = {
            "mykey_id": data.mykey_id,
            "email": data.email,
            "default_municipality": data.default_municipality,
            **{name: P.text(form, name) for name in NOTICE_FIELDS},
        }
        return await _register_form(request, refused.errors, values, 400)
    except Refused as refused:
        return P.invalid(request, refused.status, refused.key)
    return P.page(
        request, "done.html", title="registered_title", body="registered_body", mykey_id=mykey_id
    )


@router.post("/register/bind")
async def register_bind(request: Request) -> Response:
    db = get_db(request)
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    args = (P.text(form, "csrf"), P.text(form, "mykey_id"), P.text(form, "password"))
    try:
        mykey_id = await run_in_threadpool(
            registration.bind_renewed, db, cookie, *args, P.client_of(request)
        )
    except Refused as refused:
        if refused.status in (401, 403) and refused.key in ("session_expired", "csrf"):
            return P.invalid(request, refused.status, refused.key)
        return await _register_form(request, {"bind": refused.key}, {}, refused.status)
    return P.page(request, "done.html", title="bound_title", body="bound_body", mykey_id=mykey_id)
