"""The bundled catalogue's Finder, built once for the understanding tests (its classifier is
trained once per set of examples and kept in the user's cache folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services_catalog.answer import Answer, Question
from services_catalog.finder import Finder, guess_lang
from services_catalog.loader import load_catalog

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"


@pytest.fixture(scope="session")
def finder() -> Finder:
    return Finder(load_catalog(BUNDLED))


def ask(finder: Finder, text: str, **kw: object) -> Answer:
    """The answer to `text`, in the language it is written in."""
    return finder.answer(Question(text=text, lang=guess_lang(text), **kw))  # type: ignore[arg-type]
