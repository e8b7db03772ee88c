"""Labelled sets of resident messages with known right answers, scored in-process.

A case is one JSON line: `{"id", "cat", "text", "lat"/"lon"/"crs"/"lang"/"at" (optional),
"expect": {...}}`, the format of `../shared/eval/` and of the project's own `eval/*.jsonl`. The
expectations mean exactly what that scorer makes them mean (intent, kind, service, indicator,
town, needs_location, intent_in, intent_not, top_town, top_kind, nearest, distance_max_m,
open_now, no_results, reply_contains, reply_contains_any, reply_lacks), so a set scores the same
here as through `doorstep ask --batch`.

Used by the test suite (every set, with a threshold per set), `make eval`, and
`doorstep catalog check` (which answers change when a catalogue is edited).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services_catalog.answer import Question
from services_catalog.coords import gcj02_to_wgs84, haversine_m
from services_catalog.finder import Finder, guess_lang
from services_catalog.hours import SHANGHAI


@dataclass(frozen=True)
class Case:
    """One message and what a right answer to it must show."""

    id: str
    cat: str
    text: str
    expect: dict[str, Any]
    raw: dict[str, Any]

    def question(self) -> Question:
        """The question `doorstep ask --batch` would build from this line."""
        raw = self.raw
        lat, lon = raw.get("lat"), raw.get("lon")
        at = raw.get("at")
        moment = None
        if at:
            moment = dt.datetime.fromisoformat(str(at))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=SHANGHAI)
        lang = raw.get("lang") or guess_lang(self.text)
        return Question(
            text=self.text,
            lat=float(lat) if lat is not None else None,
            lon=float(lon) if lon is not None else None,
            crs="gcj02" if raw.get("crs") == "gcj02" else "wgs84",
            lang="en" if lang == "en" else "zh",
            at=moment,
        )


@dataclass
class Outcome:
    """How one case fared."""

    case: Case
    answer: dict[str, Any]
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Report:
    """Every case's outcome, and the score by category."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(o.ok for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def by_category(self) -> dict[str, tuple[int, int]]:
        """Passed and total per category, sorted by name."""
        cats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            cats[o.case.cat][0] += o.ok
            cats[o.case.cat][1] += 1
        return {c: (v[0], v[1]) for c, v in sorted(cats.items())}

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        """The per-category table and the score line, as `../shared/eval/score.py` prints them."""
        lines = [f"{cat:24s} {good:4d}/{total:<4d} {good / total:6.1%}" for cat, (good, total) in
                 self.by_category().items()]  # fmt: skip
        passed = sum(o.ok for o in self.outcomes)
        lines.append(f"score: {self.score:.3f} ({passed}/{len(self.outcomes)})")
        return "\n".join(lines)


