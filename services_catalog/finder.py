"""`Finder.answer(question) -> Answer`: the one core every transport calls.

The intent rules, in order: `emergency` (120/119/110 first), `plan_indicator`,
`service_info`, `find_facility`, `help`, `out_of_scope`. Everything heavy (the vocabulary, the
segmenter, the spatial index, the parsed opening hours) is built in `__init__`, once per
catalogue; `answer()` only reads.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable

from services_catalog.answer import Answer, Intent, Known, Lang, Question, Result, Where
from services_catalog.catalog import Catalog
from services_catalog.coords import gcj02_to_wgs84, in_qingpu
from services_catalog.geo import FIFTEEN_MINUTES, MAX_WALK_METRES, GridIndex, distance_m, walk_minutes
from services_catalog.hours import ChinaCalendar, FacilityHours, to_shanghai
from services_catalog.models import Facility, Hotline
from services_catalog.reply import compose_reply
from services_catalog.timewords import parse_moment
from services_catalog.understand import Reading, Understanding, stem_en

_LATLON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_CITIZEN_HOTLINE = "12345"
# Words that ask for a figure: a plan row may be meant even without the word 规划.
_FIGURE_WORDS = ("多少", "几", "比例", "how many", "how much", "percentage", "target")
_ROW = re.compile(r"第\s*(\d{1,2})\s*[项行条个]|\b(?:row|item|no|number)\.?\s*(\d{1,2})\b")
_EMERGENCY_ORDER = ("120", "119", "110")


def guess_lang(text: str) -> Lang:
    """English when the text has Latin letters and no Chinese, else Chinese."""
    has_cjk = any("\u3400" <= ch <= "\u9fff" for ch in text)
    has_latin = any(ch.isascii() and ch.isalpha() for ch in text)
    return "en" if has_latin and not has_cjk else "zh"


class Finder:
    """Answers residents' questions from one loaded catalogue. Build once; answer many times."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.understanding = Understanding(catalog)
        self.calendar = ChinaCalendar(catalog.holidays)
        self._hours = {
            f.id: FacilityHours(
                f.opening_hours, f.holidays, self.calendar, confirmed=f.hours_status == "confirmed"
            )
            for f in catalog.facilities.values()
        }
        by_kind: dict[str, list[Facility]] = defaultdict(list)
        for f in catalog.facilities.values():
            by_kind[f.kind].append(f)
        self._by_kind = dict(by_kind)
        by_kind_town: dict[tuple[str, str], list[Facility]] = defaultdict(list)
        for f in catalog.facilities.values():
            by_kind_town[(f.kind, f.town)].append(f)
        self._by_kind_town = dict(by_kind_town)
        # Without a location: district-level places first, then town by town.
        self._default_order = {
            kind: sorted(facs, key=lambda f: (f.level != "district", f.town))
            for kind, facs in by_kind.items()
        }
        self._district = {kind: [f for f in facs if f.level == "district"] for kind, facs in by_kind.items()}
        self._index = {
            kind: GridIndex((f.id, f.point.lat, f.point.lon) for f in facs) for kind, facs in by_kind.items()
        }
        # Kinds where each service is applied for, and the services a kind is the first place for.
        self._first_service_of_kind: dict[str, list[str]] = defaultdict(list)
        for s in catalog.services.values():
            if s.where:
                self._first_service_of_kind[s.where[0]].append(s.id)
        # Character pairs of each indicator's names, to recognise a row asked about in other words
        # ("每千人有多少张床位" for 每千人医疗机构床位数).
        self._indicator_bigrams = {
            ind.id: _bigrams(" ".join([ind.name, *ind.aliases])) for ind in catalog.indicators.values()
        }
        # English words of each indicator's name, for "what is the preschool enrollment target".
        self._indicator_words = {
            ind.id: {stem_en(w) for w in re.findall(r"[a-z]+", ind.name_en.lower())} - _EN_FILLER
            for ind in catalog.indicators.values()
        }
        self._emergency_numbers = {t: e.number for t, e in catalog.vocabulary.emergency.items()}

    # ---------------------------------------------------------------- the core

    def answer(self, question: Question) -> Answer:
        """The answer to one question. Never raises on odd text; the reply is never empty."""
        now = to_shanghai(question.at)
        reading = self.understanding.read(question.text)
        moment = parse_moment(reading.text, now, calendar=self.calendar)
        answer = Answer(intent="out_of_scope", lang=question.lang, moment=moment.at)
        answer.moment_label = moment.label(question.lang)
        text_place = self._place_in(reading)
        answer.where = self._locate(question, text_place)
        if text_place is not None:
            answer.town = text_place.town
        elif answer.where.source in ("town", "landmark"):
            answer.town = answer.where.town
        named = [self.catalog.facilities[f] for f in reading.ids("facility")]
        if answer.town is None and named and answer.where.source != "coordinates":
            answer.town = named[0].town  # "赵巷镇社区事务受理服务中心" names its town too

        intent = self._intent(question, reading, answer)
        answer.intent = intent
        if intent == "find_facility" and (answer.kind or answer.clarify):
            self._fill_results(question, reading, answer)
        elif intent == "service_info" and answer.service_info is not None:
            where_kinds = answer.service_info.where
            if where_kinds and answer.where.lat is not None:
                answer.kind = answer.kind or where_kinds[0]
                self._fill_results(question, reading, answer, limit=1)
        answer.hotline = self._hotline_for(answer)
        answer.reply = compose_reply(answer, self.catalog)
        return answer

    # ---------------------------------------------------------------- intent

    def _intent(self, q: Question, r: Reading, a: Answer) -> Intent:
        emergencies = r.ids("emergency")
        services = r.weights("service")
        background = [m.id for h in r.background for m in h.meanings if m.type == "emergency"]
        if background and not emergencies:
            if r.weights("kind") or services or r.ids("facility"):
                # "奶奶中风后要长期有人照顾，练塘有敬老院吗": answer the question, the number first.
                a.emergency = self._emergency_hotlines(background)[:1]
            else:
                emergencies = background  # nothing else asked: treat it as happening now
        if emergencies and services and r.has("how_to"):
            # "我爸中风了现在瘫在床上，长护险怎么申请": a condition told as background to a
            # question about a service. Answer it, with the emergency number still first.
            a.emergency = a.emergency or self._emergency_hotlines(emergencies)[:1]
            return self._service(a, max(services, key=lambda s: services[s]))
        if emergencies:
            a.emergency = self._emergency_hotlines(emergencies, all_numbers=True)
            return "emergency"

        kinds = r.weights("kind")
        for fid in r.ids("facility"):
            fac = self.catalog.facilities.get(fid)
            if fac is not None:
                kinds[fac.kind] = kinds.get(fac.kind, 0.0) + 3.0
        if q.kind in self.catalog.vocabulary.kinds or (q.kind and q.kind in self._by_kind):
            kinds[q.kind] = kinds.get(q.kind, 0.0) + 100.0
        indicators = r.weights("indicator")
        how_to = r.has("how_to")
        # Asking where, asking for the nearest, or naming a town asks for a place.
        wants_place = r.has("where") or r.has("near_me") or a.town is not None
        kind_w = max(kinds.values(), default=0.0)
        service_w = max(services.values(), default=0.0)
        ind_w = max(indicators.values(), default=0.0)

        row = _ROW.search(r.text) if r.has("plan") else None
        if ind_w == 0 and row:  # "规划表第19项"
            by_row = {ind.row: ind.id for ind in self.catalog.indicators.values()}
            number = int(row.group(1) or row.group(2))
            if number in by_row:
                indicators, ind_w = {by_row[number]: 1.0}, 1.0
        asks_figure = r.has("plan") or any(w in r.text for w in _FIGURE_WORDS)
        # A figure asked about ("这五年要让多少户家庭住上廉租房") may be a plan row even when
        # service words are in it; how-to questions stay with the service.
        if ind_w == 0 and asks_figure and (r.has("plan") or not how_to or (kind_w == 0 and service_w == 0)):
            guess = self._indicator_by_overlap(r.text, plan_asked=r.has("plan"))
            if guess is not None:
                # A figure asked about with no how-to: the row outweighs the words around it.
                indicators, ind_w = {guess: 1.0}, max(1.0, kind_w, service_w)
        if (
            ind_w > 0
            and (r.has("plan") or ind_w >= max(kind_w, service_w))
            and not (how_to and service_w > 0)
        ):
            a.indicator = max(indicators, key=lambda i: indicators[i])
            a.indicator_info = self.catalog.indicators[a.indicator]
            return "plan_indicator"

        if ind_w == 0 and kind_w == 0 and service_w == 0 and r.has("plan") and _asks_about_plan(r):
            return "plan_indicator"  # the plan in general: the reply lists its indicators

        # A word that names both a kind and a service ("法律援助") asks for the place unless the
        # question is how to apply.
        if service_w > 0 and (how_to or (service_w > kind_w and not wants_place)):
            return self._service(a, max(services, key=lambda s: services[s]))

        if kind_w > 0 and r.has("off_topic") and kind_w <= 1.0 and q.kind is None:
            return "out_of_scope"  # "book me a taxi": one weak word does not outweigh the topic
        if kind_w > 0:
            best = max(kinds, key=lambda k: kinds[k])
            tied = [k for k, w in kinds.items() if w >= kinds[best] - 1e-9]
            ambiguous = {k for group in r.ambiguous("kind") for k in group}
            if len(tied) > 1 and set(tied) <= ambiguous and q.kind is None:
                a.clarify = sorted(
                    tied, key=lambda k: list(self._by_kind).index(k) if k in self._by_kind else 99
                )
                a.kind = None
                return "find_facility"
            if how_to and not wants_place and len(self._first_service_of_kind.get(best, [])) == 1:
                return self._service(a, self._first_service_of_kind[best][0])
            a.kind = best
            return "find_facility"

        if service_w > 0:
            service = self.catalog.services[max(services, key=lambda s: services[s])]
            if wants_place and service.where:
                a.kind = service.where[0]
                return "find_facility"
            return self._service(a, service.id)

        # A follow-up about the place just given ("那里几点开门", "电话多少").
        if (r.has("where") or a.moment_label) and q.known.last_kind in self._by_kind:
            a.kind = q.known.last_kind
            a.follow_up = True
            return "find_facility"
        if (r.has("greeting") or r.has("capability")) and not r.has("off_topic"):
            return "help"
        return "out_of_scope"

    def _emergency_hotlines(self, topics: list[str], *, all_numbers: bool = False) -> list[Hotline]:
        """The numbers for the emergencies named, first; with `all_numbers`, 120/119/110 after them."""
        numbers = [self._emergency_numbers[t] for t in topics if t in self._emergency_numbers]
        if all_numbers:
            numbers = list(dict.fromkeys([*numbers, *_EMERGENCY_ORDER]))
        return [self.catalog.hotlines[n] for n in numbers if n in self.catalog.hotlines]

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
        if not scores or scores[0][0] < 3 or (len(scores) > 1 and scores[1][0] >= scores[0][0]):
            return None
        return scores[0][1]

    def _service(self, a: Answer, service_id: str) -> Intent:
        a.service = service_id
        a.service_info = self.catalog.services[service_id]
        return "service_info"

    # ---------------------------------------------------------------- where

    def _locate(self, q: Question, text_place: Where | None) -> Where:
        """Where the person is: coordinates, then a place in the text, then what is known."""
        if q.lat is not None and q.lon is not None and _valid_point(q.lat, q.lon):
            lat, lon = gcj02_to_wgs84(q.lat, q.lon) if q.crs == "gcj02" else (q.lat, q.lon)
            town = text_place.town if text_place else None
            return Where(lat, lon, "coordinates", None, town, outside_qingpu=not in_qingpu(lat, lon))
        if text_place is not None:
            return text_place
        if q.place:
            placed = self.resolve_place(q.place)
            if placed is not None:
                return placed
        if q.known.lat is not None and q.known.lon is not None and _valid_point(q.known.lat, q.known.lon):
            return Where(
                q.known.lat, q.known.lon, "coordinates", None, None, not in_qingpu(q.known.lat, q.known.lon)
            )
        if q.known.town in self.catalog.towns:
            return self._town_where(q.known.town)
        return Where()

    def _town_where(self, name: str) -> Where:
        town = self.catalog.towns[name]
        return Where(town.centre.lat, town.centre.lon, "town", town.name, town.name)

    def _place_in(self, r: Reading) -> Where | None:
        """The most precise place the text names (a committee or station beats its town)."""
        for hit in r.hits:
            for m in hit.meanings:
                if m.type == "committee":
                    com = self.catalog.committees[m.id]
                    if com.centre is not None:
                        return Where(com.centre.lat, com.centre.lon, "landmark", com.name, com.town)
                    return self._town_where(com.town) if com.town in self.catalog.towns else None
                if m.type == "station":
                    st = self.catalog.stations[m.id]
                    if any(x.type == "town" for x in hit.meanings):
                        continue  # 赵巷, 朱家角: the town is meant, found below
                    if st.point is not None:
                        return Where(st.point.lat, st.point.lon, "landmark", f"{st.name}站", st.town)
                    if st.town in self.catalog.towns:
                        return self._town_where(st.town)
                if m.type == "landmark":
                    lm = self.catalog.landmarks[m.id]
                    return Where(lm.point.lat, lm.point.lon, "landmark", lm.name, lm.town)
        towns = r.ids("town")
        return self._town_where(towns[0]) if towns else None

    def resolve_place(self, text: str) -> Where | None:
        """Where a place name (town, committee, station, landmark, or "lat,lon") puts someone."""
        m = _LATLON.match(text or "")
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return Where(lat, lon, "coordinates", text.strip(), None, not in_qingpu(lat, lon))
            return None
        return self._place_in(self.understanding.read(text or ""))

    # ---------------------------------------------------------------- results

    def _fill_results(self, q: Question, r: Reading, a: Answer, *, limit: int | None = None) -> None:
        kind = a.kind or ""
        limit = q.limit if limit is None else limit
        a.offset = max(0, q.offset)
        wanted = a.offset + max(0, limit)
        named = [f for f in r.ids("facility") if self.catalog.facilities[f].kind == kind]
        if a.follow_up and q.known.last_facility_id in self.catalog.facilities:
            named = [q.known.last_facility_id]  # "那里几点开门": the place just given
            wanted = a.offset + 1
        if a.clarify:
            # Not sure which kind is meant: the question which one, and where the place is
            # known, the nearest of each.
            if a.where.lat is None and a.town is None:
                return
            a.results = [
                self.result(fac, a.moment, a.where)
                for option in a.clarify
                for fac in self._ordered(option, a.where, a.town, [], 1)[:1]
            ]
            a.total_results = len(a.results)
            return
        if a.where.lat is None and a.town is None and not named:
            a.needs_location = True
            ordered = self._district.get(kind, [])
            a.total_results = len(ordered)
        else:
            ordered = self._ordered(kind, a.where, a.town, named, wanted)
            a.total_results = len(self._by_kind.get(kind, []))
        a.results = [self.result(f, a.moment, a.where) for f in ordered[a.offset : wanted]]
        if a.follow_up:
            a.total_results = a.offset + len(a.results)

    def _ordered(
        self, kind: str, where: Where, town: str | None, named: list[str], wanted: int
    ) -> list[Facility]:
        """Named facilities first, then the named town's, then the rest nearest first.

        Only the first `wanted` are worked out: at 100,000 facilities the order of the rest
        would cost more than the whole answer.
        """
        named_ids = list(dict.fromkeys(named))
        seen = set(named_ids)
        in_town = [f for f in self._by_kind_town.get((kind, town), []) if f.id not in seen] if town else []
        room = max(0, wanted - len(named_ids))
        if where.lat is not None and where.lon is not None:
            lat, lon = where.lat, where.lon
            in_town = heapq.nsmallest(room, in_town, key=lambda f: _approx(lat, lon, f))
        first = [self.catalog.facilities[i] for i in named_ids] + in_town[:room]
        first_ids = [f.id for f in first]
        missing = max(0, wanted - len(first))
        index = self._index.get(kind)  # None for a kind without facilities
        if where.lat is not None and where.lon is not None:
            near = (
                index.nearest(where.lat, where.lon, missing, exclude=first_ids) if index and missing else []
            )
            return first + [self.catalog.facilities[key] for _, key in near]
        taken = set(first_ids)
        rest: list[Facility] = []
        for f in self._default_order.get(kind, []):
            if len(rest) >= missing:
                break
            if f.id not in taken:
                rest.append(f)
        return first + rest

    def result(self, f: Facility, moment: dt.datetime | None, where: Where | None = None) -> Result:
        """One facility with its distance from `where` and its hours at `moment`."""
        state = self._hours[f.id].state_at(to_shanghai(moment))
        dist = walk = within = None
        if where is not None and where.lat is not None and where.lon is not None and where.source != "town":
            metres = distance_m(where.lat, where.lon, f.point.lat, f.point.lon)
            dist = round(metres)
            if metres <= MAX_WALK_METRES:  # beyond that nobody walks: no walking time is claimed
                walk = walk_minutes(metres)
                within = walk <= FIFTEEN_MINUTES
        return Result(
            facility=f,
            distance_m=dist,
            walk_minutes=walk,
            within_15_min=within,
            open_now=state.open_now,
            hours_today=state.hours_today,
            next_open=state.next_open,
            hours_confirmed=state.confirmed,
            calendar_known=state.calendar_known,
        )

    def facilities(
        self,
        *,
        kind: str | None = None,
        town: str | None = None,
        at: dt.datetime | None = None,
        near: Where | None = None,
    ) -> list[Result]:
        """Facilities filtered by kind and town, with their hours at `at`, nearest first when `near`."""
        moment = to_shanghai(at)
        pool: Iterable[Facility] = self.catalog.facilities.values()
        chosen = [f for f in pool if (kind is None or f.kind == kind) and (town is None or f.town == town)]
        if near is not None and near.lat is not None and near.lon is not None:
            lat, lon = near.lat, near.lon
            chosen.sort(key=lambda f: _approx(lat, lon, f))
        return [self.result(f, moment, near) for f in chosen]

    def _hotline_for(self, a: Answer) -> Hotline | None:
        hotlines = self.catalog.hotlines
        if a.service_info is not None and a.service_info.hotline in hotlines:
            return hotlines[a.service_info.hotline]
        if a.kind:
            for h in hotlines.values():
                if not h.emergency and a.kind in h.topics:
                    return h
        return hotlines.get(_CITIZEN_HOTLINE)


