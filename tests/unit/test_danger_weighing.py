"""The weighing of danger is learnt data: the file that holds it must fit the features it weighs,
and a file for other features is refused at start-up with what to do, never used half-way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services_catalog.danger_weighing import WEIGHTS_FILE, DangerWeighing, feature_names


def test_the_shipped_weights_fit_the_features_and_alarm_at_a_probability() -> None:
    weighing = DangerWeighing.load()
    assert len(weighing.weights) == len(feature_names())
    assert 0.0 < weighing.alarm_at < 1.0
    assert 0.0 < weighing.probability([0.0] * len(feature_names())) < 1.0


def test_weights_for_other_features_are_refused_with_the_command_that_refits_them(tmp_path: Path) -> None:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["weights"] = data["weights"][:-1]
    stale = tmp_path / "danger_weighing.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"calibrate_understanding\.py --fit"):
        DangerWeighing.load(stale)


def test_a_stronger_view_of_danger_never_lowers_the_probability() -> None:
    weighing = DangerWeighing.load()
    names = feature_names()
    calm, worried = [0.0] * len(names), [0.0] * len(names)
    worried[names.index("danger head (logit)")] = 4.0
    worried[names.index("danger head (logit), with no sign now")] = 4.0
    assert weighing.probability(worried) > weighing.probability(calm)
