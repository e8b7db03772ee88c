"""Is someone in danger now? Signs of danger in a message, and whether they are happening now.

The words are the vocabulary's (`emergency`, `not_now`, `now`, `negation`, `mild`,
`after_event`): staff extend them without touching code. A message is read clause by clause,
so a greeting or another question before the danger never hides it, and a "去年" in one clause
does not excuse a "刚刚倒地" in the next.

Each danger found gets a status:
- `now`: a danger word or sign, not denied, not put outside now;
- `possible`: a `maybe` word not said to be happening right now, or a sign made mild ("有点闷");
- `defused`: told as past, a hazard, a hypothetical, a question about the services, a story, a
  pet, a claim or a figure of speech, with no word of right-now in its clause.

`judge()` then weighs that reading against the trained classifier's view of the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import ahocorasick

from services_catalog.classifier import Guess
from services_catalog.danger_weighing import DangerWeighing
from services_catalog.danger_weighing import features as weighing_features
from services_catalog.models import EmergencySign, Vocabulary, Words
from services_catalog.pinyin import PinyinTable

T = TypeVar("T")
Status = Literal["now", "possible", "defused"]
Strength = Literal["word", "sign", "condition", "maybe"]
Level = Literal["now", "possible", "none"]

_CLAUSE_BREAK = re.compile(r"[,.!?;:，。！？；：…~、\n\r\t()（）\[\]【】“”\"]+")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")
_SOUND_CHARS = 200  # characters of a clause searched for words by sound
_NEGATION_WINDOW = 3  # characters before a danger word where a negation denies it
_SIGN_CLAUSES = 4  # a sign's words may be told over this many clauses in a row
_MAX_CLAUSES = 80  # clauses of a message read for danger (its beginning and its end)
_OUTWEIGHED_BY_NOW = frozenset({"past", "hazard", "about_services"})
# Contexts that reach beyond their clause (a story what follows, a danger now over what came
# before): in a clause with another context too, they are the one that counts.
_REACHING = ("story", "over")
_ALONE_MIN_CHARS = 5  # the classifier alone raises no alarm on a shorter message ("辛苦了")
_VETO_MIN_CHARS = 8  # nor weighs down a sign in a shorter one ("想死", "着火了快来")
CRY = "cry for help"  # the name of a message that is only a cry ("救命", "help!")


class Lexicon:
    """A set of words found in text: Chinese anywhere, English only as whole words.

    At each place the longest word that starts there is found, and the search goes on after it
    (as a regex alternation of the words, longest first, would). An Aho-Corasick automaton
    (pyahocorasick) finds them in one pass over the text, however many words there are.
    """

    def __init__(self, words: Iterable[str]) -> None:
        unique = {w.strip().lower() for w in words if w.strip()}
        self._automaton: ahocorasick.Automaton | None = None
        if unique:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
            for word in unique:
                automaton.add_word(word)
            automaton.make_automaton()
            self._automaton = automaton

    def __bool__(self) -> bool:
        return self._automaton is not None

    def _longest_at(self, text: str) -> dict[int, int]:
        """For each place where a word starts, the end of the longest word that starts there."""
        longest: dict[int, int] = {}
        if self._automaton is None:
            return longest
        for last, length in self._automaton.iter(text):
            start, end = last + 1 - length, last + 1
            if not _whole(text, start, end) or longest.get(start, -1) >= end:
                continue
            longest[start] = end
        return longest

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Every (start, end, word) found, left to right, longest word first at each place."""
        found: list[tuple[int, int, str]] = []
        cursor = 0
        for start, end in sorted(self._longest_at(text).items()):
            if start >= cursor:
                found.append((start, end, text[start:end]))
                cursor = end
        return found

    def search(self, text: str) -> str | None:
        """The first word found, or None."""
        longest = self._longest_at(text)
        if not longest:
            return None
        start = min(longest)
        return text[start : longest[start]]

    def ends(self, text: str) -> bool:
        """Whether `text` ends with one of the words."""
        return any(end == len(text) for _, end, _ in self.find(text))

    def starts(self, text: str) -> bool:
        """Whether `text` starts with one of the words."""
        return 0 in self._longest_at(text)


class TaggedLexicon(Lexicon, Generic[T]):
    """Words of several groups found in one pass; each word found comes with its groups' tags."""

    def __init__(self, groups: Iterable[tuple[T, Iterable[str]]]) -> None:
        self._tags: dict[str, list[T]] = {}
        for tag, words in groups:
            for w in words:
                key = w.strip().lower()
                if key and tag not in self._tags.setdefault(key, []):
                    self._tags[key].append(tag)
        super().__init__(self._tags)

    def tagged(self, text: str) -> list[tuple[int, int, str, list[T]]]:
        """Every (start, end, word, tags) found, left to right."""
        return [(start, end, word, self._tags[word]) for start, end, word in self.find(text)]


