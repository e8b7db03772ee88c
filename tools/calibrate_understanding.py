#!/usr/bin/env python3
"""Cross-validate the understanding on the catalogue's own example sentences, and learn how the
signs of danger and the classifier are weighed.

Every example is answered by a model that never saw it (k folds), then judged by the same rules
as in production (`SafetyCheck.judge`, `IntentRules`), so thresholds are chosen on figures rather
than by feel:

    python tools/calibrate_understanding.py            # the figures with the weighing in use
    python tools/calibrate_understanding.py --fit      # learn the weighing, write danger_weighing.json
    python tools/calibrate_understanding.py --grid     # recall and false alarms at other alarm points
    python tools/calibrate_understanding.py -v         # every miss and false alarm

`--fit` learns `services_catalog/danger_weighing.json` (a logistic regression over
`danger_weighing.features`) from the cross-validated classifier's views, so the weights are what
a message the classifier never saw gets; its figures are cross-validated again (the weighing, too,
judges each example without having seen it). Run it after large changes to the examples or the
vocabulary's emergency words.

Figures: emergency recall (an emergency example judged `now`), false alarms on the near-miss
examples (`safety_near_misses.yaml`) and on everything else, and topic accuracy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services_catalog import classifier as clf  # noqa: E402
from services_catalog.answer import Question  # noqa: E402
from services_catalog.classifier import Guess, TextClassifier  # noqa: E402
from services_catalog.danger_weighing import (  # noqa: E402
    WEIGHTS_FILE,
    DangerWeighing,
    feature_names,
    feature_signs,
)
from services_catalog.danger_weighing import features as weighing_features  # noqa: E402
from services_catalog.finder import Finder  # noqa: E402
from services_catalog.intents import Evidence  # noqa: E402
from services_catalog.loader import load_catalog  # noqa: E402
from services_catalog.pinyin import PinyinTable  # noqa: E402
from services_catalog.safety import SafetyCheck, Verdict  # noqa: E402
from services_catalog.understand import Normaliser  # noqa: E402


def cross_guesses(texts: list[str], labels: list[str], folds: int) -> list[Guess]:
    """Each text's Guess from heads trained on the other folds."""
    matrix, _ = clf.feature_matrix(texts)
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])
    danger_y = np.array([label.startswith("emergency:") for label in labels], dtype=int)
    topic_scores = np.zeros((len(texts), len(names)))
    danger_p = np.zeros(len(texts))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(matrix, y):
        topic = LinearSVC(C=clf._C_TOPIC).fit(matrix[train], y[train])
        scores = np.full((len(test), len(names)), -10.0)
        scores[:, topic.classes_] = topic.decision_function(matrix[test])
        topic_scores[test] = scores
        danger = LogisticRegression(C=clf._C_DANGER, solver="liblinear").fit(matrix[train], danger_y[train])
        danger_p[test] = danger.predict_proba(matrix[test])[:, 1]
    guesses = []
    for scores, p in zip(topic_scores, danger_p, strict=True):
        z = scores * TextClassifier.TEMPERATURE
        z -= z.max()
        probs = np.exp(z) / np.exp(z).sum()
        best = int(probs.argmax())
        guesses.append(
            Guess(names[best], float(probs[best]), dict(zip(names, probs.tolist(), strict=True)), float(p))
        )
    return guesses


