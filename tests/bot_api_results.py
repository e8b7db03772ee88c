"""What a Bot API server answers, shared by the offline request of the handler tests and the
fake server of the end-to-end tests: one place that knows the protocol's result shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any


def bot_user(bot_id: int, username: str) -> dict[str, Any]:
    """getMe's result: the bot itself."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": "家门口",
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def sent_message(method: str, params: dict[str, Any], *, message_id: int, bot_id: int) -> dict[str, Any]:
    """The Message a sendMessage or sendVenue call returns."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(dt.datetime.now(dt.UTC).timestamp()),
        "chat": {"id": params.get("chat_id", 0), "type": "private"},
        "from": {"id": bot_id, "is_bot": True, "first_name": "家门口"},
    }
    if method == "sendMessage":
        message["text"] = str(params.get("text", ""))
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
    else:
        message["venue"] = {
            "location": {"latitude": params.get("latitude"), "longitude": params.get("longitude")},
            "title": params.get("title"),
            "address": params.get("address"),
        }
    return message