# English words too common in indicator names to tell them apart.
_EN_FILLER = frozenset(
    {
        "the",
        "of",
        "per",
        "and",
        "a",
        "an",
        "in",
        "for",
        "with",
        "by",
        "to",
        "new",
        "rate",
        "number",
        "target",
        "what",
        "is",
        "people",
        "year",
    }
)


def _asks_about_plan(r: Reading) -> bool:
    """Whether the plan itself is the subject (规划 / 十四五 / 指标 / indicator), not just a number."""
    plan_terms = {h.term for h in r.hits if any(m.type == "plan" for m in h.meanings)}
    return bool(
        plan_terms
        & {"规划", "十四五", "十四五规划", "指标", "规划目标", "plan", "indicator", "five-year plan"}
    )


def _valid_point(lat: float, lon: float) -> bool:
    """A position on Earth (a NaN or 999 from a caller is ignored, not measured from)."""
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _bigrams(text: str) -> set[str]:
    """Pairs of adjacent Chinese characters."""
    return {text[i : i + 2] for i in range(len(text) - 1) if _is_cjk(text[i]) and _is_cjk(text[i + 1])}


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _approx(lat: float, lon: float, f: Facility) -> float:
    """A quantity that orders nearby points like their distance (cos 31° scales longitude)."""
    return (lat - f.point.lat) ** 2 + ((lon - f.point.lon) * 0.856) ** 2


__all__ = ["Finder", "Known", "guess_lang"]
