"""What the OpenAI stub answers and counts: the HTTP handler, its ledger and replay.

The behaviour is described in `summarizer.testing.stub`, which runs this server; here are
the parts every answer shares: the token estimate, the embedding of a text, the totals
(`StubStats`) and the request handler.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

from summarizer.testing.cassettes import ChatExchange, read_chat_exchanges
from summarizer.testing.faults import (
    ANSWER_FAULTS,
    FaultKind,
    FaultPlan,
    error_reply,
    spoiled_answer,
)
from summarizer.testing.schema_instance import UnsupportedSchema, instance_for_schema

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "HOST",
    "STUB_MODEL",
    "StubHTTPServer",
    "StubLedger",
    "StubReplay",
    "StubStats",
    "TallyReport",
    "stub_vector",
    "tally_report",
    "token_count",
]

STUB_MODEL = "openai-stub"
EMBEDDING_DIMENSIONS = 64
_WORD = re.compile(r"[a-z0-9]+")
HOST = "127.0.0.1"


class StubStats(TypedDict):
    """Totals of what the stub reported since it started or was last reset."""

    requests: int
    """Chat-completion requests received, whatever the answer."""
    answered: int
    """Chat-completion requests answered with HTTP 200."""
    prompt_tokens: int
    completion_tokens: int
    max_in_flight: int
    """Most chat-completion requests being handled at the same moment."""
    embedding_requests: int
    """Embedding requests answered with HTTP 200."""
    embedding_inputs: int
    """Texts embedded in those requests."""
    embedding_tokens: int


class TallyReport(TypedDict):
    """What `GET /stats/faults` reports: the faults injected and the requests by tag."""

    injected: dict[str, int]
    """Faults injected, by kind (`summarizer.testing.faults.FaultKind`)."""
    requests_by_tag: dict[str, int]
    """Chat requests by the first match of the tag pattern in their article, if one is set."""
    answered_by_tag: dict[str, int]
    """Of those, the ones answered with HTTP 200 (tokens spent)."""


def token_count(text: str) -> int:
    """The stub's token estimate for `text`: one token per four characters, rounded up."""
    return math.ceil(len(text) / 4)


