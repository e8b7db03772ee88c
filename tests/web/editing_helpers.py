"""Helpers for tests that edit a copy of the catalogue: which lines of a file a change touched."""

from __future__ import annotations

import difflib
import html
import re
from typing import Any

from fastapi.testclient import TestClient


def record_span(text: str, facility_id: str) -> range:
    """The 0-based line numbers of the record `facility_id` (its "- id:" line to the next record's)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^\s*- id: ", line)]
    for n, start in enumerate(starts):
        if re.match(rf'^\s*- id: "?{re.escape(facility_id)}"?\s*$', lines[start]):
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            return range(start, end)
    raise AssertionError(f"{facility_id} is not in the file")


def changed_lines(before: str, after: str) -> set[int]:
    """The 0-based lines of `before` that `after` replaced or deleted, and where it inserted lines."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for op, a1, a2, _b1, _b2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            changed.update(range(a1, a2))
        elif op == "insert":
            changed.add(a1 - 1)  # inserted after line a1 - 1
    return changed


def comment_lines(text: str) -> list[str]:
    """Every comment line of a YAML text, in order."""
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def form_of(client: TestClient, facility_id: str) -> dict[str, Any]:
    """The record page's form, as a browser would post it unchanged."""
    page = client.get(f"/staff/facilities/{facility_id}").text
    form = re.search(r'<form method="post" action="/staff/facilities/[^"]+".*?</form>', page, re.S)
    assert form, "the record page has no edit form"
    body = form.group(0)
    values: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if " checked" in tag:
                values.setdefault(name.group(1), []).append(html.unescape(value.group(1) if value else "on"))
            continue
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        values[name] = html.unescape(text)
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    for name in ("verify", "hours_confirmed"):
        if name in values:
            values[name] = values[name][0]
    return values
