"""Soak benchmark: many small articles, random endpoint faults, a kill and a resume.

Writes `--articles` (default 1,000) small articles of our own making into a temporary
folder: 2 to 4 sentences each, one with a figure, every sentence naming the article's own
made-up town ("Velbadefi"), which tags its requests at the stub. The model is the OpenAI
stub as a process of its own (`summarizer/testing/stub.py`), injecting a random fault into
each chat request with probability `--fault-rate` (default 0.1), every kind alike
(`summarizer.testing.faults.RANDOM_KINDS`: 429s, 503, resets, hangs, truncated and cut-off
JSON, invalid and invented answers, invented quotes, an exceeded context window).

`summarizer brief FOLDER -o briefing.json` runs as a process with a temporary response
cache, 16 requests at a time, a request timeout of 1 s and an article deadline of 10 s.
Once half the articles are done (its progress lines say which), it is killed with SIGKILL,
as a crash or an OOM kill would, not Ctrl-C; then the same command runs again and must
finish. Targets:
- lost = 0: every article is in the briefing's sources (or folded into one as a copy) or
  in its failures with a reason;
- duplicated = 0: no article is listed twice;
- every article done before the kill is re-used: the resumed run sent no request for it
  (the stub's count of requests by tag; a chunk refused as over the context is in the
  response cache too, so it is split again from there) and its ledger line shows no call;
- the resumed run exits 0.
Also reported: wall times, requests, faults injected by kind, failures by reason.

    python -m benchmarks.soak [--articles 1000] [--fault-rate 0.1] [--seed 7]
                              [--results-dir benchmarks/results]

Bounded: each run is stopped after 10 minutes (the benchmark then fails). Exit code 0 once
measured, whether or not a target was met (look for FAIL in the table); 1 when a run could
not be measured, and nothing is written then.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer.testing.faults import RANDOM_KINDS
from summarizer.testing.stub import STUB_MODEL, stub_process

REPO = Path(__file__).resolve().parent.parent
CONCURRENCY = 16
RUN_SETTINGS = {"SUMMARIZER_REQUEST_TIMEOUT": "1", "SUMMARIZER_ARTICLE_DEADLINE": "10"}
# A hang outlasts the request timeout, so the client gives up and retries.
HANG_SECONDS = 2.0
RUN_TIMEOUT = 600.0
TAG_PATTERN = r"\bVel[a-z]+\b"
_SYLLABLES = ("ba", "de", "fi", "go", "ku", "la", "me", "no", "pi", "ru")
_STARTED = re.compile(r"^\[(\d+)/\d+\] extracting (.+)$")
_DONE = re.compile(r"^\[(\d+)/\d+\] \d+ claims")
_FAILED = re.compile(r"^\[(\d+)/\d+\] failed: ")
# Settings from the caller's environment would change the runs, or reach another endpoint.
_OWN_VARIABLES = ("SUMMARIZER_", "OPENAI_")
ABOUT = (
    "`summarizer brief` over many small generated articles against the OpenAI stub "
    "injecting random faults of every kind, killed with SIGKILL once half the articles "
    "are done, then run again with the same command: no article lost or listed twice, and "
    "every article done before the kill re-used from the response cache (no request)."
)


def town(number: int) -> str:
    """The made-up town of article `number`, unique up to 9,999: 42 -> 'Velbabagofi'."""
    return "Vel" + "".join(_SYLLABLES[int(digit)] for digit in f"{number:04d}")


def article_text(number: int, rng: random.Random) -> str:
    """2 to 4 sentences about the article's town, the first with a figure."""
    place = town(number)
    others = [
        f"Residents of {place} said the plan had been rushed.",
        f"Officials in {place} said the work would go ahead.",
        f"Shop owners in {place} called for a review of the rules.",
        f"The {place} water company welcomed the decision.",
        f"Teachers in {place} questioned the timing of the vote.",
    ]
    first = f"The {place} council approved {rng.randint(2, 900)} new homes near the harbour."
    chosen = rng.sample(others, rng.randint(1, 3))
    return f"Title: Homes plan in {place}\n\n" + " ".join([first, *chosen]) + "\n"


