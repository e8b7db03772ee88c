"""A classifier trained on the catalogue's example sentences, for what the rules are unsure of.

Each example's meaning becomes one label: `emergency:<topic>`, `complaint`,
`find_facility:<kind>`, `service_info:<service>`, `plan_indicator`, `help`, `out_of_scope`.
Features are the message's character n-grams (Chinese) and words and word pairs (English),
present or not, scaled to unit length (a message with fewer known features as if it had four).
A linear SVM (one score per label) and a logistic regression (danger) are fitted on them;
answering needs only their weights, applied with numpy, so scikit-learn is imported only when the
examples change and a model has to be trained.

Models are kept by the hash of what they were trained on, in the user's cache folder: training
(about two seconds) happens once per set of examples, the first time a catalogue is loaded, so a
staff member's new example sentence works after a reload, with no code change and no training at
the next start.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services_catalog.models import Example

log = logging.getLogger(__name__)

# Bump when features or training change: every kept model is then trained again.
FEATURE_VERSION = "4"
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_MAX_CHARS = 1200  # a letter longer than this is read from its beginning and its end
_NGRAMS = (1, 2, 3)
_MIN_COUNT = 2  # a feature seen in fewer example sentences is left out (mostly noise)
# A message the model knows only a word or two of ("lian zu fang zen me", pinyin) is scaled as if it
# had this many features, so one known word ("me") cannot decide it alone.
_MIN_EVIDENCE = 4
_C_TOPIC = 0.5  # the heads' inverse regularisation strengths, chosen by cross-validation
_C_DANGER = 64.0


def label_of(example: Example) -> str:
    """The one label an example's meaning becomes."""
    if example.intent == "emergency":
        return f"emergency:{example.emergency}"
    if example.complaint:
        return "complaint"
    if example.intent == "find_facility" and example.kind:
        return f"find_facility:{example.kind}"
    if example.intent == "service_info" and example.service:
        return f"service_info:{example.service}"
    return example.intent


def features(text: str) -> list[str]:
    """The features of one message (already folded by `Normaliser.light`)."""
    text = unicodedata.normalize("NFKC", text).lower()
    if len(text) > _MAX_CHARS:
        text = text[: _MAX_CHARS * 2 // 3] + " " + text[-_MAX_CHARS // 3 :]
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        padded = f"<{run}>"
        for n in _NGRAMS:
            out.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    words = _LATIN_WORD.findall(text)
    out.update(f"w:{w}" for w in words)
    out.update(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    if len(text) > 120:
        out.add("len:long")  # letters to the government are long
    return list(out)


@dataclass(frozen=True)
class Guess:
    """The classifier's view of one message."""

    label: str  # the most likely label
    p: float  # its probability
    probabilities: dict[str, float]
    danger: float = 0.0  # the probability that someone is in danger now (its own head)

    @property
    def lead(self) -> float:
        """How many times likelier the best label is than the second best."""
        ranked = sorted(self.probabilities.values(), reverse=True)
        return ranked[0] / ranked[1] if len(ranked) > 1 and ranked[1] > 0 else float("inf")

    def p_of(self, prefix: str) -> float:
        """The total probability of the labels starting with `prefix` ("emergency:")."""
        return sum(v for k, v in self.probabilities.items() if k.startswith(prefix))

    def best(self, prefix: str) -> tuple[str, float] | None:
        """The most likely label starting with `prefix`, without the prefix, and its probability."""
        found = [(k, v) for k, v in self.probabilities.items() if k.startswith(prefix)]
        if not found:
            return None
        label, p = max(found, key=lambda kv: kv[1])
        return label[len(prefix) :], p


class TextClassifier:
    """Weights of a trained model; `guess(text)` applies them.

    Two linear heads share the features: `topic` (one score per label, turned into probabilities
    by a softmax) and `danger` (a logistic regression of emergency against everything else,
    whose probability is calibrated on its own: it decides alarms).
    """

    # Scales the topic head's scores before the softmax, so that its probabilities are honest
    # (chosen by cross-validation: among guesses at 0.6, about 0.9 are right).
    TEMPERATURE = 4.0

    def __init__(self, labels: Sequence[str], vocabulary: dict[str, int], weights: Any, bias: Any) -> None:
        self.labels = list(labels)
        self._index = vocabulary
        # The last column is the danger head; the others are the topic head, one per label.
        self._weights = np.asarray(weights, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float64)

    def guess(self, text: str) -> Guess:
        """The probability of each label for `text`, and of danger."""
        rows = [i for f in features(text) if (i := self._index.get(f)) is not None]
        scores = self._bias.copy()
        if rows:
            known = max(len(rows), _MIN_EVIDENCE)
            scores += self._weights[rows].sum(axis=0, dtype=np.float64) / np.sqrt(known)
        danger = float(1.0 / (1.0 + np.exp(-scores[-1])))
        topic = scores[:-1] * self.TEMPERATURE
        topic -= topic.max()
        exp = np.exp(topic)
        probs = exp / exp.sum()
        order = int(probs.argmax())
        return Guess(
            self.labels[order],
            float(probs[order]),
            dict(zip(self.labels, probs.tolist(), strict=True)),
            danger,
        )

    # -- keeping

    def save(self, path: Path) -> None:
        """Write the model as one compressed numpy file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        names = sorted(self._index, key=lambda f: self._index[f])
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            labels=np.array(self.labels),
            features=np.array(names),
            weights=self._weights.astype(np.float16),
            bias=self._bias,
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a model written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            names = data["features"].tolist()
            return cls(
                data["labels"].tolist(), {f: i for i, f in enumerate(names)}, data["weights"], data["bias"]
            )


def train(texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
    """Fit both heads on the texts' features (imports scikit-learn)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    matrix, vocabulary = feature_matrix(texts)
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])
    topic = LinearSVC(C=_C_TOPIC).fit(matrix, y)
    danger_y = np.array([label.startswith("emergency:") for label in labels], dtype=int)
    topic_w = topic.coef_.T  # features x labels
    topic_b = topic.intercept_
    if len(names) == 2:  # scikit-learn keeps one column for two labels
        topic_w = np.hstack([-topic_w / 2, topic_w / 2])
        topic_b = np.array([-topic_b[0] / 2, topic_b[0] / 2])
    if 0 < danger_y.sum() < len(danger_y):
        danger = LogisticRegression(C=_C_DANGER, solver="liblinear").fit(matrix, danger_y)
        danger_w, danger_b = danger.coef_.T, danger.intercept_
    else:  # no emergency examples (or nothing else): the head never says danger
        danger_w, danger_b = np.zeros((matrix.shape[1], 1)), np.array([-20.0])
    weights = np.hstack([topic_w, danger_w])
    bias = np.concatenate([topic_b, danger_b])
    return TextClassifier(names, vocabulary, weights, bias)


