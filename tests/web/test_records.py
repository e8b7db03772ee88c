"""Staff make records true from the console: the queue, the record form, audit, reports, leads."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.web import accounts
from services_catalog import audit, demand, feedback
from services_catalog.answer import Question
from services_catalog.live import LiveFinder
from services_catalog.loader import check_catalog
from tests.web.conftest import PASSWORD, ClientFor, sign_in
from tests.web.editing_helpers import changed_lines, comment_lines, form_of, record_span

CLINIC = "clinic-zhujiajiao"


@pytest.fixture
def editable(catalog_copy: Path, engine: Engine) -> LiveFinder:
    return LiveFinder(catalog_copy, engine=engine)


@pytest.fixture
def keeper(client_for: ClientFor, editable: LiveFinder, engine: Engine) -> TestClient:
    """A staff member signed in to a console over a copy of the bundled catalogue."""
    client = client_for(editable)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    sign_in(client, "keeper")
    return client


def clinic_file(folder: Path) -> Path:
    return folder / "facilities" / "clinic.yaml"


def test_the_queue_lists_every_record_and_filters_by_what_is_missing(keeper: TestClient) -> None:
    """Read from the store's copy of the catalogue, 50 to a page."""
    everything = keeper.get("/staff/facilities").text
    assert "共 130 条" in everything and everything.count('<tr class="record') == 50
    last = keeper.get("/staff/facilities", params={"page": 3}).text
    assert last.count('<tr class="record') == 30 and 'rel="prev"' in last and 'rel="next"' not in last
    seen = {
        i
        for p in (1, 2, 3)
        for i in re.findall(
            r'data-facility="([^"]+)"', keeper.get("/staff/facilities", params={"page": p}).text
        )
    }
    assert len(seen) == 130
    clinics = keeper.get("/staff/facilities", params={"kind": "clinic", "show": "unverified"}).text
    assert clinics.count('<tr class="record') == 11
    one = keeper.get("/staff/facilities", params={"kind": "clinic", "town": "朱家角镇"}).text
    assert re.findall(r'data-facility="([^"]+)"', one) == [CLINIC]


def test_the_queue_puts_the_places_residents_asked_for_most_first(keeper: TestClient, engine: Engine) -> None:
    """Counted per kind and town from residents' questions, with no text, user or place kept."""
    with Session(engine) as session:
        for _ in range(3):
            demand.record_asked(session=session, kind="library", town="金泽镇")
        demand.record_asked(session=session, kind="clinic", town="白鹤镇")
    page = keeper.get("/staff/facilities").text
    order = re.findall(r'data-facility="([^"]+)"', page)
    assert order[0] == "library-jinze" and order[1] == "clinic-baihe"


def test_a_residents_question_is_counted_for_its_kind_and_town(
    keeper: TestClient, editable: LiveFinder, engine: Engine
) -> None:
    editable.answer(Question(text="金泽 图书馆"))
    with Session(engine) as session:
        assert demand.asked_by_kind_and_town(session=session)[("library", "金泽镇")] == 1


def test_the_record_page_shows_what_residents_see_and_a_form_with_the_record_as_written(
    keeper: TestClient,
) -> None:
    page = keeper.get(f"/staff/facilities/{CLINIC}").text
    assert "朱家角镇社区卫生服务中心" in page
    assert "未核实" in page and "12320" in page  # residents are pointed to the hotline for the phone
    form = form_of(keeper, CLINIC)
    assert form["position"] == "121.046555,31.103775" and form["position_crs"] == "gcj02"
    assert form["opening_hours"] == "Mo-Fr 08:00-16:30; Sa 08:00-11:30"
    today_in_qingpu = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert form["verified_on"] == today_in_qingpu.isoformat() and form["verified_by"] == "keeper"
    # The hours read back in plain words, and a cheat sheet.
    assert "周一至周五 08:00–16:30；周六 08:00–11:30；周日休息；法定节假日休息" in page
    assert "写法速查" in page