def read_cases(path: Path) -> list[Case]:
    """The cases of one JSONL file (blank lines skipped)."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        cases.append(
            Case(
                id=str(raw.get("id") or f"{path.stem}:{number}"),
                cat=str(raw.get("cat") or "other"),
                text=str(raw["text"]),
                expect=dict(raw.get("expect") or {}),
                raw=raw,
            )
        )
    return cases


def score(finder: Finder, cases: Iterable[Case]) -> Report:
    """Answer every case with `finder` and check each answer against its expectations."""
    facilities = [
        {"id": f.id, "kind": f.kind, "lat": f.point.lat, "lon": f.point.lon}
        for f in finder.catalog.facilities.values()
    ]
    report = Report()
    for case in cases:
        answer = finder.answer(case.question()).to_json()
        report.outcomes.append(Outcome(case, answer, check(case, answer, facilities)))
    return report


def check(case: Case, ans: dict[str, Any], facilities: Sequence[dict[str, Any]]) -> list[str]:
    """What is wrong with `ans` as an answer to `case` (empty when it is right)."""
    exp, why = case.expect, []
    results = ans.get("results") or []
    top = results[0] if results else {}
    for key in ("intent", "kind", "service", "indicator", "town", "needs_location"):
        if key in exp and ans.get(key) != exp[key]:
            why.append(f"{key}: want {exp[key]!r}, got {ans.get(key)!r}")
    if "intent_in" in exp and ans.get("intent") not in exp["intent_in"]:
        why.append(f"intent: want one of {exp['intent_in']!r}, got {ans.get('intent')!r}")
    if "intent_not" in exp and ans.get("intent") == exp["intent_not"]:
        why.append(f"intent: want anything but {exp['intent_not']!r}")
    for key, fld in (("top_town", "town"), ("top_kind", "kind")):
        if key in exp and top.get(fld) != exp[key]:
            why.append(f"{key}: want {exp[key]!r}, got {top.get(fld)!r}")
    if exp.get("nearest"):
        why.extend(_check_nearest(case, exp, top, facilities))
    if "distance_max_m" in exp:
        d = top.get("distance_m")
        if d is None or d > exp["distance_max_m"]:
            why.append(f"distance_m: want <= {exp['distance_max_m']}, got {d!r}")
    if "open_now" in exp and top.get("open_now") != exp["open_now"]:
        why.append(f"open_now: want {exp['open_now']!r}, got {top.get('open_now')!r}")
    if exp.get("no_results") and results:
        why.append(f"no_results: got {len(results)} results")
    reply = ans.get("reply") or ""
    why.extend(f"reply lacks {s!r}" for s in exp.get("reply_contains", []) if s not in reply)
    if exp.get("reply_contains_any") and not any(s in reply for s in exp["reply_contains_any"]):
        why.append(f"reply has none of {exp['reply_contains_any']!r}")
    why.extend(f"reply has {s!r}" for s in exp.get("reply_lacks", []) if s in reply)
    return why


def _check_nearest(
    case: Case, exp: dict[str, Any], top: dict[str, Any], facilities: Sequence[dict[str, Any]]
) -> list[str]:
    lat, lon = float(case.raw["lat"]), float(case.raw["lon"])
    if case.raw.get("crs") == "gcj02":
        lat, lon = gcj02_to_wgs84(lat, lon)
    kind = exp.get("kind") or exp.get("top_kind")
    pool = [f for f in facilities if f.get("kind") == kind and f.get("lat") is not None]
    if not pool:
        return [f"nearest: the catalogue has no facility of kind {kind!r}"]
    if not top:
        return ["nearest: no result"]
    dist = {f["id"]: haversine_m(lat, lon, f["lat"], f["lon"]) for f in pool}
    best = min(dist.values())
    if top.get("id") in {i for i, d in dist.items() if d <= best * 1.02 + 1}:
        return []
    want = min(dist, key=lambda i: dist[i])
    got = dist.get(top.get("id") or "", math.nan)
    return [f"nearest: want {want!r} ({best:.0f} m), got {top.get('id')!r} ({got:.0f} m)"]


# What a set must score, unless eval/thresholds.json says otherwise; the categories a resident's
# safety depends on are held higher, in every set.
DEFAULT_THRESHOLD = 0.97
SAFETY_THRESHOLDS = {"emergency": 0.98, "near_miss": 0.98}
_COMPARED = ("intent", "kind", "service", "indicator", "town")


@dataclass(frozen=True)
class Threshold:
    """What a set must score: overall, and per category (the safety ones at least)."""

    score: float = DEFAULT_THRESHOLD
    categories: dict[str, float] = field(default_factory=lambda: dict(SAFETY_THRESHOLDS))


def thresholds(folder: Path) -> dict[str, Threshold]:
    """Per-set thresholds from `folder/thresholds.json`: {"set.jsonl": 0.9} or
    {"set.jsonl": {"score": 0.95, "near_miss": 0.95}} (categories not named keep their default)."""
    path = folder / "thresholds.json"
    if not path.is_file():
        return {}
    out = {}
    for name, value in json.loads(path.read_text(encoding="utf-8")).items():
        if isinstance(value, dict):
            cats = dict(SAFETY_THRESHOLDS)
            cats.update({k: float(v) for k, v in value.items() if k != "score"})
            out[str(name)] = Threshold(float(value.get("score", DEFAULT_THRESHOLD)), cats)
        else:
            out[str(name)] = Threshold(float(value))
    return out


def below(report: Report, threshold: Threshold) -> list[str]:
    """Why a set's report falls short: its score, or a category (empty when it passes)."""
    out = []
    if report.score < threshold.score:
        out.append(f"score {report.score:.3f} < {threshold.score}")
    for cat, (good, total) in report.by_category().items():
        wanted = threshold.categories.get(cat)
        if wanted is not None and good / total < wanted:
            out.append(f"[{cat}] {good}/{total} < {wanted}")
    return out


@dataclass(frozen=True)
class Change:
    """A case answered differently by an edited catalogue."""

    case: Case
    before: dict[str, Any]
    after: dict[str, Any]
    now_failing: bool
    now_passing: bool

    def describe(self) -> str:
        """One line: what the answer was and what it is now."""

        def short(ans: dict[str, Any]) -> str:
            parts = [str(ans.get(k)) for k in _COMPARED if ans.get(k)]
            top = (ans.get("results") or [{}])[0]
            return "/".join(parts) + (f" → {top.get('id')} ({top.get('town')})" if top else "")

        mark = "NOW WRONG" if self.now_failing else "now right" if self.now_passing else "changed"
        return f"{mark} {self.case.id} {self.case.text[:60]!r}: {short(self.before)} ⇒ {short(self.after)}"


def changes(before: Report, after: Report) -> list[Change]:
    """The cases whose answer (intent, kind, service, indicator, town, first result) changed."""
    out = []
    for old, new in zip(before.outcomes, after.outcomes, strict=True):
        if _gist(old.answer) != _gist(new.answer) or old.ok != new.ok:
            out.append(Change(new.case, old.answer, new.answer, old.ok and not new.ok, new.ok and not old.ok))
    return out


def _gist(ans: dict[str, Any]) -> tuple[Any, ...]:
    top = (ans.get("results") or [{}])[0]
    return (*(ans.get(k) for k in _COMPARED), top.get("id"), top.get("town"))


__all__ = [
    "DEFAULT_THRESHOLD",
    "SAFETY_THRESHOLDS",
    "Case",
    "Change",
    "Outcome",
    "Report",
    "Threshold",
    "below",
    "changes",
    "check",
    "read_cases",
    "score",
    "thresholds",
]