def stub_vector(text: str) -> list[float]:
    """The stub's embedding of `text` (not normalised; all zeros for a text without words)."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        first = int.from_bytes(digest[:4], "big") % EMBEDDING_DIMENSIONS
        vector[first] += 1.0
        vector[(first + 1 + digest[4] % 7) % EMBEDDING_DIMENSIONS] += 0.5
    return vector


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _schema_of(response_format: Any) -> Mapping[str, Any]:
    if not isinstance(response_format, dict):
        raise UnsupportedSchema("the stub answers only requests with a JSON response_format")
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
    elif kind == "json_object":
        # Plain JSON mode promises an object and nothing more.
        schema = response_format.get("schema", {"type": "object"})
    else:
        raise UnsupportedSchema(f"response_format type {kind!r} is not json_schema or json_object")
    if not isinstance(schema, dict):
        raise UnsupportedSchema("response_format carries no JSON schema object")
    return schema


class StubReplay:
    """The chat exchanges of one cassette, answered by request body."""

    def __init__(self, cassette: Path) -> None:
        """Read the cassette's chat exchanges.

        Raises:
            ValueError: the file is not a cassette with chat exchanges.
            ConfigError: PyYAML is not installed.
        """
        self.cassette = cassette
        self._recordings = read_chat_exchanges(cassette)
        self._lock = threading.Lock()
        self._played: dict[int, int] = {}

    def reset(self) -> None:
        """Play every recording again from the first."""
        with self._lock:
            self._played.clear()

    def answer_for(self, request: Any) -> ChatExchange | None:
        """The next recording of this body; the last one again once all were played."""
        matches = [i for i, r in enumerate(self._recordings) if r.request == request]
        if not matches:
            return None
        with self._lock:
            unplayed = [i for i in matches if not self._played.get(i)]
            chosen = unplayed[0] if unplayed else matches[-1]
            self._played[chosen] = self._played.get(chosen, 0) + 1
        return self._recordings[chosen]


class StubLedger:
    """The stub's counters and fault-mode memory, shared by all handler threads."""

    def __init__(
        self,
        *,
        invalid_first: bool,
        rate_limit_first: bool,
        tag_pattern: re.Pattern[str] | None = None,
    ) -> None:
        self._invalid_first = invalid_first
        self._rate_limit_first = rate_limit_first
        self._tag_pattern = tag_pattern
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._requests = 0
        self._answered = 0
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._conversations_seen: set[str] = set()
        self._rate_limited = False
        self._embedding_requests = 0
        self._embedding_inputs = 0
        self._embedding_tokens = 0
        self._requests_by_tag: Counter[str] = Counter()
        self._answered_by_tag: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            in_flight = self._in_flight
            self._reset_locked()
            self._in_flight = in_flight

    def begin(self) -> None:
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def tag_of(self, article_text: str) -> str | None:
        """The first match of the tag pattern in a request's article, if one is set."""
        match = self._tag_pattern.search(article_text) if self._tag_pattern else None
        return match.group(0) if match else None

    def count_request(self, tag: str | None) -> None:
        """Count one chat request under its tag."""
        if tag is not None:
            with self._lock:
                self._requests_by_tag[tag] += 1

    def by_tag(self) -> tuple[dict[str, int], dict[str, int]]:
        """Chat requests and answers by tag."""
        with self._lock:
            return (
                dict(sorted(self._requests_by_tag.items())),
                dict(sorted(self._answered_by_tag.items())),
            )

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def take_rate_limit(self) -> bool:
        """True for the one request that gets a 429 in `rate_limit_first` mode."""
        with self._lock:
            if not self._rate_limit_first or self._rate_limited:
                return False
            self._rate_limited = True
            return True

    def take_invalid_answer(self, conversation: str) -> bool:
        """True when this conversation's first answer is due in `invalid_first` mode."""
        with self._lock:
            if not self._invalid_first or conversation in self._conversations_seen:
                return False
            self._conversations_seen.add(conversation)
            return True

    def record_answer(
        self, prompt_tokens: int, completion_tokens: int, tag: str | None = None
    ) -> str:
        """Count one 200 answer and return its completion id."""
        with self._lock:
            if tag is not None:
                self._answered_by_tag[tag] += 1
            self._answered += 1
            self._prompt_tokens += prompt_tokens
            self._completion_tokens += completion_tokens
            return f"chatcmpl-stub-{next(self._ids)}"

    def record_embeddings(self, inputs: int, tokens: int) -> None:
        """Count one answered embedding request."""
        with self._lock:
            self._embedding_requests += 1
            self._embedding_inputs += inputs
            self._embedding_tokens += tokens

    def snapshot(self) -> StubStats:
        with self._lock:
            return StubStats(
                requests=self._requests,
                answered=self._answered,
                prompt_tokens=self._prompt_tokens,
                completion_tokens=self._completion_tokens,
                max_in_flight=self._max_in_flight,
                embedding_requests=self._embedding_requests,
                embedding_inputs=self._embedding_inputs,
                embedding_tokens=self._embedding_tokens,
            )


def tally_report(faults: FaultPlan | None, ledger: StubLedger) -> TallyReport:
    """The faults injected and the requests by tag, as `GET /stats/faults` reports them."""
    injected = faults.injected() if faults is not None else {}
    requests, answered = ledger.by_tag()
    return TallyReport(injected=injected, requests_by_tag=requests, answered_by_tag=answered)


