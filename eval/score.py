#!/usr/bin/env python3
"""Score Doorstep's understanding on labelled sets, in-process (what `make eval` runs).

Usage: python eval/score.py [SET.jsonl ...] [-v] [--catalog DIR]
With no set, every eval/*.jsonl. Each set's cases mean what ../shared/eval/score.py makes them
mean; this scorer needs nothing outside the project.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services_catalog.finder import Finder
from services_catalog.labelled import read_cases, score
from services_catalog.loader import load_catalog

HERE = Path(__file__).resolve().parent
BUNDLED = HERE.parent / "services_catalog" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", type=Path)
    ap.add_argument("--catalog", type=Path, default=BUNDLED)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failing case")
    args = ap.parse_args()
    finder = Finder(load_catalog(args.catalog))
    for path in args.sets or sorted(HERE.glob("*.jsonl")):
        report = score(finder, read_cases(path))
        print(f"== {path.name}")
        if args.verbose:
            for o in report.failures():
                got = {k: o.answer.get(k) for k in ("intent", "kind", "service", "why")}
                print(f"FAIL {o.case.id} [{o.case.cat}] {o.case.text!r}: {'; '.join(o.failures)} {got}")
        print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
