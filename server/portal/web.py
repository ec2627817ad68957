"""The resident portal's pages under /portal: registration (画面16), login, My Page.

Routes only translate HTTP to the services of :mod:`server.portal.registration` and
:mod:`server.portal.mypage` (each one transaction) and render Jinja2 templates; every rule
is enforced by those services, the page's script only helps.  Cookies are ``Secure``,
``HttpOnly``, ``SameSite=Lax``; every change carries the session's CSRF token (login: a
double-submit cookie).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from server.api.deps import get_db
from server.errors import PlatformError
from server.portal import mypage, registration
from server.portal.forms import NOTICE_FIELDS, FormErrors, Notices, Refused, RegistrationForm
from server.portal.i18n import LANG_COOKIE, LANGS, pick_lang, translate
from server.portal.sessions import COOKIE

PREFIX = "/portal"
CSRF_COOKIE = "mykey_csrf"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes
router = APIRouter(prefix=PREFIX, include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # the ticket is in a URL
    "Cache-Control": "no-store",
}


def install(app: FastAPI) -> None:
    """Add the portal's pages and its static files (script, style) to ``app``."""
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="portal-static")


def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _finish(request: Request, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE, str(chosen), max_age=365 * 86400, path=PREFIX, secure=True, samesite="lax"
        )
    return response


def _set_session(response: Response, cookie: str) -> None:
    response.set_cookie(COOKIE, cookie, path=PREFIX, secure=True, httponly=True, samesite="lax")


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    context.update(lang=lang, t=t, other_lang="en" if lang == "ja" else "ja")
    context.setdefault("errors", {})
    response = templates.TemplateResponse(request, name, context, status_code=status)
    return _finish(request, response)


def _redirect(request: Request, path: str) -> Response:
    return _finish(request, RedirectResponse(PREFIX + path, status_code=303))


def _messages(request: Request, errors: Mapping[str, str]) -> dict[str, str]:
    lang = _lang(request)
    return {field: translate(key, lang) for field, key in errors.items()}


def _json(request: Request, status: int, **body: Any) -> Response:
    return _finish(request, JSONResponse(body, status_code=status))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _notices(form: FormData) -> Notices:
    return Notices(*(_text(form, name) in ("on", "1", "true") for name in NOTICE_FIELDS))


# --- registration --------------------------------------------------------------------


@router.get("")
def portal_root(request: Request) -> Response:
    return _redirect(request, "/login")


def _invalid(request: Request, status: int, key: str = "ticket_invalid") -> Response:
    return _page(request, "message.html", status, title="ticket_invalid_title", body=key)


@router.get("/register")
async def register_page(request: Request) -> Response:
    db = get_db(request)
    ticket = request.query_params.get("ticket")
    if ticket:
        started = await run_in_threadpool(registration.start, db, ticket)
        if started is None:
            return _invalid(request, 410)
        response = _redirect(request, "/register")
        _set_session(response, started.cookie)
        return response
    return await _register_form(request, {}, {}, 200)