def test_saving_the_form_changes_only_that_records_lines_and_keeps_an_audit_entry(
    keeper: TestClient, catalog_copy: Path, editable: LiveFinder, engine: Engine
) -> None:
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    form = form_of(keeper, CLINIC)
    form.update(
        phone="021-59230000",
        opening_hours="Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30",
        hours_confirmed="1",
        position="121.058,31.109",
        position_crs="gcj02",
        precision="exact",
        source="电话核实（院办）",
        verify="1",
        verified_on="2026-06-01",
    )
    response = keeper.post(f"/staff/facilities/{CLINIC}", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text

    after = clinic_file(catalog_copy).read_text(encoding="utf-8")
    assert changed_lines(before, after) <= set(record_span(before, CLINIC))
    assert comment_lines(after) == comment_lines(before)
    assert 'phone: "021-59230000"' in after and "verified: 2026-06-01" in after
    clinic = editable.finder.catalog.facilities[CLINIC]  # live at once
    assert clinic.phone == "021-59230000" and clinic.verified == dt.date(2026, 6, 1)
    assert abs(clinic.point.lat - 31.109) > 1e-4  # converted from GCJ-02 to WGS-84 on load
    with Session(engine) as session:
        [entry] = audit.history(session=session, facility_id=CLINIC)
    assert entry.who == "keeper" and entry.via == "console"
    assert entry.before["phone"] is None and entry.after["phone"] == "021-59230000"
    assert entry.after["verified"] == "2026-06-01"
    page = keeper.get(response.headers["location"]).text
    assert "已保存" in page and "021-59230000" in page


def test_an_unchanged_form_writes_nothing(keeper: TestClient, catalog_copy: Path, engine: Engine) -> None:
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    response = keeper.post(f"/staff/facilities/{CLINIC}", data=form_of(keeper, CLINIC))
    assert "没有改动" in response.text
    assert clinic_file(catalog_copy).read_text(encoding="utf-8") == before
    with Session(engine) as session:
        assert audit.history(session=session, facility_id=CLINIC) == []


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        ("周一至周五 8:00-17:00", "是不是想写：Mo-Fr 08:00-17:00"),
        ("Mo-Fr 8:30~16:30", "时间段用短横线连接"),
        ("随时", "例如：Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30"),
    ],
)
def test_bad_hours_are_refused_with_an_example_and_the_file_is_untouched(
    keeper: TestClient, catalog_copy: Path, hours: str, said: str
) -> None:
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    form = form_of(keeper, CLINIC)
    form.update(opening_hours=hours, phone="021-59230000")
    response = keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    assert response.status_code == 422
    assert said in response.text
    assert "invalid opening_hours syntax" not in response.text  # not the parser's words
    assert clinic_file(catalog_copy).read_text(encoding="utf-8") == before
    assert 'value="021-59230000"' in response.text  # what was typed is kept in the form


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("phone", "call 12345", "电话“call 12345”不对"),
        ("position", "121.058", "请粘贴“经度,纬度”"),
        ("position", "116.40,39.90", "不在青浦区内"),
        ("name", "", "名称不能为空"),
    ],
)
def test_bad_values_are_refused_field_by_field(
    keeper: TestClient, catalog_copy: Path, field: str, value: str, said: str
) -> None:
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    form = form_of(keeper, CLINIC)
    form[field] = value
    response = keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    assert response.status_code == 422 and said in response.text
    assert clinic_file(catalog_copy).read_text(encoding="utf-8") == before


def test_a_position_pasted_latitude_first_is_read_the_right_way_round(
    keeper: TestClient, editable: LiveFinder
) -> None:
    form = form_of(keeper, CLINIC)
    form.update(position="31.109, 121.058", precision="exact")
    keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    point = editable.finder.catalog.facilities[CLINIC].point
    assert 31.0 < point.lat < 31.2 and 121.0 < point.lon < 121.1


def test_an_edit_the_catalogue_refuses_is_listed_and_nothing_is_written(
    keeper: TestClient, catalog_copy: Path
) -> None:
    """The whole catalogue is checked with the change: a link off the allowlist stops it."""
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    form = form_of(keeper, CLINIC)
    form["source"] = "见 www.vip333.com 公告"
    response = keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    assert response.status_code == 422
    assert re.search(r"facilities/clinic\.yaml:\d+: facilities\[\d+\]\.source: ", response.text)
    assert clinic_file(catalog_copy).read_text(encoding="utf-8") == before


