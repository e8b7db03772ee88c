"""What cannot be served is refused: hostile or broken catalogues that `validate` used to pass.

Each test copies the valid mini catalogue, makes one change an attacker or a hurried editor
could make, and asserts what `doorstep catalog validate` reports: the file, the line, and why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from services_catalog.errors import Problem
from services_catalog.loader import check_catalog, text_problem
from tests.unit.test_catalog_loader import CLINICS, LIBRARIES, edit, errors, located, only_error

TRADITIONAL_FULL_WIDTH_SPAM = "大佬們都在玩{精選官網網址: ｗｗｗ．ｖｉｐ３３３．Ｃｏ }"


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- what would crash or mislead at answer time -------------------------------------------------


def test_a_kind_without_facilities_that_services_and_vocabulary_point_to_is_refused(
    mini_catalog: Path,
) -> None:
    """`facilities: []` in clinic.yaml used to validate, and then every clinic question crashed."""
    (mini_catalog / CLINICS).write_text("facilities: []\n", encoding="utf-8")
    assert messages(errors(mini_catalog)) == [
        "services.yaml:7: services[0].where[0]: no facility of kind 'clinic': "
        "residents would be sent nowhere",
        "vocabulary.yaml:3: vocabulary.kinds.clinic: no facility of kind 'clinic': "
        "questions about it would find nothing",
    ]


def test_a_verification_date_in_the_future_is_refused(mini_catalog: Path) -> None:
    """`verified: 2099-01-01` would remove the 未核实 label from a record nobody checked."""
    edit(mini_catalog, CLINICS, "verified: 2024-05-01", "verified: 2099-01-01")
    assert str(only_error(mini_catalog)) == (
        f"{CLINICS}:25: facilities[1].verified: 2099-01-01 is in the future: "
        "write the day the record was checked"
    )


def test_today_is_a_valid_verification_date(mini_catalog: Path) -> None:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    edit(mini_catalog, CLINICS, "verified: 2024-05-01", f"verified: {today.isoformat()}")
    assert errors(mini_catalog) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("holidays.yaml", "overrides: []", "overrides:\n  - {date: 2026-02-30, status: holiday}", 2),
        (CLINICS, "verified: 2024-05-01", "verified: 2026-02-29", 25),
        (CLINICS, "verified: 2024-05-01", "verified: 2026-13-01", 25),
    ],
)
def test_an_impossible_date_is_a_problem_at_its_line_not_a_traceback(
    mini_catalog: Path, file: str, old: str, new: str, where: int
) -> None:
    if not (mini_catalog / file).exists():
        (mini_catalog / file).write_text("overrides: []\n", encoding="utf-8")
    edit(mini_catalog, file, old, new)
    problem = only_error(mini_catalog)
    assert (problem.file, problem.line) == (file, where)
    assert "valid date" in problem.message


def test_a_bad_byte_is_reported_at_its_line(mini_catalog: Path) -> None:
    """A Latin-1 byte in the address on line 20 is reported there, not at line 1."""
    path = mini_catalog / CLINICS
    raw = path.read_bytes().replace("金泽镇某路1号".encode(), "金泽镇某路1号".encode() + b"\xe9")
    path.write_bytes(raw)
    problem = errors(mini_catalog)[0]
    assert (problem.file, problem.line, problem.field) == (CLINICS, 20, "yaml")
    assert "not UTF-8" in problem.message and "0xe9" in problem.message


def test_a_symlinked_file_from_outside_the_folder_is_refused(mini_catalog: Path, tmp_path: Path) -> None:
    """What the catalogue says is what is in its folder: a link out of it is not followed."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(
        "facilities:\n  - id: evil\n    name: x\n    kind: clinic\n    town: 朱家角镇\n"
        "    point: {lat: 31.1, lon: 121.05}\n    source: x\n",
        encoding="utf-8",
    )
    os.symlink(outside, mini_catalog / "facilities" / "evil.yaml")
    (problem,) = errors(mini_catalog)
    assert (problem.file, problem.field) == ("facilities/evil.yaml", "file")
    assert "outside the catalogue folder" in problem.message


def test_a_symlinked_folder_from_outside_is_refused(mini_catalog: Path, tmp_path: Path) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "x.yaml").write_text("facilities: []\n", encoding="utf-8")
    os.symlink(tmp_path / "more", mini_catalog / "more")
    assert located(errors(mini_catalog)) == ["more:0: file"]


def test_a_link_inside_the_folder_is_skipped_not_read_twice(mini_catalog: Path) -> None:
    os.symlink(mini_catalog / LIBRARIES, mini_catalog / "facilities" / "library-again.yaml")
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is not None
    assert any(p.file == "facilities/library-again.yaml" and p.severity == "warning" for p in problems)


