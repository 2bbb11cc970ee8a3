"""Warm re-run benchmark: the second run over the same articles is answered by the cache.

Runs `summarizer brief examples/articles -o <tmp>/briefing-N.json` twice, each time as its
own process (`python -m summarizer`), both with the same fresh temporary response cache
(`SUMMARIZER_CACHE_DIR`), and reports each run's wall time (the whole process: interpreter
start and imports included) and its model calls (`stats.llm_calls` of the briefing).

Baseline: the first run, which pays for every answer. Targets for the second run: 0 model
calls (the server must see no request either) and under 2 s; its briefing must equal the
first one (timestamps and run statistics aside). For context, the time of a process that
only imports the CLI (`python -m summarizer --help`) is shown: most of the second run.

Backend, by default: `summarizer/testing/stub.py` in replay mode, answering with the
embedded model's responses recorded in `cassettes/test_end_to_end/examples_briefing.yaml`;
the runs use `--base-url <stub> --model qwen2.5-coder-1.5b-instruct-q4_k_m --mode
json_object_schema` so that their request bodies equal the recorded ones. The benchmark
then takes seconds from a clean clone, and the first run's time is our client's alone.
A cassette that no longer matches the prompts or schema makes the first run fail with
HTTP 404 (re-record it: `make record`).

`--embedded` runs the real embedded model instead (no `--base-url`; needs
`cited-briefing[embedded]`): slow, about 18 minutes for the first run on 2 cores.

    python -m benchmarks.warm_rerun [--embedded] [--results-dir benchmarks/results]

Prints a table of figures beside their targets and writes `warm_rerun.json` and
`warm_rerun.md`. Exit code 0 when both runs completed, whether or not a target was met
(look for FAIL in the table); 1 when a run itself failed, and nothing is written then.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer import Briefing
from summarizer.config import EMBEDDED_MODEL_NAME
from summarizer.testing.stub import StubStats, stub_process

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "articles"
CASSETTE = REPO / "cassettes" / "test_end_to_end" / "examples_briefing.yaml"
MAX_SECOND_RUN_SECONDS = 2.0
ABOUT = (
    "`summarizer brief examples/articles` run twice as separate processes sharing a fresh "
    "response cache: the second run must make no model call and finish (interpreter start "
    "and imports included) in under 2 s. Backend: the embedded model's recorded answers "
    "replayed by the OpenAI stub, unless `embedded` is true."
)
# Settings from the caller's environment would change the runs; the cache dir is set anew.
_OWN_VARIABLES = ("SUMMARIZER_", "OPENAI_")


@dataclass(frozen=True)
class _CliRun:
    """One `summarizer brief` process: how long it took and what its briefing says."""

    seconds: float
    briefing: Briefing
    stub: StubStats | None


class RunFailed(Exception):
    """A `summarizer brief` process exited with an error: there is nothing to measure."""


def run_environment(cache_dir: Path, config_file: Path) -> dict[str, str]:
    """The caller's environment without our settings, with this benchmark's cache."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_OWN_VARIABLES)
    }
    environment["SUMMARIZER_CACHE_DIR"] = str(cache_dir)
    # A user's config file could name another model or a budget; point at an absent one.
    environment["SUMMARIZER_CONFIG"] = str(config_file)
    # The stub and the embedded server are on loopback: a proxy must never see that traffic.
    listed = f"{environment.pop('NO_PROXY', '')},{environment.pop('no_proxy', '')}"
    no_proxy = [host for host in listed.split(",") if host]
    environment["NO_PROXY"] = ",".join([*no_proxy, "127.0.0.1", "localhost"])
    return environment


