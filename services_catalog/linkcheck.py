"""Links that may reach a resident: only those on the catalogue's allowlist.

One pattern finds every link, for the validator and for every renderer alike: a URL with any
scheme, or a bare host name whose last label is letters (vip333.co, evil.ru, bit.ly/abc).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_STOP = r"[^\s<>\"'，。；：、）)\]}]"
LINK_PATTERN = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://(?P<host>[^\s/:?#<>\"'，。；）)\]}]+)" + _STOP + "*"
    r"|(?<![A-Za-z0-9@.-])(?P<bare>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![A-Za-z0-9-])"
    r"(?:[/?#]" + _STOP + "*)?)"
)


# A bare "name.csv" is a file, not a web site.
_FILE_EXTENSIONS = frozenset(
    {
        "csv",
        "json",
        "txt",
        "yaml",
        "yml",
        "xls",
        "xlsx",
        "pdf",
        "doc",
        "docx",
        "zip",
        "gz",
        "tar",
        "rar",
        "py",
        "md",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "html",
        "htm",
        "js",
        "css",
        "tsv",
        "xml",
    }
)


def _host(match: re.Match[str]) -> str:
    return (match.group("host") or match.group("bare") or "").lower().strip(".")


def _links(text: str) -> list[re.Match[str]]:
    return [m for m in LINK_PATTERN.finditer(text) if _is_link(m)]


def _is_link(match: re.Match[str]) -> bool:
    bare = match.group("bare")
    return not (bare and bare.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS)


def domains_in(text: str) -> list[str]:
    """Every web domain mentioned in `text` (with or without a scheme), lower-cased, in order."""
    return list(dict.fromkeys(_host(m) for m in _links(text)))


def find_links(text: str) -> list[str]:
    """Every link-like stretch of `text`, as written."""
    return [m.group(0) for m in _links(text)]


def domain_allowed(domain: str, allowlist: Iterable[str]) -> bool:
    """Whether `domain` is a listed domain or a subdomain of one (gov.cn allows www.shqp.gov.cn)."""
    domain = domain.lower().strip(".")
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowlist)


def host_of(url: str) -> str:
    """The lower-case host name of a URL or bare domain ("" when it has none)."""
    links = _links(url)
    return _host(links[0]) if links else ""


def allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url`'s host is a listed domain or a subdomain of one."""
    return domain_allowed(host_of(url), domains)


def strip_disallowed_links(text: str, domains: Iterable[str]) -> str:
    """`text` with every link whose domain is not allowed removed."""
    allow = list(domains)
    return LINK_PATTERN.sub(
        lambda m: m.group(0) if not _is_link(m) or domain_allowed(_host(m), allow) else "", text
    )
