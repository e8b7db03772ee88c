"""`doorstep chat`: a resident's conversation, typed in a terminal, over the same core.

It remembers what the person said earlier in the session (their town or location, the last
kind of place asked for and the place given first), so "那里几点开门" works after an answer.
Nothing is written anywhere; the memory ends with the session.
"""

from __future__ import annotations

import dataclasses
from typing import TextIO

from locales import default_locales, normalise_lang
from services_catalog.answer import Answer, Known, Lang, Question
from services_catalog.live import LiveFinder

_MORE = {"更多", "还有吗", "还有呢", "more", "next"}


class Console:
    """A terminal conversation over a `LiveFinder`."""

    def __init__(self, live: LiveFinder, *, stdin: TextIO, stdout: TextIO, lang: Lang = "zh") -> None:
        self.live = live
        self.stdin = stdin
        self.stdout = stdout
        self.lang: Lang = lang
        self.known = Known()
        self._last: tuple[Question, Answer] | None = None
        self.loc = default_locales()

    def say(self, text: str) -> None:
        """Print one reply."""
        self.stdout.write(text.rstrip() + "\n\n")
        self.stdout.flush()

    def run(self) -> int:
        """Talk until /quit or end of input."""
        self.say(self.loc.t(self.lang, "chat.welcome"))
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                return 0
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if self.command(line) is False:
                    return 0
                continue
            self.say(self.handle(line))

    def command(self, line: str) -> bool:
        """Run a /command; False means quit."""
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        match name.lower():
            case "/quit" | "/exit" | "/q":
                self.say(self.loc.t(self.lang, "chat.bye"))
                return False
            case "/help":
                self.say(self.loc.t(self.lang, "chat.help"))
            case "/lang":
                self.lang = "en" if normalise_lang(arg or "zh") == "en" else "zh"
                self.say(self.loc.t(self.lang, "chat.lang_set"))
            case "/where":
                self.say(self.set_where(arg))
            case _:
                self.say(self.loc.t(self.lang, "chat.unknown_command"))
        return True

    def set_where(self, text: str) -> str:
        """Remember a town, place or "lat,lon" for the next questions."""
        where = self.live.finder.resolve_place(text) if text else None
        if where is None:
            return self.loc.t(self.lang, "chat.where_unknown")
        if where.source == "coordinates":
            self.known = dataclasses.replace(self.known, lat=where.lat, lon=where.lon, town=None)
        else:
            self.known = dataclasses.replace(self.known, town=where.town, lat=None, lon=None)
            if where.source == "landmark":
                self.known = dataclasses.replace(self.known, lat=where.lat, lon=where.lon)
        return self.loc.t(self.lang, "chat.where_set", place=where.label or text)

    def handle(self, text: str) -> str:
        """Answer one message, remembering what it tells us."""
        if text.lower() in _MORE and self._last is not None:
            previous_q, previous_a = self._last
            if previous_a.results and previous_a.total_results > previous_a.offset + len(previous_a.results):
                q = dataclasses.replace(previous_q, offset=previous_a.offset + len(previous_a.results))
                answer = self.live.answer(q)
                self._last = (q, answer)
                return answer.reply
            return self.loc.t(self.lang, "chat.no_more")
        question = Question(text=text, lang=self.lang, known=self.known)
        answer = self.live.answer(question)
        self.remember(answer)
        self._last = (question, answer)
        return answer.reply

    def remember(self, answer: Answer) -> None:
        """Keep the town, kind and first place of an answer for follow-up questions."""
        if answer.town and answer.where.source != "coordinates":
            self.known = dataclasses.replace(self.known, town=answer.town)
        if answer.kind:
            self.known = dataclasses.replace(self.known, last_kind=answer.kind)
        if answer.service:
            self.known = dataclasses.replace(self.known, last_service=answer.service)
        if answer.results:
            self.known = dataclasses.replace(self.known, last_facility_id=answer.results[0].facility.id)
