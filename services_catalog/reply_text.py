"""Replies as plain text: the terminal chat, `ask --json`'s reply, WeChat, and an operator's SMS.

`plain_text` writes every line of a `Reply` for a channel without buttons. `fit_text` does the
same within a size limit (WeChat's), cutting only between facilities or between lines, and says
how many facilities made it so the conversation can page on from there. `short_text` is the one
thing an operator reads out or sends by SMS: one facility's name, its hours that day and a phone
to call, in about 70 Chinese characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from locales import Locales, default_locales
from services_catalog.answer import Answer
from services_catalog.catalog import Catalog
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.reply import Audience, Block, Line, Reply, Words, hours_line, moment_label

INDENT = "   "
SMS_CHARS = 70  # one SMS segment of Chinese text
SMS_CHARS_EN = 160


def line_text(line: Line, *, in_facility: bool) -> str:
    """One line as plain text: items get a bullet, a facility's details are indented under its name."""
    if line.style == "item":
        return "• " + line.text
    if in_facility and line.style != "title":
        return INDENT + line.text
    return line.text


def block_text(b: Block) -> str:
    """One block as plain text lines."""
    return "\n".join(line_text(x, in_facility=b.facility is not None) for x in b.lines)


def plain_text(reply: Reply, *, gap: str = "\n", audience: Audience = "text") -> str:
    """The whole reply as plain text for a channel without buttons (or with, `audience="buttons"`)."""
    return gap.join(block_text(b) for b in reply.visible(audience) if b.lines)


@dataclass(frozen=True)
class Fitted:
    """A reply cut to a size: its text, and how many of its facilities it shows."""

    text: str
    facilities_shown: int
    facilities_cut: int


def fit_text(
    reply: Reply,
    limit: int,
    *,
    measure: Callable[[str], int] = len,
    gap: str = "\n\n",
    more_note: Callable[[int], str],
    cut_note: str,
) -> Fitted:
    """The reply as plain text of at most `limit` (as `measure` counts), cut at a facility boundary.

    Whole blocks are kept in order while they fit. When a facility does not, it and the facilities
    after it are left out and `more_note(count)` says how to see them; when another block does not,
    its lines are kept while they fit and `cut_note` ends the text. The emergency numbers are first
    in their reply and always kept.
    """
    blocks = [b for b in reply.visible("text") if b.lines]
    facilities = [b for b in blocks if b.facility is not None]
    full = gap.join(block_text(b) for b in blocks)
    if measure(full) <= limit:
        return Fitted(full, len(facilities), 0)
    kept: list[str] = []
    shown = 0

    def size(parts: list[str]) -> int:
        return measure(gap.join(parts))

    for i, b in enumerate(blocks):
        text = block_text(b)
        remaining_facilities = sum(1 for x in blocks[i:] if x.facility is not None)
        note = more_note(remaining_facilities) if b.facility is not None else cut_note
        if size([*kept, text]) + measure(gap + note) <= limit or (i == 0 and reply.emergency):
            kept.append(text)
            shown += b.facility is not None
            continue
        if b.facility is not None and shown > 0:
            return Fitted(gap.join([*kept, note]), shown, remaining_facilities)
        # A block that does not fit whole (a long guide, or the very first facility): its lines.
        lines: list[str] = []
        for line in b.lines:
            candidate = line_text(line, in_facility=b.facility is not None)
            if size([*kept, "\n".join([*lines, candidate])]) + measure(gap + cut_note) > limit:
                break
            lines.append(candidate)
        if lines:
            kept.append("\n".join(lines))
        return Fitted(gap.join([*kept, cut_note]), shown, len(facilities) - shown)
    return Fitted(gap.join(kept), shown, 0)


def utf8_bytes(text: str) -> int:
    """How many bytes `text` takes in UTF-8 (WeChat counts its limit so)."""
    return len(text.encode("utf-8"))


def short_text(answer: Answer, catalog: Catalog, loc: Locales | None = None) -> str:
    """What an operator reads out or sends by SMS: one facility, its hours that day, a phone.

    About 70 Chinese characters (one SMS). It never says "say 更多": an SMS cannot page. Service,
    plan and emergency answers give their one essential line.
    """
    loc = loc or default_locales()
    words = Words(answer.lang, catalog, loc)
    limit = SMS_CHARS_EN if words.en else SMS_CHARS
    domains = catalog.allowlist.domains
    if answer.intent == "emergency" or (answer.emergency and not answer.results):
        numbers = words.sep().join(f"{h.number} {words.hotline_name(h)}" for h in answer.emergency)
        text = words.t("short.emergency", numbers=numbers or "120 / 110 / 119")
        return _cut(strip_disallowed_links(text, domains), limit)
    hotline = answer.hotline or catalog.hotlines.get("12345")
    number = hotline.number if hotline else "12345"
    if answer.complaint:
        return _cut(words.t("short.complaint"), limit)
    if answer.results:
        r = answer.results[0]
        f = r.facility
        name = f.name_en if words.en and f.name_en else f.name
        hours = hours_line(r, words, moment_label(answer, words))
        phone = (
            words.t("short.phone", phone=f.phone) if f.phone else words.t("short.no_phone", hotline=number)
        )
        mark = words.t("short.unverified") if f.verified is None else ""
        parts = [words.t("short.place", name=name), hours, phone]
        text = words.t("short.join").join(parts) + mark
        if len(text) > limit:  # the next opening is the first to go, then the note
            hours = hours.split(words.t("find.next_open_sep"))[0]
            text = words.t("short.join").join([parts[0], hours, phone]) + mark
        if len(text) > limit:
            text = words.t("short.join").join([parts[0], hours, phone])
        return _cut(strip_disallowed_links(text, domains), limit)
    if answer.service_info is not None:
        s = answer.service_info
        name = s.name_en if words.en else s.name
        where = words.sep().join(words.kind(k) for k in s.where[:2])
        key = "short.service_where" if where else "short.service"
        return _cut(
            strip_disallowed_links(words.t(key, name=name, where=where, hotline=number), domains), limit
        )
    if answer.indicator_info is not None:
        ind = answer.indicator_info
        name = ind.name_en if words.en else ind.name
        text = words.t("short.indicator", name=name, baseline=ind.baseline, target=ind.target, unit=ind.unit)
        return _cut(strip_disallowed_links(text, domains), limit)
    if answer.intent == "find_facility":
        return _cut(words.t("short.none", hotline=number), limit)
    return _cut(words.t("short.other", hotline=number), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
