"""Console accounts: operators and staff, their passwords (scrypt), API tokens and signed-in sessions.

Passwords are stored as `scrypt$n$r$p$salt$hash` (base64), so the cost can be raised later
without breaking old hashes. Bearer tokens and session ids are random 256-bit strings; only
their SHA-256 is stored (they have far more entropy than a password, so a fast hash is enough).

Both end:
- a token at its expiry (`TOKEN_DAYS` unless said otherwise), a session after `SESSION_HOURS`;
- a session when its browser signs out (the row goes, so a copied cookie opens nothing);
- every token and session of an account when its password is set again (`add_user` on an
  existing name), when it is revoked (`revoke`) or removed (`remove`).
Every request reads them from the store, so this holds at once in every process.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, text
from sqlmodel import Field, Session, SQLModel, col, delete, select

from services_catalog.db import create_all

Role = Literal["operator", "staff"]
ROLES: tuple[Role, ...] = ("operator", "staff")

# scrypt's usual interactive parameters (RFC 7914 §2, as in Python's docs): 16 MiB of memory.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_LEN = 32
_NAME_MAX = 64
# A bearer token is valid this long unless `issue_token` is told otherwise.
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650
# A signed-in browser session: one working day, then sign in again.
SESSION_HOURS = 12
# Announced (PostgreSQL NOTIFY) whenever tokens or sessions end or an account changes, so every
# console forgets the tokens it remembers (`bot.web.token_cache`).
CHANGES_CHANNEL = "doorstep_accounts"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConsoleUser(SQLModel, table=True):
    """Someone who may sign in to the operator console."""

    __tablename__ = "console_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=_NAME_MAX, unique=True, index=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    created: dt.datetime = Field(default_factory=_now)
    updated: dt.datetime = Field(default_factory=_now)


class ApiToken(SQLModel, table=True):
    """One bearer token of an account, kept only as its SHA-256, valid until `expires`."""

    __tablename__ = "console_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="console_user.id", index=True)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created: dt.datetime = Field(default_factory=_now)
    expires: dt.datetime = Field(index=True)


class SignedInSession(SQLModel, table=True):
    """A browser signed in to the console, kept here so that signing out (or a revoke) ends it.

    The browser's cookie holds the random session id; only its SHA-256 is kept.
    """

    __tablename__ = "console_session"

    id_sha256: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="console_user.id", index=True)
    created: dt.datetime = Field(default_factory=_now)
    expires: dt.datetime = Field(index=True)


# Tokens made before tokens had an expiry were kept here; they end with the upgrade (issue new
# ones with `doorstep users token NAME`).
_TOKENS_WITHOUT_EXPIRY = Table("console_api_token", MetaData(), Column("id", Integer, primary_key=True))


@dataclass(frozen=True)
class Account:
    """A signed-in operator or staff member, as the console sees them."""

    name: str
    role: Role

    @property
    def is_staff(self) -> bool:
        """Whether this account may use the staff pages."""
        return self.role == "staff"


@dataclass(frozen=True)
class AccountSummary:
    """One line of `doorstep users list`."""

    name: str
    role: str
    tokens: int  # live (unexpired) bearer tokens
    sessions: int  # live signed-in browsers
    created: dt.datetime


def create_tables(engine: Engine) -> None:
    """Create the account tables when they do not exist yet (and drop the old tokens without expiry)."""
    create_all(
        engine,
        tables=[
            ConsoleUser.__table__,  # type: ignore[attr-defined]  # SQLModel sets it
            ApiToken.__table__,  # type: ignore[attr-defined]
            SignedInSession.__table__,  # type: ignore[attr-defined]
        ],
    )
    _TOKENS_WITHOUT_EXPIRY.drop(engine, checkfirst=True)


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, with its parameters."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), dklen=len(expected))
    except (ValueError, TypeError, MemoryError, UnicodeEncodeError):  # damaged hash, unencodable text
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def add_user(*, engine: Engine, name: str, role: str, password: str) -> bool:
    """Create the account `name`, or give an existing one this role and password.

    Setting the password of an existing account ends all its tokens and sessions (whoever held
    them must sign in, or be given a token, again). True when the account is new.
    """
    name = name.strip()
    if not name or len(name) > _NAME_MAX:
        raise ValueError(f"an account name has 1 to {_NAME_MAX} characters")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not password:
        raise ValueError("the password is empty")
    create_tables(engine)
    with Session(engine) as session:
        user = session.exec(select(ConsoleUser).where(ConsoleUser.name == name)).first()
        created = user is None
        if user is None:
            user = ConsoleUser(name=name, role=role, password_hash=hash_password(password))
        else:
            user.role = role
            user.password_hash = hash_password(password)
            user.updated = _now()
            _end_all(session, user)
        session.add(user)
        session.commit()
    return created


def issue_token(*, engine: Engine, name: str, days: int = TOKEN_DAYS) -> str:
    """A new bearer token for `name`, valid `days` days (earlier ones stay valid until they end).

    Raises LookupError for no such account, ValueError for a validity outside 1..MAX_TOKEN_DAYS.
    """
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token is valid for 1 to {MAX_TOKEN_DAYS} days")
    create_tables(engine)
    with Session(engine) as session:
        user = _user(session, name)
        if user is None or user.id is None:
            raise LookupError(f"no console account named {name!r}")
        token = secrets.token_urlsafe(32)
        expires = _now() + dt.timedelta(days=days)
        session.add(ApiToken(user_id=user.id, token_sha256=_sha256(token), expires=expires))
        session.commit()
    return token


def token_expiry(*, engine: Engine, token: str) -> dt.datetime | None:
    """When `token` ends (UTC), or None when it is not a live token."""
    with Session(engine) as session:
        row = session.exec(
            select(ApiToken).where(ApiToken.token_sha256 == _sha256(token), col(ApiToken.expires) > _now())
        ).first()
    return _utc(row.expires) if row is not None else None


def has_accounts(*, engine: Engine) -> bool:
    """Whether any console account exists."""
    create_tables(engine)
    with Session(engine) as session:
        return session.exec(select(ConsoleUser.id).limit(1)).first() is not None


def authenticate(*, engine: Engine, name: str, password: str) -> Account | None:
    """The account when `name` and `password` match, else None.

    This only checks the password: sign-in pages go through `bot.web.throttle` first.
    """
    with Session(engine) as session:
        user = _user(session, name)
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, user.password_hash):
        return None
    return _account(user)


def account_for_token(*, engine: Engine, token: str) -> Account | None:
    """The account a live bearer token belongs to, else None."""
    found = live_token(engine=engine, token=token)
    return found[0] if found is not None else None


def live_token(*, engine: Engine, token: str) -> tuple[Account, dt.datetime] | None:
    """The account a live bearer token belongs to, and when the token ends; else None."""
    if not token:
        return None
    with Session(engine) as session:
        row = session.exec(
            select(ConsoleUser, ApiToken.expires)
            .join(ApiToken, ApiToken.user_id == ConsoleUser.id)  # type: ignore[arg-type]  # SQLModel column
            .where(ApiToken.token_sha256 == _sha256(token), col(ApiToken.expires) > _now())
        ).first()
    if row is None:
        return None
    user, expires = row
    account = _account(user)
    return (account, _utc(expires)) if account is not None else None


def start_session(*, engine: Engine, name: str) -> str:
    """A new signed-in session for `name`: the id for the browser's cookie (only its hash is kept)."""
    with Session(engine) as session:
        user = _user(session, name)
        if user is None or user.id is None:
            raise LookupError(f"no console account named {name!r}")
        session_id = secrets.token_urlsafe(32)
        expires = _now() + dt.timedelta(hours=SESSION_HOURS)
        session.add(SignedInSession(id_sha256=_sha256(session_id), user_id=user.id, expires=expires))
        session.commit()
    return session_id


