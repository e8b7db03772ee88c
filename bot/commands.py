"""What each `doorstep` sub-command does, given the settings `cli.main()` read once."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from bot.settings import BUNDLED_CATALOG, Settings
from services_catalog.answer import Question
from services_catalog.contract import AnswerJSON
from services_catalog.errors import CatalogValidationError

MAX_LIMIT = 50
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from services_catalog.db import create_tables, make_engine

    engine = make_engine(settings.database_url)
    create_tables(engine)
    return engine


def _live(settings: Settings, *, with_store: bool = True):  # type: ignore[no-untyped-def]
    """The running catalogue; a bad catalogue stops the program with every problem listed."""
    from services_catalog.live import LiveFinder

    engine = _engine(settings) if with_store else None
    return LiveFinder(settings.doorstep_catalog, engine=engine), engine


def run_chat(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    """The terminal conversation. It keeps nothing: no store is opened."""
    from bot.console import Console

    live, _ = _live(settings, with_store=False)
    return Console(live, stdin=stdin, stdout=stdout).run()


def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    """The Telegram bot (long polling, or webhook with --webhook-url)."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        print("doorstep bot: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather).", file=sys.stderr)
        return 2
    from bot.app import run_bot as start

    live, engine = _live(settings)
    return start(
        settings,
        live,
        engine,
        webhook_url=getattr(args, "webhook_url", None),
        listen=getattr(args, "listen", "127.0.0.1"),
        port=getattr(args, "port", 8443),
        secret_token=getattr(args, "secret_token", None),
    )


def web(settings: Settings, args: argparse.Namespace) -> int:
    """The operator console (in one process, or in --workers N processes on one port)."""
    from bot.web.server import serve, serve_workers

    if getattr(args, "workers", 1) != 1:
        return serve_workers(settings, host=args.host, port=args.port, workers=args.workers)
    live, engine = _live(settings)
    return serve(settings, live, engine, host=args.host, port=args.port)


