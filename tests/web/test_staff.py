"""Staff pages: catalogue status, reload (a bad edit keeps the running catalogue), reports, unanswered."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.web import accounts
from services_catalog import feedback
from services_catalog.live import LiveFinder
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, rows_of, sign_in


@pytest.fixture
def editable(catalog_copy: Path, engine: Engine) -> LiveFinder:
    """A LiveFinder over a copy of the bundled catalogue, with the test's store behind it."""
    return LiveFinder(catalog_copy, engine=engine)


@pytest.fixture
def staff_on_copy(client_for: ClientFor, editable: LiveFinder, engine: Engine) -> TestClient:
    client = client_for(editable)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    sign_in(client, "keeper")
    return client


def test_the_catalogue_page_says_what_is_loaded(staff: TestClient, bundled_live: LiveFinder) -> None:
    page = staff.get("/staff/catalog").text
    catalog = bundled_live.finder.catalog
    assert 'id="loaded-at"' in page
    assert f"<th>场所</th><td>{len(catalog.facilities)}</td>" in page
    unverified = sum(f.verified is None for f in catalog.facilities.values())
    # Each count of what is missing opens the verification queue filtered to those records.
    assert f'<a href="/staff/facilities?show=unverified">未核实的场所</a></th><td>{unverified}</td>' in page
    assert "社区卫生服务中心" in page and "朱家角镇" in page  # counts by kind and by town
    assert 'name="csrf_token"' in page


def test_the_catalogue_page_shows_the_plan_coverage(staff: TestClient, bundled_live: LiveFinder) -> None:
    """The same count of the plan's service items as `doorstep catalog stats` (issue 12)."""
    from services_catalog.plan_coverage import plan_coverage

    coverage = plan_coverage(bundled_live.finder.catalog)
    page = staff.get("/staff/catalog").text
    assert 'id="plan-coverage"' in page
    assert f"规划中 {coverage.service_items} 项服务里 {coverage.covered} 项可回答" in page


def test_a_broken_catalogue_is_not_loaded_and_its_problems_are_listed(
    staff_on_copy: TestClient, editable: LiveFinder, catalog_copy: Path
) -> None:
    """A typo in a field and a YAML syntax error are both shown as file:line: field: message."""
    loaded_at = editable.finder.catalog.loaded_at
    library = catalog_copy / "facilities" / "library.yaml"
    library.write_text(
        library.read_text(encoding="utf-8").replace(
            "    kind: library\n", "    kind: library\n    colour: red\n", 1
        ),
        encoding="utf-8",
    )
    (catalog_copy / "hotlines.yaml").write_text("hotlines:\n  - number: [unclosed\n", encoding="utf-8")

    response = staff_on_copy.post("/staff/reload", data={"csrf_token": csrf_of(staff_on_copy)})
    assert response.status_code == 200 and response.url.path == "/staff/catalog"
    page = response.text
    assert "新目录有错误，未启用" in page
    assert re.search(r"facilities/library\.yaml:\d+: facilities\[\d+\]\.colour: unknown field", page)
    assert re.search(r"hotlines\.yaml:\d+: yaml: ", page)
    assert editable.finder.catalog.loaded_at == loaded_at

    search = staff_on_copy.get("/", params={"q": "朱家角 看病"}).text
    assert rows_of(search)[0] == "clinic-zhujiajiao"


def test_a_good_edit_is_swapped_in_without_a_restart(
    staff_on_copy: TestClient, editable: LiveFinder, catalog_copy: Path
) -> None:
    library = catalog_copy / "facilities" / "library.yaml"
    library.write_text(
        library.read_text(encoding="utf-8").replace(
            'name: "青浦区图书馆"', 'name: "青浦区图书馆（新馆）"', 1
        ),
        encoding="utf-8",
    )
    page = staff_on_copy.post("/staff/reload", data={"csrf_token": csrf_of(staff_on_copy)}).text
    assert "新目录已检查通过并启用" in page
    assert (
        "青浦区图书馆（新馆）" in staff_on_copy.get("/", params={"kind": "library", "town": "夏阳街道"}).text
    )


def test_reports_are_listed_newest_first_and_can_be_marked_done(staff: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        older = feedback.add_report(session=session, facility_id="clinic-zhujiajiao", text="电话打不通").id
        feedback.add_report(session=session, facility_id="library-district", text="周一其实不开门")
    page = staff.get("/staff/reports").text
    assert page.index("周一其实不开门") < page.index("电话打不通")
    assert "朱家角镇社区卫生服务中心" in page  # the facility's name, not only its id

    response = staff.post(
        f"/staff/reports/{older}/done", data={"csrf_token": csrf_of(staff, "/staff/reports")}
    )
    assert response.status_code == 200
    assert "电话打不通" not in response.text and "周一其实不开门" in response.text
    assert "电话打不通" in staff.get("/staff/reports?all=1").text


def test_marking_a_missing_report_is_not_found(staff: TestClient) -> None:
    token = csrf_of(staff, "/staff/reports")
    assert staff.post("/staff/reports/9999/done", data={"csrf_token": token}).status_code == 404


def test_unanswered_questions_are_grouped_with_counts(staff: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        for _ in range(3):
            feedback.record_unanswered(session=session, text="今天天气怎么样", intent="out_of_scope")
        feedback.record_unanswered(session=session, text="股票 怎么买", intent="out_of_scope")
    page = staff.get("/staff/unanswered").text
    groups = re.findall(
        r'<tr class="group"><td class="count">(\d+)</td><td><a href="[^"]*">([^<]+)</a>', page
    )
    assert groups[:2] == [("3", "今天天气怎么样"), ("1", "股票 怎么买")]


def test_unanswered_questions_older_than_the_keeping_period_are_purged(
    staff: TestClient, engine: Engine
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    with Session(engine) as session:
        session.add(feedback.UnansweredQuestion(text="很久以前的问题", intent="out_of_scope", created=old))
        session.commit()
    assert "很久以前的问题" not in staff.get("/staff/unanswered").text


def test_unanswered_questions_past_the_keeping_period_go_when_the_console_starts(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    """Not only when staff open a page: a console no staff member visits keeps nothing longer."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        session.add(
            feedback.UnansweredQuestion(
                text="很久以前的问题", intent="out_of_scope", created=now - dt.timedelta(days=91)
            )
        )
        session.add(
            feedback.UnansweredQuestion(
                text="上个月的问题", intent="out_of_scope", created=now - dt.timedelta(days=30)
            )
        )
        session.commit()
    client_for(bundled_live)  # the console starts; nobody signs in or opens a page
    with Session(engine) as session:
        kept = session.exec(select(feedback.UnansweredQuestion.text)).all()
    assert kept == ["上个月的问题"]


def test_an_operators_unanswered_question_reaches_the_staff_page(
    staff_on_copy: TestClient,
) -> None:
    staff_on_copy.get("/", params={"q": "今天股市怎么样"})
    assert "今天股市怎么样" in staff_on_copy.get("/staff/unanswered").text


def test_a_reload_that_failed_on_the_command_line_shows_on_the_status_page(
    staff_on_copy: TestClient, catalog_copy: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import cli

    (catalog_copy / "hotlines.yaml").write_text("hotlines:\n  - number: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", str(engine.url))
    assert cli.main(["catalog", "reload", str(catalog_copy)]) == 1
    page = staff_on_copy.get("/staff/catalog").text
    assert 'id="failed-elsewhere"' in page and "命令行" in page
    assert re.search(r"hotlines\.yaml:\d+: yaml: ", page)