@pytest.mark.parametrize(("topic", "number"), [("fire", "110"), ("medical", "119"), ("police", "120")])
def test_an_emergency_topic_rewired_from_the_laws_number_is_refused(
    mini_catalog: Path, topic: str, number: str
) -> None:
    """Fire is 119, an ambulance 120, the police 110: a catalogue cannot change that."""
    lawful = {"medical": "120", "fire": "119", "police": "110"}[topic]
    (mini_catalog / "vocabulary.yaml").write_text(
        (mini_catalog / "vocabulary.yaml").read_text(encoding="utf-8")
        + f'  emergency:\n    {topic}:\n      number: "{number}"\n      zh: ["着火了"]\n',
        encoding="utf-8",
    )
    assert str(only_error(mini_catalog)) == (
        f"vocabulary.yaml:10: vocabulary.emergency.{topic}.number: "
        f"the number for '{topic}' is {lawful} by law, not {number}"
    )


def test_an_emergency_hotline_must_be_marked_as_one(mini_catalog: Path) -> None:
    edit(mini_catalog, "hotlines.yaml", '    name_en: "Fire"\n    emergency: true', '    name_en: "Fire"')
    problem = only_error(mini_catalog)
    assert problem.file == "hotlines.yaml" and "119 is an emergency number" in problem.message


# --- spam and hostile links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        TRADITIONAL_FULL_WIDTH_SPAM,
        "详见 vip\u200b333\u200b.co 了解",  # a domain split by zero-width spaces
        "vip333[.]co 注册送88元",
        "vip333(dot)co",
        "vip333。co",
        "\u202evip333.co",  # a bidi override
        "ｈｔｔｐｓ：／／ｖｉｐ３３３．ｃｏ",
    ],
)
def test_hidden_spam_and_links_are_seen_as_a_reader_sees_them(text: str) -> None:
    assert text_problem(text, ["gov.cn"]) is not None


@pytest.mark.parametrize(
    "website",
    [
        "https://vip333.co\\.gov.cn/",  # browsers read the backslash as a slash: host vip333.co
        "https://www.gov.cn@vip333.co/",  # user info: the host is vip333.co
        "https://zwdt.sh.gov.cn@vip333.co/",
        "https://user@zwdt.sh.gov.cn/",  # a user name has no place in a service's address
        "https://www.shqp.gov.cn%2Evip333.co/",  # %2E is a dot in a host
        "https://例子.中国/",  # IDNA: xn--fsqu00a.xn--fiqs8s, not gov.cn
        "javascript:alert(1)//.gov.cn",
        "ftp://www.shqp.gov.cn/",
        "https://www.shqp.gov.cn\u200b.vip333.co/",
    ],
)
def test_a_website_is_checked_as_a_browser_would_open_it(mini_catalog: Path, website: str) -> None:
    """`https://vip333.co\\.gov.cn/` "ends in .gov.cn" but browsers open vip333.co."""
    edit(
        mini_catalog, CLINICS, 'website: "https://www.shqp.gov.cn/health/"', f"website: {json.dumps(website)}"
    )
    problem = only_error(mini_catalog)
    assert (problem.file, problem.field) == (CLINICS, "facilities[1].website")


@pytest.mark.parametrize(
    "website", ["https://www.shqp.gov.cn/health/", "HTTPS://WWW.SHQP.GOV.CN/health", "https://zwdt.sh.gov.cn"]
)
def test_an_ordinary_government_website_passes_and_is_kept_as_browsers_write_it(
    mini_catalog: Path, website: str
) -> None:
    edit(mini_catalog, CLINICS, 'website: "https://www.shqp.gov.cn/health/"', f"website: {website!r}")
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is not None, problems
    assert catalog.facilities["clinic-jinze"].website in (
        "https://www.shqp.gov.cn/health/",
        "https://www.shqp.gov.cn/health",
        "https://zwdt.sh.gov.cn/",
    )


def test_the_seeds_spam_in_traditional_full_width_letters_is_refused_in_a_summary(mini_catalog: Path) -> None:
    edit(
        mini_catalog,
        "services.yaml",
        'summary: "在社区卫生服务中心签约家庭医生',
        f'summary: "{TRADITIONAL_FULL_WIDTH_SPAM}在社区卫生服务中心签约家庭医生',
    )
    problem = only_error(mini_catalog)
    assert problem.field == "services[0].summary" and problem.message.startswith("spam-like text")


# --- every problem in one run (issue 10 item 6) ---------------------------------------------------