def _whole(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] may count as a word: an English word only where it stands whole."""
    if not text[start:end].isascii():
        return True
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not (_is_alnum(before) or _is_alnum(after))


def _is_alnum(ch: str) -> bool:
    return ch != "" and ("a" <= ch <= "z" or "0" <= ch <= "9")


def _words(w: Words) -> list[str]:
    return [*w.zh, *w.en]


@dataclass(frozen=True)
class Danger:
    """One sign of danger found in a message."""

    topic: str  # the vocabulary's emergency topic (medical, fire, rescue, police, self_harm)
    name: str  # the word, or the sign's name
    strength: Strength
    status: Status
    because: str = ""  # why not now: the not_now group, "past", "mild", ...
    position: int = 0
    acute: bool = False  # its clause says right now ("刚刚", "突然", "救命")


@dataclass(frozen=True)
class SafetyReading:
    """Every danger found in a message, in order, and what the message says about now."""

    dangers: tuple[Danger, ...] = ()
    contexts: tuple[str, ...] = ()  # the not_now groups said and not outweighed ("past", "story")
    said_now: bool = False  # a word of right now anywhere ("刚刚", "救命")
    length: int = 0  # characters, spaces and punctuation left out
    denied: int = 0  # danger words denied or averted ("没有着火", "差点被车撞", "打不着火")

    def with_status(self, *status: Status) -> list[Danger]:
        return [d for d in self.dangers if d.status in status]

    @property
    def strongest(self) -> Status | None:
        order: tuple[Status, ...] = ("now", "possible", "defused")
        for status in order:
            if any(d.status == status for d in self.dangers):
                return status
        return None

    def topics(self, *status: Status) -> list[str]:
        """Topics of the dangers with these statuses, fire first (it spreads), then in order."""
        found = [d for d in self.dangers if d.status in status]
        found.sort(key=lambda d: (d.topic != "self_harm", d.topic != "fire", d.position))
        return list(dict.fromkeys(d.topic for d in found))

    def summary(self, *status: Status) -> str:
        """The names of the dangers with these statuses, for an answer's `why`."""
        names = [d.name for d in self.dangers if d.status in status]
        return " + ".join(dict.fromkeys(names))


@dataclass(frozen=True)
class Verdict:
    """What to do about danger: alarm (`now`), a one-line hedge (`possible`), or nothing."""

    level: Level
    topics: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class _Topic:
    id: str
    signs: tuple[tuple[str, tuple[Lexicon, ...]], ...]


