"""The yardsticks `make bench` measures `doorstep web` against, served by the same uvicorn.

- `app`: a bare FastAPI endpoint at `/api/ask` (it reads `q` and answers a small JSON object):
  the least a FastAPI request costs on this machine.
- `answering_app`: the same endpoint returning the Finder's answer in the contract's shape, with
  no accounts, store, logs or middleware: what the answer itself adds.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.settings import BUNDLED_CATALOG
from services_catalog.answer import Question
from services_catalog.contract import AnswerJSON
from services_catalog.finder import Finder
from services_catalog.loader import load_catalog

app = FastAPI()


@app.get("/api/ask")
async def ask(q: str = "") -> dict[str, str]:
    """A bare endpoint."""
    return {"q": q[:0], "ok": "yes"}


def answering_app() -> FastAPI:
    """A bare endpoint that answers with the Finder (uvicorn factory)."""
    finder = Finder(load_catalog(BUNDLED_CATALOG))
    finder.answer(Question(text="朱家角 看病"))
    answering = FastAPI()

    @answering.get("/api/ask")
    async def answer(q: str, place: str | None = None) -> AnswerJSON:
        return AnswerJSON.of(finder.answer(Question(text=q, place=place)))

    return answering
