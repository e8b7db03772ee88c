"""Links that may reach a resident: only those on the catalogue's allowlist."""

from __future__ import annotations

import re
from collections.abc import Iterable

# http(s) URLs, www.-prefixed hosts, and bare host names with a common top-level domain.
URL_PATTERN = re.compile(
    r"(?i)\b(?:https?://[^\s<>\"'，。）)]+|www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>\"'，。）)]*"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|co|cc|io|top|vip|xyz|info|me|tv)\b[^\s<>\"'，。）)]*)"
)


_TLDS = "cn|com|net|org|gov|edu|co|cc|info|top|xyz|vip|io|me|app|site|online|club|shop|tv|biz|ltd|asia|hk"
_SCHEME_URL = re.compile(r"https?://([^/\s:?#'\"<>{}，。；）)]+)", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9@.-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:" + _TLDS + r"))"
    r"(?![A-Za-z0-9-])",
    re.IGNORECASE,
)


def domains_in(text: str) -> list[str]:
    """Every web domain mentioned in `text` (with or without http://), lower-cased, in order."""
    found = [m.group(1) for m in _SCHEME_URL.finditer(text)]
    found += [m.group(1) for m in _BARE_DOMAIN.finditer(text)]
    return list(dict.fromkeys(d.lower().strip(".") for d in found))


def domain_allowed(domain: str, allowlist: Iterable[str]) -> bool:
    """Whether `domain` is a listed domain or a subdomain of one (gov.cn allows www.shqp.gov.cn)."""
    domain = domain.lower().strip(".")
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowlist)


def host_of(url: str) -> str:
    """The lower-case host name of a URL or bare domain."""
    rest = re.sub(r"(?i)^https?://", "", url)
    host = re.split(r"[/:?#]", rest, maxsplit=1)[0]
    return host.lower().rstrip(".")


def allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url`'s host is a listed domain or a subdomain of one."""
    return domain_allowed(host_of(url), domains)


def find_links(text: str) -> list[str]:
    """Every URL-like stretch of `text`."""
    return URL_PATTERN.findall(text)


def strip_disallowed_links(text: str, domains: Iterable[str]) -> str:
    """`text` with every link whose domain is not allowed removed."""
    allow = list(domains)
    return URL_PATTERN.sub(lambda m: m.group(0) if allowed(m.group(0), allow) else "", text)
