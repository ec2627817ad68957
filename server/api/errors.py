"""Every error answer is an :class:`~server.api.schemas.ErrorBody`; malformed input is 400."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.api.schemas import ErrorBody, ErrorCode
from server.errors import PlatformError

log = logging.getLogger(__name__)

#: OpenAPI description of the error answers of signed endpoints
SIGNED_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "malformed request"},
    401: {"model": ErrorBody, "description": "terminal unknown or signature invalid"},
    429: {"model": ErrorBody, "description": "the terminal is over its rate limit"},
}


def error_response(code: ErrorCode, message: str, status: int) -> JSONResponse:
    body = ErrorBody(error=code, message=message)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def _describe_validation(error: RequestValidationError) -> str:
    problems = []
    for item in error.errors()[:3]:
        if item.get("type") == "json_invalid":
            problems.append("the body is not valid JSON")
            continue
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) or "the request is malformed"


async def _platform_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PlatformError)
    response = error_response(error.code, error.message, error.status)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_response(ErrorCode.MALFORMED, _describe_validation(error), 400)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = ErrorCode.INTERNAL if error.status_code >= 500 else ErrorCode.MALFORMED
    return error_response(code, str(error.detail), error.status_code)


#: seconds a client waits before it sends a request again after ``database_unavailable``
DATABASE_RETRY_AFTER_S = 1


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    """The database could not be reached, or dropped the connection (a fail-over, a
    restart): 503 with Retry-After, so the counter sends the request again with its id; any
    other database error is a bug (500)."""
    assert isinstance(error, DBAPIError)
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        return await _unexpected(_request, error)
    log.warning("database unavailable: %s", str(error.orig or error).splitlines()[0])
    response = error_response(
        ErrorCode.DATABASE_UNAVAILABLE, "the database is unavailable: send again shortly", 503
    )
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    return response


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    return error_response(ErrorCode.INTERNAL, "internal error", 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PlatformError, _platform_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
