"""The `doorstep` command as operators, scripts and staff use it."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.contract_shapes import ANSWER_KEYS, LOCATION_KEYS

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
    assert set(answer) >= ANSWER_KEYS
    assert answer["results"][0]["town"] == "朱家角镇"
    assert set(answer["location"]) == LOCATION_KEYS


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


def test_ask_for_an_operator_prints_the_reply_and_no_debug_line() -> None:
    code, out = run("ask", "赵巷镇社区事务受理服务中心在哪里")
    assert code == 0
    assert "赵巷镇" in out
    assert "[find_facility]" not in out and "kind=" not in out


def write_batch(tmp_path: Path, text: str) -> Path:
    batch = tmp_path / "q.jsonl"
    batch.write_text(text, encoding="utf-8")
    return batch


def test_one_deeply_nested_line_gets_its_own_error_and_the_batch_goes_on(tmp_path: Path) -> None:
    """A 5,000-deep `[[[[…` line used to end the whole batch in a RecursionError."""
    deep = "[" * 5000 + "]" * 5000
    batch = write_batch(tmp_path, f'{{"text": "你好"}}\n{deep}\n{{"text": "长护险怎么申请"}}\n')
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 3
    assert answers[0]["intent"] == "help" and "line 2" in answers[1]["error"]
    assert answers[2]["service"] == "long_term_care"


def test_batch_lines_end_only_at_newlines_so_answers_match_questions(tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 inside a question are not line ends (splitlines() thought so)."""
    texts = ["图书馆\u2028在哪", "长护险\u2029怎么申请", "你好\u0085"]
    batch = write_batch(tmp_path, "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.split("\n") if line]
    assert code == 0 and len(answers) == 3
    assert answers[0]["kind"] == "library" and answers[1]["service"] == "long_term_care"


def test_a_blank_line_gets_an_error_answer_in_its_place(tmp_path: Path) -> None:
    batch = write_batch(tmp_path, '{"text": "你好"}\n\n   \r\n{"text": "长护险怎么申请"}\r\n')
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 4
    assert "line 2" in answers[1]["error"] and "line 3" in answers[2]["error"]
    assert answers[3]["service"] == "long_term_care"


@pytest.mark.parametrize("at", ["9999-12-31T23:00", "0001-01-01T00:00+14:00", "tomorrow"])
def test_an_at_out_of_range_is_a_clear_error_with_exit_2(at: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("ask", "图书馆开着吗", "--at", at)
    assert code == 2 and out == ""
    assert "doorstep ask: at must be" in capsys.readouterr().err


def test_an_at_out_of_range_in_a_batch_is_that_lines_error(tmp_path: Path) -> None:
    batch = write_batch(tmp_path, '{"text": "图书馆", "at": "9999-12-31T23:00"}\n{"text": "你好"}\n')
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and "at must be" in answers[0]["error"] and answers[1]["intent"] == "help"


@pytest.mark.parametrize("place", ["北京", "999,999", "nan,nan"])
def test_a_place_doorstep_cannot_find_is_refused_like_the_api_does(
    place: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("ask", "附近的图书馆", "--place", place)
    assert code == 2 and out == ""
    assert "place: cannot find" in capsys.readouterr().err


def test_a_known_place_is_used() -> None:
    code, out = run("ask", "附近的图书馆", "--place", "朱家角", "--json")
    assert code == 0 and json.loads(out)["results"][0]["town"] == "朱家角镇"


@pytest.mark.parametrize("argv", [["ask", ""], ["ask"], ["ask", "  "]])
def test_ask_without_a_question_is_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(*argv)
    assert code == 2 and out == ""
    assert "give the question" in capsys.readouterr().err


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


def test_the_terminal_chat_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No store is opened: even a DATABASE_URL that cannot work does not matter to the chat."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
    code, out = run("chat", stdin="今天天气怎么样\n/quit\n")
    assert code == 0 and "12345" in out
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--lat", "nan", "--lon", "121"],
        ["--lat", "999", "--lon", "999"],
        ["--lat", "31.1"],
        ["--at", "garbage"],
        ["--limit", "0"],
    ],
)
def test_ask_refuses_bad_options_with_one_clear_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("ask", "附近的图书馆", *argv)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("doorstep ask: ") and len(err.strip().splitlines()) == 1


def test_a_batch_survives_absurd_lines(tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"text":"x","limit":1e400}\n{"text":"附近","lat":NaN,"lon":1}\n{"text":"你好"}\n')
    code, out = run("ask", "--batch", str(batch))
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [("error" in a) for a in answers] == [True, True, False]


def test_a_bad_setting_or_store_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOORSTEP_LOCATION_TTL_MINUTES", "two hours")
    assert run("catalog", "stats")[0] == 2
    assert "DOORSTEP_LOCATION_TTL_MINUTES" in capsys.readouterr().err
    monkeypatch.delenv("DOORSTEP_LOCATION_TTL_MINUTES")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://someone:secret@127.0.0.1:1/none")
    assert run("catalog", "reload")[0] == 1
    err = capsys.readouterr().err
    assert "secret" not in err and "Traceback" not in err and err.startswith("doorstep: cannot use the store")
