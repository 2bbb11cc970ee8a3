"""A local stand-in for OpenAI's chat-completions and embeddings API, for benchmarks and tests.

It answers `POST /v1/chat/completions` on loopback after a fixed latency (errors come
back at once) with a valid instance of the JSON Schema in the request's `response_format`,
either shape:
`{"type": "json_schema", "json_schema": {"schema": ...}}` or llama-cpp-python's
`{"type": "json_object", "schema": ...}`. Benchmarks use it to measure what our client
adds on top of the model's own latency; tests use it to check our token ledger against
what the server reported.

Usage is deterministic, so tests can predict it exactly:
`prompt_tokens = ceil(characters of all message contents / 4)` and
`completion_tokens = ceil(characters of the answer's content / 4)`, counting Python
`str` characters; text parts of list-shaped contents count, anything else does not.

`POST /v1/embeddings` answers one vector per input (a string or a list of strings) with
`EMBEDDING_DIMENSIONS` floats, deterministic and not of unit length: each word (lowercase
letters and digits) adds 1 to a dimension and its neighbour picked by the word's SHA-256,
so texts sharing words are close, and a client must normalise them itself. Usage:
`prompt_tokens = total_tokens = sum of token_count(input)`. `embeddings=False`
(`--no-embeddings`) answers it with HTTP 404, as a server that serves no embedding model.

Fault modes reproduce what our retries exist for:
- `invalid_first`: the first answer for each conversation (keyed by the first user
  message's content) is `{}`, valid JSON that fails validation, so the client re-asks;
  every later request of that conversation, the re-ask included, gets a valid instance.
- `rate_limit_first`: the very first chat request is refused with HTTP 429 and
  `Retry-After: 1`; it does not count as that conversation's first answer.

Replay mode (`replay=CASSETTE`, `--replay CASSETTE`) answers instead with the responses
recorded in a test cassette (`cassettes/*/*.yaml`, the format of tests/cassette_format.py):
a chat request gets the recorded response whose request body is equal as parsed JSON (as
the tests' `json_body_matcher` compares them), with status, body and usage as recorded.
A body recorded more than once gets its recordings in order; once all were played, the
last one again, so any number of runs can be answered.
A request nothing matches gets an OpenAI-style HTTP 404 (`no_recorded_response`), which
also means the cassette is stale for the current prompts or schema. Replay does not
combine with `invalid_first`; `rate_limit_first` and the latency still apply.

`GET /stats` reports the totals the stub handed out, `POST /stats/reset` zeroes them,
re-arms both fault modes and rewinds replay, so every benchmark trial starts the same.
`GET /v1/models` lists one model for clients that probe it.

Run it in-process with `StubServer` (tests), or as its own process with
`python -m benchmarks.openai_stub --port 0 --latency 0.2` or `stub_process()` so it
does not share the measured client's GIL (benchmarks).

Deliberately not done: streaming, tools and function calling (answered with HTTP 400),
authentication (any API key is accepted), real tokenization, checking the model name,
and meaningful content: strings are placeholders that satisfy the schema, not our
validators' semantic checks (a figure's text written in its sentence, for one), so only
chunks without figures or dates come back valid. It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import math
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict
from urllib.parse import urlsplit

import yaml

from benchmarks.schema_instance import UnsupportedSchema, instance_for_schema

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "STUB_MODEL",
    "StubServer",
    "StubStartError",
    "StubStats",
    "main",
    "stub_process",
    "stub_vector",
    "token_count",
]

STUB_MODEL = "openai-stub"
EMBEDDING_DIMENSIONS = 64
_WORD = re.compile(r"[a-z0-9]+")
_HOST = "127.0.0.1"
_REPO_ROOT = Path(__file__).resolve().parent.parent
_BANNER = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


class StubStartError(RuntimeError):
    """The stub process did not announce its address in time."""


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


@dataclass(frozen=True)
class _Recording:
    """One recorded chat exchange: the request body and the response to send back."""

    request: Any
    status: int
    body: bytes
    content_type: str
    prompt_tokens: int
    completion_tokens: int


class _Replay:
    """The chat exchanges of one cassette, answered by request body."""

    def __init__(self, cassette: Path) -> None:
        self.cassette = cassette
        self._recordings = _read_cassette(cassette)
        self._lock = threading.Lock()
        self._played: dict[int, int] = {}

    def reset(self) -> None:
        """Play every recording again from the first."""
        with self._lock:
            self._played.clear()

    def answer_for(self, request: Any) -> _Recording | None:
        """The next recording of this body; the last one again once all were played."""
        matches = [i for i, r in enumerate(self._recordings) if r.request == request]
        if not matches:
            return None
        with self._lock:
            unplayed = [i for i in matches if not self._played.get(i)]
            chosen = unplayed[0] if unplayed else matches[-1]
            self._played[chosen] = self._played.get(chosen, 0) + 1
        return self._recordings[chosen]


def _read_cassette(path: Path) -> list[_Recording]:
    """The POST .../chat/completions exchanges of a cassette whose bodies are JSON.

    Raises:
        ValueError: the file is not a cassette, or holds no chat exchange to replay.
    """
    try:
        cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read cassette {path}: {error}") from error
    interactions = cassette.get("interactions") if isinstance(cassette, dict) else None
    if not isinstance(interactions, list):
        raise ValueError(f"{path} is not a cassette: no list of interactions")
    recordings: list[_Recording] = []
    for interaction in interactions:
        request, response = interaction.get("request", {}), interaction.get("response", {})
        uri_path = urlsplit(str(request.get("uri", ""))).path.rstrip("/")
        if request.get("method") != "POST" or not uri_path.endswith("/chat/completions"):
            continue
        request_body, response_body = _json_body(request), _json_body(response)
        if request_body is None or not isinstance(response_body, dict):
            continue
        usage = response_body.get("usage") or {}
        recordings.append(
            _Recording(
                request=request_body,
                status=int(response.get("status", {}).get("code", HTTPStatus.OK)),
                body=json.dumps(response_body).encode(),
                content_type=_header(response, "content-type") or "application/json",
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            )
        )
    if not recordings:
        raise ValueError(f"{path} holds no chat-completion exchange with JSON bodies")
    return recordings


def _json_body(part: Mapping[str, Any]) -> Any:
    """A request's or response's body as parsed JSON, however the cassette stored it."""
    body = part.get("body")
    if isinstance(body, dict) and "json" in body:
        return copy.deepcopy(body["json"])
    raw = body.get("string") if isinstance(body, dict) else body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None


def _header(part: Mapping[str, Any], name: str) -> str | None:
    for key, value in (part.get("headers") or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


class _Ledger:
    """The stub's counters and fault-mode memory, shared by all handler threads."""

    def __init__(self, *, invalid_first: bool, rate_limit_first: bool) -> None:
        self._invalid_first = invalid_first
        self._rate_limit_first = rate_limit_first
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

    def record_answer(self, prompt_tokens: int, completion_tokens: int) -> str:
        """Count one 200 answer and return its completion id."""
        with self._lock:
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