def test_of_two_staff_editing_the_same_record_the_later_one_is_refused_not_lost(
    client_for: ClientFor, editable: LiveFinder, engine: Engine, catalog_copy: Path
) -> None:
    accounts.add_user(engine=engine, name="wang", role="staff", password=PASSWORD)
    accounts.add_user(engine=engine, name="li", role="staff", password=PASSWORD)
    wang, li = client_for(editable), client_for(editable)
    sign_in(wang, "wang")
    sign_in(li, "li")
    wang_form, li_form = form_of(wang, CLINIC), form_of(li, CLINIC)  # both open the page
    wang_form["phone"] = "021-59230001"
    assert wang.post(f"/staff/facilities/{CLINIC}", data=wang_form, follow_redirects=False).status_code == 303
    li_form["address"] = "朱家角镇某路 1 号"
    response = li.post(f"/staff/facilities/{CLINIC}", data=li_form)
    assert response.status_code == 409
    assert "wang" in response.text and "没有保存" in response.text
    assert 'value="朱家角镇某路 1 号"' in response.text  # li's value is kept to save again
    text = clinic_file(catalog_copy).read_text(encoding="utf-8")
    assert "021-59230001" in text and "朱家角镇某路" not in text
    # Saving again on the version the refusal showed keeps both changes.
    li_form = form_of(li, CLINIC)
    li_form["address"] = "朱家角镇某路 1 号"
    assert li.post(f"/staff/facilities/{CLINIC}", data=li_form, follow_redirects=False).status_code == 303
    text = clinic_file(catalog_copy).read_text(encoding="utf-8")
    assert "021-59230001" in text and "朱家角镇某路 1 号" in text


def test_two_staff_editing_different_records_of_one_file_both_keep_their_change(
    client_for: ClientFor, editable: LiveFinder, engine: Engine, catalog_copy: Path
) -> None:
    accounts.add_user(engine=engine, name="wang", role="staff", password=PASSWORD)
    wang, li = client_for(editable), client_for(editable)
    sign_in(wang, "wang")
    accounts.add_user(engine=engine, name="li", role="staff", password=PASSWORD)
    sign_in(li, "li")
    a, b = form_of(wang, "clinic-baihe"), form_of(li, "clinic-jinze")
    a["phone"], b["phone"] = "021-11110000", "021-22220000"
    assert wang.post("/staff/facilities/clinic-baihe", data=a, follow_redirects=False).status_code == 303
    assert li.post("/staff/facilities/clinic-jinze", data=b, follow_redirects=False).status_code == 303
    text = clinic_file(catalog_copy).read_text(encoding="utf-8")
    assert "021-11110000" in text and "021-22220000" in text


