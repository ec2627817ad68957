"""What every portal route shares: rendering a page in the resident's language, the
security headers, the cookies (``__Host-``: Secure, Path=/, no Domain), form fields, and
the double-submit CSRF token of pages shown before any session (login, a ticket's
button)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from server.db import Database
from server.portal.forms import NOTICE_FIELDS, Notices
from server.portal.i18n import LANG_COOKIE, LANGS, pick_lang, translate
from server.portal.sessions import COOKIE

PREFIX = "/portal"
#: the double-submit token of the pages shown before a session exists
CSRF_COOKIE = "__Host-mykey_csrf"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # tickets and tokens are in URLs
    "Cache-Control": "no-store",
}


def lang_of(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def origin(request: Request) -> str:
    """The portal's origin as the browser reached it (for links mailed to the resident)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def finish(request: Request, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE, str(chosen), max_age=365 * 86400, path=PREFIX, secure=True, samesite="lax"
        )
    return response


def set_host_cookie(response: Response, name: str, value: str) -> None:
    """A ``__Host-`` cookie: Secure, Path=/, no Domain — no sibling host can set it."""
    response.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="lax")


def set_session(response: Response, cookie: str) -> None:
    set_host_cookie(response, COOKIE, cookie)


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = lang_of(request)

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    context.update(lang=lang, t=t, other_lang="en" if lang == "ja" else "ja")
    context.setdefault("errors", {})
    response = templates.TemplateResponse(request, name, context, status_code=status)
    return finish(request, response)


def with_form_token(request: Request, name: str, status: int, **context: Any) -> Response:
    """A page whose form echoes the double-submit CSRF cookie (set here if missing)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, name, status, csrf=token, **context)
    set_host_cookie(response, CSRF_COOKIE, token)
    return response


def form_token_ok(request: Request, form: FormData) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected) and secrets.compare_digest(expected or "", text(form, "csrf"))


def redirect(request: Request, path: str) -> Response:
    return finish(request, RedirectResponse(PREFIX + path, status_code=303))


def messages(request: Request, errors: Mapping[str, str]) -> dict[str, str]:
    lang = lang_of(request)
    return {field: translate(key, lang) for field, key in errors.items()}


def json(request: Request, status: int, **body: Any) -> Response:
    return finish(request, JSONResponse(body, status_code=status))


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def notices(form: FormData) -> Notices:
    return Notices(*(text(form, name) in ("on", "1", "true") for name in NOTICE_FIELDS))


async def ticket_landing(
    request: Request, usable: Callable[[Database, str], bool], ticket: str, kind: str
) -> Response:
    """The page a ticket link opens: a button only (a link-preview bot's GET spends
    nothing); its POST to ``/portal/{kind}/open`` spends the ticket. 410 if not usable."""
    if not await run_in_threadpool(usable, request.app.state.db, ticket):
        return invalid(request, 410)
    return with_form_token(
        request,
        "open.html",
        200,
        ticket=ticket,
        action=f"{PREFIX}/{kind}/open",
        title=f"{kind}_title",
        body=f"open_{kind}_body",
    )


class Started(Protocol):
    """A session a ticket opened (registration, reset): its cookie's value."""

    @property
    def cookie(self) -> str: ...


async def spend_ticket(
    request: Request, start: Callable[[Database, str], Started | None], kind: str
) -> Response:
    """A ticket page's button (its POST): spend the ticket and open the ``kind`` session,
    then show its form; 403 without the form token, 410 for a ticket not usable."""
    form = await request.form()
    if not form_token_ok(request, form):
        return invalid(request, 403, "csrf")
    started = await run_in_threadpool(start, request.app.state.db, text(form, "ticket"))
    if started is None:
        return invalid(request, 410)
    response = redirect(request, f"/{kind}")
    set_session(response, started.cookie)
    return response


def invalid(request: Request, status: int, key: str = "ticket_invalid") -> Response:
    return page(request, "message.html", status, title="ticket_invalid_title", body=key)
