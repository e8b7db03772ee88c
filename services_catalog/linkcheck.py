"""Links that may reach a resident: only those on the catalogue's allowlist."""

from __future__ import annotations

import re
from collections.abc import Iterable

# http(s) URLs, www.-prefixed hosts, and bare host names with a common top-level domain.
URL_PATTERN = re.compile(
    r"(?i)\b(?:https?://[^\s<>\"'，。）)]+|www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>\"'，。）)]*"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|co|cc|io|top|vip|xyz|info|me|tv)\b[^\s<>\"'，。）)]*)"
)


def host_of(url: str) -> str:
    """The lower-case host name of a URL or bare domain."""
    rest = re.sub(r"(?i)^https?://", "", url)
    host = re.split(r"[/:?#]", rest, maxsplit=1)[0]
    return host.lower().rstrip(".")


def allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url`'s host is a listed domain or a subdomain of one."""
    host = host_of(url)
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def find_links(text: str) -> list[str]:
    """Every URL-like stretch of `text`."""
    return URL_PATTERN.findall(text)


def strip_disallowed_links(text: str, domains: Iterable[str]) -> str:
    """`text` with every link whose domain is not allowed removed."""
    allow = list(domains)
    return URL_PATTERN.sub(lambda m: m.group(0) if allowed(m.group(0), allow) else "", text)