class _StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes the kernel drop the 7th simultaneous connection
    # attempt, which the client then retries a second later: the overlap test would flake.
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        *,
        latency: float,
        ledger: _Ledger,
        replay: _Replay | None,
        embeddings: bool = True,
    ) -> None:
        self.latency = latency
        self.embeddings = embeddings
        self.ledger = ledger
        self.replay = replay
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__((_HOST, port), _Handler)

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
    server: _StubHTTPServer
    _received = 0.0

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: benchmarks and tests read stdout and stderr."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/stats":
            self._send_json(HTTPStatus.OK, self.server.ledger.snapshot())
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
            self.server.ledger.reset()
            if self.server.replay is not None:
                self.server.replay.reset()
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
        if self.server.ledger.take_invalid_answer(_conversation_key(messages)):
            instance = {}
        content = json.dumps(instance, ensure_ascii=False)
        self._wait_out_latency()
        prompt_tokens = token_count(
            "".join(
                _text_of(message.get("content"))
                for message in messages
                if isinstance(message, dict)
            )
        )
        completion_tokens = token_count(content)
        completion_id = self.server.ledger.record_answer(prompt_tokens, completion_tokens)
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
                        "finish_reason": "stop",
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

    def _replay(self, replay: _Replay, request: Any) -> None:
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
        self._send_bytes(recording.status, recording.body, recording.content_type)

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


