"""`doorstep chat`: a resident's conversation, typed in a terminal, over the same conversation core.

It goes through `Conversation` like every other channel, so it remembers what the person said
earlier in the session (their town or location, the last answer's places) and follow-ups such as
"那里几点开门", "第二个呢" or "更多" work. Nothing is written anywhere: the memory lives in this
process (`ProcessMemory`) and ends with the session.
"""

from __future__ import annotations

from typing import TextIO

from locales import default_locales
from services_catalog.answer import Lang
from services_catalog.conversation import (
    Conversation,
    Core,
    Event,
    HelpAsked,
    HotlinesAsked,
    LanguageAsked,
    PlaceGiven,
    Said,
)
from services_catalog.memory import ProcessMemory
from services_catalog.reply_text import plain_text

CHANNEL = "terminal"
USER = "local"


class Console:
    """A terminal conversation over a `LiveFinder`."""

    def __init__(self, live: Core, *, stdin: TextIO, stdout: TextIO, lang: Lang = "zh") -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.loc = default_locales()
        self.conversation = Conversation(live, ProcessMemory(), locales=self.loc)
        self.lang: Lang = lang

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
                self.say(self.converse(HelpAsked()))
            case "/lang":
                self.say(self.converse(LanguageAsked(arg or None)))
            case "/where":
                self.say(self.converse(PlaceGiven(arg)))
            case "/hotline":
                self.say(self.converse(HotlinesAsked()))
            case _:
                self.say(self.loc.t(self.lang, "chat.unknown_command"))
        return True

    def handle(self, text: str) -> str:
        """Answer one typed message."""
        return self.converse(Said(text))

    def converse(self, event: Event) -> str:
        """The conversation's replies to `event`, as text."""
        turn = self.conversation.handle(CHANNEL, USER, event, lang_hint=self.lang)
        self.lang = turn.lang
        texts = []
        for reply in turn.replies:
            text = plain_text(reply)
            if reply.asks_location:
                text += "\n" + self.loc.t(reply.lang, "chat.where_hint")
            texts.append(text)
        return "\n\n".join(texts)
