"""Sign-in throttling: growing delays per account and per address, and a lockout that staff lift.

Failed sign-ins are counted in the store, so every console process sees the same counts:

    per account name   3 failures free; then 1 s, 2 s, 4 s … before the next try is even checked;
                       after 10 the account is locked, the right password included, until staff
                       lift it (`doorstep users unlock NAME`, or the console's accounts page)
    per address        10 failures free (an office behind one address); then 1 s, 2 s, 4 s …
                       up to an hour; never locked (that would lock out a whole office)

A try that comes too early is refused without looking at the password (so it tells nothing),
with how long to wait. A name that has no account is counted and locked like one that has, so
the answers say nothing about which names exist. A successful sign-in clears both counts. Counts
are forgotten a day after their last failure, unless the account is locked. An IPv6 address is
counted by its /64 network (one line's worth of addresses).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, delete, select

from services_catalog.db import create_all
from services_catalog.redact import valid_unicode

ACCOUNT_FREE_FAILURES = 3
LOCK_AFTER = 10
ADDRESS_FREE_FAILURES = 10
MAX_ADDRESS_DELAY = dt.timedelta(hours=1)
FORGET_AFTER = dt.timedelta(days=1)

Scope = Literal["account", "address"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SignInFailures(SQLModel, table=True):
    """Failed sign-ins of one account name, or from one address, since the last success."""

    __tablename__ = "signin_failures"

    scope: str = Field(primary_key=True, max_length=8)  # "account" or "address"
    key: str = Field(primary_key=True, max_length=64)  # the name tried, or the address (IPv6: its /64)
    failures: int = 0
    last_failure: dt.datetime = Field(default_factory=_now, index=True)
    not_before: dt.datetime | None = None  # no try is checked before this
    locked: bool = False  # accounts only: until staff lift it


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not even checked: too soon after failures, or a locked account."""

    reason: Literal["wait", "locked"]
    retry_after: int = 0  # seconds (for "wait")


def create_tables(engine: Engine) -> None:
    """Create the table of failures when it does not exist yet."""
    create_all(engine, tables=[SignInFailures.__table__])  # type: ignore[attr-defined]


def address_key(address: str) -> str:
    """What an address is counted under: itself, or its /64 network for IPv6."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def delay_after(scope: Scope, failures: int) -> dt.timedelta:
    """How long to wait before the next try, after `failures` failures in a row."""
    free = ACCOUNT_FREE_FAILURES if scope == "account" else ADDRESS_FREE_FAILURES
    if failures <= free:
        return dt.timedelta(0)
    seconds = 2.0 ** min(failures - free - 1, 20)
    return min(dt.timedelta(seconds=seconds), MAX_ADDRESS_DELAY)


def before_attempt(
    *, engine: Engine, name: str, address: str, now: dt.datetime | None = None
) -> Refusal | None:
    """None when a sign-in as `name` from `address` may be checked now, else why not."""
    now = now or _now()
    keys = _keys(name, address)
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(SignInFailures).where(
                    (col(SignInFailures.scope) == "account") & (col(SignInFailures.key) == keys["account"])
                    | (col(SignInFailures.scope) == "address") & (col(SignInFailures.key) == keys["address"])
                )
            )
        )
    if any(r.locked for r in rows if r.scope == "account"):
        return Refusal("locked")
    wait = max((_utc(r.not_before) - now for r in rows if r.not_before is not None), default=None)
    if wait is not None and wait > dt.timedelta(0):
        return Refusal("wait", max(1, math.ceil(wait.total_seconds())))
    return None


def failed(*, engine: Engine, name: str, address: str, now: dt.datetime | None = None) -> None:
    """Count one failed sign-in against the name and the address (atomically, across processes)."""
    now = now or _now()
    table: Any = SignInFailures.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    with Session(engine) as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for scope, key in _keys(name, address).items():
            counted = (
                insert(table)
                .values(scope=scope, key=key, failures=1, last_failure=now, locked=False)
                .on_conflict_do_update(
                    index_elements=["scope", "key"],
                    set_={"failures": table.c.failures + 1, "last_failure": now},
                )
                .returning(table.c.failures)
            )
            failures = int(session.execute(counted).scalar_one())
            delay = delay_after(scope, failures)
            values: dict[str, Any] = {"not_before": now + delay if delay else None}
            if scope == "account" and failures >= LOCK_AFTER:
                values["locked"] = True
            session.execute(
                update(table).where(and_(table.c.scope == scope, table.c.key == key)).values(**values)
            )
        session.commit()


def succeeded(*, engine: Engine, name: str, address: str) -> None:
    """Clear the counts of the name and the address after a successful sign-in."""
    keys = _keys(name, address)
    with Session(engine) as session:
        for scope, key in keys.items():
            session.exec(
                delete(SignInFailures).where(
                    col(SignInFailures.scope) == scope, col(SignInFailures.key) == key
                )
            )
        session.commit()


def unlock(*, engine: Engine, name: str) -> bool:
    """Lift the lockout of `name` (and forget its failures); False when it was not locked."""
    create_tables(engine)
    with Session(engine) as session:
        row = session.get(SignInFailures, ("account", _name_key(name)))
        if row is None:
            return False
        was_locked = row.locked
        session.delete(row)
        session.commit()
    return was_locked


def locked_names(*, engine: Engine) -> set[str]:
    """The account names locked now."""
    create_tables(engine)
    with Session(engine) as session:
        query = select(SignInFailures.key).where(
            col(SignInFailures.scope) == "account", col(SignInFailures.locked).is_(True)
        )
        return set(session.exec(query))


def purge(*, engine: Engine, now: dt.datetime | None = None) -> int:
    """Forget counts a day after their last failure (locked accounts stay locked); how many went."""
    create_tables(engine)
    cutoff = (now or _now()) - FORGET_AFTER
    with Session(engine) as session:
        result = session.exec(
            delete(SignInFailures).where(
                col(SignInFailures.last_failure) < cutoff, col(SignInFailures.locked).is_(False)
            )
        )
        session.commit()
    return int(result.rowcount or 0)


def _name_key(name: str) -> str:
    return valid_unicode(name.strip())[:64]


def _keys(name: str, address: str) -> dict[Scope, str]:
    return {"account": _name_key(name), "address": address_key(address)}


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
