"""`doorstep web` under load on PostgreSQL, beside a bare FastAPI endpoint, measured by wrk in one run.

Every server here is a new process started by this benchmark, served by the same uvicorn (its
defaults, as `doorstep web` runs), and loaded by the same tool, Debian's `wrk`, from this machine:

    bare            a FastAPI endpoint answering a small JSON object (`bench.bare_app:app`)
    bare + answer   the same endpoint returning the Finder's answer, nothing else
                    (`bench.bare_app:answering_app`): what the answer itself costs
    doorstep web    `GET /api/ask` with a bearer token, on a PostgreSQL store, 1 and 2 workers

Requests cycle through the dev set's questions (with their coordinates as `place` when they have
them), so answers are not one repeated question. Targets (issue 11): /api/ask throughput with one
worker at least 0.5 times the bare endpoint's, more with two workers, and its p99 latency at 200
concurrent requests at most twice the bare endpoint's.

Also measured: one per-user limit check (`bot.limits.StoreLimit`, PostgreSQL) beside a Redis
INCR + EXPIRE on 127.0.0.1:6379, the alternative the issue names.

Needs `wrk` (`make bench` installs Debian's when it can) and PostgreSQL (BENCH_DATABASE_URL or
TEST_DATABASE_URL); says so and skips this part otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "eval" / "dev.jsonl"
DURATION = 10  # seconds of each measured run (after WARM_UP seconds unmeasured)
WARM_UP = 3
START_TIMEOUT = 90.0


@dataclass(frozen=True)
class Run:
    """What wrk measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx responses and socket errors


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _paths() -> list[str]:
    """/api/ask?q=… for each dev question (with `place=lat,lon` when it has coordinates)."""
    paths = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if len(row["text"]) > 500:  # the API refuses it (422), as it should
            continue
        params = {"q": row["text"]}
        if row.get("lat") is not None and row.get("lon") is not None:
            params["place"] = f"{row['lat']},{row['lon']}"
        paths.append("/api/ask?" + urllib.parse.urlencode(params))
    return paths


def _lua(paths: list[str], token: str) -> str:
    """A wrk script sending the paths in turn with the bearer token."""
    listed = ",\n".join(json.dumps(p) for p in paths)
    return (
        f"local paths = {{\n{listed}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = (i % #paths) + 1\n"
        f'  return wrk.format("GET", paths[i], {{ ["Authorization"] = "Bearer {token}" }})\n'
        "end\n"
    )


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, script: Path, connections: int, duration: int = DURATION) -> Run:
    """Load `url` with wrk (2 threads) for `duration` seconds; the figures."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Run(rps, p50 * 1000, p99 * 1000, errors)


@contextmanager
def server(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """A server process listening on `port`, until the block ends (then SIGTERM)."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[2:4]} exited: {log.read_text(errors='replace')[-500:]}")
                try:
                    urllib.request.urlopen(f"{base}/api/ask?q=x", timeout=2)
                    break
                except urllib.error.HTTPError:
                    break  # answering (a 401 without a token is an answer)
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{command} did not start") from None
                    time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@contextmanager
