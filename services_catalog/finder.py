"""`Finder.answer(question) -> Answer`: the one core every transport calls.

A message is read three ways — its catalogue terms (`understand`), its signs of danger
(`safety`) and the trained classifier's view (`classifier`) — and the named rules of `intents`
decide what it asks for. Everything heavy (the vocabulary, the segmenter, the classifier, the
spatial index, the parsed opening hours) is built in `__init__`, once per catalogue; `answer()`
only reads.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from services_catalog.answer import Answer, Known, Lang, Question, Result, Where
from services_catalog.catalog import Catalog
from services_catalog.classifier import ModelStore, default_model_cache
from services_catalog.coords import gcj02_to_wgs84, in_qingpu
from services_catalog.geo import FIFTEEN_MINUTES, MAX_WALK_METRES, GridIndex, distance_m, walk_minutes
from services_catalog.hours import ChinaCalendar, FacilityHours, to_shanghai
from services_catalog.intents import Decision, Evidence, IntentRules
from services_catalog.models import Facility, Hotline
from services_catalog.reply import compose_reply
from services_catalog.safety import SafetyCheck, Verdict
from services_catalog.timewords import parse_moment
from services_catalog.understand import Reading, Understanding

_LATLON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_CITIZEN_HOTLINE = "12345"
_EMERGENCY_ORDER = ("120", "119", "110")


def guess_lang(text: str) -> Lang:
    """English when the text has Latin letters and no Chinese, else Chinese."""
    has_cjk = any("\u3400" <= ch <= "\u9fff" for ch in text)
    has_latin = any(ch.isascii() and ch.isalpha() for ch in text)
    return "en" if has_latin and not has_cjk else "zh"


class Finder:
    """Answers residents' questions from one loaded catalogue. Build once; answer many times."""

    def __init__(self, catalog: Catalog, models: ModelStore | None = None) -> None:
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
        self._specialists = {
            kind: {f.id for f in facs if f.specialties}
            for kind, facs in by_kind.items()
            if any(f.specialties for f in facs)
        }
        self.safety = SafetyCheck(
            catalog.vocabulary, self.understanding.pinyin, known_words=self.understanding.lookup
        )
        self.rules = IntentRules(catalog)
        store = models if models is not None else ModelStore(default_model_cache())
        self._classifier = store.classifier_for(catalog.examples, self.understanding.normalise.light)

    # ---------------------------------------------------------------- the core

    def answer(self, question: Question) -> Answer:
        """The answer to one question. Never raises on odd text; the reply is never empty."""
        now = to_shanghai(question.at)
        folded = self.understanding.normalise.light(question.text)  # once, for every reading below
        reading = self.understanding.read(question.text, folded=folded)
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
        if answer.where.source == "none" and answer.town in self.catalog.towns:
            answer.where = self._town_where(answer.town)  # the rest in order from that town

        danger = self.safety.read(folded)
        guess = self._classifier.guess(folded) if self._classifier is not None else None
        ev = Evidence(
            question,
            reading,
            answer.town,
            Verdict("none"),
            guess,
            moment_said=answer.moment_label is not None,
            kinds=self.kind_weights(question, reading),
            services=reading.weights("service"),
            indicators=reading.weights("indicator"),
        )
        ev.safety = self.safety.judge(danger, guess, asks_service=ev.asks_service, asks_place=ev.asks_place)
        decision = self.rules.decide(ev)
        self._apply(decision, ev.safety, answer)

        if answer.intent == "find_facility" and (answer.kind or answer.clarify):
            self._fill_results(question, reading, answer)
        elif answer.intent == "service_info" and answer.service_info is not None:
            where_kinds = answer.service_info.where
            if where_kinds and answer.where.lat is not None:
                answer.kind = answer.kind or where_kinds[0]
                self._fill_results(question, reading, answer, limit=1)
        answer.hotline = self._hotline_for(answer)
        answer.reply = compose_reply(answer, self.catalog)
        return answer

    def _apply(self, d: Decision, safety: Verdict, a: Answer) -> None:
        """Put a decision into the answer, with the emergency numbers it calls for first."""
        a.intent = d.intent
        a.kind = d.kind
        a.clarify = list(d.clarify)
        a.follow_up = d.follow_up
        a.complaint = d.complaint
        a.why = d.reason
        if d.service is not None:
            a.service = d.service
            a.service_info = self.catalog.services[d.service]
        if d.indicator is not None:
            a.indicator = d.indicator
            a.indicator_info = self.catalog.indicators[d.indicator]
        if d.intent == "emergency":
            a.emergency = self._emergency_hotlines(safety.topics, all_numbers=True)
        elif safety.level == "possible":
            # Danger possible but not clear: the question is answered, the number one line first.
            a.emergency = self._emergency_hotlines(safety.topics)[:1]
            a.why = f"{d.reason}; {safety.reason}"

    def kind_weights(self, q: Question, r: Reading) -> dict[str, float]:
        """Evidence per facility kind: its words, facilities named, and a kind chosen apart."""
        kinds = r.weights("kind")
        for fid in r.ids("facility"):
            fac = self.catalog.facilities.get(fid)
            if fac is not None:
                kinds[fac.kind] = kinds.get(fac.kind, 0.0) + 3.0
        if q.kind is not None and (q.kind in self.catalog.vocabulary.kinds or q.kind in self._by_kind):
            kinds[q.kind] = kinds.get(q.kind, 0.0) + 100.0
        return kinds

    def _emergency_hotlines(self, topics: Sequence[str], *, all_numbers: bool = False) -> list[Hotline]:
        """The numbers for the emergencies named, each with its `also` numbers; with `all_numbers`,
        120/119/110 after them."""
        numbers: list[str] = []
        for topic in topics:
            em = self.catalog.vocabulary.emergency.get(topic)
            if em is not None:
                numbers.extend([em.number, *em.also])
        if all_numbers:
            numbers.extend(_EMERGENCY_ORDER)
        return [self.catalog.hotlines[n] for n in dict.fromkeys(numbers) if n in self.catalog.hotlines]

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
        ordered = self._general_first(ordered, r.text, kind, a.where, a.town, named, wanted)
        a.results = [self.result(f, a.moment, a.where) for f in ordered[a.offset : wanted]]
        if a.follow_up:
            a.total_results = a.offset + len(a.results)

    def _general_first(
        self,
        ordered: list[Facility],
        text: str,
        kind: str,
        where: Where,
        town: str | None,
        named: list[str],
        wanted: int,
    ) -> list[Facility]:
        """A specialist place (妇产科医院) after the general ones of its kind, unless the question
        names its specialty ("产检") or the place itself."""
        specialists = self._specialists.get(kind)
        if not specialists:
            return ordered
        wanted_more = wanted + len(specialists)
        if len(ordered) < wanted_more and where.lat is not None:
            ordered = self._ordered(kind, where, town, named, wanted_more)

        def later(f: Facility) -> bool:
            return (f.id in specialists and f.id not in named
                    and not any(w.lower() in text for w in f.specialties))  # fmt: skip

        return sorted(ordered, key=later)  # stable: nearest first within each group

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


def _valid_point(lat: float, lon: float) -> bool:
    """A position on Earth (a NaN or 999 from a caller is ignored, not measured from)."""
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _approx(lat: float, lon: float, f: Facility) -> float:
    """A quantity that orders nearby points like their distance (cos 31° scales longitude)."""
    return (lat - f.point.lat) ** 2 + ((lon - f.point.lon) * 0.856) ** 2


__all__ = ["Finder", "Known", "guess_lang"]
