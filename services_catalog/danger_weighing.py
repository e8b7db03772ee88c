"""How the signs of danger found by the rules and the classifier's view are weighed into one
probability that someone is in danger now.

The weights are not chosen by hand: `tools/calibrate_understanding.py --fit` learns them (a
logistic regression) from the catalogue's example sentences, each judged by a classifier that never
saw it (cross-validation), and writes them to `danger_weighing.json` beside this file with the
figures they gave. The features are coarse on purpose (is there a sign said as now, of which
strength, in which context, how long is the message, how sure is each head of the classifier), so
the weights stay right when staff add words or example sentences.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services_catalog.classifier import Guess
    from services_catalog.safety import SafetyReading

WEIGHTS_FILE = Path(__file__).with_name("danger_weighing.json")
CONTEXTS = (
    "past",
    "hazard",
    "about_services",
    "story",
    "pet",
    "claim",
    "figure_of_speech",
    "over",
    "hypothetical",
)
SHORT = 12  # characters: a message shorter than this is "short" (the classifier can judge it less)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def feature_names() -> list[str]:
    """The names of the features, in the order `features` gives them."""
    return [
        "danger head (logit)",
        "a sign said as now",
        "two or more different signs now",
        "a danger word now",
        "a multi-word sign now",
        "an illness now",
        "said right now",
        "a possible sign",
        "a sign told as not now",
        "a danger word denied",
        "a word of right now anywhere",
        "asks how to get a service",
        "asks for a place",
        "length (log)",
        "short message",
        *(f"context: {c}" for c in CONTEXTS),
        "danger head (logit), with a sign now",
        "danger head (logit), with no sign now",
        "topic head: an emergency (logit)",
    ]


def feature_signs() -> list[int]:
    """For each feature, the sign its weight must have: +1 evidence of danger, -1 evidence
    against it, 0 either (used by the calibration tool when it fits the weights)."""
    against = {"a sign told as not now", "a danger word denied", *(f"context: {c}" for c in CONTEXTS)}
    free = {"an illness now", "asks how to get a service", "asks for a place", "length (log)"}
    free.add("short message")
    return [0 if n in free else -1 if n in against else 1 for n in feature_names()]


def features(
    reading: SafetyReading, guess: Guess | None, *, asks_service: bool, asks_place: bool
) -> list[float]:
    """What the weighing looks at in one message."""
    now = reading.with_status("now")
    sign_now = 1.0 if now else 0.0
    danger = _logit(guess.danger) if guess is not None else 0.0
    topic = _logit(guess.p_of("emergency:")) if guess is not None else 0.0
    flags = [
        bool(now),
        len({d.name for d in now}) >= 2,
        any(d.strength == "word" for d in now),
        any(d.strength == "sign" for d in now),
        any(d.strength == "condition" for d in now),
        any(d.acute for d in now),
        bool(reading.with_status("possible")),
        bool(reading.with_status("defused")),
        reading.denied > 0,
        reading.said_now,
        asks_service,
        asks_place,
    ]
    return [
        danger,
        *(1.0 if f else 0.0 for f in flags),
        math.log1p(reading.length),
        1.0 if reading.length < SHORT else 0.0,
        *(1.0 if c in reading.contexts else 0.0 for c in CONTEXTS),
        danger * sign_now,
        danger * (1.0 - sign_now),
        topic,
    ]


@dataclass(frozen=True)
class DangerWeighing:
    """Learnt weights over `features`, and the probability from which an alarm is raised."""

    weights: tuple[float, ...]
    bias: float
    alarm_at: float

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))

    @classmethod
    def never(cls) -> DangerWeighing:
        """A weighing that never alarms (the rules' outright alarms alone), for calibrating."""
        return cls(tuple(0.0 for _ in feature_names()), 0.0, 2.0)

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> DangerWeighing:
        """The weights the calibration tool wrote; refused when they do not fit the features."""
        data = json.loads(path.read_text(encoding="utf-8"))
        names = [w["feature"] for w in data["weights"]]
        if names != feature_names():
            raise ValueError(
                f"{path}: weights for other features; run tools/calibrate_understanding.py --fit"
            )
        return cls(
            tuple(float(w["weight"]) for w in data["weights"]), float(data["bias"]), float(data["alarm_at"])
        )
