"""The service's one error shape: ``{"error": {"code": ..., "message": ...}}``, one line.

Every refusal is a :class:`ServiceError`; a :class:`~genriflow.errors.GenriflowError` from
the library becomes a 4xx with its own message; anything else is a 500 that says only
that it is a bug (the traceback goes to the server's log, never to the client).
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.errors import ConfigError, GenriflowError

log = logging.getLogger("genriflow.service")


class ServiceError(Exception):
    """A request refused: its HTTP status, a stable code and a one-line message.

    Parameters
    ----------
    status : int
    code : str
        Machine-readable, e.g. ``"too-large"``, ``"not-audio"``, ``"busy"``.
    message : str
    headers : dict or None
        Extra response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def __reduce__(self):  # from a worker process
        return (type(self), (self.status, self.code, self.message, self.headers))


def error_body(code: str, message: str) -> dict:
    """The JSON of an error response."""
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """A one-line JSON error response."""
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


#: The status of each kind of unusable audio: not audio at all is 415, a server path the
#: service's user may not read 403 (as a path outside ``--allow-dir`` is), the rest 422.
AUDIO_STATUS = {AudioErrorKind.UNSUPPORTED: 415, AudioErrorKind.MISSING: 422,
                AudioErrorKind.EMPTY: 422, AudioErrorKind.CORRUPT: 422,
                AudioErrorKind.TOO_SHORT: 422, AudioErrorKind.UNREADABLE: 403}


def from_library(exc: GenriflowError, name: str = "the upload") -> ServiceError:
    """The :class:`ServiceError` of a library error; an audio error names ``name``, never
    the server's temporary path."""
    if isinstance(exc, AudioError):
        code = "not-audio" if exc.kind is AudioErrorKind.UNSUPPORTED else exc.kind.value
        return ServiceError(AUDIO_STATUS[exc.kind], code, f"{name}: {exc.reason}")
    if isinstance(exc, ConfigError):
        return ServiceError(422, "bad-option", str(exc))
    return ServiceError(422, "unusable", str(exc))


async def service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not-found", 405: "method-not-allowed", 400: "bad-request",
             413: "too-large"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http-error"),
                          str(exc.detail), getattr(exc, "headers", None))


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = getattr(exc, "errors", lambda: [])()
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
    return error_response(422, "invalid-request", message)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", f"internal error (a bug in genriflow): "
                          f"{type(exc).__name__}; the server's log has the details")
