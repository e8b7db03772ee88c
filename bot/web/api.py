"""The JSON API for hotline tools (bearer tokens), its OpenAPI schema and a local page about it.

Answers are the contract's shapes (`services_catalog.contract`), the same models `doorstep ask
--json` prints, so the API, the command line and the schema at /openapi.json cannot drift apart.
FastAPI's own /docs and /redoc pull Swagger/ReDoc from a CDN, so they are off; /docs is a small
local page built from the schema, which is served only to signed-in users and token holders.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from bot.web.auth import ApiClient, SignedIn, StaffApiClient, _bearer, require_api_account, session_account
from bot.web.deps import Console, ConsoleDep, LiveCatalogue
from bot.web.pages import render_page
from bot.web.records import save_change
from bot.web.render import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    PLACE_CHARS,
    QUESTION_CHARS,
    clean_text,
    now_shanghai,
    parse_at,
    resolve_place,
)
from services_catalog.answer import Question, Where
from services_catalog.contract import AnswerJSON, FacilityJSON, ResultJSON
from services_catalog.editing import Draft, EditRefused, FacilityChange, RecordNotFound, StaleRecord
from services_catalog.finder import Finder
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.models import Facility

PLACE_HELP = (
    "a town, residential committee, metro station, or `lat,lon` (WGS-84). "
    "A place Doorstep cannot place (an unknown name; coordinates out of range or not finite) "
    "is refused with 422 and a `detail` saying so: nothing is answered without the place asked for."
)
MOMENT_HELP = f"ISO 8601, Asia/Shanghai without an offset, years {EARLIEST_YEAR}-{LATEST_YEAR}"

router = APIRouter(prefix="/api", tags=["api"])
schema_router = APIRouter(include_in_schema=False)


def unprocessable(message: str) -> HTTPException:
    """A 422 whose `detail` says what was wrong."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def parse_moment(text: str | None, field: str) -> dt.datetime | None:
    """An API parameter's moment; 422 when it is not one."""
    try:
        return parse_at(text)
    except ValueError:
        raise unprocessable(
            f"{field}: not an ISO 8601 date-time in the years {EARLIEST_YEAR}-{LATEST_YEAR}"
        ) from None


def place_of(finder: Finder, text: str | None) -> tuple[str | None, Where | None]:
    """The place text and where it is, or (None, None) when none was given; 422 when unknown."""
    place = clean_text(text or "", PLACE_CHARS)
    if not place:
        return None, None
    near = resolve_place(finder, place)
    if near is None:
        raise unprocessable(
            f"place: cannot find {place!r}; give a town, residential committee, "
            "metro station or 'lat,lon' (WGS-84, latitude -90..90, longitude -180..180)"
        )
    return place, near


@router.get("/ask", response_model=AnswerJSON)
async def api_ask(
    account: ApiClient,
    console: ConsoleDep,
    finder: LiveCatalogue,
    q: Annotated[
        str,
        Query(min_length=1, max_length=QUESTION_CHARS, description="the caller's words, as typed"),
    ],
    place: Annotated[str | None, Query(max_length=PLACE_CHARS, description=PLACE_HELP)] = None,
    at: Annotated[str | None, Query(description=f"{MOMENT_HELP}; default now")] = None,
    lang: Literal["zh", "en"] = "zh",
    limit: Annotated[int, Query(ge=1, le=50)] = 3,
) -> Response:
    """Answer one question in the contract's `ask --json` shape.

    `reply` loses any link off the catalogue's allowlist, as the pages do; the other fields
    carry catalogue data as loaded (the loader refuses links off the allowlist).
    An unknown `place` is refused with 422 rather than answered without it.
    """
    # No thread: answering is a fraction of a millisecond of CPU and touches no store (its notes
    # for staff are written in batches), so a worker thread would only add its own cost.
    text = clean_text(q, QUESTION_CHARS)
    if not text:
        raise unprocessable("q: no words (only control characters or spaces)")
    moment = parse_moment(at, "at")
    place_text, _ = place_of(finder, place)
    question = Question(text=text, place=place_text, at=moment, lang=lang, limit=limit)
    body = AnswerJSON.of(console.live.answer(question))
    reply = strip_disallowed_links(body.reply, finder.catalog.allowlist.domains)
    # Written here, once, by the model that built it: FastAPI would validate it again on the way
    # out (the schema still says AnswerJSON, from `response_model`).
    return Response(body.model_copy(update={"reply": reply}).model_dump_json(), media_type="application/json")