class StubServer:
    """The stub served from a background thread of this process, on a free loopback port.

    Example:
        with StubServer(latency=0.05, invalid_first=True) as stub:
            client = openai.AsyncOpenAI(base_url=stub.base_url, api_key="unused")
            ...
            assert stub.stats()["answered"] == 2
    """

    def __init__(
        self,
        *,
        latency: float = 0.2,
        invalid_first: bool = False,
        rate_limit_first: bool = False,
        replay: Path | None = None,
        port: int = 0,
        embeddings: bool = True,
    ) -> None:
        """Configure the stub; `replay` names a cassette to answer from (see the module).

        Raises:
            ValueError: a negative latency, `replay` with `invalid_first`, or a `replay`
                file that is not a cassette with chat exchanges.
        """
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, not {latency}")
        if replay is not None and invalid_first:
            raise ValueError("replay answers as recorded; it does not combine with invalid_first")
        self._latency = latency
        self._port = port
        self._embeddings = embeddings
        self._replay = _Replay(Path(replay)) if replay is not None else None
        self._ledger = _Ledger(invalid_first=invalid_first, rate_limit_first=rate_limit_first)
        self._server: _StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, `http://127.0.0.1:PORT/v1`; only while started."""
        if self._server is None:
            raise RuntimeError("the stub is not running; use it as a context manager")
        return f"http://{_HOST}:{self._server.server_address[1]}/v1"

    def stats(self) -> StubStats:
        """Totals reported since start or the last reset, as `GET /stats` gives them."""
        return self._ledger.snapshot()

    def reset_stats(self) -> None:
        """Zero the totals, re-arm the fault modes and rewind replay, as `POST /stats/reset`."""
        self._ledger.reset()
        if self._replay is not None:
            self._replay.reset()

    def __enter__(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the stub is already running")
        self._server = _StubHTTPServer(
            self._port,
            latency=self._latency,
            ledger=self._ledger,
            replay=self._replay,
            embeddings=self._embeddings,
        )
        # A short poll interval keeps close() quick; the loop only checks a flag.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, end kept-alive connections and wait for their threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.hang_up_all()
        server.server_close()
        self._server = self._thread = None


@contextmanager
def stub_process(
    *,
    latency: float = 0.2,
    invalid_first: bool = False,
    rate_limit_first: bool = False,
    replay: Path | None = None,
    embeddings: bool = True,
    startup_timeout: float = 10.0,
) -> Iterator[str]:
    """Run the stub as a child process and yield its base URL; stop it on exit.

    The child also exits when its stdin closes, so it does not outlive a parent that
    was killed before it could clean up.

    Raises:
        StubStartError: the child did not print its address within `startup_timeout`.
    """
    command = [sys.executable, "-m", "benchmarks.openai_stub", "--port", "0"]
    command += ["--latency", repr(latency), "--exit-with-stdin"]
    if invalid_first:
        command.append("--invalid-first")
    if rate_limit_first:
        command.append("--rate-limit-first")
    if replay is not None:
        command += ["--replay", str(Path(replay).resolve())]
    if not embeddings:
        command.append("--no-embeddings")
    with subprocess.Popen(
        command, cwd=_REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            yield _read_banner(process, startup_timeout)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def _read_banner(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    # readline has no timeout; a reader thread lets us give up on a stub that hangs.
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    match = _BANNER.fullmatch(lines[0].strip()) if lines else None
    if match is None:
        said = repr(lines[0]) if lines else "nothing"
        raise StubStartError(
            f"the stub process said {said} within {timeout}s (exit code {process.poll()})"
        )
    return match.group(1)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the stub until killed: `python -m benchmarks.openai_stub --port 0 --latency 0.2`."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.openai_stub",
        description="A local stand-in for OpenAI's chat and embeddings API, on loopback.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--invalid-first", action="store_true", help="answer {} first")
    parser.add_argument("--rate-limit-first", action="store_true", help="429 the first request")
    parser.add_argument(
        "--replay", type=Path, metavar="CASSETTE", help="answer with a cassette's recordings"
    )
    parser.add_argument(
        "--no-embeddings", action="store_true", help="answer /v1/embeddings with 404"
    )
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin closes (parent gone)"
    )
    options = parser.parse_args(argv)
    if options.latency < 0:
        parser.error("--latency must be >= 0")
    stop = threading.Event()
    if options.exit_with_stdin:
        threading.Thread(target=_set_at_stdin_end, args=(stop,), daemon=True).start()
    try:
        stub = StubServer(
            latency=options.latency,
            invalid_first=options.invalid_first,
            rate_limit_first=options.rate_limit_first,
            replay=options.replay,
            port=options.port,
            embeddings=not options.no_embeddings,
        )
    except ValueError as error:
        parser.error(str(error))
    with stub:
        print(f"listening on {stub.base_url}", flush=True)
        with suppress(KeyboardInterrupt):
            stop.wait()


def _set_at_stdin_end(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


if __name__ == "__main__":
    main()
