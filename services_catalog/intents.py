"""What a message asks for, decided by small named rules, each with its reason.

`IntentRules.decide(evidence)` tries the rules in order; the first that is sure decides, and
its `Decision.reason` becomes the answer's `why` ("emergency: 倒地 + 不省人事",
"kind: library (图书馆)", "classifier: service_info:elderly_allowance 0.83"). Rules keep what must
be exact (the emergency concepts, places, plan rows, named kinds and services); the classifier
trained on the catalogue's example sentences decides where the rules found nothing sure.

The order is the product's priorities: someone in danger first, a complaint for 12345 before any
look-up, then the plan, services and places, a follow-up, and help.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from services_catalog.answer import Intent, Question
from services_catalog.catalog import Catalog
from services_catalog.classifier import Guess
from services_catalog.safety import Verdict
from services_catalog.understand import Reading, stem_en

_ROW = re.compile(r"第\s*(\d{1,2})\s*[项行条个]|\b(?:row|item|no|number)\.?\s*(\d{1,2})\b")
# English words too common in indicator names to tell them apart.
_EN_FILLER = frozenset(
    ["the", "of", "per", "and", "a", "an", "in", "for", "with", "by", "to", "new", "rate", "number",
     "target", "what", "is", "people", "year"]
)  # fmt: skip
_PLAN_SUBJECT = frozenset(
    {"规划", "十四五", "十四五规划", "指标", "规划目标", "plan", "indicator", "five-year plan"}
)


@dataclass(frozen=True)
class Decision:
    """What the message asks for, and the rule that decided it."""

    intent: Intent
    reason: str
    kind: str | None = None
    service: str | None = None
    indicator: str | None = None
    clarify: tuple[str, ...] = ()
    follow_up: bool = False
    complaint: bool = False


@dataclass
class Evidence:
    """Everything the rules read about one message."""

    question: Question
    reading: Reading
    town: str | None  # named or implied by the text
    safety: Verdict
    guess: Guess | None  # the classifier's view; None without a trained model
    moment_said: bool = False  # the message names a time ("周六", "明天上午")
    kinds: dict[str, float] = field(default_factory=dict)
    services: dict[str, float] = field(default_factory=dict)
    indicators: dict[str, float] = field(default_factory=dict)

    @property
    def how_to(self) -> bool:
        return self.reading.has("how_to")

    @property
    def wants_place(self) -> bool:
        """Asking where, asking for the nearest, or naming a town asks for a place."""
        r = self.reading
        return r.has("where") or r.has("near_me") or self.town is not None

    @property
    def asks_service(self) -> bool:
        """How to apply for a service is asked."""
        return self.how_to and self.service_w > 0

    @property
    def asks_place(self) -> bool:
        """Where a kind of place is, is asked."""
        return self.wants_place and self.kind_w > 0

    @property
    def kind_w(self) -> float:
        return max(self.kinds.values(), default=0.0)

    @property
    def service_w(self) -> float:
        return max(self.services.values(), default=0.0)

    def best_kind(self) -> str:
        return max(self.kinds, key=lambda k: self.kinds[k])

    def best_service(self) -> str:
        """The service with the most evidence; between equals, the one named last (people end
        with what they ask: "老板拖欠工资…能不能申请法律援助")."""
        order = {sid: i for i, sid in enumerate(self.reading.ids("service"))}
        return max(self.services, key=lambda s: (self.services[s], order.get(s, -1)))


Rule = Callable[[Evidence], Decision | None]


class IntentRules:
    """The rules, built once per catalogue."""

    # How sure the classifier must be to decide alone.
    COMPLAINT_ALONE = 0.6
    COMPLAINT_WITH_WORD = 0.35
    TOPIC_ALONE = 0.55
    TOPIC_CLEAR = (0.35, 4.0)  # or this likely, and this many times likelier than the next
    LONG_MESSAGE = 60  # characters: a story, where a word in passing must not decide

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        vocab = catalog.vocabulary
        self._first_service_of_kind: dict[str, list[str]] = defaultdict(list)
        for s in catalog.services.values():
            if s.where:
                self._first_service_of_kind[s.where[0]].append(s.id)
        # Pairs of the words that ask (多少, 少钱) or fill (一个) say nothing of which row is meant.
        asking = [*vocab.asks_figure.zh, *vocab.asks_cost.zh, *vocab.asks_time.zh, *vocab.fillers.zh]
        no_row = {pair for word in asking for pair in _bigrams(word)}
        self._indicator_bigrams = {
            ind.id: _bigrams(" ".join([ind.name, *ind.aliases])) - no_row
            for ind in catalog.indicators.values()
        }
        self._pair_rows: dict[str, int] = defaultdict(int)  # how many rows share each character pair
        for pairs in self._indicator_bigrams.values():
            for pair in pairs:
                self._pair_rows[pair] += 1
        self._indicator_words = {
            ind.id: {stem_en(w) for w in re.findall(r"[a-z]+", ind.name_en.lower())} - _EN_FILLER
            for ind in catalog.indicators.values()
        }
        self._kinds = {f.kind for f in catalog.facilities.values()}
        self._asks_cost = tuple(w.lower() for w in [*vocab.asks_cost.zh, *vocab.asks_cost.en])
        self._asks_figure = tuple(w.lower() for w in [*vocab.asks_figure.zh, *vocab.asks_figure.en])
        self._asks_time = tuple(w.lower() for w in [*vocab.asks_time.zh, *vocab.asks_time.en])
        self._complaint_words = tuple(w.lower() for w in [*vocab.complaint.zh, *vocab.complaint.en])
        self.rules: tuple[tuple[str, Rule], ...] = (
            ("emergency", self.emergency),
            ("complaint", self.complaint),
            ("plan row", self.plan_indicator),
            ("plan", self.plan_in_general),
            ("need told at length", self.need_told_at_length),
            ("place asked", self.place_asked),
            ("service asked", self.service_asked),
            ("kind named", self.kind_named),
            ("service place", self.service_place),
            ("follow-up", self.follow_up),
            ("classifier", self.classifier_topic),
            ("help", self.help),
        )

    def decide(self, ev: Evidence) -> Decision:
        """The first sure rule's decision; out of scope when none is."""
        for _, rule in self.rules:
            decision = rule(ev)
            if decision is not None:
                return decision
        return Decision("out_of_scope", "nothing Doorstep answers")

    # -- the rules, in order

    def emergency(self, ev: Evidence) -> Decision | None:
        """Someone in danger now: the numbers, and nothing else."""
        if ev.safety.level == "now":
            return Decision("emergency", ev.safety.reason)
        return None

    def complaint(self, ev: Evidence) -> Decision | None:
        """A complaint, suggestion or report about a city matter goes to 12345, however long.

        A resident who tells a labour dispute or a work injury and asks what to do still gets the
        service they need: the classifier's best topic decides when it is a help Doorstep gives.
        """
        if ev.guess is None:
            return None
        p = ev.guess.p_of("complaint")
        text = ev.reading.text
        word = next((w for w in self._complaint_words if w in text), None)
        if p < self.COMPLAINT_ALONE and not (word and p >= self.COMPLAINT_WITH_WORD):
            return None
        if ev.guess.label != "complaint" and ev.guess.p > p:
            return None  # a real need told at length ("被拖欠工资…怎么办")
        because = f"complaint: classifier {p:.2f}" + (f" + {word}" if word else "")
        return Decision("out_of_scope", because, complaint=True)

    def plan_indicator(self, ev: Evidence) -> Decision | None:
        """A figure of the plan: a row named, or asked about in the row's words (never a price)."""
        r = ev.reading
        if any(w in r.text for w in self._asks_cost) and not r.has("plan"):
            return None
        indicators = dict(ev.indicators)
        ind_w = max(indicators.values(), default=0.0)
        row = _ROW.search(r.text) if r.has("plan") else None
        reason = "indicator words"
        if ind_w == 0 and row:  # "规划表第19项"
            by_row = {ind.row: ind.id for ind in self.catalog.indicators.values()}
            number = int(row.group(1) or row.group(2))
            if number in by_row:
                indicators, ind_w, reason = {by_row[number]: 1.0}, 1.0, f"plan row {number}"
        untimed = r.text
        for w in self._asks_time:  # "几点开门" asks a time, not a figure
            untimed = untimed.replace(w, " ")
        asks_figure = r.has("plan") or any(w in untimed for w in self._asks_figure)
        # A figure asked about ("这五年要让多少户家庭住上廉租房") may be a plan row even with
        # service words in it; how-to questions stay with the service.
        if (
            ind_w == 0
            and asks_figure
            and (r.has("plan") or not ev.how_to or (ev.kind_w == 0 and ev.service_w == 0))
        ):
            guess = self._indicator_by_overlap(r.text, plan_asked=r.has("plan"))
            if guess is not None:
                indicators, ind_w = {guess: 1.0}, max(1.0, ev.kind_w, ev.service_w)
                reason = "figure asked in a row's words"
        if (
            ind_w > 0
            and (r.has("plan") or ind_w >= max(ev.kind_w, ev.service_w))
            and not (ev.how_to and (ev.service_w > 0 or ev.kind_w > 0))  # "床位一个月多少钱": a fee
        ):
            best = max(indicators, key=lambda i: indicators[i])
            return Decision("plan_indicator", f"plan: {best} ({reason})", indicator=best)
        return None

    def plan_in_general(self, ev: Evidence) -> Decision | None:
        """The plan itself asked about: the reply lists its indicators."""
        r = ev.reading
        if ev.indicators or ev.kinds or ev.services or not r.has("plan"):
            return None
        plan_terms = {h.term for h in r.hits if any(m.type == "plan" for m in h.meanings)}
        if plan_terms & _PLAN_SUBJECT:
            return Decision("plan_indicator", f"plan in general ({', '.join(sorted(plan_terms))})")
        return None

    def need_told_at_length(self, ev: Evidence) -> Decision | None:
        """A long message is read as a whole: words said in passing ("退休工资还可以") must not
        decide; the classifier, which learnt from long stories, does when it is clear."""
        g = ev.guess
        if g is None or len(ev.reading.text) < self.LONG_MESSAGE or ev.question.kind is not None:
            return None
        return self._guessed_topic(g, "read as a whole")

    def _clear(self, g: Guess) -> bool:
        return g.p >= self.TOPIC_ALONE or (g.p >= self.TOPIC_CLEAR[0] and g.lead >= self.TOPIC_CLEAR[1])

    def _guessed_topic(self, g: Guess, how: str) -> Decision | None:
        """The place or service the classifier is clear about (None for any other label, or when
        it is not clear)."""
        if not self._clear(g):
            return None
        kind, _, topic = g.label.partition(":")
        because = f"{how}: {g.label} {g.p:.2f}"
        if kind == "find_facility" and topic in self._kinds:
            return Decision("find_facility", because, kind=topic)
        if kind == "service_info" and topic in self.catalog.services:
            return Decision("service_info", because, service=topic)
        return None

    def place_asked(self, ev: Evidence) -> Decision | None:
        """A kind of place named by its place name (办事大厅, 法律服务站) with where or near: the
        place, even when a service is named too ("要办敬老卡，附近的办事大厅在哪")."""
        r = ev.reading
        if not (r.has("where") or r.has("near_me")) or ev.question.kind is not None or r.has("off_topic"):
            return None
        named = {
            m.id
            for h in r.hits
            if h.term in r.place_terms
            for m in h.meanings
            if m.type == "kind" and sum(x.type == "kind" for x in h.meanings) == 1
        }
        if len(named) != 1 or len(ev.kinds) != 1:
            return None
        kind = next(iter(named))
        return Decision("find_facility", f"place named: {kind} ({self._terms(ev, 'kind', kind)})", kind=kind)

    def service_asked(self, ev: Evidence) -> Decision | None:
        """How to apply for a service, or a service named more strongly than any place.

        A word that names both a kind and a service ("法律援助") asks for the place unless the
        question is how to apply.
        """
        if ev.service_w > 0 and (ev.how_to or (ev.service_w > ev.kind_w and not ev.wants_place)):
            best = self._topic_by_classifier(ev, ev.services, "service_info:") or ev.best_service()
            return Decision(
                "service_info", f"service: {best} ({self._terms(ev, 'service', best)})", service=best
            )
        return None

    def kind_named(self, ev: Evidence) -> Decision | None:
        """A kind of place named (or a facility by name): its nearest ones."""
        q = ev.question
        if ev.kind_w == 0:
            return None
        if ev.reading.has("off_topic") and ev.kind_w <= 2.0 and q.kind is None:
            if ev.service_w > 0:  # "在酒店打工，老板不给加班费": the service asked decides, below
                return None
            return Decision("out_of_scope", "one weak word against an off-topic request")
        kinds = ev.kinds
        best = ev.best_kind()
        tied = [k for k, w in kinds.items() if w >= kinds[best] - 1e-9]
        ambiguous = {k for group in ev.reading.ambiguous("kind") for k in group}
        if len(tied) > 1 and set(tied) <= ambiguous and q.kind is None:
            chosen = self._topic_by_classifier(ev, dict.fromkeys(tied, 1.0), "find_facility:")
            if chosen is None:
                order = list(self.catalog.vocabulary.kinds)
                options = sorted(tied, key=lambda k: order.index(k) if k in order else 99)
                return Decision(
                    "find_facility", f"which kind: {' or '.join(options)}", clarify=tuple(options)
                )
            best = chosen
        elif len(tied) == 1 and q.kind is None:
            best = self._topic_by_classifier(ev, kinds, "find_facility:") or best
        if ev.how_to and not ev.wants_place and len(self._first_service_of_kind.get(best, [])) == 1:
            service = self._first_service_of_kind[best][0]
            return Decision("service_info", f"how to, at a {best}: {service}", service=service)
        return Decision("find_facility", f"kind: {best} ({self._terms(ev, 'kind', best)})", kind=best)

    def service_place(self, ev: Evidence) -> Decision | None:
        """A service named with a place asked for: where it is applied for; else its guide."""
        if ev.service_w == 0:
            return None
        service = self.catalog.services[ev.best_service()]
        if ev.wants_place and service.where:
            kind = service.where[0]
            return Decision("find_facility", f"place for {service.id}: {kind}", kind=kind)
        return Decision("service_info", f"service: {service.id}", service=service.id)

    def follow_up(self, ev: Evidence) -> Decision | None:
        """A follow-up about the place just given ("那里几点开门", "电话多少"), or about the one
        the conversation points at ("第二个呢": `Question.about`)."""
        r = ev.reading
        last = ev.question.known.last_kind
        asked = r.has("where") or ev.moment_said or ev.question.about is not None
        if asked and last is not None and last in self._kinds:
            return Decision("find_facility", f"follow-up on {last}", kind=last, follow_up=True)
        return None

    def classifier_topic(self, ev: Evidence) -> Decision | None:
        """Nothing named, but the classifier is sure what is meant ("白天能照顾她的地方")."""
        g = ev.guess
        if g is None or ev.reading.has("off_topic"):
            return None
        # Never help: that is only for a greeting or a question about Doorstep (the rule below).
        return self._guessed_topic(g, "classifier")

    def help(self, ev: Evidence) -> Decision | None:
        """A greeting or a question about what Doorstep does."""
        r = ev.reading
        if (r.has("greeting") or r.has("capability")) and not r.has("off_topic"):
            return Decision("help", "greeting" if r.has("greeting") else "what Doorstep does")
        return None

    # -- helpers

    def _topic_by_classifier(self, ev: Evidence, candidates: dict[str, float], prefix: str) -> str | None:
        """In a long message the rules' words may be in passing: among the topics they found,
        the one the classifier is sure of (None when it is not)."""
        g = ev.guess
        if g is None or len(ev.reading.text) < self.LONG_MESSAGE:
            return None
        best = g.best(prefix)
        if best is None:
            return None
        topic, p = best
        if topic in candidates and p >= self.TOPIC_ALONE:
            return topic
        return None

    @staticmethod
    def _terms(ev: Evidence, kind: str, ident: str) -> str:
        terms = [h.term for h in ev.reading.hits if any(m.type == kind and m.id == ident for m in h.meanings)]
        return ", ".join(dict.fromkeys(terms)) or "named"

    def _indicator_by_overlap(self, text: str, *, plan_asked: bool) -> str | None:
        """The indicator sharing three character pairs (or two English words) with the text, if one
        clearly does."""
        pairs = _bigrams(text)
        scores = sorted(((len(pairs & b), i) for i, b in self._indicator_bigrams.items()), reverse=True)
        words = {stem_en(w) for w in re.findall(r"[a-z]+", text)} - _EN_FILLER
        if words and plan_asked:
            en = sorted(((len(words & w), i) for i, w in self._indicator_words.items()), reverse=True)
            if en and en[0][0] >= 2 and (len(en) == 1 or en[1][0] < en[0][0]):
                return en[0][1]
        if not scores or scores[0][0] < 3:
            return None
        if len(scores) > 1 and scores[1][0] >= scores[0][0]:
            # As many pairs in common: the rows' own pairs decide (廉租 belongs to one row only,
            # 新增 and 家庭 to several).
            tied = [i for n, i in scores if n == scores[0][0]]
            weighted = sorted(
                (
                    (sum(1.0 / self._pair_rows[p] for p in pairs & self._indicator_bigrams[i]), i)
                    for i in tied
                ),
                reverse=True,
            )
            if weighted[1][0] >= weighted[0][0]:
                return None
            return weighted[0][1]
        return scores[0][1]


def _bigrams(text: str) -> set[str]:
    """Pairs of adjacent Chinese characters."""
    return {text[i : i + 2] for i in range(len(text) - 1) if _is_cjk(text[i]) and _is_cjk(text[i + 1])}


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


__all__ = ["Decision", "Evidence", "IntentRules"]
