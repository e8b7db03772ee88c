"""Every labelled set in eval/ guards understanding in `make test`, with a threshold per set.

The sets were written by people who never saw the code (see eval/README.md); each case means what
`../shared/eval/score.py` makes it mean, scored here in-process by `services_catalog.labelled`.
A vocabulary or example edit that breaks understanding fails here, naming the cases it broke.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services_catalog.finder import Finder
from services_catalog.labelled import Threshold, below, read_cases, score, thresholds

EVAL = Path(__file__).resolve().parents[2] / "eval"
SETS = sorted(EVAL.glob("*.jsonl"))
THRESHOLDS = thresholds(EVAL)  # eval/thresholds.json: sets held to another figure than the default


def test_the_project_carries_its_own_labelled_sets() -> None:
    assert any(p.name == "dev.jsonl" for p in SETS)
    assert len(SETS) >= 11


@pytest.mark.parametrize("path", SETS, ids=[p.stem for p in SETS])
def test_a_labelled_set_scores_at_least_its_threshold(finder: Finder, path: Path) -> None:
    report = score(finder, read_cases(path))
    wanted = THRESHOLDS.get(path.name, Threshold())
    failures = "\n".join(
        f"{o.case.id} {o.case.text!r}: {'; '.join(o.failures)} (why: {o.answer.get('why')})"
        for o in report.failures()
    )
    short = below(report, wanted)
    assert not short, f"{path.name}: {'; '.join(short)}\n{failures}"
