"""Console accounts: operators and staff, their passwords (scrypt) and their API bearer tokens.

Passwords are stored as `scrypt$n$r$p$salt$hash` (base64), so the cost can be raised later
without breaking old hashes. Bearer tokens are random 256-bit strings; only their SHA-256 is
stored (a token has far more entropy than a password, so a fast hash is enough).
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

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, select

Role = Literal["operator", "staff"]
ROLES: tuple[Role, ...] = ("operator", "staff")

# scrypt's usual interactive parameters (RFC 7914 §2, as in Python's docs): 16 MiB of memory.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_LEN = 32
_NAME_MAX = 64


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
    """One bearer token of an account, kept only as its SHA-256."""

    __tablename__ = "console_api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="console_user.id", index=True)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created: dt.datetime = Field(default_factory=_now)


@dataclass(frozen=True)
class Account:
    """A signed-in operator or staff member, as the console sees them."""

    name: str
    role: Role

    @property
    def is_staff(self) -> bool:
        """Whether this account may use the staff pages."""
        return self.role == "staff"


def create_tables(engine: Engine) -> None:
    """Create the account tables when they do not exist yet."""
    SQLModel.metadata.create_all(
        engine,
        tables=[ConsoleUser.__table__, ApiToken.__table__],  # type: ignore[attr-defined]  # SQLModel sets it
    )


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
    except (ValueError, TypeError, MemoryError):  # a damaged or absurd stored hash
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def add_user(*, engine: Engine, name: str, role: str, password: str) -> None:
    """Create the account `name`, or give an existing one this role and password."""
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
        if user is None:
            user = ConsoleUser(name=name, role=role, password_hash=hash_password(password))
        else:
            user.role = role
            user.password_hash = hash_password(password)
            user.updated = _now()
        session.add(user)
        session.commit()


def issue_token(*, engine: Engine, name: str) -> str:
    """A new bearer token for `name` (earlier ones stay valid); raises LookupError for no such account."""
    create_tables(engine)
    with Session(engine) as session:
        user = session.exec(select(ConsoleUser).where(ConsoleUser.name == name.strip())).first()
        if user is None or user.id is None:
            raise LookupError(f"no console account named {name!r}")
        token = secrets.token_urlsafe(32)
        session.add(ApiToken(user_id=user.id, token_sha256=_sha256(token)))
        session.commit()
    return token


def has_accounts(*, engine: Engine) -> bool:
    """Whether any console account exists."""
    create_tables(engine)
    with Session(engine) as session:
        return session.exec(select(ConsoleUser.id).limit(1)).first() is not None


def authenticate(*, engine: Engine, name: str, password: str) -> Account | None:
    """The account when `name` and `password` match, else None."""
    with Session(engine) as session:
        user = session.exec(select(ConsoleUser).where(ConsoleUser.name == name.strip())).first()
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, user.password_hash):
        return None
    return _account(user)


def account_for_token(*, engine: Engine, token: str) -> Account | None:
    """The account a bearer token belongs to, else None."""
    if not token:
        return None
    with Session(engine) as session:
        user = session.exec(
            select(ConsoleUser)
            .join(ApiToken, ApiToken.user_id == ConsoleUser.id)  # type: ignore[arg-type]  # SQLModel column
            .where(ApiToken.token_sha256 == _sha256(token))
        ).first()
    return _account(user) if user is not None else None


def find_account(*, engine: Engine, name: str) -> Account | None:
    """The account `name` as stored now (its role may have changed since sign-in)."""
    with Session(engine) as session:
        user = session.exec(select(ConsoleUser).where(ConsoleUser.name == name)).first()
    return _account(user) if user is not None else None


def _account(user: ConsoleUser) -> Account | None:
    if user.role not in ROLES:
        return None
    return Account(name=user.name, role=user.role)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, *, dklen: int = _SCRYPT_LEN) -> bytes:
    maxmem = 64 * 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
