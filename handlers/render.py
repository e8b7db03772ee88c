"""The reply model as Telegram sees it: HTML and keyboards.

Pure: a `Reply` in, a `TelegramMessage` out; no network, no store. Every string goes through
`html.escape`; the only tags produced are <b>, <i> and <a href> (for allowlisted websites).
Every message fits Telegram's 4096 characters, cut between blocks. Every message leaves through
`Renderer.final` (called by `handlers.replies`), which takes out any link whose domain is not on
the catalogue's allowlist, from the text and the buttons alike, whatever string it came in with.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import MessageLimit

from locales import Locales
from services_catalog.catalog import Catalog
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.reply import Block, Line, Reply

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
_TAG = re.compile(r"<[^>]*>")
# What marks each kind of line in a chat, where a web page would use layout.
_ICONS = {"distance": "📏 ", "address": "🏠 ", "hours": "🕘 ", "phone": "☎️ ", "website": "🔗 "}

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True)
class TelegramMessage:
    """One message to send: Telegram HTML and an optional keyboard."""

    text: str
    markup: Markup | None = None


def esc(text: str) -> str:
    """Escape a catalogue or user string for Telegram HTML."""
    return html.escape(text, quote=True)


def escape_within(text: str, budget: int) -> str:
    """Escape `text`, cutting it (never inside an entity) so the result has at most `budget` chars."""
    out: list[str] = []
    used = 0
    for char in text:
        piece = esc(char)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def fit(blocks: Sequence[str], t_truncated: str, limit: int = MAX_TEXT) -> str:
    """Join HTML blocks with blank lines, dropping the tail (with a note) to stay within `limit`."""
    text = "\n\n".join(b for b in blocks if b)
    if len(text) <= limit:
        return text
    note = esc(t_truncated)
    budget = limit - len(note) - 2
    kept: list[str] = []
    used = 0
    for part in blocks:
        if not part:
            continue
        extra = len(part) + (2 if kept else 0)
        if used + extra > budget:
            if not kept:  # one block alone is too long: keep its beginning as plain text
                kept.append(escape_within(html.unescape(_TAG.sub("", part)), budget))
            break
        kept.append(part)
        used += extra
    return "\n\n".join([*kept, note])


def line_html(line: Line) -> str:
    """One line of a reply as Telegram HTML."""
    text = esc(line.text)
    match line.style:
        case "title":
            return f"<b>{text}</b>"
        case "urgent":
            return f"🚨 <b>{text}</b>"
        case "item":
            return f"• {text}"
        case "note":
            return f"<i>{text}</i>"
        case "website" if line.href:
            return f'{_ICONS["website"]}<a href="{esc(line.href)}">{text}</a>'
        case style if style in _ICONS:
            return _ICONS[style] + text
    return text


def block_html(block: Block) -> str:
    """One block: its lines, one under the other."""
    return "\n".join(line_html(line) for line in block.lines)


def _without_links(text: str, domains: Sequence[str]) -> str:
    """A button label or venue field without foreign links; never empty (Telegram refuses that)."""
    kept = strip_disallowed_links(text, domains)
    return kept if kept == text or kept.strip() else "…"


def _relabelled(
    rows: Sequence[Sequence[InlineKeyboardButton | KeyboardButton]], domains: Sequence[str]
) -> list[list[dict[str, object]]] | None:
    """The buttons as Bot API dicts with foreign links out of their labels; None when none had one."""
    changed = False
    out: list[list[dict[str, object]]] = []
    for row in rows:
        out.append([])
        for button in row:
            label = _without_links(button.text, domains)
            changed = changed or label != button.text
            out[-1].append({**button.to_dict(), "text": label})
    return out if changed else None


def _markup_without_links(markup: Markup | None, domains: Sequence[str]) -> Markup | None:
    if isinstance(markup, InlineKeyboardMarkup):
        rows = _relabelled(markup.inline_keyboard, domains)
        if rows is not None:
            return InlineKeyboardMarkup([[InlineKeyboardButton.de_json(b) for b in row] for row in rows])
    elif isinstance(markup, ReplyKeyboardMarkup):
        rows = _relabelled(markup.keyboard, domains)
        if rows is not None:
            return ReplyKeyboardMarkup(
                [[KeyboardButton.de_json(b) for b in row] for row in rows],
                resize_keyboard=markup.resize_keyboard,
                one_time_keyboard=markup.one_time_keyboard,
                selective=markup.selective,
                input_field_placeholder=markup.input_field_placeholder,
                is_persistent=markup.is_persistent,
            )
    return markup


class Renderer:
    """Turns replies into Telegram messages, with Telegram's own few sentences."""

    def __init__(self, locales: Locales) -> None:
        self.locales = locales

    def t(self, lang: str, key: str, /, **values: object) -> str:
        """A Telegram sentence (`bot.<key>`), as plain text."""
        return self.locales.t(lang, f"bot.{key}", **values)

    @staticmethod
    def final(message: TelegramMessage, catalog: Catalog) -> TelegramMessage:
        """`message` as it may be sent: no link outside the catalogue's allowlist in its text or buttons.

        Defence in depth: a link in a facility name, a service text or a user's own words (quoted
        back, or as the name in a greeting) never reaches a chat, whatever let it in.
        """
        domains = tuple(catalog.allowlist.domains)
        text = strip_disallowed_links(message.text, domains)
        markup = _markup_without_links(message.markup, domains)
        if text == message.text and markup is message.markup:
            return message
        return TelegramMessage(text if text.strip() else "…", markup)

    def message(self, reply: Reply) -> TelegramMessage:
        """The Telegram message for `reply`: HTML within 4096 characters, and its keyboard."""
        blocks = [block_html(b) for b in reply.visible("buttons") if b.lines]
        text = fit(blocks, self.t(reply.lang, "truncated")) or "…"
        return TelegramMessage(text, self.keyboard(reply))

    def keyboard(self, reply: Reply) -> Markup | None:
        """Where the answer needs a place: the location button and the towns; the menu with
        greetings; otherwise the reply's buttons under the message. Emergencies get none."""
        lang = reply.lang
        if reply.emergency:
            return None
        location = KeyboardButton(self.t(lang, "keyboard.location"), request_location=True)
        if reply.asks_location:
            towns = [b.label for b in reply.towns]
            rows: list[list[KeyboardButton | str]] = [[location]]
            rows += [list(towns[i : i + 3]) for i in range(0, len(towns), 3)]
            return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        if reply.menu:
            quick = [b.label for b in reply.menu]
            return ReplyKeyboardMarkup(
                [[location], quick[:3], quick[3:]],
                resize_keyboard=True,
                is_persistent=True,
                input_field_placeholder=self.t(lang, "keyboard.placeholder")[:64],
            )
        if reply.buttons:
            return InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
            )
        return None
