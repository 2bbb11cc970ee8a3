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

Injected faults (`faults=FaultPlan(...)`, or `--fault-rate 0.1 --fault-seed 7` for random
ones) reproduce everything else an endpoint does wrong, per request: 429s, 5xx, resets,
hangs, truncated or cut-off JSON, invalid or invented answers, an exceeded context window
and the endpoint's refusals (401, 403, 404), scripted for the articles holding a marker
word or at random; `summarizer.testing.faults` says what each does. They are served
live, never recorded. `GET /stats/faults` reports the faults injected by kind and, with a
tag pattern (`tag_pattern=`, `--tag-pattern REGEX`), the chat requests by the first match
of it in their article, so a test can count the requests one article cost.

Replay mode (`replay=CASSETTE`, `--replay CASSETTE`) answers instead with the responses
recorded in a test cassette (`cassettes/*/*.yaml`, read by `summarizer.testing.cassettes`;
replaying needs PyYAML, `pip install 'cited-briefing[testing]'`): a chat request gets the
recorded response whose request body is equal as parsed JSON (as the tests'
`json_body_matcher` compares them), with status, body and usage as recorded.
A body recorded more than once gets its recordings in order; once all were played, the
last one again, so any number of runs can be answered.
A request nothing matches gets an OpenAI-style HTTP 404 (`no_recorded_response`), which
also means the cassette is stale for the current prompts or schema. Replay does not
combine with `invalid_first` or injected faults; `rate_limit_first` and the latency still
apply.

`GET /stats` reports the totals the stub handed out, `POST /stats/reset` zeroes them,
re-arms the fault modes and injected faults and rewinds replay, so every benchmark trial
starts the same.
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
from summarizer.testing.faults import RANDOM_KINDS, FaultKind, FaultPlan
from summarizer.testing.stub_answers import (
    EMBEDDING_DIMENSIONS,
    HOST,
    STUB_MODEL,
    StubHTTPServer,
    StubLedger,
    StubReplay,
    StubStats,
    TallyReport,
    stub_vector,
    tally_report,
    token_count,
)

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "STUB_MODEL",
    "StubServer",
    "StubStartError",
    "StubStats",
    "TallyReport",
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
        faults: FaultPlan | None = None,
        tag_pattern: str | None = None,
    ) -> None:
        """Configure the stub; `replay` names a cassette to answer from (see the module).

        Raises:
            ValueError: a negative latency, `replay` with `invalid_first` or `faults`, a
                `replay` file that is not a cassette with chat exchanges, or a
                `tag_pattern` that is not a regular expression.
            ConfigError: `replay` without PyYAML installed.
        """
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, not {latency}")
        if replay is not None and (invalid_first or faults is not None):
            raise ValueError(
                "replay answers as recorded; it does not combine with invalid_first or faults"
            )
        try:
            tags = re.compile(tag_pattern) if tag_pattern is not None else None
        except re.error as error:
            raise ValueError(f"tag pattern {tag_pattern!r}: {error}") from None
        self._faults = faults
        self._latency = latency
        self._port = port
        self._embeddings = embeddings
        self._replay = StubReplay(Path(replay)) if replay is not None else None
        self._ledger = StubLedger(
            invalid_first=invalid_first, rate_limit_first=rate_limit_first, tag_pattern=tags
        )
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

    def fault_stats(self) -> TallyReport:
        """Faults injected by kind and requests by tag, as `GET /stats/faults` gives them."""
        return tally_report(self._faults, self._ledger)

    def reset_stats(self) -> None:
        """Zero the totals, re-arm the faults and rewind replay, as `POST /stats/reset`."""
        self._ledger.reset()
        if self._replay is not None:
            self._replay.reset()
        if self._faults is not None:
            self._faults.reset()

    def __enter__(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the stub is already running")
        self._server = StubHTTPServer(
            self._port,
            latency=self._latency,
            ledger=self._ledger,
            replay=self._replay,
            embeddings=self._embeddings,
            faults=self._faults,
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
    fault_rate: float = 0.0,
    fault_seed: int = 0,
    fault_kinds: Sequence[FaultKind] = RANDOM_KINDS,
    hang_seconds: float = 5.0,
    tag_pattern: str | None = None,
    startup_timeout: float = 10.0,
) -> Iterator[str]:
    """Run the stub as a child process and yield its base URL; stop it on exit.

    `fault_rate` > 0 injects random faults of `fault_kinds` (see `FaultPlan`).

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
    if fault_rate:
        command += ["--fault-rate", repr(fault_rate), "--fault-seed", str(fault_seed)]
        command += ["--fault-kinds", ",".join(fault_kinds), "--hang-seconds", repr(hang_seconds)]
    if tag_pattern is not None:
        command += ["--tag-pattern", tag_pattern]
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
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="inject a random fault into each chat request with probability P",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the random faults")
    parser.add_argument(
        "--fault-kinds",
        default=",".join(RANDOM_KINDS),
        help=f"comma-separated kinds to pick from (default: {','.join(RANDOM_KINDS)})",
    )
    parser.add_argument(
        "--hang-seconds", type=float, default=5.0, help="how long a 'hang' fault holds on"
    )
    parser.add_argument(
        "--tag-pattern", metavar="REGEX", help="count chat requests by this match in the article"
    )
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin closes (parent gone)"
    )
    options = parser.parse_args(argv)
    if options.latency < 0:
        parser.error("--latency must be >= 0")
    try:
        kinds = tuple(FaultKind(kind) for kind in options.fault_kinds.split(",") if kind)
        faults = (
            FaultPlan(
                rate=options.fault_rate,
                seed=options.fault_seed,
                kinds=kinds,
                hang_seconds=options.hang_seconds,
            )
            if options.fault_rate
            else None
        )
    except ValueError as error:
        parser.error(str(error))
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
            faults=faults,
            tag_pattern=options.tag_pattern,
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
