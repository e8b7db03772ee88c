"""Signing in: growing delays after failures, a lockout staff lift, sessions that end when they should."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, update
from sqlmodel import Session

from bot.settings import Settings
from bot.web import accounts, throttle
from bot.web.accounts import ApiToken
from bot.web.app import create_app
from services_catalog.live import LiveFinder
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, sign_in

WRONG = "not the password"


def attempt(client: TestClient, name: str, password: str) -> int:
    response = client.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    return response.status_code


def test_wrong_passwords_make_the_next_try_wait_even_with_the_right_password(
    client: TestClient, engine: Engine
) -> None:
    """Three failures are free; after the fourth the next try is refused unchecked, with Retry-After."""
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    assert [attempt(client, "wang", WRONG) for _ in range(4)] == [401, 401, 401, 401]
    response = client.post("/login", data={"username": "wang", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "秒后再试" in response.text


def test_ten_failures_lock_the_account_until_staff_unlock_it(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    """The right password is refused once locked (the issue's 2,456 guesses); a staff member lifts it."""
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    for _ in range(throttle.LOCK_AFTER):  # spread over time as a patient attacker would
        throttle.failed(engine=engine, name="wang", address="203.0.113.9")
    guesser, staff = client_for(bundled_live), client_for(bundled_live)
    locked = guesser.post("/login", data={"username": "wang", "password": PASSWORD}, follow_redirects=False)
    assert locked.status_code == 423 and "锁定" in locked.text

    sign_in(staff, "keeper")
    page = staff.get("/staff/accounts").text
    assert 'data-account="wang"' in page and "已锁定" in page
    unlocked = staff.post(
        "/staff/accounts/wang/unlock",
        data={"csrf_token": csrf_of(staff, "/staff/accounts")},
        follow_redirects=False,
    )
    assert unlocked.status_code == 303
    assert attempt(guesser, "wang", PASSWORD) == 303


def test_an_unknown_name_is_refused_exactly_like_a_locked_account(client: TestClient, engine: Engine) -> None:
    """Whether a name exists cannot be told from the answers, locked or not."""
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    for name in ("wang", "nobody"):
        for _ in range(throttle.LOCK_AFTER):
            throttle.failed(engine=engine, name=name, address="198.51.100.7")
    answers = [client.post("/login", data={"username": n, "password": "x" * 12}) for n in ("wang", "nobody")]
    assert [a.status_code for a in answers] == [423, 423]
    assert answers[0].text.replace("wang", "nobody") == answers[1].text


def test_one_address_guessing_many_names_has_to_wait(client: TestClient, engine: Engine) -> None:
    """Ten failures from one address are free (an office); then that address waits, whatever the name."""
    accounts.add_user(engine=engine, name="li", role="staff", password=PASSWORD)
    codes = [attempt(client, f"name{i}", WRONG) for i in range(throttle.ADDRESS_FREE_FAILURES + 1)]
    assert codes == [401] * (throttle.ADDRESS_FREE_FAILURES + 1)
    assert attempt(client, "li", PASSWORD) == 429  # the same address, a fresh name: it waits too


def test_delays_grow_with_failures() -> None:
    waits = [throttle.delay_after("account", n).total_seconds() for n in range(1, 10)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32]
    assert throttle.delay_after("address", 10) == dt.timedelta(0)
    assert throttle.delay_after("address", 60) == throttle.MAX_ADDRESS_DELAY


def test_a_wait_ends_and_a_success_clears_the_counts(engine: Engine) -> None:
    throttle.create_tables(engine)
    start = dt.datetime.now(dt.UTC)
    for _ in range(5):
        throttle.failed(engine=engine, name="zhao", address="192.0.2.1", now=start)
    refusal = throttle.before_attempt(engine=engine, name="zhao", address="192.0.2.1", now=start)
    assert refusal is not None and refusal.reason == "wait" and refusal.retry_after == 2
    later = start + dt.timedelta(seconds=3)
    assert throttle.before_attempt(engine=engine, name="zhao", address="192.0.2.1", now=later) is None
    throttle.succeeded(engine=engine, name="zhao", address="192.0.2.1")
    for _ in range(3):
        throttle.failed(engine=engine, name="zhao", address="192.0.2.1", now=later)
    assert throttle.before_attempt(engine=engine, name="zhao", address="192.0.2.1", now=later) is None


def test_ipv6_addresses_are_counted_by_their_64_network() -> None:
    assert throttle.address_key("2001:db8:1:2:aaaa::1") == throttle.address_key("2001:db8:1:2:bbbb::9")
    assert throttle.address_key("2001:db8:1:3::1") != throttle.address_key("2001:db8:1:2::1")
    assert throttle.address_key("::ffff:192.0.2.1") == "192.0.2.1"


# ------------------------------------------------------------------------------------ sessions


def test_a_cookie_replayed_after_sign_out_opens_nothing(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    """Sessions are kept in the store: signing out ends the session, not only the browser's cookie."""
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    browser = client_for(bundled_live)
    sign_in(browser, "wang")
    stolen = dict(browser.cookies)
    assert browser.get("/", follow_redirects=False).status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_of(browser, "/")}, follow_redirects=False)

    replay = client_for(bundled_live)
    replay.cookies.update(stolen)
    response = replay.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_new_password_ends_every_session_and_token_of_the_account(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    browser = client_for(bundled_live)
    sign_in(browser, "wang")
    token = accounts.issue_token(engine=engine, name="wang")
    api = client_for(bundled_live)
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/ask", params={"q": "图书馆"}, headers=headers).status_code == 200

    accounts.add_user(engine=engine, name="wang", role="staff", password="a new password")
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert api.get("/api/ask", params={"q": "图书馆"}, headers=headers).status_code == 401


def test_revoke_ends_tokens_and_sessions_at_once_and_remove_deletes_the_account(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    accounts.add_user(engine=engine, name="tool", role="operator", password=PASSWORD)
    first, second = (accounts.issue_token(engine=engine, name="tool") for _ in range(2))
    browser = client_for(bundled_live)
    sign_in(browser, "tool")
    [summary] = accounts.list_accounts(engine=engine)
    assert (summary.name, summary.tokens, summary.sessions) == ("tool", 2, 1)

    assert accounts.revoke(engine=engine, name="tool") == (2, 1)
    api = client_for(bundled_live)
    for token in (first, second):
        assert (
            api.get("/api/ask", params={"q": "x"}, headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert attempt(browser, "tool", PASSWORD) == 303  # the password still works: only what was issued ended

    accounts.remove(engine=engine, name="tool")
    assert accounts.list_accounts(engine=engine) == []
    assert attempt(client_for(bundled_live), "tool", PASSWORD) == 401
    with pytest.raises(LookupError):
        accounts.revoke(engine=engine, name="tool")


def test_a_token_ends_at_its_expiry(client: TestClient, engine: Engine) -> None:
    accounts.add_user(engine=engine, name="tool", role="operator", password=PASSWORD)
    token = accounts.issue_token(engine=engine, name="tool", days=7)
    expiry = accounts.token_expiry(engine=engine, token=token)
    assert expiry is not None and dt.timedelta(days=6) < expiry - dt.datetime.now(dt.UTC) <= dt.timedelta(
        days=7
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/ask", params={"q": "图书馆"}, headers=headers).status_code == 200
    with Session(engine) as session:  # a week later
        session.exec(update(ApiToken).values(expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert client.get("/api/ask", params={"q": "图书馆"}, headers=headers).status_code == 401
    assert accounts.list_accounts(engine=engine)[0].tokens == 0
    with pytest.raises(ValueError):
        accounts.issue_token(engine=engine, name="tool", days=0)


def test_the_session_cookie_is_secure_when_configured(bundled_live: LiveFinder, engine: Engine) -> None:
    """Behind a TLS proxy the cookie is marked Secure; by default (plain HTTP on localhost) it is not."""
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    cookies = []
    for secure in (False, True):
        settings = Settings(doorstep_secret_key=SecretStr("k"), doorstep_secure_cookies=secure)
        with TestClient(create_app(settings, bundled_live, engine), base_url="https://console.test") as c:
            response = c.post(
                "/login", data={"username": "wang", "password": PASSWORD}, follow_redirects=False
            )
            cookies.append(response.headers["set-cookie"].lower())
    assert "secure" not in cookies[0] and "secure" in cookies[1]
    assert all("httponly" in c and "samesite=lax" in c for c in cookies)
