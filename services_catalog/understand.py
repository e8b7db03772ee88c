"""From a resident's words to what they mean: normalise, segment, look up, guess typos.

`Understanding` is built once per catalogue. It owns a private jieba `Tokenizer` whose
dictionary is generated from the catalogue (vocabulary, facility names and aliases, towns,
committees, stations), so words such as 重固镇, 为老服务中心 and 法律援助 stay whole, and no
shared jieba state is changed while serving. `read(text)` returns the `Reading` of a message:
every term found, with what it means, ready for the intent rules in `finder.py`.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import opencc
from rapidfuzz import fuzz, process

from services_catalog.catalog import Catalog
from services_catalog.pinyin import PinyinTable


def _import_jieba() -> Any:
    """Import jieba without pkg_resources.

    jieba 0.42 imports pkg_resources (some 150 ms, a third of a cold `doorstep ask`) only to
    find its own data files, and opens them by path when it is missing; hide it for that import.
    """
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba as module
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    return module


jieba = _import_jieba()

MAX_CHARS = 300  # longer messages are cut to this, not rejected
_MAX_NGRAM = 5  # how many jieba tokens a catalogue term may span
_MAX_PINYIN_WORDS = 6  # how many words of spaced pinyin a catalogue term may span

MeaningType = Literal[
    "kind",
    "service",
    "indicator",
    "facility",
    "near_me",
    "how_to",
    "where",
    "plan",
    "greeting",
    "capability",
    "off_topic",
    "town",
    "committee",
    "station",
    "landmark",
]


@dataclass(frozen=True)
class Meaning:
    """One thing a term can mean: a kind, a service, a town, "near me", ..."""

    type: MeaningType
    id: str  # the kind/service/indicator/facility id, town name, committee code, station name


@dataclass(frozen=True)
class Hit:
    """A catalogue term found in the message."""

    term: str
    start: int  # token index
    end: int
    meanings: tuple[Meaning, ...]
    fuzzy: bool = False


@dataclass
class Reading:
    """What a message says, term by term."""

    text: str  # normalised
    tokens: list[str]
    hits: list[Hit] = field(default_factory=list)
    place_terms: frozenset[str] = frozenset()  # terms that end like a place's name (医院, library)

    def ids(self, kind: MeaningType) -> list[str]:
        """Ids of one meaning type, in order of appearance, without repeats."""
        seen: dict[str, None] = {}
        for hit in self.hits:
            for m in hit.meanings:
                if m.type == kind:
                    seen.setdefault(m.id, None)
        return list(seen)

    def has(self, kind: MeaningType) -> bool:
        """Whether any term of this meaning type is present."""
        return any(m.type == kind for hit in self.hits for m in hit.meanings)

    def weights(self, kind: MeaningType) -> dict[str, float]:
        """Evidence per id: longer and rarer terms weigh more; a term shared by n ids counts 1/n."""
        out: dict[str, float] = defaultdict(float)
        for hit in self.hits:
            same = [m for m in hit.meanings if m.type == kind]
            place_bonus = 1.0 if kind == "kind" and hit.term in self.place_terms else 0.0
            for m in same:
                out[m.id] += (_term_weight(hit.term) + place_bonus) / len(same) * (0.8 if hit.fuzzy else 1.0)
        return dict(out)

    def ambiguous(self, kind: MeaningType) -> list[tuple[str, ...]]:
        """Groups of ids that one term named together (e.g. 养老 for two kinds)."""
        groups = []
        for hit in self.hits:
            same = tuple(m.id for m in hit.meanings if m.type == kind)
            if len(same) > 1:
                groups.append(same)
        return groups


_PLACE_TYPES = frozenset({"town", "committee", "station", "landmark"})
_SURE_TYPES = frozenset({"kind", "service", "facility", "indicator"})


def _is_ambiguous(hit: Hit) -> bool:
    return sum(m.type == "kind" for m in hit.meanings) > 1


def _is_sure(hit: Hit) -> bool:
    return any(m.type in _SURE_TYPES for m in hit.meanings) and not _is_ambiguous(hit)


def _term_weight(term: str) -> float:
    if term.isascii():
        return 1.0 + 0.5 * term.count(" ")
    return min(len(term), 8) / 2.0


# Characters and marks that carry no meaning for matching.
_TAG = re.compile(r"<[^>]{0,200}>")
_NOISE = re.compile(r"[^\w\s.,%+-]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3})")
# Measure words and particles people put inside a phrase ("测个血糖", "看一下病", "养老机构的床位").
# Words after an event that put it in the past ("中风后要人照顾").
_TYPO_STRETCH = 24  # characters of an unmatched stretch searched for typos
_HAS_WORD = re.compile(r"\w")
_REPEATED_CHAR = re.compile(r"(.)\1{3,}")
_REPEATED_PHRASE = re.compile(r"(.{2,16}?)(?:\1){2,}")
_RAW_CHARS = 4000  # read at most this much of a message at all
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")


def _unseen(ch: str) -> str:
    category = unicodedata.category(ch)
    if category[0] != "C":
        return ch
    return "" if category == "Cf" else " "


class Normaliser:
    """Full-width to half-width, Traditional to Simplified, case, markup and emoji out."""

    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")

    def light(self, text: str) -> str:
        """Full-width, Traditional, case and apostrophes folded; punctuation kept (clauses need it)."""
        text = text[:_RAW_CHARS]
        text = unicodedata.normalize("NFKC", text)
        # Zero-width and bidi marks (Cf) vanish; line breaks and other controls part words.
        text = "".join(_unseen(ch) for ch in text)
        # OpenCC keeps 著 (also a Simplified character); in questions it is 着 (拿著刀 → 拿着刀).
        text = _TAG.sub(" ", text).replace("'", "").replace("\u2019", "").replace("著", "着")
        return str(self._t2s.convert(text)).lower()

    def __call__(self, text: str) -> str:
        """The text as the matcher sees it (may be empty).

        Repeats are folded (嗯嗯嗯嗯 → 嗯嗯嗯; a phrase said three times or more → once) and a
        message still too long keeps its beginning and its end, where people put the question.
        """
        return self.matchable(self.light(text))

    def matchable(self, text: str) -> str:
        """The rest of `__call__`, for a text already folded by `light`."""
        text = _DIGIT_COMMA.sub("", text)
        text = _NOISE.sub(" ", text)
        text = _SPACES.sub(" ", text).strip()
        if len(text) > MAX_CHARS:
            text = _REPEATED_PHRASE.sub(r"\1", _REPEATED_CHAR.sub(r"\1\1\1", text))
        if len(text) > MAX_CHARS:
            head = MAX_CHARS * 2 // 3
            text = text[:head] + " " + text[-(MAX_CHARS - head - 1) :]
        return text


# American spellings read as British ones, so either matches the catalogue.
_EN_SPELLING = {
    "enrollment": "enrolment",
    "center": "centre",
    "theater": "theatre",
    "counseling": "counselling",
}


def stem_en(word: str) -> str:
    """A light English stem, enough for plurals (libraries → library, centres → centre), with
    American spellings read as British (center → centre)."""
    word = _stem_plural(word)
    return _EN_SPELLING.get(word, word)


def _stem_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _key(term: str) -> str:
    """The form a term is looked up by: English words stemmed, Chinese unchanged."""
    if not term.isascii():
        return term.replace(" ", "")
    return " ".join(stem_en(w) for w in _WORD.findall(term))


class Understanding:
    """The vocabulary of one catalogue and the segmenter that knows it."""

    def __init__(self, catalog: Catalog) -> None:
        self.normalise = Normaliser()
        self._terms: dict[str, set[Meaning]] = defaultdict(set)
        self._single: dict[str, set[Meaning]] = defaultdict(set)
        self._add_catalog(catalog)
        self._single_chars = {
            k: tuple(v)
            for k, v in self._single.items()
            if all(m.type in ("greeting", "capability") for m in v)
        }
        self.lookup: dict[str, tuple[Meaning, ...]] = {
            k: tuple(sorted(v, key=lambda m: (m.type, m.id))) for k, v in self._terms.items()
        }
        # Every beginning of a term: joining tokens stops as soon as no term could begin so.
        self._prefixes = {term[:k] for term in self.lookup for k in range(1, len(term) + 1)}
        self._tokenizer = self._build_tokenizer()
        # Terms by length and first character, for typo matching of same-length stretches
        # (Chinese only; a typo keeps the first character, so each lookup scans one small bucket).
        by_len: dict[tuple[int, str], list[str]] = defaultdict(list)
        for term, meanings in self.lookup.items():
            if not term.isascii() and 3 <= len(term) <= 8 and self._fuzzy_worthy(meanings):
                by_len[(len(term), term[0])].append(term)
        self._fuzzy_terms = {key: sorted(terms) for key, terms in by_len.items()}
        self._fuzzy_ascii = sorted(
            t
            for t, meanings in self.lookup.items()
            if t.isascii()
            and t.isalpha()
            and len(t) >= 5
            and any(m.type in ("kind", "service", "town", "facility") for m in meanings)
        )
        # Multi-word English kind and service terms, longest first, for matching with gaps.
        self._gapped_terms = sorted(
            (
                (tuple(t.split(" ")), t)
                for t, meanings in self.lookup.items()
                if t.isascii() and " " in t and any(m.type in ("kind", "service") for m in meanings)
            ),
            key=lambda x: -len(x[0]),
        )
        # Terms by how they sound; a sound shared by two terms is left out (no guessing between them).
        self.pinyin = PinyinTable()
        sounds: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for term, meanings in self.lookup.items():
            if not term.isascii() and 2 <= len(term) <= 8 and self._fuzzy_worthy(meanings):
                key = self.pinyin.key(term)
                if key is not None:
                    sounds[key].add(term)
        self._by_sound = {key: next(iter(terms)) for key, terms in sounds.items() if len(terms) == 1}
        town_sounds: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for term, meanings in self.lookup.items():
            if not term.isascii() and 2 <= len(term) <= 5 and any(m.type == "town" for m in meanings):
                key = self.pinyin.key(term)
                if key is not None:
                    town_sounds[key].add(term)
        self._town_by_sound = {k: next(iter(t)) for k, t in town_sounds.items() if len(t) == 1}
        # Romanised pinyin typed without tones or spaces ("weishengyuan", "gongzufang"), in every
        # reading of its characters ("changhuxian" and "zhanghuxian" for 长护险); a spelling two
        # terms share is left out.
        spelled: dict[str, set[str]] = defaultdict(set)
        for term in self._by_sound.values():
            if len(term) >= 2:
                for spelling in self.pinyin.spellings(term):
                    if len(spelling) >= 5:
                        spelled[spelling].add(term)
        self._by_romanised = {k: next(iter(t)) for k, t in spelled.items() if len(t) == 1}
        self._romanised_prefixes = {k[:n] for k in self._by_romanised for n in range(1, len(k) + 1)}
        # Every character the catalogue's words use: a slip usually lands outside them.
        self._catalog_chars = {ch for term in self.lookup for ch in term if not ch.isascii()}
        # A typo changes a letter of a word, not a particle: 养老的 is not a misspelt 养老院.
        self._particles = {w for w in catalog.vocabulary.stopwords.zh if len(w) == 1}
        vocab_words = catalog.vocabulary
        self.vocabulary = sorted(self.lookup)
        self._fillers = frozenset(vocab_words.fillers.zh)
        suffixes_zh = tuple(vocab_words.place_suffixes.zh)
        suffixes_en = frozenset(vocab_words.place_suffixes.en)
        self._place_terms = frozenset(
            t
            for t in self.lookup
            if (t.rsplit(" ", 1)[-1] in suffixes_en if t.isascii() else t.endswith(suffixes_zh))
        )

    # ---- building

    def _add(self, words: Iterable[str], meaning: Meaning) -> None:
        for word in words:
            key = _key(self.normalise(word))
            if key and (len(key) >= 2 or key.isascii()):
                self._terms[key].add(meaning)
            elif len(key) == 1:
                self._single[key].add(meaning)  # matched only as a whole message

    def _add_catalog(self, catalog: Catalog) -> None:
        vocab = catalog.vocabulary
        for kind, words in vocab.kinds.items():
            self._add([*words.zh, *words.en], Meaning("kind", kind))
        for service_id, words in vocab.services.items():
            self._add([*words.zh, *words.en], Meaning("service", service_id))
        for name, words in (
            ("near_me", vocab.near_me),
            ("how_to", vocab.how_to),
            ("where", vocab.where),
            ("plan", vocab.plan),
            ("greeting", vocab.greetings),
            ("capability", vocab.capabilities),
            ("off_topic", vocab.off_topic),
        ):
            self._add([*words.zh, *words.en], Meaning(name, name))  # type: ignore[arg-type]
        for service in catalog.services.values():
            self._add([service.name, service.name_en, *service.aliases], Meaning("service", service.id))
        for ind in catalog.indicators.values():
            self._add([ind.name, ind.name_en, *ind.aliases], Meaning("indicator", ind.id))
        for fac in catalog.facilities.values():
            names = [fac.name, *fac.aliases] + ([fac.name_en] if fac.name_en else [])
            self._add(names, Meaning("facility", fac.id))
        for town in catalog.towns.values():
            self._add([town.name, town.name_en, *town.aliases], Meaning("town", town.name))
        for com in catalog.committees.values():
            # Short committee names (东方, 新城) collide with ordinary words; keep 3+ characters.
            names = [a for a in [com.name, *com.aliases] if len(a) >= 3]
            self._add(names, Meaning("committee", com.code))
        for st in catalog.stations.values():
            self._add(
                [st.name, *st.aliases, *(f"{n}站" for n in [st.name, *st.aliases])],
                Meaning("station", st.name),
            )
        for lm in catalog.landmarks.values():
            self._add([lm.name, *lm.aliases], Meaning("landmark", lm.name))

    @staticmethod
    def _fuzzy_worthy(meanings: tuple[Meaning, ...]) -> bool:
        return any(m.type in ("kind", "service", "facility", "indicator") for m in meanings)

    def _build_tokenizer(self) -> Any:
        """A private jieba tokenizer whose dictionary is the catalogue's terms."""
        jieba.setLogLevel(logging.WARNING)
        lines = []
        for term in self.lookup:
            if not term.isascii() and " " not in term:
                lines.append(f"{term} {1000 * len(term)}")
        tok = jieba.Tokenizer()
        tok.FREQ, tok.total = tok.gen_pfdict(io.BytesIO("\n".join(lines).encode("utf-8")))
        tok.initialized = True
        return tok

    # ---- reading

    def segment(self, text: str) -> list[str]:
        """jieba tokens of normalised text, spaces dropped; English words stemmed."""
        out = []
        # No HMM: matching needs only the catalogue's own terms whole, and the HMM is most of the cost.
        for tok in self._tokenizer.lcut(text, HMM=False):
            tok = tok.strip()
            if not tok or not _HAS_WORD.search(tok):
                continue  # spaces and punctuation: "long-term" reads as "long term"
            out.append(stem_en(tok) if tok.isascii() else tok)
        return out

    def read(self, raw: str, *, folded: str | None = None) -> Reading:
        """Every catalogue term in the message, longest first, with typo guesses as a fallback.

        `folded`: the message already folded by `normalise.light`, when the caller has it.
        """
        text = self.normalise.matchable(folded) if folded is not None else self.normalise(raw)
        tokens = self.segment(text)
        reading = Reading(text=text, tokens=tokens, place_terms=self._place_terms)
        if text in self._single_chars:  # "嗨" alone is a greeting; inside a sentence it is noise
            reading.hits.append(Hit(text, 0, len(tokens), self._single_chars[text]))
            return reading
        taken = [False] * len(tokens)
        candidates: list[tuple[int, int, str]] = []
        n = len(tokens)
        for i in range(n):
            joined = ""
            skipped_de = False
            for j in range(i, min(n, i + _MAX_NGRAM)):
                if joined and tokens[j] in self._fillers:
                    skipped_de = skipped_de or tokens[j] == "的"
                    continue  # 测个血糖 is 测血糖, 看个病 is 看病
                joined = _join(joined, tokens[j])
                if joined not in self._prefixes:
                    break
                # Across 的 only long terms (养老机构的床位); 好看的电影 is not 看电影.
                if joined in self.lookup and not (skipped_de and len(joined) < 4):
                    candidates.append((i, j + 1, joined))
        # Longest terms win; a term never overlaps one already taken.
        candidates.sort(key=lambda c: (-len(c[2].replace(" ", "")), c[0]))
        for start, end, term in candidates:
            if any(taken[start:end]):
                continue
            for k in range(start, end):
                taken[k] = True
            reading.hits.append(Hit(term, start, end, self.lookup[term]))
        off_topic = any(m.type == "off_topic" for h in reading.hits for m in h.meanings)
        if not off_topic and not any(_is_sure(h) for h in reading.hits):
            # Nothing certain was said: look for typos, also where only an ambiguous word (养老)
            # matched, since 养老园 is a misspelt 养老院 rather than 养老 + 园.
            unsure = [h for h in reading.hits if _is_ambiguous(h)]
            for h in unsure:
                for k in range(h.start, h.end):
                    taken[k] = False
            typos = self._typos(tokens, taken)
            for h in unsure:
                if any(t.start <= h.start and h.end <= t.end for t in typos):
                    reading.hits.remove(h)
                else:
                    for k in range(h.start, h.end):
                        taken[k] = True
            reading.hits.extend(typos)
        reading.hits.extend(self._english_typos(tokens, taken))
        if not any(m.type in _PLACE_TYPES for h in reading.hits for m in h.meanings):
            reading.hits.extend(self._place_typos(tokens, taken))
        if not any(m.type in ("kind", "service") for h in reading.hits for m in h.meanings):
            reading.hits.extend(self._english_gapped(tokens, taken))
        reading.hits.sort(key=lambda h: h.start)
        return reading

    def _place_typos(self, tokens: list[str], taken: list[bool]) -> list[Hit]:
        """A town written with the right sound and a wrong character (徐经 for 徐泾), looked for in
        each run of unmatched characters (never across a matched word: 小[饭店]政 is no 小蒸)."""
        runs: list[str] = []
        current = ""
        for i, tok in enumerate(tokens):
            if taken[i] or tok.isascii():
                runs.append(current)
                current = ""
            else:
                current += tok
        runs.append(current)
        for text in (r[:_TYPO_STRETCH] for r in runs if len(r) >= 2):
            sounds = self.pinyin.keys_of_grams(text)
            for size in (5, 4, 3, 2):
                for pos in range(len(text) - size + 1):
                    gram = text[pos : pos + size]
                    term = self._town_by_sound.get(sounds.at(pos, size) or ())
                    if term is not None and term != gram:
                        return [Hit(term, 0, 0, self.lookup[term], fuzzy=True)]
        return []

    def _english_gapped(self, tokens: list[str], taken: list[bool]) -> list[Hit]:
        """English terms of two or more words with a word or two between them
        ("community affairs service center" for "community affairs center")."""
        free = [(i, t) for i, t in enumerate(tokens) if not taken[i] and t.isascii() and t.isalpha()]
        if len(free) < 2:
            return []
        hits: list[Hit] = []
        for words, term in self._gapped_terms:
            start = end = -1
            k = 0
            for i, tok in free:
                if tok == words[k]:
                    if k == 0:
                        start = i
                    k += 1
                    if k == len(words):
                        end = i + 1
                        break
            if end > 0 and end - start <= len(words) + 2 and not any(taken[start:end]):
                for j in range(start, end):
                    taken[j] = True
                hits.append(Hit(term, start, end, self.lookup[term], fuzzy=True))
        return hits

    def _spaced_pinyin(self, tokens: list[str], taken: list[bool]) -> list[Hit]:
        """Pinyin typed in Latin letters with spaces ("lian zu fang", "shiwu shouli zhongxin"):
        a run of words that together spell a catalogue term, longest run first."""
        hits: list[Hit] = []
        i = 0
        while i < len(tokens):
            found = None
            spelled = ""
            for end in range(i, min(len(tokens), i + _MAX_PINYIN_WORDS)):
                spelled += tokens[end]
                if taken[end] or spelled not in self._romanised_prefixes:
                    break  # most words end the run at once: no term's spelling starts so
                if end > i and spelled in self._by_romanised:
                    found = (self._by_romanised[spelled], end + 1)
            if found is None:
                i += 1
                continue
            term, end = found
            taken[i:end] = [True] * (end - i)
            hits.append(Hit(term, i, end, self.lookup[term], fuzzy=True))
            i = end
        return hits

    def _english_typos(self, tokens: list[str], taken: list[bool]) -> list[Hit]:
        """Misspelt English words of five letters or more (libary, Zhujiajao), one extractOne each."""
        hits = self._spaced_pinyin(tokens, taken)
        for i, tok in enumerate(tokens):
            if taken[i] or not tok.isascii() or not tok.isalpha() or len(tok) < 5 or tok in self._prefixes:
                continue
            spelled = self._by_romanised.get(tok)
            if spelled is not None:  # pinyin typed in Latin letters
                taken[i] = True
                hits.append(Hit(spelled, i, i + 1, self.lookup[spelled], fuzzy=True))
                continue
            best = process.extractOne(tok, self._fuzzy_ascii, scorer=fuzz.ratio, score_cutoff=85.0)
            if best is not None:
                taken[i] = True
                hits.append(Hit(best[0], i, i + 1, self.lookup[best[0]], fuzzy=True))
        return hits

    def _typos(self, tokens: list[str], taken: list[bool]) -> list[Hit]:
        """Near-misses (图书官, 法律援住) in the stretches no exact term covered."""
        hits: list[Hit] = []
        i = 0
        while i < len(tokens):
            if taken[i] or tokens[i].isascii():
                i += 1
                continue
            j = i
            while j < len(tokens) and not taken[j] and not tokens[j].isascii():
                j += 1
            # A typo sits in a short stretch; a long run of unknown text is not worth guessing at.
            hits.extend(self._typos_in("".join(tokens[i:j])[:_TYPO_STRETCH], i, j))
            i = j
        return hits

    def _typos_in(self, stretch: str, start: int, end: int) -> list[Hit]:
        found: list[Hit] = []
        used = [False] * len(stretch)
        sounds = self.pinyin.keys_of_grams(stretch)
        # Words typed with the right sound and a wrong character (低宝, 长户险, 养老园).
        for size in range(min(8, len(stretch)), 1, -1):
            for pos in range(len(stretch) - size + 1):
                if any(used[pos : pos + size]):
                    continue
                gram = stretch[pos : pos + size]
                term = self._by_sound.get(sounds.at(pos, size) or ())
                if term is None or term == gram:
                    continue
                if size == 2 and gram[0] != term[0] and gram[1] != term[1]:
                    continue  # two characters both changed is another word (户里 is not 护理)
                for k in range(pos, pos + size):
                    used[k] = True
                found.append(Hit(term, start, end, self.lookup[term], fuzzy=True))
        # Other one-character slips: in words of four characters or more (法律缓助); in words of
        # three only the last, and only to a character the catalogue never uses (图书绾 is a slip
        # for 图书馆, but 老人白 is not 老人院: 白 is an ordinary character here).
        for size in range(min(8, len(stretch)), 2, -1):
            cutoff = 66.0 if size == 3 else 74.0
            for pos in range(len(stretch) - size + 1):
                if any(used[pos : pos + size]):
                    continue
                gram = stretch[pos : pos + size]
                choices = self._fuzzy_terms.get((size, gram[0]))
                if not choices or not _CJK.search(gram[-1]):
                    continue
                best = process.extractOne(gram, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if best is None:
                    continue
                term = best[0]
                # One changed character is a typo; the first character must agree (it carries
                # the topic in most service words), and so must the rest but one. In a
                # three-character word only the last may differ (图书官), or 退押金 would be 退役金.
                diffs = [k for k, (a, b) in enumerate(zip(term, gram, strict=True)) if a != b]
                if term[0] != gram[0] or len(diffs) > 1:
                    continue
                if size == 3 and diffs and (diffs[0] != 2 or gram[2] in self._catalog_chars):
                    continue
                if diffs and gram[diffs[0]] in self._particles:
                    continue
                for k in range(pos, pos + size):
                    used[k] = True
                found.append(Hit(term, start, end, self.lookup[term], fuzzy=True))
        return found


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if left[-1].isascii() and right[0].isascii() and left[-1].isalnum() and right[0].isalnum():
        return f"{left} {right}"
    return left + right
