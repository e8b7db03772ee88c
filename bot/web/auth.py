"""Who is asking: the signed-in session of a page visitor, the bearer token of an API client, CSRF.

The session cookie is Starlette's `SessionMiddleware` (itsdangerous-signed, HttpOnly,
SameSite=Lax, Secure with `DOORSTEP_SECURE_COOKIES`). It holds only a random session id and the
session's CSRF token. The session itself is kept in the store (`accounts.SignedInSession`), so
signing out, a revoke or a new password ends it at once, in every process; the account and its
role are read from the store on every request, so a changed role takes effect at once too.

Signing in goes through `bot.web.throttle` first: growing delays per name and per address, and
a lockout that staff lift.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bot.web import throttle
from bot.web.accounts import (
    Account,
    account_for_session,
    account_for_token,
    authenticate,
    end_session,
    start_session,
)
from bot.web.throttle import Refusal
from bot.web.token_cache import TokenCache
from services_catalog.redact import valid_unicode

SESSION_ID = "sid"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """A page was asked for without a signed-in account; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def engine_of(request: Request) -> Engine:
    """The store's engine, put on the app's state by `create_app`."""
    engine: Engine = request.app.state.engine
    return engine


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a trusted reverse proxy forwarded
    (`DOORSTEP_TRUSTED_PROXIES`; uvicorn rewrites it before the app sees the request)."""
    return request.client.host if request.client else "unknown"


def try_sign_in(request: Request, name: str, password: str) -> Account | Refusal | None:
    """Check a sign-in as the throttle allows: the account, a refusal (too soon, locked), or None."""
    engine = engine_of(request)
    name, address = valid_unicode(name), client_address(request)
    refusal = throttle.before_attempt(engine=engine, name=name, address=address)
    if refusal is not None:
        return refusal
    account = authenticate(engine=engine, name=name, password=valid_unicode(password))
    if account is None:
        throttle.failed(engine=engine, name=name, address=address)
        return None
    throttle.succeeded(engine=engine, name=name, address=address)
    return account


def refusal_status(refusal: Refusal | None) -> int:
    """The status of a sign-in form answered with a refusal: 429 to wait, 423 locked, 401 wrong."""
    if refusal is None:
        return status.HTTP_401_UNAUTHORIZED
    return status.HTTP_423_LOCKED if refusal.reason == "locked" else status.HTTP_429_TOO_MANY_REQUESTS


def sign_in(request: Request, account: Account) -> None:
    """Start a fresh session for `account` (a new id and CSRF token; an earlier session here ends)."""
    sign_out(request)
    request.session[SESSION_ID] = start_session(engine=engine_of(request), name=account.name)
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    request.state.doorstep_account = account


def sign_out(request: Request) -> None:
    """End the session, in the store too: its cookie, kept or copied, opens nothing any more."""
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str) and session_id:
        end_session(engine=engine_of(request), session_id=session_id)
    request.session.clear()
    request.state.doorstep_account = None


def session_account(request: Request) -> Account | None:
    """The account signed in on this browser, or None (read once per request)."""
    state = request.state
    if hasattr(state, "doorstep_account"):
        cached: Account | None = state.doorstep_account
        return cached
    session_id = request.session.get(SESSION_ID)
    account = None
    if isinstance(session_id, str) and session_id:
        account = account_for_session(engine=engine_of(request), session_id=session_id)
    state.doorstep_account = account
    return account


def require_account(request: Request) -> Account:
    """The signed-in account; pages without one redirect to /login."""
    account = session_account(request)
    if account is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return account


def require_staff(account: Annotated[Account, Depends(require_account)]) -> Account:
    """The signed-in account, when it is staff; 403 for operators."""
    if not account.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    return account


def csrf_token(request: Request) -> str:
    """This session's CSRF token, to put in a hidden field of every form that changes something."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse (403) a form whose CSRF token is missing or is not this session's."""
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not expected
        or not submitted
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing or wrong")


_bearer = HTTPBearer(auto_error=False)


def require_api_account(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account whose bearer token came with the request; 401 without a valid one."""
    account = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        account = account_for_token(engine=engine_of(request), token=credentials.credentials)
    if account is None:
        raise _unauthorised()
    return account


def safe_next(path: str | None) -> str:
    """`path` when it is a path on this site, else "/" (no open redirect after sign-in)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def require_api_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """`require_api_account` for route dependencies: a token this process remembers costs nothing
    (`bot.web.token_cache`); any other is looked up in the store off the event loop."""
    account = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        cache: TokenCache = request.app.state.token_cache
        account = cache.remembered(credentials.credentials)
        if account is None:
            account = await run_in_threadpool(cache.lookup, credentials.credentials)
    if account is None:
        raise _unauthorised()
    return account


def _unauthorised() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "a valid bearer token is needed (doorstep users token NAME)",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def require_staff_api_account(account: Annotated[Account, Depends(require_api_client)]) -> Account:
    """The bearer token's account, when it is staff; 403 for operators."""
    if not account.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "changing records needs a staff account's token")
    return account


# The accounts route handlers ask for, by what they may do.
SignedIn = Annotated[Account, Depends(require_account)]
StaffMember = Annotated[Account, Depends(require_staff)]
ApiClient = Annotated[Account, Depends(require_api_client)]
StaffApiClient = Annotated[Account, Depends(require_staff_api_account)]
