"""What public sources say about records: cited in the catalogue when it is a name, kept as an
unconfirmed lead for staff when it is an address, never shown to residents as fact."""

from __future__ import annotations

from bot.settings import BUNDLED_CATALOG
from services_catalog.answer import Question
from services_catalog.finder import Finder
from services_catalog.leads import bundled_leads
from services_catalog.loader import load_catalog


def test_the_eleven_health_centres_cite_the_sources_that_name_them() -> None:
    catalog = load_catalog(BUNDLED_CATALOG)
    clinics = [f for f in catalog.facilities.values() if f.kind == "clinic"]
    assert len(clinics) == 11
    for clinic in clinics:
        assert "健康档案数据监测系统" in clinic.source or "同一测试脚本" in clinic.source, clinic.id
        assert clinic.verified is None  # a name seen in a source is not a checked record
    both = {c.id for c in clinics if "发热门诊名单" in c.source}
    assert both == {"clinic-xianghuaqiao", "clinic-liantang", "clinic-jinze", "clinic-huaxin"}


def test_leads_name_records_that_exist_and_say_where_they_come_from() -> None:
    catalog = load_catalog(BUNDLED_CATALOG)
    leads = bundled_leads()
    assert leads["library-district"][0].value == "青浦区青龙路60号"
    for facility_id, found in leads.items():
        assert facility_id in catalog.facilities
        assert all(len(lead.sources) >= 1 and lead.as_of for lead in found)


def test_a_lead_never_reaches_a_resident() -> None:
    catalog = load_catalog(BUNDLED_CATALOG)
    assert catalog.facilities["library-district"].address is None
    reply = Finder(catalog).answer(Question(text="青浦区图书馆地址")).reply
    assert "青龙路" not in reply and "12345" in reply
