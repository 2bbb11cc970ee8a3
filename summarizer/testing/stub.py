"""A local stand-in for OpenAI's chat-completions and embeddings API, for tests, benchmarks
and offline runs.

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
recorded in a test cassette (`cassettes/*/*.yaml`, read by `summarizer.testing.cassettes`;
replaying needs PyYAML, `pip install 'cited-briefing[testing]'`): a chat request gets the
recorded response whose request body is equal as parsed JSON (as the tests'
`json_body_matcher` compares them), with status, body and usage as recorded.
A body recorded more than once gets its recordings in order; once all were played, the
last one again, so any number of runs can be answered.
A request nothing matches gets an OpenAI-style HTTP 404 (`no_recorded_response`), which
also means the cassette is stale for the current prompts or schema. Replay does not
combine with `invalid_first`; `rate_limit_first` and the latency still apply.

`GET /stats` reports the totals the stub handed out, `POST /stats/reset` zeroes them,
re-arms both fault modes and rewinds replay, so every benchmark trial starts the same.
`GET /v1/models` lists one model for clients that probe it.

Run it in-process with `StubServer` (tests), or as its own process with
`python -m summarizer.testing.stub --port 0 --latency 0.2` or `stub_process()` so it
does not share the measured client's GIL (benchmarks). A briefing of the examples without
a model, from a checkout (it prints the base URL to pass on):

    python -m summarizer.testing.stub --latency 0 \
        --replay cassettes/test_end_to_end/examples_briefing.yaml
    summarizer brief examples/articles --base-url URL \
        --model qwen2.5-coder-1.5b-instruct-q4_k_m --mode json_object_schema

Deliberately not done: streaming, tools and function calling (answered with HTTP 400),
authentication (any API key is accepted), real tokenization, checking the model name,
and meaningful content: strings are placeholders that satisfy the schema, not our
validators' semantic checks (a figure's text written in its sentence, for one), so only
chunks without figures or dates come back valid. It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Self

from summarizer.errors import ConfigError
from summarizer.testing.stub_answers import (
    EMBEDDING_DIMENSIONS,
    HOST,
    STUB_MODEL,
    StubHTTPServer,
    StubLedger,
    StubReplay,
    StubStats,
    stub_vector,
    token_count,
)

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

_BANNER = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


class StubStartError(RuntimeError):
    """The stub process did not announce its address in time."""


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
            ConfigError: `replay` without PyYAML installed.
        """
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, not {latency}")
        if replay is not None and invalid_first:
            raise ValueError("replay answers as recorded; it does not combine with invalid_first")
        self._latency = latency
        self._port = port
        self._embeddings = embeddings
        self._replay = StubReplay(Path(replay)) if replay is not None else None
        self._ledger = StubLedger(invalid_first=invalid_first, rate_limit_first=rate_limit_first)
        self._server: StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, `http://127.0.0.1:PORT/v1`; only while started."""
        if self._server is None:
            raise RuntimeError("the stub is not running; use it as a context manager")
        return f"http://{HOST}:{self._server.server_address[1]}/v1"

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
        self._server = StubHTTPServer(
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
    command = [sys.executable, "-m", "summarizer.testing.stub", "--port", "0"]
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
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
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
    """Serve the stub until killed: `python -m summarizer.testing.stub --port 0 --latency 0.2`."""
    parser = argparse.ArgumentParser(
        prog="python -m summarizer.testing.stub",
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
    except ConfigError as error:
        parser.error(error.one_line())
    with stub:
        print(f"listening on {stub.base_url}", flush=True)
        with suppress(KeyboardInterrupt):
            stop.wait()


def _set_at_stdin_end(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


if __name__ == "__main__":
    main()