def schema(url: str) -> Iterator[str]:
    """A schema of its own in the PostgreSQL database at `url`; the URL that uses it."""
    from sqlalchemy import text

    from services_catalog.db import make_engine

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={urllib.parse.quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def measure_and_print(label: str, base: str, script: Path, connections: int) -> Run:
    wrk(f"{base}/api/ask", script, connections, WARM_UP)
    run = wrk(f"{base}/api/ask", script, connections)
    print(
        f"  {label:34s} c={connections:<3d} {run.rps:7.0f} req/s   p50 {run.p50_ms:6.1f} ms   "
        f"p99 {run.p99_ms:6.1f} ms" + (f"   {run.errors} errors" if run.errors else "")
    )
    return run


def limit_costs(url: str) -> None:
    """One per-user limit check in PostgreSQL, beside a Redis INCR + EXPIRE (when Redis runs)."""
    from bot.limits import StoreLimit
    from services_catalog.db import make_engine

    engine = make_engine(url)
    limit = StoreLimit(engine, "bench", 10**9)
    for i in range(200):
        limit.check(i)
    costs = []
    for i in range(3000):
        t0 = time.perf_counter()
        limit.check(i % 500)
        costs.append(time.perf_counter() - t0)
    engine.dispose()
    pg = (statistics.median(costs) * 1000, sorted(costs)[int(0.99 * len(costs))] * 1000)
    print(f"  per-user limit check, PostgreSQL (one upsert): p50 {pg[0]:.3f} ms, p99 {pg[1]:.3f} ms")
    try:
        redis = socket.create_connection(("127.0.0.1", 6379), timeout=2)
    except OSError:
        print("  Redis at 127.0.0.1:6379 not reachable: no comparison")
        return
    with redis:
        costs = []
        for i in range(3000):
            key = f"doorstep-bench:{i % 500}"
            t0 = time.perf_counter()
            for command in (("INCR", key), ("EXPIRE", key, "120")):
                redis.sendall(_resp(command))
                _read_reply(redis)
            costs.append(time.perf_counter() - t0)
        redis.sendall(_resp(("DEL", *(f"doorstep-bench:{i}" for i in range(500)))))
        _read_reply(redis)
    rd = (statistics.median(costs) * 1000, sorted(costs)[int(0.99 * len(costs))] * 1000)
    print(f"  per-user limit check, Redis (INCR + EXPIRE):   p50 {rd[0]:.3f} ms, p99 {rd[1]:.3f} ms")


def _resp(parts: tuple[str, ...]) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def main() -> list[tuple[str, bool]]:
    """Measure, print the figures, and return the targets with whether each was met."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if shutil.which("wrk") is None:
        print("  skipped: wrk is not installed (apt-get install wrk; `make bench` tries to)")
        return []
    if not url:
        print("  skipped: no PostgreSQL (set BENCH_DATABASE_URL or TEST_DATABASE_URL)")
        return []
    from bot.web import accounts
    from services_catalog.db import create_tables, make_engine

    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    paths = _paths()
    with schema(url) as db_url, tempfile.TemporaryDirectory(prefix="doorstep-bench-") as tmp:
        engine = make_engine(db_url)
        create_tables(engine)
        accounts.add_user(engine=engine, name="bench", role="operator", password="bench-password-long")
        token = accounts.issue_token(engine=engine, name="bench")
        engine.dispose()
        script = Path(tmp) / "ask.lua"
        script.write_text(_lua(paths, token), encoding="utf-8")
        env = {**os.environ, "DATABASE_URL": db_url, "DOORSTEP_SECRET_KEY": "bench"}
        env.pop("DOORSTEP_PUBLIC_LISTEN", None)
        doorstep = str(Path(sys.executable).with_name("doorstep"))
        uvicorn = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning"]
        runs: dict[str, Run] = {}
        print(f"  {len(paths)} dev questions in turn, {DURATION} s a run after {WARM_UP} s of warm-up:")
        port = _free_port()
        with server(
            [*uvicorn, "bench.bare_app:app", "--port", str(port)], port, env, Path(tmp) / "bare.log"
        ) as b:
            runs["bare 10"] = measure_and_print("bare FastAPI endpoint", b, script, 10)
            runs["bare 200"] = measure_and_print("bare FastAPI endpoint", b, script, 200)
        port = _free_port()
        factory = [*uvicorn, "--factory", "bench.bare_app:answering_app", "--port", str(port)]
        with server(factory, port, env, Path(tmp) / "answering.log") as b:
            runs["answer 10"] = measure_and_print("bare endpoint + Finder.answer", b, script, 10)
            runs["answer 50"] = measure_and_print("bare endpoint + Finder.answer", b, script, 50)
            runs["answer 200"] = measure_and_print("bare endpoint + Finder.answer", b, script, 200)
        port = _free_port()
        two = [*factory[:-1], str(port), "--workers", "2"]
        with server(two, port, env, Path(tmp) / "answering2.log") as b:
            runs["answer2 50"] = measure_and_print("bare endpoint + answer, 2 workers", b, script, 50)
        port = _free_port()
        web = [doorstep, "web", "--port", str(port)]
        with server(web, port, env, Path(tmp) / "web1.log") as d:
            runs["web 10"] = measure_and_print("doorstep web /api/ask, 1 worker", d, script, 10)
            runs["web 50"] = measure_and_print("doorstep web /api/ask, 1 worker", d, script, 50)
            runs["web 200"] = measure_and_print("doorstep web /api/ask, 1 worker", d, script, 200)
        port = _free_port()
        with server(
            [*web[:2], "--port", str(port), "--workers", "2"], port, env, Path(tmp) / "web2.log"
        ) as d:
            runs["web2 50"] = measure_and_print("doorstep web /api/ask, 2 workers", d, script, 50)
        limit_costs(db_url)
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ratio = runs["web 10"].rps / runs["bare 10"].rps
    to_answer = runs["web 10"].rps / runs["answer 10"].rps
    scaling = runs["web2 50"].rps / runs["web 50"].rps
    machine = runs["answer2 50"].rps / runs["answer 50"].rps
    p99_ratio = runs["web 200"].p99_ms / runs["bare 200"].p99_ms
    answer_p99 = runs["web 200"].p99_ms / runs["answer 200"].p99_ms
    print(f"  /api/ask: {ratio:.2f}x the bare endpoint's throughput ({to_answer:.2f}x bare + answer's)")
    print(f"  2 workers: {scaling:.2f}x one worker's (bare + answer on this machine: {machine:.2f}x)")
    print(f"  p99, 200 at once: {p99_ratio:.1f}x the bare endpoint's ({answer_p99:.1f}x bare + answer's)")
    errors = sum(r.errors for r in runs.values())
    return [
        ("/api/ask throughput >= 0.5x bare FastAPI, 1 worker", ratio >= 0.5),
        ("/api/ask scales with workers (2 workers > 1.3x one)", scaling > 1.3),
        ("/api/ask p99 at 200 concurrent <= 2x bare's", p99_ratio <= 2.0),
        ("no errors under load", errors == 0),
    ]


if __name__ == "__main__":
    for name, ok in main():
        print(f"  {'met ' if ok else 'MISSED'} {name}")
