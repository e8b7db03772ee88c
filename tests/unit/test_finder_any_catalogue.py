"""Nothing a catalogue can contain makes `Finder.answer()` raise.

The validator refuses a kind without facilities that the vocabulary or services point to; a
catalogue object built another way (or a future check that misses a case) must still never crash
a question: it gets an answer saying nothing was found.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services_catalog.answer import Question
from services_catalog.catalog import Catalog
from services_catalog.finder import Finder
from services_catalog.loader import load_catalog
from services_catalog.models import KIND_IDS

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"
QUESTIONS = [
    "附近的社区卫生服务中心",
    "朱家角 看病",
    "我妈想找个养老的地方，我们在朱家角",
    "养老",
    "图书馆几点开门",
    "法律援助",
    "长护险怎么申请",
    "哪里可以打疫苗",
    "退役军人服务站在哪",
    "赵巷镇社区事务受理服务中心电话",
    "nearest library",
    "想去健身",
    "残疾人辅具",
    "文化活动中心",
    "找工作",
    "医院",
]


@functools.cache
def bundled() -> Catalog:
    return load_catalog(BUNDLED)


@functools.cache
def finder_without(kind: str) -> Finder:
    """The bundled catalogue with every facility of `kind` taken out (bypassing the validator)."""
    base = bundled()
    kept = {k: f for k, f in base.facilities.items() if f.kind != kind}
    return Finder(dataclasses.replace(base, facilities=kept))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KIND_IDS),
    text=st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=40)),
    place=st.one_of(st.none(), st.just((31.15, 121.12)), st.just((31.10, 121.05))),
    asked_kind=st.one_of(st.none(), st.sampled_from(KIND_IDS)),
    offset=st.integers(min_value=0, max_value=5),
)
def test_a_catalogue_with_any_kind_emptied_never_makes_answer_raise(
    kind: str, text: str, place: tuple[float, float] | None, asked_kind: str | None, offset: int
) -> None:
    finder = finder_without(kind)
    lat, lon = place if place else (None, None)
    question = Question(text=text, lat=lat, lon=lon, kind=asked_kind, offset=offset)
    answer = finder.answer(question)
    assert answer.reply
    assert all(r.facility.kind != kind for r in answer.results)


def test_a_question_about_an_emptied_kind_finds_nothing_rather_than_crashing() -> None:
    """`facilities: []` in clinic.yaml used to end every clinic question in KeyError: 'clinic'."""
    finder = finder_without("clinic")
    answer = finder.answer(Question(text="附近的社区卫生服务中心", lat=31.15, lon=121.12))
    assert answer.kind == "clinic" and answer.results == []
    assert answer.reply