class StubHTTPServer(ThreadingHTTPServer):
    """The stub's HTTP server on 127.0.0.1, one thread per connection."""

    daemon_threads = True
    # The default backlog of 5 makes the kernel drop the 7th simultaneous connection
    # attempt, which the client then retries a second later: the overlap test would flake.
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        *,
        latency: float,
        ledger: StubLedger,
        replay: StubReplay | None,
        embeddings: bool = True,
        faults: FaultPlan | None = None,
    ) -> None:
        self.latency = latency
        self.embeddings = embeddings
        self.ledger = ledger
        self.replay = replay
        self.faults = faults
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__((HOST, port), _Handler)

    def process_request_thread(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        assert isinstance(request, socket.socket)
        with self._connections_lock:
            if self._closing:
                _hang_up(request)
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def tally(self) -> TallyReport:
        """The faults injected and the requests by tag, as `GET /stats/faults` reports them."""
        return tally_report(self.faults, self.ledger)

    def reset(self) -> None:
        """Zero the totals, re-arm the faults and rewind replay, as `POST /stats/reset`."""
        self.ledger.reset()
        if self.replay is not None:
            self.replay.reset()
        if self.faults is not None:
            self.faults.reset()

    def hang_up_all(self) -> None:
        """End every kept-alive connection, so server_close's join of the threads returns."""
        with self._connections_lock:
            self._closing = True
            for connection in self._connections:
                _hang_up(connection)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        # A client that gave up, or our own hang-up at close, is not the stub's error.
        if isinstance(sys.exception(), ConnectionError):
            return
        super().handle_error(request, client_address)


def _hang_up(connection: socket.socket) -> None:
    with suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers, adding about 40 ms to every kept-alive answer.
    disable_nagle_algorithm = True
    server: StubHTTPServer
    _received = 0.0

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: benchmarks and tests read stdout and stderr."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/stats":
            self._send_json(HTTPStatus.OK, self.server.ledger.snapshot())
        elif path == "/stats/faults":
            self._send_json(HTTPStatus.OK, self.server.tally())
        elif path == "/v1/models":
            model = {"id": STUB_MODEL, "object": "model", "created": 0, "owned_by": "stub"}
            self._send_json(HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route {path}", code="unknown_url")

    def do_POST(self) -> None:
        # The latency runs from the request's arrival: the stub's own work (parsing, building
        # an answer from the schema, waiting for the GIL among 16 threads) is part of it,
        # not added to it, so the benchmark's ideal stays exact.
        self._received = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/v1/chat/completions":
            self.server.ledger.begin()
            try:
                self._chat_completion(body)
            finally:
                self.server.ledger.end()
        elif path == "/v1/embeddings" and self.server.embeddings:
            self._embeddings(body)
        elif path == "/stats/reset":
            self.server.reset()
            self._send_json(HTTPStatus.OK, self.server.ledger.snapshot())
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route {path}", code="unknown_url")

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            # Without a length the rest of the stream cannot be framed: answer and close.
            self.close_connection = True
            self._send_error(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
            return None
        return self.rfile.read(int(length))

    def _json_body(self, body: bytes) -> tuple[bool, Any]:
        """(True, the parsed body), or (False, None) once a 400 has been sent."""
        try:
            return True, json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self._send_error(HTTPStatus.BAD_REQUEST, f"body is not JSON: {error}")
            return False, None

    def _chat_completion(self, body: bytes) -> None:
        parsed, request = self._json_body(body)
        if not parsed:
            return
        messages = request.get("messages") if isinstance(request, dict) else None
        if not isinstance(messages, list) or not messages:
            self._send_error(HTTPStatus.BAD_REQUEST, "messages must be a non-empty list")
            return
        replay = self.server.replay
        if replay is None and (request.get("stream") or request.get("tools")):
            self._send_error(HTTPStatus.BAD_REQUEST, "the stub supports neither stream nor tools")
            return
        article_text = _conversation_key(messages)
        tag = self.server.ledger.tag_of(article_text)
        self.server.ledger.count_request(tag)
        faults = self.server.faults
        fault = faults.fault_for(article_text) if faults is not None else None
        if fault is not None and fault not in ANSWER_FAULTS:
            self._fail_request(fault)
            return
        if self.server.ledger.take_rate_limit():
            self._send_error(
                HTTPStatus.TOO_MANY_REQUESTS,
                "Rate limit reached (stub: rate_limit_first). Please try again in 1s.",
                error_type="requests",
                code="rate_limit_exceeded",
                headers={"Retry-After": "1"},
            )
            return
        if replay is not None:
            self._replay(replay, request)
            return
        try:
            schema = _schema_of(request.get("response_format"))
            instance = instance_for_schema(schema)
        except UnsupportedSchema as error:
            self._send_error(HTTPStatus.BAD_REQUEST, str(error), code="unsupported_schema")
            return
        if self.server.ledger.take_invalid_answer(article_text):
            instance = {}
        content, finish_reason = json.dumps(instance, ensure_ascii=False), "stop"
        if fault is not None:
            content, finish_reason = spoiled_answer(fault, instance)
        self._wait_out_latency()
        prompt_tokens = token_count(
            "".join(
                _text_of(message.get("content"))
                for message in messages
                if isinstance(message, dict)
            )
        )
        completion_tokens = token_count(content)
        completion_id = self.server.ledger.record_answer(prompt_tokens, completion_tokens, tag)
        self._send_json(
            HTTPStatus.OK,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.get("model") or STUB_MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _embeddings(self, body: bytes) -> None:
        parsed, request = self._json_body(body)
        if not parsed:
            return
        inputs = request.get("input") if isinstance(request, dict) else None
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            self._send_error(HTTPStatus.BAD_REQUEST, "input must be a string or a list of them")
            return
        if request.get("encoding_format", "float") != "float":
            self._send_error(HTTPStatus.BAD_REQUEST, "the stub writes only float vectors")
            return
        self._wait_out_latency()
        tokens = sum(token_count(text) for text in texts)
        self.server.ledger.record_embeddings(len(texts), tokens)
        data = [
            {"object": "embedding", "index": index, "embedding": stub_vector(text)}
            for index, text in enumerate(texts)
        ]
        self._send_json(
            HTTPStatus.OK,
            {
                "object": "list",
                "data": data,
                "model": request.get("model") or STUB_MODEL,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _replay(self, replay: StubReplay, request: Any) -> None:
        recording = replay.answer_for(request)
        if recording is None:
            self._send_error(
                HTTPStatus.NOT_FOUND,
                f"no exchange recorded in {replay.cassette.name} has this request body "
                "(the cassette is stale if prompts, schema or settings changed)",
                code="no_recorded_response",
            )
            return
        self._wait_out_latency()
        if recording.status == HTTPStatus.OK:
            self.server.ledger.record_answer(recording.prompt_tokens, recording.completion_tokens)
        body = json.dumps(recording.response).encode()
        self._send_bytes(recording.status, body, recording.content_type)

    def _fail_request(self, fault: FaultKind) -> None:
        """Send the fault's error, or no answer at all: a reset, or a hang then a close."""
        reply = error_reply(fault)
        if reply is not None:
            self._send_error(
                reply.status,
                reply.message,
                error_type=reply.error_type,
                code=reply.code,
                headers=reply.headers,
            )
            return
        self.close_connection = True
        if fault is FaultKind.HANG:
            assert self.server.faults is not None
            time.sleep(self.server.faults.hang_seconds)
            _hang_up(self.connection)
            return
        # Lingering 0 s makes close() send a TCP RST, as a peer that crashed or a proxy
        # that dropped the connection does; the reader is closed first, since the socket
        # only really closes once nothing else holds it.
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()

    def _wait_out_latency(self) -> None:
        time.sleep(max(0.0, self.server.latency - (time.monotonic() - self._received)))

    def _send_error(
        self,
        status: HTTPStatus,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": error_type, "param": None, "code": code}
        self._send_json(status, {"error": error}, headers=headers)

    def _send_json(
        self,
        status: HTTPStatus,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self,
        status: int,
        data: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def _conversation_key(messages: Sequence[Any]) -> str:
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""
