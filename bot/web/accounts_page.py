"""The staff's accounts page: who may sign in, their live tokens and sessions; unlock and revoke.

    GET  /staff/accounts                   every account, its role, live tokens and sessions, locked or not
    POST /staff/accounts/{name}/unlock     lift a lockout after failed sign-ins (`bot.web.throttle`)
    POST /staff/accounts/{name}/revoke     end every token and session of the account at once

The same as `doorstep users list`, `users unlock NAME` and `users revoke NAME`, for staff who
are not at the server.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import accounts, throttle
from bot.web.auth import StaffMember, check_csrf
from bot.web.deps import ConsoleDep
from bot.web.pages import render_page, utc_to_local

router = APIRouter(prefix="/staff/accounts", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def accounts_page(request: Request, account: StaffMember, console: ConsoleDep, done: str = "") -> Response:
    """Every account with its role, live tokens and sessions, and whether failed sign-ins locked it."""
    locked = throttle.locked_names(engine=console.engine)
    rows = [
        {
            "name": a.name,
            "role": a.role,
            "tokens": a.tokens,
            "sessions": a.sessions,
            "created": utc_to_local(a.created),
            "locked": a.name in locked,
        }
        for a in accounts.list_accounts(engine=console.engine)
    ]
    return render_page(
        console,
        request,
        "staff_accounts.html",
        account=account,
        title_key="accounts.title",
        rows=rows,
        done=done if done in ("unlocked", "revoked") else "",
    )


@router.post("/{name}/unlock")
def unlock(
    name: str,
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Lift the lockout of an account, so it can sign in again with its password."""
    check_csrf(request, csrf_token)
    throttle.unlock(engine=console.engine, name=name)
    return RedirectResponse("/staff/accounts?done=unlocked", status.HTTP_303_SEE_OTHER)


@router.post("/{name}/revoke")
def revoke(
    name: str,
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End every token and session of an account (its own session included, for staff revoking themselves)."""
    check_csrf(request, csrf_token)
    try:
        accounts.revoke(engine=console.engine, name=name)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account") from None
    return RedirectResponse("/staff/accounts?done=revoked", status.HTTP_303_SEE_OTHER)