class SafetyCheck:
    """The vocabulary's signs of danger, compiled once per catalogue."""

    # How sure the classifier's danger head must be for a one-line hedge when nothing is alarmed.
    HEDGE = 0.4

    def __init__(
        self,
        vocabulary: Vocabulary,
        pinyin: PinyinTable | None = None,
        weighing: DangerWeighing | None = None,
        known_words: Iterable[str] = (),
    ) -> None:
        self.weighing = weighing if weighing is not None else DangerWeighing.load()
        self._critical = {w.lower() for em in vocabulary.emergency.values() for w in _words(em.critical)}
        self._topics = tuple(
            _Topic(topic, tuple(_sign(s) for s in em.signs)) for topic, em in vocabulary.emergency.items()
        )
        nn = vocabulary.not_now
        groups_not_now = tuple(
            (name, _words(words))
            for name, words in (
                ("over", nn.over),  # first: "已经好了" says it is over, whatever else is said
                ("past", nn.past),
                ("hazard", nn.hazard),
                ("about_services", nn.about_services),
                ("story", nn.story),
                ("pet", nn.pet),
                ("claim", nn.claim),
                ("figure_of_speech", nn.figure_of_speech),
            )
        )
        self._hypothetical = Lexicon(_words(nn.hypothetical))
        # One pass per clause: every danger word, tagged with its topic and strength, and every
        # word that puts a danger outside now, tagged with its group (in order of precedence).
        danger_groups: list[tuple[tuple[str, Strength], list[str]]] = []
        for topic_id, em in vocabulary.emergency.items():
            danger_groups.append(((topic_id, "word"), [*em.zh, *em.en]))
            danger_groups.append(((topic_id, "condition"), _words(em.conditions)))
            danger_groups.append(((topic_id, "maybe"), _words(em.maybe)))
        self._danger_words: TaggedLexicon[tuple[str, Strength]] = TaggedLexicon(danger_groups)
        self._context_words: TaggedLexicon[str] = TaggedLexicon(
            [*groups_not_now, ("hypothetical", _words(nn.hypothetical))]
        )
        self._context_rank = {name: i for i, (name, _) in enumerate(groups_not_now)}
        self._context_rank["hypothetical"] = len(self._context_rank)
        self._now = Lexicon(_words(vocabulary.now))
        self._cries = {w.lower() for w in _words(vocabulary.cries)}
        self._dialect = sorted(vocabulary.dialect.items(), key=lambda kv: -len(kv[0]))
        self._pinyin = pinyin
        self._by_sound = self._sound_index(vocabulary, pinyin) if pinyin is not None else {}
        self._sound_lengths = sorted({len(k) for k in self._by_sound}, reverse=True)
        # Words the catalogue knows (司法所, 赵巷): a danger word heard by sound is never read
        # across one of them (想去司法所 is no 想去死).
        self._known = Lexicon(w for w in known_words if len(w) >= 2 and _CJK_WORD.fullmatch(w))
        self._negation = Lexicon(_words(vocabulary.negation))
        self._mild = Lexicon(_words(vocabulary.mild))
        self._after = Lexicon(_words(vocabulary.after_event))

    def read(self, text: str) -> SafetyReading:
        """Every danger in `text` (lower-cased, Simplified, punctuation kept), with its status."""
        for word, mandarin in self._dialect:
            text = text.replace(word, mandarin)
        clauses = _distinct(split_clauses(text))
        if not clauses:
            return SafetyReading()
        if " ".join(clauses) in self._cries or "".join(clauses) in self._cries:
            cry = Danger("medical", CRY, "word", "now", "", 0, True)
            return SafetyReading((cry,), (), True, len("".join(clauses)))
        starts: list[int] = []
        offset = 0
        for clause in clauses:
            offset = text.find(clause, offset)
            starts.append(offset)
            offset += len(clause)
        said_now = [self._now.search(c) is not None for c in clauses]
        # Right now is said once for a few clauses ("刚刚跌了一跤，头上出血，爬不起来").
        acute = [said_now[i] or (i > 0 and said_now[i - 1]) for i in range(len(clauses))]
        contexts: list[str] = []
        carried = ""  # a hypothetical ("如果…") covers the clause after it too
        for clause in clauses:
            contexts.append(self._context(clause, carried))
            carried = "hypothetical" if self._hypothetical.search(clause) else ""
        # A story or a dream covers what is told after it ("梦见…，梦里有人拿刀追我"); a danger
        # now over covers what was told before it ("走丢了十分钟，已经找到了").
        for i, c in enumerate(list(contexts)):
            if c == "story":
                contexts[i:] = ["story"] * (len(contexts) - i)
                break
        for i in range(len(contexts) - 1, -1, -1):
            if contexts[i] == "over":
                contexts[: i + 1] = ["over"] * (i + 1)
                break
        # Right now outweighs a past illness, a hazard or a question about the services
        # ("去年中风过，刚刚又…"), never a hypothetical or a story.
        acute = [a and (not c or c in _OUTWEIGHED_BY_NOW) for a, c in zip(acute, contexts, strict=True)]
        mild = [self._mild.search(c) is not None for c in clauses]
        dangers: list[Danger] = []
        denied = 0
        for i, clause in enumerate(clauses):
            for topic_id, name, strength, start, end in self._words_in(clause):
                if self._negated(clause, start):
                    denied += 1
                    continue
                status: Status = "now" if strength != "maybe" or acute[i] else "possible"
                because = ""
                if contexts[i] and not acute[i]:
                    status, because = "defused", contexts[i]
                elif self._after.starts(clause[end:]) and not acute[i]:
                    status, because = "defused", "past"
                elif mild[i] and not acute[i]:
                    status, because = "possible", "mild"
                dangers.append(Danger(topic_id, name, strength, status, because, starts[i] + start, acute[i]))
        whole = " | ".join(clauses)
        for topic in self._topics:
            for name, groups in topic.signs:
                if not all(g.search(whole) is not None for g in groups):
                    continue  # most signs are nowhere in the message: no clause-by-clause look
                window = self._sign_window(clauses, groups)
                if window is None:
                    continue
                first, last = window
                span = range(first, last + 1)
                if any(self._denied_in(clauses, span, g) for g in groups):
                    denied += 1  # "没有漏气味道": a part of the sign is denied, so is the sign
                    continue
                is_acute = any(acute[k] for k in span)
                context = next((contexts[k] for k in span if contexts[k]), "")
                status, because = "now", ""
                if context and not is_acute:
                    status, because = "defused", context
                elif any(mild[k] for k in span) and not is_acute:
                    status, because = "possible", "mild"
                dangers.append(Danger(topic.id, name, "sign", status, because, starts[first], is_acute))
        dangers.sort(key=lambda d: d.position)
        standing = [c for c, a in zip(contexts, acute, strict=True) if c and not a]
        length = sum(len(c.replace(" ", "")) for c in clauses)
        return SafetyReading(tuple(dangers), tuple(dict.fromkeys(standing)), any(acute), length, denied)

    @staticmethod
    def _sign_window(clauses: Sequence[str], groups: Sequence[Lexicon]) -> tuple[int, int] | None:
        """The first clauses (at most a few in a row) that hold a word of every group."""
        found = [[g.search(c) is not None for c in clauses] for g in groups]
        if not all(any(row) for row in found):
            return None
        for first in range(len(clauses)):
            for last in range(first, min(first + _SIGN_CLAUSES, len(clauses))):
                if all(any(row[first : last + 1]) for row in found):
                    return first, last
        return None

    def judge(
        self,
        reading: SafetyReading,
        guess: Guess | None,
        *,
        asks_service: bool = False,
        asks_place: bool = False,
    ) -> Verdict:
        """Alarm, hedge or nothing, from the signs found and the classifier's view.

        A cry for help, self-harm or a critical word (没有呼吸) said as now, or a sign of danger said
        as now in a message too short for the classifier to judge ("着火了快来"), raises the alarm
        outright. Otherwise the
        signs, their contexts and both heads of the classifier are weighed together
        (`DangerWeighing`, learnt from the example sentences): a danger told as the background of
        a question, a figure of speech or a clip seen online weighs little; a danger told as
        happening weighs much, even with no word of the vocabulary in it.
        """
        now = reading.with_status("now")
        now_topics = tuple(reading.topics("now"))
        cry = any(d.name == CRY for d in now)
        # Someone who says they will end their life is never weighed down: a crisis line shown
        # in error costs little, a missed one may cost a life.
        self_harm = any(d.topic == "self_harm" for d in now)
        critical = any(d.name in self._critical for d in now)  # a life at stake this minute
        if now and (cry or self_harm or critical or guess is None or reading.length < _VETO_MIN_CHARS):
            return Verdict("now", now_topics, f"emergency: {reading.summary('now')}")
        weighed = None
        if guess is not None and (now or reading.length >= _ALONE_MIN_CHARS):
            values = weighing_features(reading, guess, asks_service=asks_service, asks_place=asks_place)
            weighed = self.weighing.probability(values)
            guessed = guess.best("emergency:")
            topics = (
                now_topics
                or tuple(reading.topics("possible", "defused"))
                or ((guessed[0],) if guessed else ())
            )
            if topics and weighed >= self.weighing.alarm_at:
                found = reading.summary("now") or reading.summary("possible") or "classifier"
                return Verdict("now", topics, f"emergency: {found}, weighed {weighed:.2f}")
        said = f", weighed {weighed:.2f}" if weighed is not None else ""
        if now:
            return Verdict("possible", now_topics, f"hedge: {reading.summary('now')}{said}")
        possible = reading.with_status("possible")
        if possible:
            return Verdict(
                "possible", tuple(reading.topics("possible")), f"hedge: {reading.summary('possible')}"
            )
        # An illness told as the background of a question ("中风后要人照顾"): it may come back, so
        # the number still comes first.
        defused = reading.with_status("defused")
        past_illness = [d for d in defused if d.because == "past" and d.topic == "medical"]
        if past_illness:
            return Verdict("possible", ("medical",), f"hedge: {_because(past_illness)}")
        guessed = guess.best("emergency:") if guess is not None else None
        topics = tuple(reading.topics("defused")) or ((guessed[0],) if guessed else ())
        if guess is not None and topics and guess.danger >= self.HEDGE:
            return Verdict("possible", topics, f"hedge: classifier {guess.danger:.2f}")
        return Verdict("none", (), f"not now: {_because(defused)}" if defused else "")

    # -- reading one clause

    @staticmethod
    def _sound_index(
        vocabulary: Vocabulary, pinyin: PinyinTable
    ) -> dict[tuple[str, ...], tuple[str, str, Strength]]:
        """Danger words by how they sound: every word of three characters or more, and the
        two-character words the vocabulary lists as `sound_alike`."""
        index: dict[tuple[str, ...], tuple[str, str, Strength]] = {}
        alike = set(vocabulary.sound_alike.zh)
        for topic, em in vocabulary.emergency.items():
            groups: tuple[tuple[Strength, list[str]], ...] = (
                ("word", em.zh),
                ("condition", em.conditions.zh),
                ("maybe", em.maybe.zh),
            )
            for strength, words in groups:
                for word in words:
                    if not _CJK_WORD.fullmatch(word) or (len(word) < 3 and word not in alike):
                        continue
                    key = pinyin.key(word)
                    if key is not None:
                        index.setdefault(key, (topic, word, strength))
        return index

    def _sounds_in(self, clause: str) -> list[tuple[str, str, Strength, int, int]]:
        """Danger words written with other characters of the same sound (晕到, 救乎车, 中疯)."""
        if self._pinyin is None or not self._by_sound:
            return []
        found: list[tuple[str, str, Strength, int, int]] = []
        for run in _CJK.finditer(clause[:_SOUND_CHARS]):
            text = run.group(0)
            sounds = [self._pinyin.sound(ch) or "?" for ch in text]
            used = [False] * len(text)
            for start, end, _ in self._known.find(text):
                used[start:end] = [True] * (end - start)
            for size in self._sound_lengths:
                for i in range(len(text) - size + 1):
                    hit = self._by_sound.get(tuple(sounds[i : i + size]))
                    if hit is None or any(used[i : i + size]) or text[i : i + size] == hit[1]:
                        continue
                    gram, word = text[i : i + size], hit[1]
                    if size == 2 and gram[0] != word[0] and gram[1] != word[1]:
                        continue  # both characters changed is another word
                    used[i : i + size] = [True] * size
                    found.append(
                        (hit[0], f"{word} (as {gram})", hit[2], run.start() + i, run.start() + i + size)
                    )
        return found

    def _words_in(self, clause: str) -> list[tuple[str, str, Strength, int, int]]:
        found = [
            (topic, word, strength, start, end)
            for start, end, word, tags in self._danger_words.tagged(clause)
            for topic, strength in tags
        ]
        return found or self._sounds_in(clause)

    def _context(self, clause: str, carried: str) -> str:
        """Why this clause's dangers are not happening now ("" when nothing says so)."""
        found = {tag for *_, tags in self._context_words.tagged(clause) for tag in tags}
        for reaching in _REACHING:  # a dream told yesterday is a dream: it covers what follows
            if reaching in found:
                return reaching
        if found:
            return min(found, key=self._context_rank.__getitem__)
        return carried

    def _denied_in(self, clauses: Sequence[str], span: range, group: Lexicon) -> bool:
        """Whether every word of `group` in the clauses of `span` is denied."""
        found = [(clauses[k], start) for k in span for start, _, _ in group.find(clauses[k])]
        return bool(found) and all(self._negated(clause, start) for clause, start in found)

    def _negated(self, clause: str, start: int) -> bool:
        before = clause[max(0, start - _NEGATION_WINDOW) : start]
        if before.isascii():
            words = clause[:start].split()
            return bool(words) and self._negation.search(words[-1]) is not None
        return self._negation.search(before) is not None