def test_a_report_links_to_its_record_and_is_closed_by_the_fix(keeper: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        report = feedback.add_report(session=session, facility_id=CLINIC, text="电话是 59230000")
    reports = keeper.get("/staff/reports").text
    assert f'href="/staff/facilities/{CLINIC}"' in reports
    form = form_of(keeper, CLINIC)
    assert form["close_report"] == [str(report.id)]  # offered, ticked
    form["phone"] = "021-59230000"
    page = keeper.post(f"/staff/facilities/{CLINIC}", data=form).text
    assert "关闭了 1 条报错" in page
    with Session(engine) as session:
        assert feedback.list_reports(session=session) == []
        [entry] = audit.history(session=session, facility_id=CLINIC)
    assert f"#{report.id}" in entry.note


def test_the_district_librarys_old_address_is_a_lead_for_staff_never_an_answer(
    keeper: TestClient, editable: LiveFinder
) -> None:
    page = keeper.get("/staff/facilities/library-district").text
    assert "待核线索" in page and "青浦区青龙路60号" in page and "study-shanghai.org" in page
    queue = keeper.get("/staff/facilities", params={"show": "with_lead"}).text
    assert re.findall(r'data-facility="([^"]+)"', queue) == ["library-district"]
    answer = editable.finder.answer(Question(text="青浦区图书馆在哪里"))
    assert "青龙路" not in answer.reply and all(r.facility.address is None for r in answer.results)


def test_the_hours_checker_answers_as_staff_type(keeper: TestClient) -> None:
    good = keeper.get(
        "/staff/hours-check",
        params={"spec": "Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30", "holidays": "closed_on_holidays"},
    ).json()
    assert good == {
        "ok": True,
        "preview": "周一至周五 08:00–11:30、13:30–16:30；周六 08:00–11:30；周日休息；法定节假日休息",
        "problem": "",
    }
    bad = keeper.get("/staff/hours-check", params={"spec": "Mo-Fr 8-17", "lang": "en"}).json()
    assert bad["ok"] is False and "Did you mean: Mo-Fr 08:00-17:00" in bad["problem"]


def test_the_weeks_changes_list_every_change_with_before_and_after(keeper: TestClient) -> None:
    form = form_of(keeper, CLINIC)
    form["phone"] = "021-59230000"
    keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    page = keeper.get("/staff/changes").text
    assert f'href="/staff/facilities/{CLINIC}"' in page
    assert "021-59230000" in page and "keeper" in page


def test_operators_cannot_open_or_save_records(
    client_for: ClientFor, editable: LiveFinder, engine: Engine
) -> None:
    client = client_for(editable)
    accounts.add_user(engine=engine, name="op", role="operator", password=PASSWORD)
    sign_in(client, "op")
    assert client.get(f"/staff/facilities/{CLINIC}").status_code == 403
    assert client.post(f"/staff/facilities/{CLINIC}", data={"phone": "1"}).status_code == 403


def test_an_unknown_record_is_not_found(keeper: TestClient) -> None:
    assert keeper.get("/staff/facilities/no-such-place").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(keeper: TestClient, catalog_copy: Path) -> None:
    before = clinic_file(catalog_copy).read_text(encoding="utf-8")
    form = form_of(keeper, CLINIC)
    form.pop("csrf_token")
    form["phone"] = "021-59230000"
    assert keeper.post(f"/staff/facilities/{CLINIC}", data=form).status_code == 403
    assert clinic_file(catalog_copy).read_text(encoding="utf-8") == before


def test_after_a_save_the_catalogue_still_validates(keeper: TestClient, catalog_copy: Path) -> None:
    form = form_of(keeper, CLINIC)
    form.update(address="朱家角镇某路 1 号", aliases="朱家角卫生院\n朱家角医院")
    keeper.post(f"/staff/facilities/{CLINIC}", data=form)
    catalog, problems = check_catalog(catalog_copy)
    assert catalog is not None, problems
    assert catalog.facilities[CLINIC].aliases == ["朱家角卫生院", "朱家角医院"]


def test_the_coverage_page_draws_the_map_and_says_the_figures_are_estimates(keeper: TestClient) -> None:
    page = keeper.get("/staff/coverage", params={"kind": "library"}).text
    assert 'id="coverage-estimate"' in page and "都是估计" in page
    assert page.count('<circle class="committee') >= 100
    assert page.count('class="facility') == 12  # the 12 libraries, each a link to its record
    assert 'href="/staff/facilities/library-district"' in page
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "<image" not in svg and re.findall(r"https?://[^\s\"]+", svg) == ["http://www.w3.org/2000/svg"]
    shares = re.findall(r'data-kind="library" data-share="([0-9.]+)"', page)
    assert len(shares) == 11 and all(0 <= float(s) <= 1 for s in shares)


def test_asked_for_counts_past_the_keeping_period_go_when_the_console_starts(
    client_for: ClientFor, editable: LiveFinder, engine: Engine
) -> None:
    with Session(engine) as session:
        demand.record_asked(
            session=session, kind="library", town="金泽镇", day=dt.date.today() - dt.timedelta(days=91)
        )
        demand.record_asked(session=session, kind="clinic", town="白鹤镇")
    client_for(editable)
    with Session(engine) as session:
        assert set(demand.asked_by_kind_and_town(session=session, days=400)) == {("clinic", "白鹤镇")}