def write_articles(folder: Path, count: int, seed: int) -> dict[str, str]:
    """Write the articles; return each one's path by its town."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    paths = {}
    for number in range(count):
        path = folder / f"{number:04d}.txt"
        path.write_text(article_text(number, rng), encoding="utf-8")
        paths[town(number)] = str(path)
    return paths


@dataclass
class Progress:
    """What a run's progress lines said: which articles started, finished and failed."""

    labels: dict[int, str] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, line: str) -> None:
        with self.lock:
            if started := _STARTED.match(line):
                self.labels[int(started.group(1))] = started.group(2)
            elif done := _DONE.match(line):
                self.done.add(int(done.group(1)))
            elif failed := _FAILED.match(line):
                self.failed.add(int(failed.group(1)))

    def done_paths(self) -> set[str]:
        with self.lock:
            return {self.labels[index] for index in self.done}


@dataclass(frozen=True)
class RunResult:
    code: int
    seconds: float
    progress: Progress
    last_line: str


class RunFailed(Exception):
    """A run could not be measured: it did not finish in time, or not as expected."""


def run_environment(scratch: Path) -> dict[str, str]:
    """The caller's environment without our settings, with this benchmark's own cache,
    store and (absent) config file, and nothing sent through a proxy."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_OWN_VARIABLES) and name.lower() != "no_proxy"
    }
    environment.update(RUN_SETTINGS)
    environment["SUMMARIZER_CACHE_DIR"] = str(scratch / "cache")
    environment["SUMMARIZER_DATA_DIR"] = str(scratch / "data")
    environment["SUMMARIZER_CONFIG"] = str(scratch / "absent.toml")
    environment["NO_PROXY"] = "127.0.0.1,localhost"
    # The command runs this checkout's code, as the benchmark does.
    environment["PYTHONPATH"] = str(REPO)
    return environment


def run_brief(
    command: Sequence[str], environment: Mapping[str, str], *, kill_after_done: int | None
) -> RunResult:
    """Run the command, reading its progress lines; SIGKILL it once `kill_after_done`
    articles are done, if given.

    Raises:
        RunFailed: the run took longer than `RUN_TIMEOUT`.
    """
    progress = Progress()
    last_line = ""
    started = time.perf_counter()
    with subprocess.Popen(
        command,
        env=dict(environment),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        timer = threading.Timer(RUN_TIMEOUT, process.kill)
        timer.start()
        try:
            for line in process.stderr:
                progress.read(line.rstrip("\n"))
                last_line = line.strip() or last_line
                if kill_after_done is not None and len(progress.done) >= kill_after_done:
                    process.send_signal(signal.SIGKILL)
                    break
            code = process.wait()
        finally:
            timer.cancel()
    seconds = time.perf_counter() - started
    if seconds >= RUN_TIMEOUT:
        raise RunFailed(f"the run did not finish within {RUN_TIMEOUT:g} s")
    return RunResult(code, seconds, progress, last_line)


def _stub_get(base_url: str, path: str, method: str = "GET") -> Any:
    with httpx2.Client(base_url=base_url.removesuffix("/v1"), trust_env=False) as client:
        response = client.request(method, path)
        response.raise_for_status()
        return response.json()


def failure_reason(message: str) -> str:
    """A failure's message reduced to its kind, to count failures by reason."""
    if status := re.search(r"answered HTTP (\d+)", message):
        return f"HTTP {status.group(1)}"
    if "timed out" in message:
        return "request timed out"
    if "cannot reach" in message:
        return "connection failed"
    if "deadline" in message:
        return "article deadline passed"
    if message.startswith("no usable answer"):
        return "no usable answer"
    return message[:60]


@dataclass(frozen=True)
class Accounting:
    """Where every article ended up in the resumed run's briefing."""

    briefed: int
    folded: int
    failed: int
    lost: list[str]
    duplicated: list[str]
    failures_by_reason: dict[str, int]