def test_five_different_problems_are_all_reported_in_one_run(mini_catalog: Path) -> None:
    """An unknown field and a missing source used to hide the duplicate id, the unknown kind, the
    unknown town and the bad hours until they were fixed."""
    (mini_catalog / "facilities" / "more.yaml").write_text(
        "facilities:\n"
        "  - id: clinic-jinze\n"  # 2: a duplicate id; no source (the record starts here)
        "    name: 金泽镇卫生院\n"
        "    kind: clnic\n"  # 4: an unknown kind
        "    town: 金泽乡\n"  # 5: an unknown town
        "    point: {lat: 31.04, lon: 120.92}\n"
        "    opening_hours: Mo-Fr 8-17\n"  # 7: bad hours
        "    phone_number: '021-1'\n",  # 8: an unknown field
        encoding="utf-8",
    )
    assert located(errors(mini_catalog)) == [
        "facilities/more.yaml:2: facilities[0].id",
        "facilities/more.yaml:2: facilities[0].source",
        "facilities/more.yaml:4: facilities[0].kind",
        "facilities/more.yaml:5: facilities[0].town",
        "facilities/more.yaml:7: facilities[0].opening_hours",
        "facilities/more.yaml:8: facilities[0].phone_number",
    ]


# --- odd YAML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("facilities: !!python/object:os.system []\n", "tags"),
        ("towns: []\n---\ntowns: []\n", "one document per file"),
        ("facilities: " + "[" * 5000 + "]" * 5000 + "\n", "YAML syntax error"),
    ],
)
def test_odd_yaml_is_a_problem_at_its_line(mini_catalog: Path, text: str, message: str) -> None:
    (mini_catalog / "odd.yaml").write_text(text, encoding="utf-8")
    problem = only_error(mini_catalog)
    assert problem.file == "odd.yaml" and message in problem.message


# --- a large catalogue is parsed by worker processes: the same problems, at the same lines ---------

PARALLEL_CHECK = """
import json, sys
from pathlib import Path
from services_catalog import loader
loader.PARALLEL_BYTES = int(sys.argv[2])
assert loader._parallel(10**9) == (sys.argv[2] == "0")
catalog, problems = loader.check_catalog(Path(sys.argv[1]))
print(json.dumps({"loaded": catalog is not None, "problems": [str(p) for p in problems]}))
"""


def test_worker_processes_report_what_one_process_reports(mini_catalog: Path) -> None:
    """Above PARALLEL_BYTES files are parsed by forked workers; every problem is still found, at
    its line, in the same order (run as new processes: forking is for single-threaded programs)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    (mini_catalog / "odd.yaml").write_text("towns: [\n", encoding="utf-8")
    path = mini_catalog / CLINICS
    path.write_bytes(path.read_bytes().replace("金泽镇某路1号".encode(), b"\xe9"))
    (mini_catalog / "dup.yaml").write_text("hotlines: []\nhotlines: []\n", encoding="utf-8")
    edit(mini_catalog, LIBRARIES, "kind: library", "kind: libary")

    def run(threshold: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", PARALLEL_CHECK, str(mini_catalog), threshold],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, object] = json.loads(done.stdout)
        return result

    parallel, serial = run("0"), run(str(10**12))
    assert parallel == serial
    problems = parallel["problems"]
    assert parallel["loaded"] is False and isinstance(problems, list)
    assert any("odd.yaml:" in p and "YAML syntax error" in p for p in problems)
    assert any(p.startswith(f"{CLINICS}:20: yaml:") for p in problems)  # the bad byte, at its line
    assert any(p.startswith("dup.yaml:2: hotlines: duplicate key") for p in problems)


KILLED_WORKER = """
import json, os, sys
from pathlib import Path
from services_catalog import loader
loader.PARALLEL_BYTES = 0
parent, real = os.getpid(), loader._parse_path
def dies_in_a_worker(path):
    if os.getpid() != parent:
        os._exit(9)  # as the kernel's out-of-memory killer would end it
    return real(path)
loader._parse_path = dies_in_a_worker
catalog, problems = loader.check_catalog(Path(sys.argv[1]))
print(json.dumps({"loaded": catalog is not None, "facilities": len(catalog.facilities) if catalog else 0}))
"""


def test_a_worker_that_dies_leaves_the_parsing_to_this_process() -> None:
    """A killed worker never turns validate or a reload into a traceback: the files are parsed here."""
    import subprocess
    import sys

    from tests.unit.conftest import VALID_CATALOG

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, str(VALID_CATALOG)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == {"loaded": True, "facilities": 3}
