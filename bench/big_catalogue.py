"""A 100,000-facility catalogue written as YAML, and what validating and reloading it costs.

The bundled catalogue's records are copied to 100,000, each with a name and an alias of its own
and a position of its own across Qingpu, into one file per kind (about 8,000 records, 5 MB each),
as a district keeping every service point would have them. `doorstep catalog validate` and
`doorstep catalog reload` then run on it as new processes; their wall time and peak memory (RSS)
are measured. Target (issue 11): each <= 10 s and <= 600 MB.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "services_catalog" / "data"
TARGET_SECONDS = 10.0
TARGET_MB = 600.0


def write_big_catalogue(folder: Path, n: int, seed: int = 7) -> int:
    """The bundled catalogue in `folder` with its facilities copied to `n`; the bytes written."""
    shutil.copytree(BUNDLED, folder)
    originals: list[dict[str, Any]] = []
    for path in sorted((BUNDLED / "facilities").glob("*.yaml")):
        originals += yaml.safe_load(path.read_text(encoding="utf-8"))["facilities"]
        (folder / "facilities" / path.name).unlink()
    rng = random.Random(seed)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        record = copy.deepcopy(originals[i % len(originals)])
        record.pop("note", None)
        record["id"] = f"{record['id']}-g{i}"
        record["name"] = f"{record['name']}第{i}分点"
        record["aliases"] = [f"{i}号服务点"]
        record["point"]["lat"] = round(30.98 + rng.random() * 0.30, 6)
        record["point"]["lon"] = round(120.88 + rng.random() * 0.42, 6)
        by_kind.setdefault(record["kind"], []).append(record)
    size = 0
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for kind, records in by_kind.items():
        path = folder / "facilities" / f"{kind}.yaml"
        with path.open("w", encoding="utf-8") as out:
            yaml.dump(
                {"facilities": records}, out, allow_unicode=True, sort_keys=False, width=200, Dumper=dumper
            )
        size += path.stat().st_size
    return size


def run_measured(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MB, exit code and CPU seconds (with its worker processes) of one
    command. The CPU figure does not depend on what else the machine is doing; the wall time does."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    return seconds, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def main(n: int = 100_000) -> list[tuple[str, bool]]:
    """Write the catalogue, validate it, reload it into SQLite and (when given) PostgreSQL."""
    exe = Path(sys.executable).with_name("doorstep")
    doorstep = str(exe) if exe.exists() else "doorstep"
    targets: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "catalog"
        t0 = time.perf_counter()
        size = write_big_catalogue(folder, n)
        took = time.perf_counter() - t0
        print(f"wrote a {n:,}-facility catalogue ({size / 1e6:.0f} MB of YAML) in {took:.0f} s")
        stores = [("SQLite", f"sqlite:///{Path(tmp) / 'store.sqlite3'}")]
        pg = os.environ.get("TEST_DATABASE_URL")
        if pg:
            stores.append(("PostgreSQL", pg))
        env = {**os.environ, "DOORSTEP_CATALOG": str(folder)}
        load = os.getloadavg()[0]
        print(f"  (load average {load:.1f} on {os.cpu_count()} cores: other work slows the wall times)")
        seconds, mb, code, cpu = run_measured([doorstep, "catalog", "validate", str(folder)], env)
        print(f"  catalog validate: {seconds:.1f} s, CPU {cpu:.1f} s, peak RSS {mb:.0f} MB (exit {code})")
        targets.append(
            (
                f"validate {n:,} <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB",
                code == 0 and seconds <= TARGET_SECONDS and mb <= TARGET_MB,
            )
        )
        for name, url in stores:
            seconds, mb, code, cpu = run_measured(
                [doorstep, "catalog", "reload", str(folder)], {**env, "DATABASE_URL": url}
            )
            figures = f"{seconds:.1f} s, CPU {cpu:.1f} s, peak RSS {mb:.0f} MB (exit {code})"
            print(f"  catalog reload into {name}: {figures}")
            targets.append(
                (
                    f"reload {n:,} into {name} <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB",
                    code == 0 and seconds <= TARGET_SECONDS and mb <= TARGET_MB,
                )
            )
    return targets


if __name__ == "__main__":
    for label, ok in main():
        print(f"  {'met ' if ok else 'MISSED'} {label}")