def account(paths: Sequence[str], briefing: Mapping[str, Any]) -> Accounting:
    """Count every input in the briefing: a source, a copy folded into one, a failure."""
    sources = [source["path"] for source in briefing["sources"]]
    folded = [
        carrier["path"]
        for source in briefing["sources"]
        for carrier in source.get("also_carried_by", [])
        if carrier.get("path")
    ]
    failures = briefing["stats"]["failures"]
    failed = [failure["source"] for failure in failures if failure["message"].strip()]
    listed = Counter([*sources, *folded, *failed])
    return Accounting(
        briefed=len(sources),
        folded=len(folded),
        failed=len(failed),
        lost=sorted(path for path in paths if path not in listed),
        duplicated=sorted(path for path, times in listed.items() if times > 1),
        failures_by_reason=dict(
            Counter(failure_reason(failure["message"]) for failure in failures).most_common()
        ),
    )


@dataclass(frozen=True)
class Reuse:
    """How the resumed run treated the articles done before the kill."""

    done_before_kill: int
    requests_for_them: int
    requests_for_the_rest: int
    with_calls_in_ledger: int


def reuse(
    done_before: set[str],
    by_town: Mapping[str, str],
    tally: Mapping[str, Mapping[str, int]],
    briefing: Mapping[str, Any],
) -> Reuse:
    """Requests the resumed run sent for articles done before the kill, by the stub's
    count by tag (`tally`: the resumed run's `GET /stats/faults`) and by its own ledger."""
    done_towns = {place for place, path in by_town.items() if path in done_before}
    requests = tally["requests_by_tag"]
    calls = {line["source"]: line["usage"]["calls"] for line in briefing["stats"]["by_article"]}
    return Reuse(
        done_before_kill=len(done_before),
        requests_for_them=sum(requests.get(place, 0) for place in done_towns),
        # The rest had to be asked: their count shows the tags were seen at all.
        requests_for_the_rest=sum(n for place, n in requests.items() if place not in done_towns),
        with_calls_in_ledger=sum(1 for path in done_before if calls.get(path, 0) > 0),
    )