def fit_weighing(matrix: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    """A logistic regression whose weights keep the sign their meaning gives them.

    Evidence of danger (a sign said as now, a word of right now, the classifier's view) may only
    raise the probability, and a context of not now (past, story, figure of speech...) may only
    lower it; the rest is free. Without this, features that go together trade weight between
    them, and a stronger sign of danger could lower the probability of a message nobody has seen.
    """
    from scipy.optimize import minimize

    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in feature_signs()]
    bounds.append((None, None))  # the bias

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = matrix @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.logaddexp(0.0, z).sum() - (y * z).sum() + (w @ w) / (2 * c)
        grad = np.append(matrix.T @ (p - y) + w / c, (p - y).sum())
        return float(value), grad

    start = np.zeros(matrix.shape[1] + 1)
    found = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return found.x[:-1], float(found.x[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", type=Path, default=ROOT / "services_catalog" / "data")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--grid", action="store_true", help="recall and false alarms at other alarm points")
    ap.add_argument("--fit", action="store_true", help="learn the weighing and write danger_weighing.json")
    ap.add_argument("--alarm-at", type=float, default=0.4, help="the alarm point --fit writes")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="how many threshold sets --grid prints")
    args = ap.parse_args()

    catalog = load_catalog(args.catalog)
    fold = Normaliser().light
    near_file = yaml.safe_load((args.catalog / "examples" / "safety_near_misses.yaml").read_text("utf-8"))
    near_miss = {fold(t) for ex in near_file["examples"] for t in ex["texts"]}
    texts, labels = clf.training_set(catalog.examples, fold)
    try:
        weighing = DangerWeighing.load()
    except (OSError, ValueError):  # none yet, or for other features: a neutral one until --fit
        weighing = DangerWeighing.never()
        neutral = [{"feature": name, "weight": 0.0} for name in feature_names()]
        WEIGHTS_FILE.write_text(json.dumps({"alarm_at": 2.0, "bias": 0.0, "weights": neutral}), encoding="utf-8")
    finder = Finder(catalog)
    known = finder.understanding.lookup
    safety = SafetyCheck(catalog.vocabulary, PinyinTable(), weighing, known_words=known)
    readings = [safety.read(t) for t in texts]
    guesses = cross_guesses(texts, labels, args.folds)
    asks = []
    for text in texts:
        question = Question(text)
        reading = finder.understanding.read(text)
        ev = Evidence(
            question,
            reading,
            None,
            Verdict("none"),
            None,
            kinds=finder.kind_weights(question, reading),
            services=reading.weights("service"),
        )
        asks.append((ev.asks_service, ev.asks_place))
    is_em = np.array([label.startswith("emergency:") for label in labels])
    is_nm = np.array([t in near_miss for t in texts]) & ~is_em

    def figures() -> tuple[float, float, float, np.ndarray]:
        levels = np.array(
            [
                safety.judge(r, g, asks_service=a[0], asks_place=a[1]).level
                for r, g, a in zip(readings, guesses, asks, strict=True)
            ]
        )
        return (
            float((levels[is_em] == "now").mean()),
            float((levels[is_nm] == "now").mean()),
            float((levels[~is_em & ~is_nm] == "now").mean()),
            levels,
        )

    if args.fit or args.grid:
        matrix = np.array(
            [
                weighing_features(r, g, asks_service=a[0], asks_place=a[1])
                for r, g, a in zip(readings, guesses, asks, strict=True)
            ]
        )
        y = is_em.astype(int)
        weighed = np.zeros(len(y))  # each example weighed by weights learnt without it
        for train, test in StratifiedKFold(args.folds, shuffle=True, random_state=1).split(matrix, y):
            w, b = fit_weighing(matrix[train], y[train])
            weighed[test] = 1.0 / (1.0 + np.exp(-(matrix[test] @ w + b)))
        # What alarms without the weighing (a cry, a sign now in a short message), then with it.
        rules = SafetyCheck(catalog.vocabulary, PinyinTable(), DangerWeighing.never(), known_words=known)
        outright = np.array(
            [
                rules.judge(r, g, asks_service=a[0], asks_place=a[1]).level == "now"
                for r, g, a in zip(readings, guesses, asks, strict=True)
            ]
        )
        for point in (0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
            alarmed = outright | (weighed >= point)
            print(
                f"alarm at {point:.2f}: recall {alarmed[is_em].mean():.3f}, false alarms near-misses "
                f"{alarmed[is_nm].mean():.3f}, others {alarmed[~is_em & ~is_nm].mean():.4f}"
            )
        if not args.fit:
            return 0
        weights, bias = fit_weighing(matrix, y)
        at = args.alarm_at
        chosen = outright | (weighed >= at)
        WEIGHTS_FILE.write_text(
            json.dumps(
                {
                    "fitted": dt.date.today().isoformat(),
                    "examples": len(texts),
                    "alarm_at": at,
                    "cross_validated": {
                        "recall": round(float(chosen[is_em].mean()), 4),
                        "false_alarms_near_misses": round(float(chosen[is_nm].mean()), 4),
                        "false_alarms_others": round(float(chosen[~is_em & ~is_nm].mean()), 4),
                    },
                    "bias": round(float(bias), 5),
                    "weights": [
                        {"feature": name, "weight": round(float(w), 5)}
                        for name, w in zip(feature_names(), weights, strict=True)
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {WEIGHTS_FILE} (alarm at {at})")
        return 0

    recall, fa_near, fa_other, levels = figures()
    topic_ok = np.array([g.label == label for g, label in zip(guesses, labels, strict=True)])
    print(f"examples {len(texts)}, labels {len(set(labels))}, {args.folds}-fold")
    print(f"emergency recall {recall:.3f}  false alarms: near-misses {fa_near:.3f}, others {fa_other:.3f}")
    print(f"topic accuracy {topic_ok.mean():.3f}")
    for threshold in (0.4, 0.5, 0.6, 0.7):
        sure = np.array([g.p >= threshold for g in guesses])
        print(f"  topic p>={threshold}: {sure.mean():.2f} of messages, right {topic_ok[sure].mean():.3f}")
    if args.verbose:
        for text, label, level, r, g in zip(texts, labels, levels, readings, guesses, strict=True):
            em = label.startswith("emergency:")
            if em != (level == "now"):
                tag = "MISS" if em else "FALSE"
                signs = [(d.name, d.status, d.because) for d in r.dangers]
                print(f"{tag} {g.danger:.2f} {label} {text[:120]} {signs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
