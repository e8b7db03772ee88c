"""The `doorstep` command as operators, scripts and staff use it."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DOORSTEP_CATALOG", raising=False)


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def broken_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(BUNDLED, folder)
    path = folder / "facilities" / "library.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("kind: library", "kind: libary", 1), encoding="utf-8"
    )
    return folder


def test_ask_json_has_the_contract_shape() -> None:
    code, out = run("ask", "朱家角有没有图书馆", "--json")
    answer = json.loads(out)
    assert code == 0
    assert set(answer) >= {
        "intent",
        "kind",
        "service",
        "indicator",
        "town",
        "needs_location",
        "location",
        "results",
        "reply",
    }
    assert answer["results"][0]["town"] == "朱家角镇"
    assert set(answer["location"]) == {"lat", "lon", "source"}


def test_ask_batch_answers_every_line_in_order_even_a_bad_one(tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    lines = [{"text": "长护险怎么申请"}, "not json", {"text": "附近的医院", "lat": 31.15}, {"text": "你好"}]
    batch.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines))
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 4
    assert answers[0]["service"] == "long_term_care"
    assert "error" in answers[1] and "error" in answers[2]  # half a coordinate is refused, not guessed
    assert answers[3]["intent"] == "help"


def test_ask_for_an_operator_is_one_readable_screen() -> None:
    code, out = run("ask", "赵巷镇社区事务受理服务中心在哪里")
    assert code == 0
    assert out.startswith("[find_facility]") and "赵巷镇" in out


def test_validate_is_quiet_and_summarises_a_good_catalogue() -> None:
    code, out = run("catalog", "validate")
    assert code == 0
    assert out.strip().endswith("20 indicators, 11 towns")


def test_validate_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    code, out = run("catalog", "validate", str(broken_copy(tmp_path)))
    assert code == 1
    assert any(line.startswith("facilities/library.yaml:") and ".kind:" in line for line in out.splitlines())


def test_a_program_started_on_a_bad_catalogue_refuses_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOORSTEP_CATALOG", str(broken_copy(tmp_path)))
    code, _ = run("chat", stdin="/quit\n")
    assert code == 1
    assert "facilities/library.yaml:" in capsys.readouterr().err


def test_export_lists_the_catalogue_in_the_contract_shape() -> None:
    code, out = run("catalog", "export", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert len(data["indicators"]) == 20 and len(data["services"]) >= 20
    assert {"id", "name", "kind", "town", "lat", "lon", "address", "phone", "opening_hours", "source"} <= set(
        data["facilities"][0]
    )


def test_the_chat_remembers_the_town_and_the_place_just_given() -> None:
    script = "/where 练塘\n附近的图书馆\n那里几点开门\n/lang en\nlibrary\n/quit\n"
    code, out = run("chat", stdin=script)
    assert code == 0
    assert "练塘镇的图书馆" in out
    assert out.count("青浦区图书馆练塘分馆") >= 2  # the follow-up is about the same branch
    assert "library in Liantang Town" in out  # English names the town in English


def test_users_add_refuses_a_short_password() -> None:
    code, _ = run("users", "add", "wang", "--role", "operator", "--password-stdin", stdin="short\n")
    assert code == 2
    code, saved = run(
        "users", "add", "wang", "--role", "operator", "--password-stdin", stdin="long enough pw\n"
    )
    assert code == 0 and "wang" in saved
    code, token = run("users", "token", "wang")
    assert code == 0 and len(token.strip()) >= 20