def feature_matrix(texts: Sequence[str]) -> tuple[Any, dict[str, int]]:
    """Unit-length binary feature rows of `texts` (a scipy matrix), and the feature index."""
    from scipy.sparse import csr_matrix

    rows = [features(t) for t in texts]
    vocabulary: dict[str, int] | None = None
    if vocabulary is None:
        counts: dict[str, int] = {}
        for row in rows:
            for f in row:
                counts[f] = counts.get(f, 0) + 1
        kept = sorted(f for f, n in counts.items() if n >= _MIN_COUNT)
        vocabulary = {f: i for i, f in enumerate(kept)}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        cols = sorted({vocabulary[f] for f in row if f in vocabulary})
        scale = 1.0 / np.sqrt(max(len(cols), _MIN_EVIDENCE)) if cols else 0.0
        indices.extend(cols)
        data.extend([scale] * len(cols))
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary))), vocabulary


def training_set(examples: Iterable[Example], fold: Callable[[str], str]) -> tuple[list[str], list[str]]:
    """(texts, labels) of the examples, each text folded by `fold` (`Normaliser.light`)."""
    texts: list[str] = []
    labels: list[str] = []
    for ex in examples:
        label = label_of(ex)
        for text in ex.texts:
            texts.append(fold(text))
            labels.append(label)
    return texts, labels


def examples_hash(examples: Iterable[Example]) -> str:
    """A short hash of the examples and the feature version: the name a model is kept under."""
    digest = hashlib.sha256(FEATURE_VERSION.encode())
    for ex in examples:
        digest.update(json.dumps(ex.model_dump(mode="json"), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def default_model_cache() -> Path:
    """The user's cache folder for trained models (~/.cache/doorstep/models on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("doorstep")) / "models"


class ModelStore:
    """Where trained models are kept (None: nowhere, trained every time)."""

    def __init__(self, cache: Path | None) -> None:
        self.cache = cache

    def classifier_for(
        self, examples: Sequence[Example], fold: Callable[[str], str]
    ) -> TextClassifier | None:
        """The model trained on `examples` (trained now and kept when there is none); None without
        examples. `fold` folds a text as answering does."""
        if not examples:
            return None
        name = f"classifier-{examples_hash(examples)}.npz"
        if self.cache is not None and (self.cache / name).is_file():
            try:
                return TextClassifier.load(self.cache / name)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("a kept model could not be read (%s); training again", exc.__class__.__name__)
        texts, labels = training_set(examples, fold)
        if len(set(labels)) < 2:
            return None
        model = train(texts, labels)
        if self.cache is not None:
            try:
                model.save(self.cache / name)
            except OSError as exc:
                log.warning("the trained model could not be kept in %s (%s)", self.cache, exc.strerror)
        return model


__all__ = [
    "Guess",
    "ModelStore",
    "TextClassifier",
    "default_model_cache",
    "examples_hash",
    "feature_matrix",
    "features",
    "label_of",
    "train",
    "training_set",
]
