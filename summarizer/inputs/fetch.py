"""Fetch one web page or feed over HTTP(S), bounded in time, size and redirects.

Every failure is an `InputError` with one line that starts with the URL and says what
happened in plain words; nothing here retries (a page that failed is reported, and the
rest of the briefing still runs).
"""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Literal
from urllib.parse import quote

import httpx2

from summarizer.config import DISTRIBUTION
from summarizer.errors import InputError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
GENERIC_XML_TYPES = frozenset({"application/xml", "text/xml"})
ACCEPTED_TYPES = HTML_TYPES | FEED_TYPES | GENERIC_XML_TYPES | {"text/plain"}
_ACCEPT_HEADER = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
)
# The start of a body is enough to tell HTML or a feed from anything else.
_SNIFF_BYTES = 2048
# What may precede the root element: XML declaration, processing instructions, comments,
# a doctype.
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)", re.IGNORECASE | re.DOTALL)
_ROOT_ELEMENT = re.compile(rb"\s*<([A-Za-z][\w.-]*(?::[\w.-]+)?)")
_HTML_ROOTS = frozenset({b"html", b"head", b"body"})
# Schemes written without "//" that someone might paste; anything else without "://" is
# taken for an address missing its scheme ("example.com/news").
_OPAQUE_SCHEME = re.compile(r"^(mailto|file|data|javascript|tel|news|urn|about):", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchLimits:
    """How long, how much and how far one fetch may go.

    Attributes:
        timeout: Seconds for the whole fetch, redirects and body included.
        max_bytes: Largest body read; a larger page is an error, not a truncated page.
        max_redirects: Most redirects followed before giving up.
    """

    timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError(f"invalid fetch limits: {self}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A fetched page or feed.

    Attributes:
        url: The URL as requested.
        final_url: Where the body came from, after redirects; relative links resolve here.
        content_type: Media type as the server declared it, lower case and without
            parameters; empty when the server sent none.
        charset: The charset the server declared, if any.
        body: The body, decompressed.
    """

    url: str
    final_url: str
    content_type: str
    charset: str | None
    body: bytes


@cache
def user_agent() -> str:
    """The User-Agent sent with every request: `summarizer/<version>`, plus the project URL.

    The URL comes from the package metadata (`[project.urls]`), when it has one.
    """
    try:
        version = metadata.version(DISTRIBUTION)
        urls = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        version, urls = "unknown", []
    home = urls[0].split(",", 1)[-1].strip() if urls else None
    return f"summarizer/{version} (+{home})" if home else f"summarizer/{version}"


def http_client(limits: FetchLimits) -> httpx2.AsyncClient:
    """A client for `fetch`: follows up to `limits.max_redirects` redirects, with timeouts.

    The caller owns it (`async with http_client(limits) as client: ...`), so that many
    fetches share connections.
    """
    return httpx2.AsyncClient(
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        timeout=httpx2.Timeout(limits.timeout),
        headers={"User-Agent": user_agent(), "Accept": _ACCEPT_HEADER},
    )


async def fetch(client: httpx2.AsyncClient, url: str, limits: FetchLimits) -> Page:
    """Fetch an HTML page, a feed or a plain-text page.

    Args:
        client: From `http_client(limits)`.
        url: An absolute http or https URL.
        limits: The same limits the client was made with; the timeout covers the whole
            fetch and the size cap the decompressed body.

    Raises:
        InputError: one line naming the URL: a malformed URL or one that is not http(s)
            (before any I/O), no such host, connection refused, timed out, an HTTP error
            status, too many redirects, larger than the size cap, or not an HTML page,
            feed or text.
    """
    url = url.strip()
    shown = _shown(url)
    _check_url(url, shown)
    try:
        async with asyncio.timeout(limits.timeout):
            return await _get(client, url, shown, limits)
    except (TimeoutError, httpx2.TimeoutException):
        raise InputError(
            f"{shown}: timed out after {limits.timeout:g} s",
            hint="the site is slow or unreachable; try again later",
        ) from None
    except httpx2.TooManyRedirects:
        raise InputError(
            f"{shown}: too many redirects (more than {client.max_redirects})",
            hint="the site may be redirecting in a loop; open it in a browser to check",
        ) from None
    except httpx2.UnsupportedProtocol as error:
        target = _failed_url(error)
        raise InputError(
            f"{shown}: redirected to {_shown(str(target or '?'))}, which is not http or https"
        ) from None
    except httpx2.ConnectError as error:
        host = (_failed_url(error) or httpx2.URL(url)).host
        raise InputError(f"{shown}: {_connect_failure(error, host)}") from None
    except httpx2.DecodingError:
        raise InputError(f"{shown}: the response could not be decompressed") from None
    except httpx2.RequestError as error:
        raise InputError(f"{shown}: the connection failed ({_describe(error)})") from None


def is_feed(page: Page) -> bool:
    """Whether a fetched page is an RSS or Atom feed rather than a web page.

    Decided by the declared content type, and for generic XML, plain text or no type at
    all, by the body's root element (`<rss>`, `<feed>` or `<rdf:RDF>`).
    """
    if page.content_type in FEED_TYPES:
        return True
    if page.content_type in HTML_TYPES:
        return False
    return _sniff(page.body) == "feed"


async def _get(client: httpx2.AsyncClient, url: str, shown: str, limits: FetchLimits) -> Page:
    async with client.stream("GET", url) as response:
        final_url = str(response.url)
        where = f" (redirected to {_shown(final_url)})" if response.history else ""
        if not response.is_success:
            raise InputError(
                f"{shown}: HTTP {response.status_code} {_reason(response)}{where}",
                hint=_status_hint(response.status_code),
            )
        content_type, charset = _parse_content_type(response.headers.get("content-type", ""))
        if content_type and content_type not in ACCEPTED_TYPES:
            raise InputError(
                f"{shown}: not an HTML page or a feed (content type {content_type}){where}",
                hint="save the text to a .txt file and pass the file instead",
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise _too_large(shown, limits, declared=int(declared))
        body = bytearray()
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) > limits.max_bytes:
                raise _too_large(shown, limits, declared=None)
    if not content_type and _sniff(bytes(body)) is None:
        raise InputError(
            f"{shown}: not an HTML page or a feed (no content type, and it does not look "
            f"like HTML or XML){where}"
        )
    return Page(
        url=url, final_url=final_url, content_type=content_type, charset=charset, body=bytes(body)
    )


def _check_url(url: str, shown: str) -> None:
    scheme_match = _SCHEME.match(url) or _OPAQUE_SCHEME.match(url)
    if scheme_match is None:
        raise InputError(
            f"{shown}: malformed URL (no http:// or https:// in front)",
            hint=f"write it in full, e.g. https://{shown.lstrip('/')}",
        )
    scheme = scheme_match.group(1).lower()
    if scheme not in {"http", "https"}:
        raise InputError(
            f"{shown}: unsupported scheme {scheme!r} (only http and https URLs can be fetched)"
        )
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL as error:
        raise InputError(f"{shown}: malformed URL ({error})") from None
    if not parsed.host:
        raise InputError(f"{shown}: malformed URL (no host name)")


def _parse_content_type(header: str) -> tuple[str, str | None]:
    media_type, *parameters = header.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset


def _sniff(body: bytes) -> Literal["html", "feed", "xml"] | None:
    head = body[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    html_doctype = False
    position = 0
    while prolog := _PROLOG.match(head, position):
        html_doctype = html_doctype or prolog.group().lstrip().lower().startswith(b"<!doctype html")
        position = prolog.end()
    root = _ROOT_ELEMENT.match(head, position)
    if html_doctype:
        return "html"
    if root is None:
        return None
    name = root.group(1).lower()
    if name == b"rdf:rdf" or name.rsplit(b":", 1)[-1] in {b"rss", b"feed"}:
        return "feed"
    return "html" if name in _HTML_ROOTS else "xml"


def _too_large(shown: str, limits: FetchLimits, *, declared: int | None) -> InputError:
    size = f"{_size(declared)}, " if declared is not None else ""
    return InputError(
        f"{shown}: larger than the {_size(limits.max_bytes)} limit ({size}stopped reading)",
        hint="save the article text to a .txt file and pass the file instead",
    )


def _size(count: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


def _reason(response: httpx2.Response) -> str:
    return response.reason_phrase or httpx2.codes.get_reason_phrase(response.status_code)


def _status_hint(status: int) -> str | None:
    if status in {401, 403}:
        return "the site refuses the request (a login or paywall?); save the page and pass the file"
    if status == 404:
        return "check the address"
    if status == 429 or status >= 500:
        return "the site is busy or failing; try again later"
    return None


def _connect_failure(error: httpx2.ConnectError, host: str) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            if cause.errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)}:
                return f"no such host ({host})"
            return f"could not look up the host name ({cause.strerror})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"the site's certificate is not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"the secure connection failed ({cause.reason or cause})"
        if isinstance(cause, OSError) and cause.errno in {errno.ENETUNREACH, errno.EHOSTUNREACH}:
            return "the host cannot be reached"
        cause = cause.__cause__ or cause.__context__
    return f"could not connect ({_describe(error)})"


def _describe(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _failed_url(error: httpx2.RequestError) -> httpx2.URL | None:
    try:
        return error.request.url
    except RuntimeError:  # httpx2 raises it when no request is attached
        return None


def _shown(url: str) -> str:
    # A URL is echoed in one-line messages: no control characters or line breaks.
    return "".join(
        char if char.isprintable() and not char.isspace() else quote(char) for char in url
    )
