"""`doorstep web --workers N`: the console served by several processes on one port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOORSTEP_PUBLIC_LISTEN", "DOORSTEP_SECRET_KEY")}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}", **extra}


def test_two_workers_serve_the_console_and_stop_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "stderr.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=_env(tmp_path, DOORSTEP_SECRET_KEY="shared by the workers"),
            stdout=out,
            stderr=out,
        )
        try:
            deadline = time.monotonic() + 90
            statuses = []
            while len(statuses) < 4:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                assert process.poll() is None, log.read_text(errors="replace")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                        statuses.append(response.status)
                except OSError:
                    time.sleep(0.3)
            assert statuses == [200] * 4
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(30)
    text = log.read_text(errors="replace")
    assert code == 0 and "2 workers" in text and "Traceback" not in text
    assert text.count("Application startup complete") == 2  # one per worker


def test_workers_need_the_shared_secret_and_leave_the_public_listener_alone(tmp_path: Path) -> None:
    for extra, says in (
        ({}, "DOORSTEP_SECRET_KEY"),
        ({"DOORSTEP_SECRET_KEY": "k", "DOORSTEP_PUBLIC_LISTEN": "127.0.0.1:1"}, "DOORSTEP_PUBLIC_LISTEN"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "web", "--port", str(free_port()), "--workers", "2"],
            cwd=ROOT,
            env=_env(tmp_path, **extra),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