def since(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """What a stub's counters (nested by name) added from `before` to `after`; a peak
    (`max_in_flight`) is not a counter and is left out."""
    return {
        name: since(value, before.get(name, {}))
        if isinstance(value, Mapping)
        else value - before.get(name, 0)
        for name, value in after.items()
        if name != "max_in_flight"
    }


def figures_for(
    count: int,
    killed: RunResult,
    resumed: RunResult,
    accounting: Accounting,
    reused: Reuse,
    requests: tuple[int, int],
) -> list[Figure]:
    return [
        Figure("articles", count),
        Figure(
            "done before the kill",
            reused.done_before_kill,
            target=f">= {count // 2}",
            passed=reused.done_before_kill >= count // 2,
        ),
        Figure("lost", len(accounting.lost), target="== 0", passed=not accounting.lost),
        Figure(
            "duplicated",
            len(accounting.duplicated),
            target="== 0",
            passed=not accounting.duplicated,
        ),
        Figure(
            "requests the resumed run sent for articles done before the kill",
            reused.requests_for_them,
            target="== 0",
            passed=reused.requests_for_them == 0,
        ),
        Figure(
            "articles done before the kill with calls in the resumed ledger",
            reused.with_calls_in_ledger,
            target="== 0",
            passed=reused.with_calls_in_ledger == 0,
        ),
        Figure(
            "requests the resumed run sent for the other articles", reused.requests_for_the_rest
        ),
        Figure("resumed run exit code", resumed.code, target="== 0", passed=resumed.code == 0),
        Figure(
            "briefed / folded copies / failed",
            f"{accounting.briefed} / {accounting.folded} / {accounting.failed}",
        ),
        Figure("killed run wall time (to the kill)", f"{killed.seconds:.1f}", "s"),
        Figure("resumed run wall time", f"{resumed.seconds:.1f}", "s"),
        Figure("requests: killed run / resumed run", f"{requests[0]} / {requests[1]}"),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the soak, print its table, write the results; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak",
        description="Many small articles, random endpoint faults, a kill and a resume.",
    )
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write")
    options = parser.parse_args(argv)
    if options.articles < 2:
        parser.error("--articles must be at least 2")

    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        folder = Path(scratch)
        by_town = write_articles(folder / "articles", options.articles, options.seed)
        environment = run_environment(folder)
        output = folder / "briefing.json"
        with stub_process(
            latency=0,
            fault_rate=options.fault_rate,
            fault_seed=options.seed,
            hang_seconds=HANG_SECONDS,
            tag_pattern=TAG_PATTERN,
        ) as base_url:
            command = [
                sys.executable, "-m", "summarizer", "brief", str(folder / "articles"),
                "--base-url", base_url, "--api-key", "not-needed", "--model", STUB_MODEL,
                "--concurrency", str(CONCURRENCY), "--no-embeddings", "-o", str(output),
            ]  # fmt: skip
            try:
                print(f"killed run ({options.articles} articles):", file=sys.stderr)
                killed = run_brief(command, environment, kill_after_done=options.articles // 2)
                if killed.code != -signal.SIGKILL:
                    raise RunFailed(f"the run ended before the kill ({killed.last_line})")
                # Not reset: the stub keeps refusing the prompts it refused as too long.
                first_stats = _stub_get(base_url, "/stats")
                first_faults = _stub_get(base_url, "/stats/faults")
                print("resumed run (same command):", file=sys.stderr)
                resumed = run_brief(command, environment, kill_after_done=None)
                if resumed.code != 0 or not output.exists():
                    raise RunFailed(f"the resumed run exited {resumed.code}: {resumed.last_line}")
                second_stats = since(_stub_get(base_url, "/stats"), first_stats)
                second_faults = since(_stub_get(base_url, "/stats/faults"), first_faults)
            except RunFailed as error:
                print(f"benchmark failed: {error}", file=sys.stderr)
                raise SystemExit(1) from None
        briefing = json.loads(output.read_text(encoding="utf-8"))

    accounting = account(list(by_town.values()), briefing)
    reused = reuse(killed.progress.done_paths(), by_town, second_faults, briefing)
    injected = Counter(first_faults["injected"]) + Counter(second_faults["injected"])
    figures = figures_for(
        options.articles,
        killed,
        resumed,
        accounting,
        reused,
        (first_stats["requests"], second_stats["requests"]),
    )
    figures.append(Figure("faults injected", sum(injected.values())))
    print("\n".join(table_lines(figures)))
    faults_line = ", ".join(f"{kind} {injected.get(kind, 0)}" for kind in RANDOM_KINDS)
    reasons_line = ", ".join(f"{r} {n}" for r, n in accounting.failures_by_reason.items())
    print(f"faults injected by kind: {faults_line}")
    print(f"failures by reason: {reasons_line or 'none'}")
    paths = write_report(
        "soak",
        title="Soak: random endpoint faults, a kill and a resume",
        about=ABOUT,
        parameters={
            "articles": options.articles,
            "fault_rate": options.fault_rate,
            "seed": options.seed,
            "concurrency": CONCURRENCY,
            "request_timeout_s": RUN_SETTINGS["SUMMARIZER_REQUEST_TIMEOUT"],
            "article_deadline_s": RUN_SETTINGS["SUMMARIZER_ARTICLE_DEADLINE"],
            "hang_s": HANG_SECONDS,
            "stub_latency_s": 0,
        },
        figures=figures,
        details={
            "faults_injected_by_kind": {kind: injected.get(kind, 0) for kind in RANDOM_KINDS},
            "failures_by_reason": accounting.failures_by_reason,
            "lost": accounting.lost,
            "duplicated": accounting.duplicated,
            "killed_run_stub_stats": first_stats,
            "resumed_run_stub_stats": second_stats,
            "resumed_run_stats": {
                key: value
                for key, value in briefing["stats"].items()
                if key not in ("by_article", "failures")
            },
        },
        extra_markdown=[
            f"Faults injected by kind: {faults_line}.",
            "",
            f"Failures by reason (resumed run): {reasons_line or 'none'}.",
        ],
        directory=options.results_dir,
    )
    print("wrote " + " and ".join(str(path) for path in paths))


if __name__ == "__main__":
    main()