def users(settings: Settings, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Console accounts: add, token, list, revoke, remove, unlock."""
    from bot.web import accounts, throttle

    engine = _engine(settings)
    command = args.users_command
    if command == "add":
        password = stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            print("doorstep users add: the password must have at least 8 characters.", file=sys.stderr)
            return 2
        created = accounts.add_user(engine=engine, name=args.name, role=args.role, password=password)
        ended = "" if created else "; its earlier tokens and sessions have ended"
        stdout.write(f"account {args.name} ({args.role}) saved{ended}\n")
        return 0
    if command == "list":
        locked = throttle.locked_names(engine=engine)
        for a in accounts.list_accounts(engine=engine):
            state = "  LOCKED (doorstep users unlock NAME)" if a.name in locked else ""
            stdout.write(f"{a.name}\t{a.role}\ttokens: {a.tokens}\tsessions: {a.sessions}{state}\n")
        return 0
    try:
        match command:
            case "token":
                token = accounts.issue_token(engine=engine, name=args.name, days=args.days)
                stdout.write(token + "\n")
                until = accounts.token_expiry(engine=engine, token=token)
                if until is not None:
                    print(f"valid until {until:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
            case "revoke":
                tokens, sessions = accounts.revoke(engine=engine, name=args.name)
                stdout.write(f"{args.name}: {tokens} token(s) and {sessions} session(s) ended\n")
            case "remove":
                accounts.remove(engine=engine, name=args.name)
                throttle.unlock(engine=engine, name=args.name)
                stdout.write(f"account {args.name} removed, with its tokens and sessions\n")
            case "unlock":
                was = throttle.unlock(engine=engine, name=args.name)
                stdout.write(f"{args.name}: {'unlocked' if was else 'was not locked'}\n")
    except LookupError:
        print(f"doorstep users {command}: no account named {args.name!r}.", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"doorstep users {command}: {err}.", file=sys.stderr)
        return 2
    return 0


def catalog(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """Validate, export, describe or reload the catalogue."""
    from services_catalog.export import export_catalog
    from services_catalog.loader import catalog_schema, check_catalog, load_catalog
    from services_catalog.stats import catalog_stats

    match args.catalog_command:
        case "validate" | "reload":
            folder = args.folder or settings.doorstep_catalog
            if args.catalog_command == "reload":
                folder = folder.resolve()  # other processes read it from the store, from elsewhere
            found, problems = check_catalog(folder)
            for p in problems:
                stdout.write(f"{p}\n")
            if args.catalog_command == "reload":  # kept, so the console's status page shows it too
                from services_catalog import audit

                audit.record_reload_in(
                    _engine(settings), via="command line", source=str(folder), problems=problems
                )
            if found is None:
                errors = sum(p.severity == "error" for p in problems)
                print(f"{folder}: {errors} error(s); the catalogue was not loaded.", file=sys.stderr)
                return 1
            summary = (
                f"{folder}: valid — {len(found.facilities)} facilities, {len(found.services)} services, "
                f"{len(found.indicators)} indicators, {len(found.towns)} towns"
            )
            if args.catalog_command == "reload":
                from services_catalog import store

                version = store.import_catalog(found, engine=_engine(settings))
                summary += f"; imported into the store as version {version}"
            stdout.write(summary + "\n")
            return 0
        case "export" if args.format == "hsds":
            from services_catalog.hsds import write_hsds

            if args.out is None:
                print("doorstep catalog export --format hsds: give --out DIR for the files.", file=sys.stderr)
                return 2
            for path in write_hsds(load_catalog(settings.doorstep_catalog), args.out):
                stdout.write(f"{path}\n")
            return 0
        case "export":
            stdout.write(
                json.dumps(export_catalog(load_catalog(settings.doorstep_catalog)), ensure_ascii=False) + "\n"
            )
            return 0
        case "schema":
            stdout.write(json.dumps(catalog_schema(), ensure_ascii=False, indent=2) + "\n")
            return 0
        case "stats":
            stdout.write(catalog_stats(load_catalog(settings.doorstep_catalog)) + "\n")
            return 0
        case "import":
            return import_file(settings, args, stdout)
        case "coverage":
            from services_catalog.coverage import coverage, coverage_csv, coverage_table

            report = coverage(load_catalog(settings.doorstep_catalog))
            stdout.write(coverage_csv(report) if args.csv else coverage_table(report) + "\n")
            return 0
        case "check":
            return _catalog_check(settings, args, stdout)
    raise AssertionError(args.catalog_command)


def import_file(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """`catalog import FILE`: a dry run, or with --apply the rows written into the YAML."""
    import getpass

    from services_catalog import audit, store
    from services_catalog.editing import EditRefused, edit_lock
    from services_catalog.importing import ImportFileError, apply_plan, plan_import, plan_text
    from services_catalog.loader import load_catalog

    folder = settings.doorstep_catalog.resolve()
    try:
        with edit_lock(folder):
            plan = plan_import(load_catalog(folder), args.file, default_kind=args.kind)
            writes = args.apply and (plan.count("changed") or plan.count("added"))
            saved = apply_plan(plan, folder) if writes else None
    except ImportFileError as err:
        print(f"doorstep catalog import: {err}", file=sys.stderr)
        return 2
    except EditRefused as refused:
        stdout.write(plan_text(plan, applied=False) + "\n")
        print(
            "doorstep catalog import: the catalogue would have these errors; nothing was written:",
            file=sys.stderr,
        )
        for problem in refused.errors:
            print(f"  {problem}", file=sys.stderr)
        return 1
    stdout.write(plan_text(plan, applied=bool(saved)) + "\n")
    if saved is not None:  # kept in the store's history; running consoles and bots reload it
        engine = _engine(settings)
        lines = {row.facility_id: row.line for row in plan.rows}
        from sqlmodel import Session

        with Session(engine) as session:
            for change in saved.changes:
                note = f"import {args.file.name} line {lines.get(change.facility_id)}"
                audit.record_changes(
                    session=session, changes=[change], who=getpass.getuser(), via="import", note=note
                )
        store.import_catalog(saved.catalog, engine=engine)
    return 0


# The labelled sets beside the project (an editable install or a checkout).
PROJECT_EVAL = Path(__file__).resolve().parents[1] / "eval"


def _catalog_check(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """Validate an edited catalogue, answer every labelled question with it and with the one it
    replaces, and list what changed; exit 1 when it is invalid or a set falls below its threshold."""
    from services_catalog.finder import Finder
    from services_catalog.labelled import Threshold, below, changes, read_cases, score, thresholds
    from services_catalog.loader import check_catalog, load_catalog

    folder = args.folder or settings.doorstep_catalog
    edited, problems = check_catalog(folder)
    for p in problems:
        stdout.write(f"{p}\n")
    if edited is None:
        print(f"{folder}: not valid; nothing was answered.", file=sys.stderr)
        return 1
    sets_folder = args.sets or PROJECT_EVAL
    sets = sorted(sets_folder.glob("*.jsonl"))
    if not sets:
        print(f"{sets_folder}: no labelled sets (*.jsonl) to check against", file=sys.stderr)
        return 2
    before = Finder(load_catalog(args.against or BUNDLED_CATALOG))
    after = Finder(edited)
    limits = thresholds(sets_folder)
    failing = changed = 0
    for path in sets:
        cases = read_cases(path)
        old, new = score(before, cases), score(after, cases)
        short = below(new, limits.get(path.name, Threshold()))
        failing += bool(short)
        stdout.write(
            f"{path.name}: {old.score:.3f} → {new.score:.3f}"
            + (f"  BELOW: {'; '.join(short)}" if short else "")
            + "\n"
        )
        for change in changes(old, new):
            changed += 1
            stdout.write(f"  {change.describe()}\n")
    verdict = (
        "every set at or above its threshold" if not failing else f"{failing} set(s) below their threshold"
    )
    stdout.write(f"{changed} answer(s) changed; {verdict}.\n")
    return 1 if failing else 0


# The range `--at` may take: China's holiday calendar and the hours rules know nothing outside it,
# and a date at the edge of Python's calendar overflows as soon as a time word adds a day.
AT_RANGE = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2200, 12, 31, tzinfo=dt.UTC))


def _parse_at(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    example = "an ISO 8601 date-time such as 2026-10-01T10:00"
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"at must be {example}, not {value!r}") from None
    try:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)
        in_range = AT_RANGE[0] <= aware.astimezone(dt.UTC) <= AT_RANGE[1]
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise ValueError(f"at must be between 1970 and 2200 ({example}), not {value!r}")
    return moment


def _place(finder: Any, place: str | None) -> None:
    """Refuse a place Doorstep cannot put anyone at (as the console's API does, with 422)."""
    if place and finder.resolve_place(place) is None:
        raise ValueError(
            f"place: cannot find {place!r}; give a town, residential committee, metro station or "
            "'lat,lon' (WGS-84, latitude -90..90, longitude -180..180)"
        )


def _question(raw: dict[str, Any], *, default_limit: int = 3) -> Question:
    """A Question from one `--batch` line or the `ask` flags; raises ValueError on bad fields."""
    from services_catalog.finder import guess_lang

    text = str(raw.get("text") or "")
    lang = raw.get("lang") or guess_lang(text)
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be zh or en, not {lang!r}")
    crs: Literal["wgs84", "gcj02"] = "gcj02" if raw.get("crs") == "gcj02" else "wgs84"
    if raw.get("crs") not in (None, "", "wgs84", "gcj02"):
        raise ValueError(f"crs must be wgs84 or gcj02, not {raw.get('crs')!r}")
    lat, lon = raw.get("lat"), raw.get("lon")
    if (lat is None) != (lon is None):
        raise ValueError("give both lat and lon, or neither")
    if lat is not None and lon is not None:
        lat, lon = float(lat), float(lon)
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("lat must be a number from -90 to 90 and lon from -180 to 180")
    limit_value = float(raw.get("limit") or default_limit)
    if not math.isfinite(limit_value) or limit_value < 1:
        raise ValueError("limit must be a whole number of 1 or more")
    limit = int(min(limit_value, MAX_LIMIT))
    return Question(
        text=text,
        lat=lat,
        lon=lon,
        crs=crs,
        lang=lang,
        at=_parse_at(raw.get("at")),
        place=raw.get("place") or None,
        limit=max(1, min(MAX_LIMIT, limit)),
    )


def ask(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """One question (or a batch), one answer each. Only answers go to stdout."""
    from services_catalog.finder import Finder
    from services_catalog.loader import load_catalog

    text = " ".join(args.text).strip()
    if args.batch is None and not text:
        print("doorstep ask: give the question as text (or --batch FILE).", file=sys.stderr)
        return 2
    finder = Finder(load_catalog(settings.doorstep_catalog))
    if args.batch is not None:
        return _ask_batch(finder, args.batch, stdout)
    raw = {
        "text": text,
        "lat": args.lat,
        "lon": args.lon,
        "crs": args.crs,
        "lang": args.lang,
        "at": args.at,
        "place": args.place,
        "limit": args.limit,
    }
    try:
        question = _question(raw, default_limit=args.limit)
        _place(finder, question.place)
    except ValueError as err:
        print(f"doorstep ask: {err}", file=sys.stderr)
        return 2
    answer = finder.answer(question)
    if args.json:
        stdout.write(json.dumps(AnswerJSON.of(answer).as_dict(), ensure_ascii=False) + "\n")
    else:
        stdout.write(answer.reply + "\n")
    return 0


def _batch_lines(text: str) -> list[str]:
    """The lines of a JSON Lines file: split on \\n only (U+2028, U+2029 and U+0085 may sit inside a
    JSON string and are not line ends); \\r\\n is one line end; a final line end ends no line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _batch_error(number: int, message: str) -> dict[str, Any]:
    return {"error": f"line {number}: {message}", "intent": None, "results": [], "reply": ""}


def _ask_batch(finder: Any, path: Path, stdout: TextIO) -> int:
    """One JSON answer per input line, in order; a bad or blank line gets an error object in its
    place, so the n-th answer is always the n-th line's."""
    try:
        lines = _batch_lines(path.read_text(encoding="utf-8"))
    except OSError as err:
        print(f"doorstep ask --batch: cannot read {path}: {err.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as err:
        print(f"doorstep ask --batch: {path} is not UTF-8 text (byte {err.start})", file=sys.stderr)
        return 2
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            out = _batch_error(number, 'empty line (one JSON object per line, such as {"text": "…"})')
        else:
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError('each line must be a JSON object such as {"text": "…"}')
                question = _question(raw)
                _place(finder, question.place)
                out = AnswerJSON.of(finder.answer(question)).as_dict()
            except RecursionError:
                out = _batch_error(number, "nested too deeply to be a question")
            except (ValueError, TypeError, OverflowError) as err:
                out = _batch_error(number, str(err))
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 0


__all__ = ["CatalogValidationError", "ask", "catalog", "run_bot", "run_chat", "users", "web"]
