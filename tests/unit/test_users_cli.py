"""`doorstep users`: list, token with an expiry, revoke, remove and unlock, as the contract names them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.web import accounts, throttle
from services_catalog.db import make_engine


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return make_engine(url)


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(["users", *argv], stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def add(name: str, role: str = "operator", password: str = "long enough pw") -> str:
    code, out = run("add", name, "--role", role, "--password-stdin", stdin=password + "\n")
    assert code == 0
    return out


def test_list_shows_roles_and_live_tokens(store: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    add("wang")
    add("li", "staff")
    for _ in range(2):
        code, token = run("token", "wang", "--days", "30")
        assert code == 0 and len(token.strip()) >= 40
    assert "valid until" in capsys.readouterr().err
    code, listed = run("list")
    assert code == 0
    assert listed.splitlines() == [
        "li\tstaff\ttokens: 0\tsessions: 0",
        "wang\toperator\ttokens: 2\tsessions: 0",
    ]


def test_revoke_ends_every_token_and_remove_deletes_the_account(store: Engine) -> None:
    add("tool")
    _, token = run("token", "tool")
    assert accounts.account_for_token(engine=store, token=token.strip()) is not None
    code, out = run("revoke", "tool")
    assert code == 0 and "1 token(s)" in out
    assert accounts.account_for_token(engine=store, token=token.strip()) is None
    code, _ = run("remove", "tool")
    assert code == 0 and run("list") == (0, "")
    assert run("remove", "tool")[0] == 1 and run("revoke", "tool")[0] == 1 and run("token", "tool")[0] == 1


def test_setting_the_password_again_ends_the_earlier_tokens(store: Engine) -> None:
    add("wang")
    _, token = run("token", "wang")
    out = add("wang", "staff", "another long password")
    assert "ended" in out
    assert accounts.account_for_token(engine=store, token=token.strip()) is None


def test_unlock_lifts_a_lockout_and_list_shows_it(store: Engine) -> None:
    add("wang")
    for _ in range(throttle.LOCK_AFTER):
        throttle.failed(engine=store, name="wang", address="192.0.2.3")
    assert "LOCKED" in run("list")[1]
    assert run("unlock", "wang") == (0, "wang: unlocked\n")
    assert "LOCKED" not in run("list")[1]
    assert run("unlock", "wang") == (0, "wang: was not locked\n")


def test_a_token_valid_for_an_impossible_time_is_refused(store: Engine) -> None:
    add("wang")
    assert run("token", "wang", "--days", "0")[0] == 2
    assert run("token", "wang", "--days", "99999")[0] == 2
