"""`make bench`: how fast Doorstep answers, and what it costs, measured on this machine.

Prints, in one run:
- warm `Finder.answer()` latency (median, p99) over the dev queries, on the bundled catalogue
  and on a generated catalogue of 100,000 facilities;
- the same queries' floor: jieba.lcut of the text + one rapidfuzz extractOne over the
  vocabulary + one nearest-neighbour lookup, and the ratio answer / floor;
- the cold wall time of `doorstep ask` (a new process, catalogue loaded from YAML);
- peak memory (RSS) of that process and of this one.
Targets (issue 3): median <= 1 ms bundled, <= 3 ms at 100k, ratio <= 2, cold <= 1.5 s, RSS <= 200 MB.
"""

from __future__ import annotations

import dataclasses
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jieba
from rapidfuzz import fuzz, process

from bench import big_catalogue
from services_catalog.answer import Question
from services_catalog.catalog import Catalog
from services_catalog.finder import Finder
from services_catalog.geo import GridIndex
from services_catalog.loader import load_catalog

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "services_catalog" / "data"
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK_QUERIES: list[dict[str, Any]] = [
    {"text": "朱家角有没有图书馆"},
    {"text": "附近有图书馆吗", "lat": 31.168, "lon": 121.109},
    {"text": "长护险怎么申请"},
    {"text": "每千人医生数的目标"},
    {"text": "家里着火了"},
    {"text": "Where is the nearest library?", "lat": 31.185, "lon": 121.125, "lang": "en"},
]


def load_queries() -> list[Question]:
    """The dev set's questions when it is beside the project, else a small built-in set."""
    rows: list[dict[str, Any]] = (
        [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        if DEV.exists()
        else FALLBACK_QUERIES
    )
    out = []
    for r in rows:
        out.append(
            Question(
                text=r["text"],
                lat=r.get("lat"),
                lon=r.get("lon"),
                crs=r.get("crs", "wgs84"),
                lang=r.get("lang", "zh"),
            )
        )
    return out


def timings(fn: Callable[[Question], object], queries: list[Question], rounds: int) -> list[float]:
    """Seconds per call, each query `rounds` times, after one warm-up pass."""
    for q in queries:
        fn(q)
    out = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - t0)
    return out


def p(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def generated_catalog(base: Catalog, n: int, seed: int = 7) -> Catalog:
    """`base` with its facilities copied to `n`, jittered across Qingpu, each with a name and an
    alias of its own, so the vocabulary grows with the catalogue as a real one would."""
    rng = random.Random(seed)
    originals = list(base.facilities.values())
    facilities = {}
    for i in range(n):
        f = originals[i % len(originals)]
        point = f.point.model_copy(
            update={"lat": 30.98 + rng.random() * 0.30, "lon": 120.88 + rng.random() * 0.42}
        )
        fid = f"{f.id}-g{i}"
        name = f"{f.name}第{i}分点"
        facilities[fid] = f.model_copy(
            update={"id": fid, "name": name, "point": point, "aliases": [f"{i}号服务点"]}
        )
    return dataclasses.replace(base, facilities=facilities)


def floor_fn(finder: Finder) -> Callable[[Question], object]:
    """The least any answer must do: segment, one fuzzy lookup, one nearest-neighbour search."""
    vocabulary = finder.understanding.vocabulary
    index = GridIndex((f.id, f.point.lat, f.point.lon) for f in finder.catalog.facilities.values())
    jieba.initialize()

    def floor(q: Question) -> object:
        tokens = jieba.lcut(q.text[:300])
        best = process.extractOne(q.text[:300], vocabulary, scorer=fuzz.ratio)
        near = index.nearest(q.lat or 31.15, q.lon or 121.12, 3)
        return tokens, best, near

    return floor


def measure(label: str, finder: Finder, queries: list[Question], rounds: int) -> dict[str, float]:
    """Answer and floor latency for one catalogue."""
    answer = timings(finder.answer, queries, rounds)
    floor = timings(floor_fn(finder), queries, rounds)
    row = {
        "answer_median_ms": p(answer, 0.5),
        "answer_p99_ms": p(answer, 0.99),
        "floor_median_ms": p(floor, 0.5),
        "ratio_median": statistics.median(answer) / statistics.median(floor),
    }
    print(
        f"{label:28s} answer median {row['answer_median_ms']:.3f} ms, p99 {row['answer_p99_ms']:.3f} ms; "
        f"floor median {row['floor_median_ms']:.3f} ms; ratio {row['ratio_median']:.2f}"
    )
    return row


def cold_ask() -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `doorstep ask` in a new process."""
    exe = Path(sys.executable).with_name("doorstep")
    cmd = [str(exe) if exe.exists() else "doorstep", "ask", "朱家角有没有图书馆", "--json"]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return best, rss_mb


def main() -> int:
    """Run every measurement and print the figures."""
    cold, child_rss = cold_ask()  # first, before this process grows: a fork would inherit its size
    # Issue 11: a 100,000-facility catalogue validates and reloads in <= 10 s and <= 600 MB. Also
    # before this process holds a big Finder: the measured processes are forked from it.
    print("100,000-facility catalogue as YAML, validated and reloaded by new processes:")
    big_targets = big_catalogue.main()
    queries = load_queries()
    print(
        f"{len(queries)} queries ({'dev set' if DEV.exists() else 'built-in'}), "
        f"Python {sys.version.split()[0]}"
    )
    base = load_catalog(BUNDLED)
    bundled = measure(f"bundled ({len(base.facilities)} facilities)", Finder(base), queries, rounds=20)
    t0 = time.perf_counter()
    big = Finder(generated_catalog(base, 100_000))
    print(f"built a 100,000-facility Finder in {time.perf_counter() - t0:.1f} s")
    large = measure("generated (100,000)", big, queries, rounds=5)
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cold `doorstep ask`: {cold:.2f} s (best of 3); its peak RSS {child_rss:.0f} MB")
    print(f"this benchmark's peak RSS (with the 100k catalogue): {own_rss:.0f} MB")
    targets = [
        ("median bundled <= 1 ms", bundled["answer_median_ms"] <= 1.0),
        ("median 100k <= 3 ms", large["answer_median_ms"] <= 3.0),
        ("ratio to floor <= 2", bundled["ratio_median"] <= 2.0 and large["ratio_median"] <= 2.0),
        ("cold ask <= 1.5 s", cold <= 1.5),
        ("peak RSS of ask <= 200 MB", child_rss <= 200),
    ]
    targets += big_targets
    for name, ok in targets:
        print(f"  {'met ' if ok else 'MISSED'} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