def account_for_session(*, engine: Engine, session_id: str) -> Account | None:
    """The account of a live session id (its role as stored now), else None."""
    if not session_id:
        return None
    with Session(engine) as session:
        user = session.exec(
            select(ConsoleUser)
            .join(SignedInSession, SignedInSession.user_id == ConsoleUser.id)  # type: ignore[arg-type]
            .where(SignedInSession.id_sha256 == _sha256(session_id), col(SignedInSession.expires) > _now())
        ).first()
    return _account(user) if user is not None else None


def end_session(*, engine: Engine, session_id: str) -> None:
    """End one signed-in session (signing out): its cookie opens nothing any more."""
    if not session_id:
        return
    with Session(engine) as session:
        session.exec(delete(SignedInSession).where(col(SignedInSession.id_sha256) == _sha256(session_id)))
        session.commit()


def revoke(*, engine: Engine, name: str) -> tuple[int, int]:
    """End every token and session of `name` at once: (tokens, sessions) ended; LookupError if none."""
    create_tables(engine)
    with Session(engine) as session:
        user = _user(session, name)
        if user is None:
            raise LookupError(f"no console account named {name!r}")
        ended = _end_all(session, user)
        session.commit()
    return ended


def remove(*, engine: Engine, name: str) -> None:
    """Delete the account `name` with its tokens and sessions; LookupError when there is none."""
    create_tables(engine)
    with Session(engine) as session:
        user = _user(session, name)
        if user is None:
            raise LookupError(f"no console account named {name!r}")
        _end_all(session, user)
        session.flush()
        session.delete(user)
        session.commit()


