"""A loopback web server for the fictional test website in tests/web/site, plus fault routes.

Files are served by suffix with the literal `{{BASE_URL}}` in .html/.xml/.rss/.atom files
replaced by the server's own base URL, so pages and feeds can link to each other absolutely.
Fault routes, for testing what a fetcher does when a site misbehaves:

    /status/<code>        that status, with a small HTML body
    /slow?seconds=N       waits N seconds (default SLOW_SECONDS) before answering
    /trickle?seconds=N    answers at once, then sends a byte every 0.1 s for N seconds
    /huge?bytes=N         streams N bytes (default HUGE_BYTES) in chunks, no Content-Length
    /huge?declare=1       the same, but announces its size in Content-Length first
    /binary               a PDF (application/pdf)
    /redirect-loop        redirects to itself forever
    /redirect?to=URL      redirects (302, or `status=301|303|307|308`) to URL
    /no-content-type      an HTML page sent without a Content-Type header
    /headers              the request's headers, as plain text

In pytest, import the fixture `web_server` into the test module:
`from tests.support.web_server import web_server_fixture  # noqa: F401` (a test's `web_server`
argument then does not shadow an imported name, which ruff would flag as F811);
`from tests.support.web_server import web_server  # noqa: F401` works too. Elsewhere,
`with serve_site() as server: ...`. Slow answers give up as soon as the
server closes, so a test that timed out never holds up teardown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

SITE = Path(__file__).resolve().parent.parent / "web" / "site"
BASE_URL_PLACEHOLDER = "{{BASE_URL}}"
_HOST = "127.0.0.1"
# Longer than any client timeout the tests use, short enough not to matter if one waits.
SLOW_SECONDS = 5.0
# Far more than any size cap the tests set; the client hangs up long before the end.
HUGE_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}
_TEMPLATED = frozenset({".html", ".htm", ".rss", ".atom", ".xml"})
_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
_NO_TYPE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Untyped page</title></head>\n"
    b"<body><p>This page is sent without a content type.</p></body></html>\n"
)


class WebServer:
    """A running test site: `base_url` such as `http://127.0.0.1:41234`, and `url(path)`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.closing = threading.Event()
        self._http = _SiteHTTPServer(self)
        self.base_url = f"http://{_HOST}:{self._http.server_port}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server (`"feeds/x.rss"` or `"/feeds/x.rss"`)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> None:
        """Start answering requests in a background thread."""
        self._thread.start()

    def close(self) -> None:
        """Stop answering, end slow answers in progress, and release the port."""
        self.closing.set()
        if self._thread.is_alive():
            # shutdown() waits for serve_forever, so it would block if that never ran.
            self._http.shutdown()
            self._thread.join(timeout=5)
        self._http.server_close()


@contextmanager
def serve_site(root: Path = SITE) -> Iterator[WebServer]:
    """Serve `root` on 127.0.0.1 (a free port) for the duration of the block."""
    server = WebServer(root)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module", name="web_server")
def web_server_fixture() -> Iterator[WebServer]:
    """The shared test site as the fixture `web_server`, one server per test module."""
    with serve_site() as server:
        yield server


# The same fixture under its own name, for `from tests.support.web_server import web_server`.
web_server = web_server_fixture


class _SiteHTTPServer(ThreadingHTTPServer):
    # Handler threads must never keep the process (or a test's teardown) waiting.
    daemon_threads = True
    block_on_close = False

    def __init__(self, site: WebServer) -> None:
        super().__init__((_HOST, 0), _Handler)
        self.site = site

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client hangs up mid-answer: the size and time caps do that."""


class _Handler(BaseHTTPRequestHandler):
    server: _SiteHTTPServer

    protocol_version = "HTTP/1.1"
    server_version = "summarizer-test-site/1"

    @property
    def site(self) -> WebServer:
        return self.server.site

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            self._route(path, query)
        except (BrokenPipeError, ConnectionResetError):
            # The client hung up (a size cap or a timeout did its job).
            self.close_connection = True

    def _route(self, path: str, query: dict[str, str]) -> None:
        if path.startswith("/status/") and path.removeprefix("/status/").isdigit():
            self._status(int(path.removeprefix("/status/")))
        elif path == "/slow":
            self._slow(float(query.get("seconds", SLOW_SECONDS)))
        elif path == "/trickle":
            self._trickle(float(query.get("seconds", SLOW_SECONDS)))
        elif path == "/huge":
            self._huge(int(query.get("bytes", HUGE_BYTES)), declare=query.get("declare") == "1")
        elif path == "/binary":
            self._send(200, _PDF, "application/pdf")
        elif path == "/redirect-loop":
            self._redirect(302, "/redirect-loop")
        elif path == "/redirect":
            self._redirect(int(query.get("status", 302)), query.get("to", "/"))
        elif path == "/no-content-type":
            self._send(200, _NO_TYPE_PAGE, None)
        elif path == "/headers":
            headers = "".join(f"{name}: {value}\n" for name, value in self.headers.items())
            self._send(200, headers.encode(), "text/plain; charset=utf-8")
        else:
            self._file(path)

    def _send(self, status: int, body: bytes, content_type: str | None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _status(self, code: int) -> None:
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Unknown"
        body = f"<html><body><h1>{code} {phrase}</h1></body></html>\n".encode()
        self._send(code, body, "text/html; charset=utf-8")

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _file(self, path: str) -> None:
        target = (self.site.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.site.root) or not target.is_file():
            self._status(404)
            return
        body = target.read_bytes()
        suffix = target.suffix.lower()
        if suffix in _TEMPLATED:
            body = body.replace(BASE_URL_PLACEHOLDER.encode(), self.site.base_url.encode())
        self._send(200, body, CONTENT_TYPES.get(suffix, "application/octet-stream"))

    def _slow(self, seconds: float) -> None:
        # Wait in the open so that closing the server ends the wait at once.
        if self.site.closing.wait(seconds):
            self.close_connection = True
            return
        self._send(200, b"<html><body><p>Finally.</p></body></html>\n", "text/html")

    def _trickle(self, seconds: float) -> None:
        self._start_chunked("text/html; charset=utf-8")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.site.closing.wait(0.1):
                self.close_connection = True
                return
            self._chunk(b" ")
        self._chunk(b"")

    def _huge(self, size: int, *, declare: bool) -> None:
        if declare:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(size))
            self.end_headers()
        else:
            self._start_chunked("text/html; charset=utf-8")
        block = b"<p>" + b"x" * (_CHUNK - 8) + b"</p>\n\n"
        sent = 0
        while sent < size:
            if self.site.closing.is_set():
                self.close_connection = True
                return
            piece = block[: min(_CHUNK, size - sent)]
            if declare:
                self.wfile.write(piece)
            else:
                self._chunk(piece)
            sent += len(piece)
        if not declare:
            self._chunk(b"")

    def _start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
