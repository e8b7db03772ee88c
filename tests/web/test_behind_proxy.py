"""`doorstep web` behind a TLS reverse proxy: forwarded addresses believed only from trusted proxies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bot.settings import Settings
from bot.web import accounts
from bot.web.server import proxy_options
from services_catalog.db import make_engine
from tests.local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _login(port: int, forwarded_for: str, name: str, password: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login",
        data=urllib.parse.urlencode({"username": name, "password": password}).encode(),
        headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.build_opener(_NoRedirect()).open(request, timeout=10) as response:
            return int(response.status), response.headers.get("set-cookie", "")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("set-cookie", "")


def test_the_client_address_and_scheme_come_from_a_trusted_proxy(tmp_path: Path) -> None:
    """Failed sign-ins count against the forwarded address; the cookie is Secure over the proxy's HTTPS."""
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    engine = make_engine(url)
    accounts.add_user(engine=engine, name="wang", role="operator", password="the right password")
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DOORSTEP_TRUSTED_PROXIES": "127.0.0.1",
        "DOORSTEP_SECURE_COOKIES": "true",
        "DOORSTEP_SECRET_KEY": "k",
    }
    env.pop("DOORSTEP_PUBLIC_LISTEN", None)
    log = tmp_path / "stderr.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text(errors="replace")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            # One office (one forwarded address) guessing many names: it has to wait after ten.
            for i in range(11):  # ten free, then the address waits; a new name each time
                assert _login(port, "203.0.113.5", f"name{i}", "wrong")[0] == 401
            assert _login(port, "203.0.113.5", "wang", "the right password")[0] == 429
            status, cookie = _login(port, "198.51.100.9", "wang", "the right password")  # another address
            assert status == 303 and "secure" in cookie.lower()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(20)


def test_only_addresses_and_networks_are_trusted() -> None:
    assert proxy_options(Settings()) == {"proxy_headers": False}
    assert proxy_options(Settings(doorstep_trusted_proxies="127.0.0.1, 10.0.0.0/8")) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["127.0.0.1", "10.0.0.0/8"],
    }
    try:
        proxy_options(Settings(doorstep_trusted_proxies="*"))
    except ValueError as err:
        assert "DOORSTEP_TRUSTED_PROXIES" in str(err)
    else:
        raise AssertionError("a wildcard would trust anyone")