def _distinct(clauses: list[str]) -> list[str]:
    """Each clause once (a phrase said over and over adds nothing), and at most the first and the
    last few dozen of a very long message, where people put what matters."""
    seen: set[str] = set()
    out = [c for c in clauses if not (c in seen or seen.add(c))]  # type: ignore[func-returns-value]
    if len(out) > _MAX_CLAUSES:
        out = out[: _MAX_CLAUSES * 3 // 4] + out[-(_MAX_CLAUSES // 4) :]
    return out


def split_clauses(text: str) -> list[str]:
    """Clauses of a message: parted by punctuation, and by spaces between Chinese words."""
    out: list[str] = []
    for part in _CLAUSE_BREAK.split(text):
        if _CJK.search(part):
            out.extend(p for p in part.split() if p)
        elif part.strip():
            out.append(part.strip())
    return out


def _sign(sign: EmergencySign) -> tuple[str, tuple[Lexicon, ...]]:
    return sign.name, tuple(Lexicon(group) for group in sign.words)


def _because(dangers: Sequence[Danger]) -> str:
    return ", ".join(dict.fromkeys(f"{d.name} ({d.because})" for d in dangers))


__all__ = ["Danger", "Lexicon", "SafetyCheck", "SafetyReading", "Verdict", "split_clauses"]