async def _register_form(
    request: Request, errors: Mapping[str, str], values: Mapping[str, object], status: int
) -> Response:
    db = get_db(request)
    state = await run_in_threadpool(registration.state, db, request.cookies.get(COOKIE))
    if state is None:
        return _invalid(request, 410)
    choices = await run_in_threadpool(registration.municipalities, db)
    return _page(
        request,
        "register.html",
        status,
        state=state,
        municipalities=choices,
        errors=_messages(request, errors),
        values=values,
        notice_fields=NOTICE_FIELDS,
        message_keys=_client_messages(_lang(request)),
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
        message = translate(refused.key, _lang(request))
        return _json(request, refused.status, error=refused.key, message=message)
    return _json(request, 200, **_describe(outcome, _lang(request)))


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
        return _json(request, 400, error="candidate_format", message="candidate_format")
    client = _client(request)
    return await _register_json(
        request, lambda c, x: registration.check(db, c, x, candidate, client)
    )


@router.post("/register")
async def register_submit(request: Request) -> Response:
    db = get_db(request)
    form = await request.form()
    data = RegistrationForm(
        mykey_id=_text(form, "mykey_id").strip(),
        password=_text(form, "password"),
        password_confirm=_text(form, "password_confirm"),
        email=_text(form, "email").strip(),
        email_confirm=_text(form, "email_confirm").strip(),
        notices=_notices(form),
        default_municipality=_text(form, "default_municipality"),
    )
    lang = _lang(request)
    cookie = request.cookies.get(COOKIE)
    try:
        mykey_id = await run_in_threadpool(
            registration.register, db, cookie, _text(form, "csrf"), data, lang
        )
    except FormErrors as refused:
        values = {
            "mykey_id": data.mykey_id,
            "email": data.email,
            "default_municipality": data.default_municipality,
            **{name: _text(form, name) for name in NOTICE_FIELDS},
        }
        return await _register_form(request, refused.errors, values, 400)
    except Refused as refused:
        return _invalid(request, refused.status, refused.key)
    return _page(
        request, "done.html", title="registered_title", body="registered_body", mykey_id=mykey_id
    )


@router.post("/register/bind")
async def register_bind(request: Request) -> Response:
    db = get_db(request)
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    args = (_text(form, "csrf"), _text(form, "mykey_id"), _text(form, "password"))
    try:
        mykey_id = await run_in_threadpool(
            registration.bind_renewed, db, cookie, *args, _client(request)
        )
    except Refused as refused:
        if refused.status in (401, 403) and refused.key in ("session_expired", "csrf"):
            return _invalid(request, refused.status, refused.key)
        return await _register_form(request, {"bind": refused.key}, {}, refused.status)
    return _page(request, "done.html", title="bound_title", body="bound_body", mykey_id=mykey_id)


# --- login and My Page ---------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request, {}, 200)


def _login_form(request: Request, errors: Mapping[str, str], status: int) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = _page(request, "login.html", status, csrf=token, errors=_messages(request, errors))
    response.set_cookie(CSRF_COOKIE, token, path=PREFIX, secure=True, httponly=True, samesite="lax")
    return response


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, _text(form, "csrf")):
        return _login_form(request, {"login": "csrf"}, 403)
    try:
        logged_in = await run_in_threadpool(
            mypage.login,
            get_db(request),
            _text(form, "mykey_id"),
            _text(form, "password"),
            _client(request),
        )
    except Refused as refused:
        return _login_form(request, {"login": refused.key}, refused.status)
    response = _redirect(request, "/mypage")
    _set_session(response, logged_in.cookie)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await run_in_threadpool(mypage.logout, get_db(request), request.cookies.get(COOKIE))
    response = _redirect(request, "/login")
    response.delete_cookie(COOKIE, path=PREFIX, secure=True, httponly=True, samesite="lax")
    return response


@router.get("/mypage")
async def mypage_page(request: Request) -> Response:
    done = request.query_params.get("done") == "1"
    return await _mypage(request, {}, 200, done=done)


async def _mypage(
    request: Request, errors: Mapping[str, str], status: int, *, done: bool = False
) -> Response:
    try:
        view = await run_in_threadpool(
            mypage.overview, get_db(request), request.cookies.get(COOKIE)
        )
    except Refused:
        return _redirect(request, "/login")
    lang = _lang(request)
    shown = {k: translate(v, lang) for k, v in errors.items()}
    return _page(request, "mypage.html", status, view=view, errors=shown, done=done)


def _points(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0


MYPAGE_ACTIONS: dict[str, Callable[[Any, str | None, str, FormData], None]] = {
    "link": lambda db, c, x, f: mypage.link_service(
        db, c, x, _text(f, "service"), _text(f, "service_id"), _text(f, "code")
    ),
    "unlink": lambda db, c, x, f: mypage.unlink_service(db, c, x, _text(f, "service")),
    "assign": lambda db, c, x, f: mypage.assign_reserved(
        db, c, x, _text(f, "municipality"), _points(_text(f, "points"))
    ),
    "default": lambda db, c, x, f: mypage.set_default(db, c, x, _text(f, "default_municipality")),
    "notices": lambda db, c, x, f: mypage.set_notices(db, c, x, _notices(f)),
    "password": lambda db, c, x, f: mypage.change_password(
        db,
        c,
        x,
        _text(f, "current_password"),
        _text(f, "new_password"),
        _text(f, "new_password_confirm"),
    ),
    "email": lambda db, c, x, f: mypage.change_email(
        db, c, x, _text(f, "email").strip(), _text(f, "email_confirm").strip()
    ),
}


@router.post("/mypage/{action}")
async def mypage_change(request: Request, action: str) -> Response:
    change = MYPAGE_ACTIONS.get(action)
    if change is None:
        return _page(request, "message.html", 404, title="mypage_title", body="service_unknown")
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    try:
        await run_in_threadpool(change, get_db(request), cookie, _text(form, "csrf"), form)
    except FormErrors as refused:
        return await _mypage(request, refused.errors, 400)
    except PlatformError as error:
        return await _mypage(request, mypage.ledger_refusal(error).errors, error.status)
    except Refused as refused:
        if refused.status == 401:
            return _redirect(request, "/login")
        return await _mypage(request, {"form": refused.key}, refused.status)
    return _redirect(request, "/mypage?done=1")
