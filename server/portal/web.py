"""The resident portal's pages under /portal: login, My Page (registration:
:mod:`server.portal.web_register`; shared helpers: :mod:`server.portal.pages`).

Routes only translate HTTP to the services of :mod:`server.portal.registration` and
:mod:`server.portal.mypage` (each one transaction) and render Jinja2 templates; every rule
is enforced by those services, the page's script only helps.  Cookies are ``__Host-``
(``Secure``, ``Path=/``, no ``Domain``), ``HttpOnly``, ``SameSite=Lax``; every change,
logout included, carries the session's CSRF token (login and a ticket's button: a
double-submit cookie).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from server.api.deps import get_db
from server.errors import PlatformError
from server.portal import mypage, web_register, web_reset
from server.portal import pages as P
from server.portal.forms import FormErrors, Refused
from server.portal.i18n import translate
from server.portal.sessions import COOKIE

router = APIRouter(prefix=P.PREFIX, include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the portal's pages and its static files (script, style) to ``app``."""
    app.include_router(router)
    app.include_router(web_register.router)
    app.include_router(web_reset.router)
    app.mount(f"{P.PREFIX}/static", StaticFiles(directory=P.HERE / "static"), name="portal-static")


@router.get("")
def portal_root(request: Request) -> Response:
    return P.redirect(request, "/login")


# --- login and My Page ---------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request, {}, 200)


def _login_form(request: Request, errors: Mapping[str, str], status: int) -> Response:
    return P.with_form_token(request, "login.html", status, errors=P.messages(request, errors))


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    if not P.form_token_ok(request, form):
        return _login_form(request, {"login": "csrf"}, 403)
    try:
        logged_in = await run_in_threadpool(
            mypage.login,
            get_db(request),
            P.text(form, "mykey_id"),
            P.text(form, "password"),
            P.client_of(request),
        )
    except Refused as refused:
        return _login_form(request, {"login": refused.key}, refused.status)
    response = P.redirect(request, "/mypage")
    P.set_session(response, logged_in.cookie)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session: a POST carrying its CSRF token (another site cannot log out)."""
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    try:
        await run_in_threadpool(mypage.logout, get_db(request), cookie, P.text(form, "csrf"))
    except Refused as refused:
        return P.page(request, "message.html", refused.status, title="mypage_title", body="csrf")
    response = P.redirect(request, "/login")
    P.end_session(response)
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
        return P.redirect(request, "/login")
    lang = P.lang_of(request)
    shown = {k: translate(v, lang) for k, v in errors.items()}
    return P.page(request, "mypage.html", status, view=view, errors=shown, done=done)


def _points(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0


MYPAGE_ACTIONS: dict[str, Callable[[Any, str | None, str, FormData, str], None]] = {
    "link": lambda db, c, x, f, b: mypage.link_service(
        db, c, x, P.text(f, "service"), P.text(f, "service_id"), P.text(f, "code")
    ),
    "unlink": lambda db, c, x, f, b: mypage.unlink_service(db, c, x, P.text(f, "service")),
    "assign": lambda db, c, x, f, b: mypage.assign_reserved(
        db, c, x, P.text(f, "municipality"), _points(P.text(f, "points"))
    ),
    "default": lambda db, c, x, f, b: mypage.set_default(
        db, c, x, P.text(f, "default_municipality")
    ),
    "notices": lambda db, c, x, f, b: mypage.set_notices(db, c, x, P.notices(f)),
    "password": lambda db, c, x, f, b: mypage.change_password(
        db,
        c,
        x,
        P.text(f, "current_password"),
        P.text(f, "new_password"),
        P.text(f, "new_password_confirm"),
    ),
    "email": lambda db, c, x, f, b: mypage.change_email(
        db, c, x, P.text(f, "email").strip(), P.text(f, "email_confirm").strip(), b
    ),
    "verify": lambda db, c, x, f, b: mypage.resend_verification(db, c, x, b),
}


@router.post("/mypage/{action}")
async def mypage_change(request: Request, action: str) -> Response:
    change = MYPAGE_ACTIONS.get(action)
    if change is None:
        return P.page(request, "message.html", 404, title="mypage_title", body="service_unknown")
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    try:
        await run_in_threadpool(
            change, get_db(request), cookie, P.text(form, "csrf"), form, P.origin(request)
        )
    except FormErrors as refused:
        return await _mypage(request, refused.errors, 400)
    except PlatformError as error:
        return await _mypage(request, mypage.ledger_refusal(error).errors, error.status)
    except Refused as refused:
        if refused.status == 401:
            return P.redirect(request, "/login")
        return await _mypage(request, {"form": refused.key}, refused.status)
    return P.redirect(request, "/mypage?done=1")


# --- e-mail verification -----------------------------------------------------------------


@router.get("/verify")
async def verify_page(request: Request) -> Response:
    """The mailed link: a page with a button (a link-preview bot's GET spends nothing)."""
    token = request.query_params.get("token", "")
    if not token or not await run_in_threadpool(mypage.verify_usable, get_db(request), token):
        return P.page(request, "message.html", 410, title="verify_title", body="verify_invalid")
    return P.with_form_token(
        request,
        "open.html",
        200,
        ticket=token,
        action="/portal/verify/open",
        title="verify_title",
        body="verify_body",
        button="verify_button",
    )


@router.post("/verify/open")
async def verify_open(request: Request) -> Response:
    form = await request.form()
    if not P.form_token_ok(request, form):
        return P.invalid(request, 403, "csrf")
    token = P.text(form, "ticket")
    if not await run_in_threadpool(mypage.verify_email, get_db(request), token):
        return P.page(request, "message.html", 410, title="verify_title", body="verify_invalid")
    return P.page(request, "done.html", title="verify_title", body="verify_done")
