"""The `doorstep` command. Configuration is read here, once, and passed down."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot.settings import Settings
from services_catalog.errors import CatalogError, StoreError
from services_catalog.models import KIND_IDS


def build_parser() -> argparse.ArgumentParser:
    """The command line, as the contract describes it."""
    parser = argparse.ArgumentParser(
        prog="doorstep", description="Doorstep (家门口): Qingpu's public services"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal chat")
    sub.add_parser("chat", help="the terminal chat")

    bot = sub.add_parser("bot", help="the Telegram bot")
    bot.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to (webhook mode)")
    bot.add_argument("--listen", default="127.0.0.1", help="address the webhook server listens on")
    bot.add_argument("--port", type=int, default=8443, help="port the webhook server listens on")
    bot.add_argument("--secret-token", help="secret Telegram sends in each webhook request")

    ask = sub.add_parser("ask", help="one question, one answer")
    ask.add_argument("text", nargs="*", help="the question")
    ask.add_argument("--batch", type=Path, help="a file of JSON lines, one question each")
    ask.add_argument("--lat", type=float)
    ask.add_argument("--lon", type=float)
    ask.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
    ask.add_argument("--lang", choices=("zh", "en"), default=None)
    ask.add_argument("--at", help="ISO 8601 date-time (Asia/Shanghai when no offset)")
    ask.add_argument("--place", help="where the person is: a town, committee, station or landmark")
    ask.add_argument("--limit", type=int, default=3)
    ask.add_argument("--json", action="store_true", help="the contract's JSON answer")

    catalog = sub.add_parser("catalog", help="the YAML catalogue")
    csub = catalog.add_subparsers(dest="catalog_command", required=True)
    validate = csub.add_parser("validate", help="check the YAML catalogue")
    validate.add_argument("folder", nargs="?", type=Path)
    export = csub.add_parser("export", help="the loaded catalogue as JSON, or as HSDS 3.0 JSON files")
    export.add_argument("--format", choices=("json", "hsds"), default="json")
    export.add_argument("--out", type=Path, help="the folder for the HSDS files (with --format hsds)")
    csub.add_parser("schema", help="the JSON Schema of the catalogue files, for editors")
    csub.add_parser("stats", help="what the catalogue holds and how much of it is verified")
    check = csub.add_parser(
        "check",
        help="validate an edited catalogue, then list the labelled questions whose answers it changes",
    )
    check.add_argument(
        "folder", nargs="?", type=Path, help="the edited catalogue (default: DOORSTEP_CATALOG)"
    )
    check.add_argument(
        "--against", type=Path, help="the catalogue to compare with (default: the bundled one)"
    )
    check.add_argument(
        "--sets", type=Path, help="folder of labelled *.jsonl sets (default: the project's eval/)"
    )
    reload = csub.add_parser("reload", help="validate and import the catalogue into the store")
    reload.add_argument("folder", nargs="?", type=Path)
    imports = csub.add_parser(
        "import", help="rows of a CSV or XLSX file into the catalogue (a dry run first)"
    )
    imports.add_argument(
        "file", type=Path, help="a .csv or .xlsx file with a header row (名称, 地址, 电话, ...)"
    )
    imports.add_argument("--kind", choices=KIND_IDS, help="the kind of new places when the file has no 类别")
    imports.add_argument("--apply", action="store_true", help="write the changes (default: only show them)")
    coverage = csub.add_parser("coverage", help="the 15-minute-walk coverage by town and kind (estimates)")
    coverage.add_argument("--csv", action="store_true", help="one CSV row per town and kind")

    web = sub.add_parser("web", help="the operator console")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)

    users = sub.add_parser("users", help="console accounts")
    usub = users.add_subparsers(dest="users_command", required=True)
    add = usub.add_parser("add", help="create or update an account")
    add.add_argument("name")
    add.add_argument("--role", choices=("operator", "staff"), required=True)
    add.add_argument("--password-stdin", action="store_true", required=True)
    token = usub.add_parser("token", help="print a new API bearer token")
    token.add_argument("name")
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run the `doorstep` command; returns the exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as err:
        fields = ", ".join(str(e["loc"][0]).upper() for e in err.errors() if e["loc"])
        print(f"doorstep: invalid setting in the environment: {fields}", file=sys.stderr)
        return 2
    try:
        return _dispatch(args, settings, stdin, stdout)
    except CatalogError as err:
        print(str(err), file=sys.stderr)
        return 1
    except StoreError as err:
        print(f"doorstep: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        # SQLAlchemy is imported only here: `doorstep ask` never opens the store, and importing
        # it would add a third of a second to every cold start.
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(err, SQLAlchemyError):
            raise
        print(
            f"doorstep: cannot use the store at DATABASE_URL ({_redacted(settings.database_url)}): "
            f"{type(err).__name__}: {str(err).splitlines()[0][:200]}",
            file=sys.stderr,
        )
        return 1


def _dispatch(args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    from bot import commands

    match args.command:
        case "run":
            if settings.telegram_bot_token is not None and settings.telegram_bot_token.get_secret_value():
                return commands.run_bot(settings, args)
            return commands.run_chat(settings, stdin, stdout)
        case "chat":
            return commands.run_chat(settings, stdin, stdout)
        case "bot":
            return commands.run_bot(settings, args)
        case "ask":
            return commands.ask(settings, args, stdout)
        case "catalog":
            return commands.catalog(settings, args, stdout)
        case "web":
            return commands.web(settings, args)
        case "users":
            return commands.users(settings, args, stdin, stdout)
    raise AssertionError(args.command)


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as the error says it is
        return "<unparsable>"


def print_json(data: object, stdout: TextIO) -> None:
    """One JSON document on one line, UTF-8 as is."""
    stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
