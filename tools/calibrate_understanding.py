#!/usr/bin/env python3
"""Cross-validate the understanding on the catalogue's own example sentences.

Every example is answered by a model that never saw it (k folds), then judged by the same rules
as in production (`SafetyCheck.judge`, `IntentRules`), so the thresholds in `safety.py` and
`intents.py` can be chosen on figures rather than by feel:

    python tools/calibrate_understanding.py            # the figures at the current thresholds
    python tools/calibrate_understanding.py --grid     # the safety thresholds that do best
    python tools/calibrate_understanding.py -v         # every miss and false alarm

Figures: emergency recall (an emergency example judged `now`), false alarms on the near-miss
examples (`safety_near_misses.yaml`) and on everything else, and topic accuracy.
"""

from __future__ import annotations

import argparse
import itertools
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
from services_catalog.classifier import Guess, TextClassifier  # noqa: E402
from services_catalog.loader import load_catalog  # noqa: E402
from services_catalog.pinyin import PinyinTable  # noqa: E402
from services_catalog.answer import Question  # noqa: E402
from services_catalog.finder import Finder  # noqa: E402
from services_catalog.intents import Evidence  # noqa: E402
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", type=Path, default=ROOT / "services_catalog" / "data")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--grid", action="store_true", help="search the safety thresholds")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="how many threshold sets --grid prints")
    args = ap.parse_args()

    catalog = load_catalog(args.catalog)
    fold = Normaliser().light
    near_file = yaml.safe_load((args.catalog / "examples" / "safety_near_misses.yaml").read_text("utf-8"))
    near_miss = {fold(t) for ex in near_file["examples"] for t in ex["texts"]}
    texts, labels = clf.training_set(catalog.examples, fold)
    safety = SafetyCheck(catalog.vocabulary, PinyinTable())
    readings = [safety.read(t) for t in texts]
    guesses = cross_guesses(texts, labels, args.folds)
    finder = Finder(catalog)
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

    if args.grid:
        rows = []
        for alone, sign, over, veto in itertools.product(
            (0.5, 0.6, 0.7, 0.8), (0.3, 0.4, 0.5), (0.85, 0.9, 0.95), (0.0, 0.01, 0.03, 0.05, 0.1, 0.2)
        ):
            safety.ALARM_ALONE, safety.ALARM_WITH_SIGN, safety.ALARM_OVER_DEFUSED, safety.VETO = (
                alone,
                sign,
                over,
                veto,
            )
            recall, fa_near, fa_other, _ = figures()
            rows.append((recall - 3 * fa_near - fa_other, recall, fa_near, fa_other, alone, sign, over, veto))
        rows.sort(reverse=True)
        print("score   recall  FA-near FA-other | alone sign  over  veto")
        for row in rows[: args.top]:
            print("  ".join(f"{x:.3f}" for x in row[:4]), "|", "  ".join(f"{x:.2f}" for x in row[4:]))
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
