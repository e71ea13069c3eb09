"""API tokens: ``Authorization: Bearer <token>``, compared in constant time.

Every ``/v1/`` endpoint asks for one when the service needs tokens; the page and its
files, ``/healthz``, ``/readyz``, ``/metrics`` and the API's description (``/openapi.json``,
``/docs``, ``/redoc``: no data, no work) never do.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from genriflow.service.errors import ServiceError


def token_matches(given: str, tokens: frozenset[str]) -> bool:
    """Whether ``given`` is one of ``tokens``; every token is compared, each in constant
    time, so the answer's timing tells nothing about which or how much matched.

    >>> token_matches("a" * 20, frozenset({"a" * 20, "b" * 20}))
    True
    >>> token_matches("a" * 19, frozenset({"a" * 20}))
    False
    """
    found = False
    for token in tokens:
        found |= hmac.compare_digest(given.encode(), token.encode())
    return found


def check(request: Request, tokens: frozenset[str]) -> None:
    """Refuse a request without one of ``tokens`` (401, with ``WWW-Authenticate``).

    Raises
    ------
    ServiceError
        No ``Authorization`` header, not a bearer token, or a token not accepted.
    """
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="genriflow"', "Connection": "close"}
    if not header:
        raise ServiceError(401, "token-missing", "this endpoint needs a token: "
                           "Authorization: Bearer <token>", challenge)
    if scheme.lower() != "bearer" or not given.strip():
        raise ServiceError(401, "token-malformed", "the Authorization header must be "
                           "`Bearer <token>`", challenge)
    if not token_matches(given.strip(), tokens):
        raise ServiceError(401, "token-rejected", "the token is not accepted", challenge)