def timed_process(command: Sequence[str], environment: Mapping[str, str]) -> float:
    """Run `command`, echoing its stderr indented; return its wall time in seconds.

    Raises:
        RunFailed: the process exited non-zero (its last stderr line in the message).
    """
    last_line = ""
    started = time.perf_counter()
    with subprocess.Popen(
        command,
        cwd=REPO,
        env=dict(environment),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            last_line = line.strip() or last_line
            print(f"    | {line}", end="", file=sys.stderr, flush=True)
        code = process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise RunFailed(f"`{' '.join(command[1:])}` exited {code}: {last_line}")
    return seconds


def _stub_stats(base_url: str | None, method: str, path: str) -> StubStats | None:
    if base_url is None:
        return None
    with httpx2.Client(base_url=base_url.removesuffix("/v1"), trust_env=False) as client:
        response = client.request(method, path)
        response.raise_for_status()
        stats: StubStats = response.json()
        return stats


def brief_once(
    output: Path, backend: Sequence[str], environment: Mapping[str, str], base_url: str | None
) -> _CliRun:
    """One timed `python -m summarizer brief examples/articles -o OUTPUT` process."""
    _stub_stats(base_url, "POST", "/stats/reset")
    command = [sys.executable, "-m", "summarizer", "brief", str(EXAMPLES), "-o", str(output)]
    seconds = timed_process([*command, *backend], environment)
    briefing = Briefing.model_validate_json(output.read_text(encoding="utf-8"))
    return _CliRun(seconds, briefing, _stub_stats(base_url, "GET", "/stats"))


@contextlib.contextmanager
def _backend(embedded: bool) -> Iterator[tuple[list[str], str | None]]:
    """The CLI options that pick the backend, and the stub's URL when there is one."""
    if embedded:
        yield [], None
        return
    with stub_process(latency=0, replay=CASSETTE) as base_url:
        options = ["--base-url", base_url, "--model", EMBEDDED_MODEL_NAME]
        yield [*options, "--mode", "json_object_schema"], base_url


def figures_for(first: _CliRun, second: _CliRun, import_seconds: float) -> list[Figure]:
    """The table: both runs' wall times and model calls, against the second run's targets."""
    same = second.briefing.model_dump(exclude={"generated_at", "stats"}) == (
        first.briefing.model_dump(exclude={"generated_at", "stats"})
    )
    figures = [
        Figure("first run wall time", first.seconds, "s"),
        Figure("first run model calls", first.briefing.stats.llm_calls),
        Figure(
            "second run wall time",
            second.seconds,
            "s",
            f"< {MAX_SECOND_RUN_SECONDS:g} s",
            second.seconds < MAX_SECOND_RUN_SECONDS,
        ),
        Figure(
            "second run model calls",
            second.briefing.stats.llm_calls,
            target="== 0",
            passed=second.briefing.stats.llm_calls == 0,
        ),
        Figure("second run cache hits", second.briefing.stats.cache_hits),
        Figure("second briefing equals the first", "yes" if same else "no", "", "yes", same),
        Figure("process start and CLI import alone", import_seconds, "s"),
    ]
    if second.stub is not None:
        figures.insert(
            4,
            Figure(
                "server requests during the second run",
                second.stub["requests"],
                target="== 0",
                passed=second.stub["requests"] == 0,
            ),
        )
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark, print its table, write the results; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.warm_rerun",
        description="Two CLI runs over examples/articles sharing a fresh response cache.",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="use the real embedded model (slow: about 18 minutes for the first run)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="warm-rerun-") as scratch:
        folder = Path(scratch)
        environment = run_environment(folder / "cache", folder / "no-config.toml")
        try:
            import_seconds = timed_process(
                [sys.executable, "-m", "summarizer", "--help"], environment
            )
            with _backend(options.embedded) as (backend, base_url):
                print("first run (pays for every answer):", file=sys.stderr)
                first = brief_once(folder / "briefing-1.json", backend, environment, base_url)
                print("second run (same cache):", file=sys.stderr)
                second = brief_once(folder / "briefing-2.json", backend, environment, base_url)
        except RunFailed as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            if not options.embedded:
                print(
                    "(an HTTP 404 from the stub means the cassette no longer matches the "
                    "prompts or schema: re-record it with `make record`)",
                    file=sys.stderr,
                )
            raise SystemExit(1) from None

    figures = figures_for(first, second, import_seconds)
    print("\n".join(table_lines(figures)))
    paths = write_report(
        "warm_rerun",
        title="Warm re-run: the second run is answered by the response cache",
        about=ABOUT,
        parameters={
            "articles": str(EXAMPLES.relative_to(REPO)),
            "embedded": options.embedded,
            "backend": "embedded model" if options.embedded else f"replay of {CASSETTE.name}",
        },
        figures=figures,
        details={
            "first_run_stats": first.briefing.stats.model_dump(exclude={"by_article"}),
            "second_run_stats": second.briefing.stats.model_dump(exclude={"by_article"}),
            "first_run_stub_stats": first.stub,
            "second_run_stub_stats": second.stub,
        },
        directory=options.results_dir,
    )
    print("wrote " + " and ".join(str(path) for path in paths))


if __name__ == "__main__":
    main()
