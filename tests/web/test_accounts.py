"""Console accounts: scrypt passwords, hashed bearer tokens, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.web import accounts
from bot.web.accounts import ApiToken, ConsoleUser


def test_a_new_account_signs_in_with_its_password_only(engine: Engine) -> None:
    """It checks the password, and a wrong name or password gives nothing."""
    accounts.add_user(engine=engine, name="wang", role="operator", password="s3cret-pass")
    account = accounts.authenticate(engine=engine, name="wang", password="s3cret-pass")
    assert account is not None and account.role == "operator" and not account.is_staff
    assert accounts.authenticate(engine=engine, name="wang", password="s3cret-pasS") is None
    assert accounts.authenticate(engine=engine, name="li", password="s3cret-pass") is None


def test_the_password_is_stored_as_a_salted_scrypt_hash(engine: Engine) -> None:
    """No plain text, and the same password hashes differently each time."""
    accounts.add_user(engine=engine, name="a", role="staff", password="same-password")
    accounts.add_user(engine=engine, name="b", role="staff", password="same-password")
    with Session(engine) as session:
        hashes = [u.password_hash for u in session.exec(select(ConsoleUser))]
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes)
    assert all("same-password" not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_adding_an_existing_account_updates_its_role_and_password(engine: Engine) -> None:
    """`users add` on an existing name changes it rather than failing."""
    accounts.add_user(engine=engine, name="zhao", role="operator", password="old-password")
    accounts.add_user(engine=engine, name="zhao", role="staff", password="new-password")
    assert accounts.authenticate(engine=engine, name="zhao", password="old-password") is None
    account = accounts.authenticate(engine=engine, name="zhao", password="new-password")
    assert account is not None and account.is_staff


def test_a_bearer_token_is_stored_only_as_its_hash(engine: Engine) -> None:
    """The token leads back to its account; the store never holds it in clear."""
    accounts.add_user(engine=engine, name="tool", role="operator", password="tool-password")
    token = accounts.issue_token(engine=engine, name="tool")
    assert len(token) >= 40
    account = accounts.account_for_token(engine=engine, token=token)
    assert account is not None and account.name == "tool"
    with Session(engine) as session:
        stored = [t.token_sha256 for t in session.exec(select(ApiToken))]
    assert token not in stored
    assert accounts.account_for_token(engine=engine, token=token + "x") is None
    assert accounts.account_for_token(engine=engine, token="") is None


def test_a_token_for_an_unknown_account_is_a_lookup_error(engine: Engine) -> None:
    with pytest.raises(LookupError):
        accounts.issue_token(engine=engine, name="nobody")


def test_has_accounts_tells_whether_anyone_can_sign_in(engine: Engine) -> None:
    assert not accounts.has_accounts(engine=engine)
    accounts.add_user(engine=engine, name="first", role="staff", password="first-password")
    assert accounts.has_accounts(engine=engine)


@pytest.mark.parametrize(
    ("name", "role", "password"), [("x", "admin", "pw-long-enough"), ("", "staff", "pw"), ("x", "staff", "")]
)
def test_bad_account_details_are_refused(engine: Engine, name: str, role: str, password: str) -> None:
    with pytest.raises(ValueError):
        accounts.add_user(engine=engine, name=name, role=role, password=password)
