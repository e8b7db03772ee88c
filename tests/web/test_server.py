"""`doorstep web`: the console stays on this machine until someone can sign in."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.settings import Settings
from bot.web.server import is_loopback, serve
from services_catalog.live import LiveFinder


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "console.example.org"])
def test_without_accounts_it_refuses_to_listen_beyond_localhost(
    host: str, engine: Engine, bundled_live: LiveFinder, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(doorstep_secret_key=SecretStr("x"))
    assert serve(settings, bundled_live, engine, host=host, port=8080) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert "doorstep users add" in message and host in message


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("10.0.0.5", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts_are_recognised(host: str, local: bool) -> None:
    assert is_loopback(host) is local