@router.get("/facilities")
def api_facilities(
    account: ApiClient,
    finder: LiveCatalogue,
    kind: Annotated[str | None, Query(description="a facility kind id")] = None,
    town: Annotated[str | None, Query(description="an official town name")] = None,
    open_at: Annotated[str | None, Query(description=f"only facilities open then: {MOMENT_HELP}")] = None,
    place: Annotated[
        str | None, Query(max_length=PLACE_CHARS, description=f"sort by distance from here: {PLACE_HELP}")
    ] = None,
) -> list[ResultJSON]:
    """Facilities by kind and town, nearest first when a place is given; each as a result of /api/ask.

    An unknown `kind`, `town` or `place`, or an `open_at` that is not a date-time, is refused with 422.
    """
    if kind and kind not in finder.catalog.kinds:
        raise unprocessable(f"kind: unknown kind {kind!r}")
    if town and town not in finder.catalog.towns:
        raise unprocessable(f"town: unknown town {town!r}")
    moment = parse_moment(open_at, "open_at")
    _, near = place_of(finder, place)
    results = finder.facilities(kind=kind or None, town=town or None, at=moment, near=near)
    if moment is not None:
        results = [r for r in results if r.open_now]
    return [ResultJSON.of(r) for r in results]


@schema_router.get("/openapi.json")
def openapi(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """The API's OpenAPI schema, for signed-in users and token holders."""
    if session_account(request) is None:
        require_api_account(request, credentials)
    return request.app.openapi()  # type: ignore[no-any-return]  # FastAPI's schema is a plain dict


@schema_router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, account: SignedIn, console: ConsoleDep) -> Response:
    """A local page describing the API (Swagger UI would come from a CDN)."""
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                (p["name"], p.get("required", False), p.get("description", ""))
                for p in op.get("parameters", [])
            ]
            endpoints.append((method.upper(), path, op.get("description", op.get("summary", "")), params))
    return render_page(
        console, request, "docs.html", account=account, title_key="docs.title", endpoints=endpoints
    )


def _record_of(console: Console, facility_id: str) -> tuple[Facility, str]:
    facility = console.live.finder.catalog.facilities.get(facility_id)
    if facility is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no facility {facility_id!r}")
    try:
        version = Draft(console.live.folder).version(facility_id)
    except RecordNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no facility {facility_id!r} in the YAML") from None
    return facility, version


@router.get("/facilities/{facility_id}")
def api_facility(
    facility_id: str, account: ApiClient, console: ConsoleDep, response: Response
) -> FacilityJSON:
    """One facility record as loaded, with its version (also the `ETag`)."""
    facility, version = _record_of(console, facility_id)
    response.headers["ETag"] = f'"{version}"'
    return FacilityJSON.of(facility, version)


@router.patch(
    "/facilities/{facility_id}",
    responses={
        403: {"description": "the token is not a staff account's"},
        404: {"description": "no such facility"},
        412: {"description": "`If-Match` names an older version: someone else changed the record"},
        422: {"description": '`{"problems": [...]}`: a bad value, or the catalogue would have errors'},
    },
)
def api_patch_facility(
    facility_id: str,
    change: FacilityChange,
    account: StaffApiClient,
    console: ConsoleDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="the version the change was made on")] = None,
) -> Any:
    """Change a record: validate the whole catalogue, write the record's YAML in place, reload.

    Fields left out are kept; `null` clears an optional field. Answers the updated record, or
    `{"problems": [...]}` with 422 when the catalogue would have errors (nothing is written).
    """
    _record_of(console, facility_id)
    values = change.yaml_values(today=now_shanghai().date())
    expected = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    try:
        outcome = save_change(
            console,
            facility_id,
            values,
            who=account.name,
            via="api",
            expected_version=expected,
            verified_by=change.verified_by,
        )
    except StaleRecord as stale:
        return JSONResponse(
            {"problems": [f"{facility_id} changed since version {expected}; it is now {stale.current}"]},
            status.HTTP_412_PRECONDITION_FAILED,
        )
    except EditRefused as refused:
        return JSONResponse(
            {"problems": [str(p) for p in refused.errors]}, status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    facility, version = _record_of(console, facility_id)
    response.headers["ETag"] = f'"{outcome.version}"'
    return FacilityJSON.of(facility, version)
