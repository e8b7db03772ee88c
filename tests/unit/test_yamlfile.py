"""Reading one catalogue file: the same values PyYAML's safe loader gives, dates kept as text, the
line of every key found on demand, and what the catalogue refuses stopped at its line."""

from __future__ import annotations

import pytest
import yaml

from services_catalog.yamlfile import YamlRefused, YamlSyntaxError, line_map, parse

SAMPLE = """# a comment
towns:
  - name: 朱家角镇
    code: "310118106"
    open: yes
    floors: 010
    lat: 31.107227
    verified: 2026-02-30
    nothing: ~
    words: [看病, "1+1+1", no]
  - {name: 金泽镇, lat: 31.04}
"""


def test_values_are_what_pyyamls_safe_loader_gives_except_dates() -> None:
    """YAML 1.1 as staff's files have always been read (yes is true, 010 is 8); a date stays text so
    that pydantic reports an impossible one (2026-02-30) as a field error with its line."""
    expected = yaml.safe_load(SAMPLE.replace("verified: 2026-02-30", "verified: '2026-02-30'"))
    assert parse(SAMPLE).data == expected


def test_every_key_and_item_has_its_line() -> None:
    lines = line_map(SAMPLE)
    assert lines[("towns",)] == 2
    assert lines[("towns", 0)] == 3
    assert lines[("towns", 0, "verified")] == 8
    assert lines[("towns", 0, "words", 2)] == 10
    assert lines[("towns", 1, "lat")] == 11


def test_a_duplicate_key_is_an_issue_and_the_first_value_is_kept() -> None:
    doc = parse("a:\n  b: 1\n  b: 2\n")
    assert doc.data == {"a": {"b": 1}}
    assert [(i.path, i.line) for i in doc.issues] == [(("a", "b"), 3)]


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: &x 1\nb: *x\n", 1), ("a: 1\nb: !!python/name:os.system x\n", 2), ("a: 1\n---\nb: 2\n", 2)],
)
def test_anchors_tags_and_second_documents_are_refused_at_their_line(text: str, line: int) -> None:
    with pytest.raises(YamlRefused) as refused:
        parse(text)
    assert refused.value.line == line


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(YamlSyntaxError):
        parse("a: " + "[" * 5000 + "]" * 5000)
