"""Who is asking: the signed session of a page visitor, the bearer token of an API client, CSRF.

The session cookie is Starlette's `SessionMiddleware` (itsdangerous-signed, HttpOnly,
SameSite=Lax). It holds only the account name and the session's CSRF token; the role is read
from the store on every request, so a changed role takes effect at once.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from bot.web.accounts import Account, account_for_token, find_account

SESSION_USER = "user"
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


def sign_in(request: Request, account: Account) -> None:
    """Start a fresh session for `account` (a new CSRF token, nothing kept from before)."""
    request.session.clear()
    request.session[SESSION_USER] = account.name
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()


def session_account(request: Request) -> Account | None:
    """The account signed in on this browser, or None."""
    name = request.session.get(SESSION_USER)
    if not isinstance(name, str) or not name:
        return None
    return find_account(engine=engine_of(request), name=name)


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
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is needed (doorstep users token NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


def safe_next(path: str | None) -> str:
    """`path` when it is a path on this site, else "/" (no open redirect after sign-in)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def require_staff_api_account(account: Annotated[Account, Depends(require_api_account)]) -> Account:
    """The bearer token's account, when it is staff; 403 for operators."""
    if not account.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "changing records needs a staff account's token")
    return account


# The accounts route handlers ask for, by what they may do.
SignedIn = Annotated[Account, Depends(require_account)]
StaffMember = Annotated[Account, Depends(require_staff)]
ApiClient = Annotated[Account, Depends(require_api_account)]
StaffApiClient = Annotated[Account, Depends(require_staff_api_account)]