def list_accounts(*, engine: Engine) -> list[AccountSummary]:
    """Every account with its role and how many live tokens and sessions it has, by name."""
    create_tables(engine)
    now = _now()
    with Session(engine) as session:
        users = list(session.exec(select(ConsoleUser).order_by(col(ConsoleUser.name))))
        tokens = _live_counts(session, ApiToken, now)
        sessions = _live_counts(session, SignedInSession, now)
    return [
        AccountSummary(
            name=u.name,
            role=u.role,
            tokens=tokens.get(u.id or 0, 0),
            sessions=sessions.get(u.id or 0, 0),
            created=_utc(u.created),
        )
        for u in users
    ]


def purge_expired(*, engine: Engine) -> int:
    """Delete tokens and sessions past their end (they already open nothing); how many went."""
    create_tables(engine)
    now = _now()
    with Session(engine) as session:
        gone = 0
        for table in (ApiToken, SignedInSession):
            result = session.exec(delete(table).where(col(table.expires) <= now))
            gone += int(result.rowcount or 0)
        session.commit()
    return gone


def find_account(*, engine: Engine, name: str) -> Account | None:
    """The account `name` as stored now (its role may have changed since sign-in)."""
    with Session(engine) as session:
        user = session.exec(select(ConsoleUser).where(ConsoleUser.name == name)).first()
    return _account(user) if user is not None else None


def _announce_change(session: Session) -> None:
    """Tell every console, when this transaction commits, that accounts changed (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGES_CHANNEL})


def _user(session: Session, name: str) -> ConsoleUser | None:
    return session.exec(select(ConsoleUser).where(ConsoleUser.name == name.strip())).first()


def _end_all(session: Session, user: ConsoleUser) -> tuple[int, int]:
    """Delete every token and session of `user` (in the caller's transaction), and say so."""
    _announce_change(session)
    tokens = session.exec(delete(ApiToken).where(col(ApiToken.user_id) == user.id))
    sessions = session.exec(delete(SignedInSession).where(col(SignedInSession.user_id) == user.id))
    return int(tokens.rowcount or 0), int(sessions.rowcount or 0)


def _live_counts(
    session: Session, table: type[ApiToken] | type[SignedInSession], now: dt.datetime
) -> dict[int, int]:
    query = select(table.user_id, func.count()).where(col(table.expires) > now).group_by(col(table.user_id))
    return {int(user_id): int(n) for user_id, n in session.exec(query)}


def _account(user: ConsoleUser) -> Account | None:
    if user.role not in ROLES:
        return None
    return Account(name=user.name, role=user.role)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC (SQLite gives it back without its zone)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, *, dklen: int = _SCRYPT_LEN) -> bytes:
    maxmem = 64 * 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
