"""Links that may reach a resident: only those on the catalogue's allowlist.

Two steps, for the validator and for every renderer alike:
1. find every link-like stretch of text: a URL with any scheme, or a bare host name whose last
   label is letters (vip333.co, evil.ru, bit.ly/abc);
2. read it the way a browser does (the WHATWG URL Standard, with the `ada-url` parser): a
   backslash is a slash, `user@` is not the host, `%2E` is a dot, 例子.中国 is xn--fsqu00a.xn--fiqs8s.
   Only the host a browser would open is compared with the allowlist. `https://vip333.co\\.gov.cn/`
   opens vip333.co, so it is not a gov.cn link.

`readable(text)` undoes what hides a link or a spam phrase from a plain pattern: full-width
letters (NFKC), Traditional characters (OpenCC), zero-width and bidi characters, and dots written
as `[.]`, `(dot)` or `。` between letters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import opencc
from ada_url import URL

_STOP = r"[^\s<>\"'，。；：、）)\]}]"
LINK_PATTERN = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://(?P<host>[^\s/:?#<>\"'，。；）)\]}]+)" + _STOP + "*"
    r"|(?<![A-Za-z0-9@.-])(?P<bare>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![A-Za-z0-9-])"
    r"(?:[/?#]" + _STOP + "*)?)"
)

# A bare "name.csv" is a file, not a web site.
_FILE_EXTENSIONS = frozenset(
    [
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
    ]
)

# Characters a reader does not see: zero-width spaces and joiners, the word joiner, the byte
# order mark, the soft hyphen, and the bidi controls that reorder what is shown.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Dots written so that a pattern misses them: vip333[.]co, vip333(dot)co, vip333。co.
_DOT_SPELLINGS = re.compile(
    r"\s*[\[({]\s*(?:\.|dot|点)\s*[\])}]\s*|(?<=[A-Za-z0-9])\s*[。｡]\s*(?=[A-Za-z0-9])", re.IGNORECASE
)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def readable(text: str) -> str:
    """`text` as a reader takes it in: half-width, Simplified, nothing invisible, dots as dots."""
    return readable_many([text])[0]


def readable_many(texts: Sequence[str]) -> list[str]:
    """`readable` of each text, with one call to OpenCC for them all (a call costs more than the
    conversion itself, and a catalogue of 100,000 facilities has a few hundred thousand texts)."""
    out = [unicodedata.normalize("NFKC", text) for text in texts]
    wide = [i for i, text in enumerate(out) if not text.isascii()]
    if wide:
        # OpenCC keeps line ends as they are: the converted texts are found again by counting them.
        converted = _t2s().convert("\n".join(out[i] for i in wide)).split("\n")
        start = 0
        for i in wide:
            end = start + out[i].count("\n") + 1
            out[i] = _INVISIBLE.sub("", "\n".join(converted[start:end]))
            start = end
    return [_DOT_SPELLINGS.sub(".", text) for text in out]


@dataclass(frozen=True)
class Link:
    """One link found in text: as written, and the host a browser would open (None: no host)."""

    text: str
    host: str | None


def browser_host(url: str) -> str | None:
    """The host a browser opens for `url` (WHATWG rules; ASCII, lower case, no trailing dot)."""
    try:
        parsed = URL(url)
    except ValueError:
        return None
    host = parsed.hostname
    return host.lower().rstrip(".") or None if host else None


def canonical_url(url: str) -> str | None:
    """`url` as browsers serialise it, when it is an http(s) address with a host and no user name."""
    try:
        parsed = URL(url.strip())
    except ValueError:
        return None
    if parsed.protocol not in ("http:", "https:") or not parsed.hostname:
        return None
    if parsed.username or parsed.password:
        return None  # https://www.gov.cn@evil.example/ : a trick, never a real service's address
    return str(parsed.href)


def _is_link(match: re.Match[str]) -> bool:
    bare = match.group("bare")
    return not (bare and bare.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS)


def _link(match: re.Match[str]) -> Link:
    written = match.group(0)
    url = written if match.group("host") is not None else "http://" + written
    return Link(written, browser_host(url))


def links_in(text: str) -> list[Link]:
    """Every link-like stretch of `text`, with the host a browser would open for it."""
    return [_link(m) for m in LINK_PATTERN.finditer(text) if _is_link(m)]


def domains_in(text: str) -> list[str]:
    """Every web host mentioned in `text` (with or without a scheme), as browsers read it, in order."""
    return list(dict.fromkeys(link.host or link.text.lower() for link in links_in(text)))


def find_links(text: str) -> list[str]:
    """Every link-like stretch of `text`, as written."""
    return [link.text for link in links_in(text)]


def domain_allowed(domain: str | None, allowlist: Iterable[str]) -> bool:
    """Whether `domain` is a listed domain or a subdomain of one (gov.cn allows www.shqp.gov.cn)."""
    if not domain:
        return False
    domain = domain.lower().strip(".")
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowlist)


def host_of(url: str) -> str:
    """The host a browser would open for a URL or bare domain ("" when it has none)."""
    links = links_in(url)
    return (links[0].host or "") if links else ""


def allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url` may be a link: a bare domain on the allowlist, or an address with a scheme
    that is http(s), without a user name, whose host (as a browser reads it) is on the allowlist."""
    if "://" in url or ":" in url.split("/", 1)[0]:
        return url_allowed(url, domains)
    return domain_allowed(host_of(url), domains)


def url_allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url` may be sent as a link: http(s), no user name, its browser host on the allowlist."""
    canonical = canonical_url(url)
    return canonical is not None and domain_allowed(browser_host(canonical), domains)


def strip_disallowed_links(text: str, domains: Iterable[str]) -> str:
    """`text` without invisible characters and with every link whose host is not allowed removed."""
    allow = list(domains)
    text = _INVISIBLE.sub("", text)
    return LINK_PATTERN.sub(
        lambda m: m.group(0) if not _is_link(m) or domain_allowed(_link(m).host, allow) else "", text
    )
