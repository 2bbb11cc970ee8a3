"""Fetching pages from the loopback test site: pages, redirects, and every way a fetch fails.

No mocks of httpx2: each test talks to tests/support/web_server.py over 127.0.0.1. Every failure
must be one line that starts with the URL.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from summarizer.errors import InputError
from summarizer.inputs.fetch import FetchLimits, Page, fetch, http_client, is_feed, user_agent
from tests.support.web_server import WebServer, web_server_fixture  # noqa: F401

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

LIMITS = FetchLimits(timeout=5, max_bytes=200_000, max_redirects=3)
# Far below the server's SLOW_SECONDS, so a timeout test takes half a second.
SHORT_TIMEOUT = FetchLimits(timeout=0.5, max_bytes=200_000, max_redirects=3)


def _fetch(url: str, limits: FetchLimits = LIMITS) -> Page:
    async def run() -> Page:
        async with http_client(limits) as client:
            return await fetch(client, url, limits)

    return asyncio.run(run())


def _failure(url: str, limits: FetchLimits = LIMITS) -> str:
    """The one-line message of the InputError the fetch raises."""
    with pytest.raises(InputError) as caught:
        _fetch(url, limits)
    message = caught.value.message
    assert "\n" not in message and "\n" not in caught.value.one_line()
    assert message.startswith(f"{url.strip()}: "), message
    return message.removeprefix(f"{url.strip()}: ")


def test_a_page_arrives_with_its_type_charset_and_text(web_server: WebServer) -> None:
    url = web_server.url("fetch-tests/page.html")
    page = _fetch(url)
    assert page.url == page.final_url == url
    assert (page.content_type, page.charset) == ("text/html", "utf-8")
    assert b"Lantern parade moves indoors" in page.body
    # {{BASE_URL}} was filled in by the server.
    assert f'href="{web_server.base_url}/fetch-tests/page.html"'.encode() in page.body
    assert not is_feed(page)


def test_plain_text_is_accepted(web_server: WebServer) -> None:
    page = _fetch(web_server.url("fetch-tests/notes.txt"))
    assert page.content_type == "text/plain"
    assert page.body.startswith(b"Orrin parish notes")


def test_a_redirect_is_followed_and_the_final_url_reported(web_server: WebServer) -> None:
    url = web_server.url("redirect?to=/fetch-tests/page.html")
    page = _fetch(url)
    assert page.url == url
    assert page.final_url == web_server.url("fetch-tests/page.html")
    assert b"Lantern parade" in page.body


def test_a_chain_of_redirects_within_the_cap_is_followed(web_server: WebServer) -> None:
    # Three hops with a cap of three.
    target = "/redirect?to=/redirect?to=/fetch-tests/notes.txt"
    page = _fetch(web_server.url(f"redirect?status=301&to={target}"))
    assert page.final_url == web_server.url("fetch-tests/notes.txt")


def test_the_request_says_who_is_asking(web_server: WebServer) -> None:
    echoed = _fetch(web_server.url("headers")).body.decode()
    assert f"User-Agent: {user_agent()}\n" in echoed
    assert re.fullmatch(r"summarizer/\S+( \(\+\S+\))?", user_agent())
    assert "Accept: text/html," in echoed


def test_feeds_are_recognised_by_type_and_by_their_first_bytes(web_server: WebServer) -> None:
    rss = _fetch(web_server.url("feeds/coastal-post.rss"))
    atom = _fetch(web_server.url("feeds/tidewater-times.atom"))
    generic = _fetch(web_server.url("fetch-tests/feed-as-xml.xml"))
    assert (rss.content_type, atom.content_type) == ("application/rss+xml", "application/atom+xml")
    assert generic.content_type == "application/xml"
    assert is_feed(rss) and is_feed(atom) and is_feed(generic)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'<?xml version="1.0"?>\n<!-- c -->\n<rss version="2.0"><channel/></rss>', True),
        (b'\xef\xbb\xbf<feed xmlns="http://www.w3.org/2005/Atom"></feed>', True),
        (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"></rdf:RDF>', True),
        (b'<?xml version="1.0"?><urlset></urlset>', False),
        (b"<!DOCTYPE html><html><body>feed</body></html>", False),
        (b"no markup at all", False),
    ],
)
def test_a_generic_or_missing_type_is_decided_by_the_root_element(
    body: bytes, expected: bool
) -> None:
    for content_type in ("application/xml", "text/xml", ""):
        page = Page(url="u", final_url="u", content_type=content_type, charset=None, body=body)
        assert is_feed(page) is expected


def test_a_page_without_a_content_type_is_read_when_it_looks_like_html(
    web_server: WebServer,
) -> None:
    page = _fetch(web_server.url("no-content-type"))
    assert page.content_type == ""
    assert b"<title>Untyped page</title>" in page.body


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("status/404", "HTTP 404 Not Found"),
        ("status/410", "HTTP 410 Gone"),
        ("status/403", "HTTP 403 Forbidden"),
        ("status/500", "HTTP 500 Internal Server Error"),
        ("status/503", "HTTP 503 Service Unavailable"),
        ("no/such/page.html", "HTTP 404 Not Found"),
        ("../pyproject.toml", "HTTP 404 Not Found"),
    ],
)
def test_an_error_status_is_one_line(web_server: WebServer, path: str, expected: str) -> None:
    assert _failure(web_server.url(path)) == expected


def test_an_error_status_after_a_redirect_says_where(web_server: WebServer) -> None:
    message = _failure(web_server.url("redirect?to=/status/404"))
    assert message == f"HTTP 404 Not Found (redirected to {web_server.url('status/404')})"


def test_a_redirect_loop_stops_at_the_cap(web_server: WebServer) -> None:
    assert _failure(web_server.url("redirect-loop")) == "too many redirects (more than 3)"


def test_a_redirect_to_another_scheme_is_refused(web_server: WebServer) -> None:
    message = _failure(web_server.url("redirect?to=ftp://files.invalid/story.txt"))
    assert message == "redirected to ftp://files.invalid/story.txt, which is not http or https"


def test_a_slow_server_times_out_quickly(web_server: WebServer) -> None:
    started = time.monotonic()
    assert _failure(web_server.url("slow"), SHORT_TIMEOUT) == "timed out after 0.5 s"
    assert time.monotonic() - started < 3


def test_a_body_that_trickles_in_is_bounded_by_the_whole_fetch_timeout(
    web_server: WebServer,
) -> None:
    # Each byte arrives well within the read timeout; only a deadline on the whole fetch ends it.
    message = _failure(web_server.url("trickle?seconds=3"), SHORT_TIMEOUT)
    assert message == "timed out after 0.5 s"


def test_a_huge_body_is_cut_off_at_the_cap(web_server: WebServer) -> None:
    message = _failure(web_server.url("huge"))
    assert message == "larger than the 195.3 KB limit (stopped reading)"


def test_a_declared_size_over_the_cap_is_refused_before_reading(web_server: WebServer) -> None:
    message = _failure(web_server.url("huge?declare=1&bytes=1048576"))
    assert message == "larger than the 195.3 KB limit (1 MB, stopped reading)"


def test_a_body_exactly_at_the_cap_is_read(web_server: WebServer) -> None:
    limits = FetchLimits(timeout=5, max_bytes=100_000)
    assert len(_fetch(web_server.url("huge?bytes=100000"), limits).body) == 100_000


def test_a_binary_file_is_refused_with_its_type(web_server: WebServer) -> None:
    message = _failure(web_server.url("binary"))
    assert message == "not an HTML page or a feed (content type application/pdf)"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("harwick.example/news", "malformed URL (no http:// or https:// in front)"),
        ("http://", "malformed URL (no host name)"),
        ("ftp://harwick.example/story.txt", "unsupported scheme 'ftp' (only http and https"),
        ("file:///etc/hosts", "unsupported scheme 'file' (only http and https"),
        ("mailto:editor@harwick.example", "unsupported scheme 'mailto' (only http and https"),
    ],
)
def test_a_bad_url_fails_before_any_io(
    url: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no connection may be attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_io)
    monkeypatch.setattr(socket.socket, "connect", no_io)
    assert _failure(url).startswith(expected)


def test_a_url_with_a_line_break_is_still_reported_on_one_line() -> None:
    with pytest.raises(InputError) as caught:
        _fetch("harwick.example/a\nb")
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith("harwick.example/a%0Ab: malformed URL")


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    assert _failure(f"http://127.0.0.1:{port}/story.html") == "connection refused"


def test_no_such_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lookup is answered here, so the test never asks a real DNS server.
    real_getaddrinfo: Callable[..., Any] = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    message = _failure("https://harwick-gazette.invalid/saltmere.html")
    assert message == "no such host (harwick-gazette.invalid)"


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FetchLimits(timeout=0)
    with pytest.raises(ValueError):
        FetchLimits(max_bytes=-1)
