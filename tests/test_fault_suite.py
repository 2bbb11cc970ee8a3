"""Everything an endpoint or an input can do wrong, through the real command (issue 14).

The endpoint is the OpenAI stub on loopback with injected faults
(summarizer/testing/faults.py), served live, never recorded: each article's text holds a
marker word (a made-up place name) that scripts its fate. `summarizer brief` runs as a
process of its own, as a user runs it, and every case checks one invariant: every input is
in the briefing's sources or in its failures with a reason, never both, none twice; the
exit code is the documented one (README: 2 input or settings, 1 run-time failure,
130 Ctrl-C) and stderr holds no traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from summarizer.testing.faults import INVENTED_WORDS, FaultKind, FaultPlan, FaultRule
from summarizer.testing.stub import StubServer
from tests.support.stub_cli import (
    brief_as_process,
    brief_command,
    isolated_environment,
    same_code,
)

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

# Small bounds keep every case quick: a request gives up after 1 s (the client's
# floor), an article after 6 s, retries included; a hang outlasts the request's timeout.
QUICK = {"SUMMARIZER_REQUEST_TIMEOUT": "1", "SUMMARIZER_ARTICLE_DEADLINE": "6"}
HANG_SECONDS = 3.0


def _article(place: str) -> str:
    """Three sentences about a made-up place, one with a figure: its name is its marker."""
    return (
        f"The {place} council approved 12 new homes near the harbour. "
        f"Residents of {place} said the plan had been rushed. "
        "The water company said the work would go ahead."
    )


def _long_article(place: str) -> str:
    """Thirty sentences about a made-up place, no two alike."""
    roles = ["council", "port authority", "school board", "water company", "bus operator"]
    things = ["homes", "berths", "classrooms", "pipes", "routes", "lamps"]
    return " ".join(
        f"The {place} {roles[n % 5]} said {n + 2} {things[n % 6]} were ready in ward {n + 1}."
        for n in range(30)
    )


def _write(folder: Path, texts: Mapping[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _briefing(output: Path) -> dict[str, Any]:
    briefing: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return briefing


def assert_every_input_accounted_for(inputs: list[Path], briefing: Mapping[str, Any]) -> None:
    """Every input is a source or a failure with a reason: never both, never twice."""
    briefed = [source["path"] for source in briefing["sources"]]
    failed = [failure["source"] for failure in briefing["stats"]["failures"]]
    expected = sorted(str(path) for path in inputs)
    assert sorted(briefed + failed) == expected, (briefed, failed)
    assert all(failure["message"].strip() for failure in briefing["stats"]["failures"])


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def _failures(briefing: Mapping[str, Any]) -> dict[str, str]:
    return {
        Path(failure["source"]).name: failure["message"]
        for failure in briefing["stats"]["failures"]
    }


def _usage(briefing: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(line["source"]).name: line for line in briefing["stats"]["by_article"]}


# Each article's fate, by its marker: the faults its requests get in order, then for good.
ENDPOINT_FAULTS = [
    FaultRule("Ambrell", (FaultKind.RATE_LIMIT,)),
    FaultRule("Brackwell", (FaultKind.RATE_LIMIT_DATE,)),
    FaultRule("Corvane", (FaultKind.SERVER_ERROR, FaultKind.SERVER_ERROR)),
    FaultRule("Dunmere", then=FaultKind.SERVER_ERROR),
    FaultRule("Eskholt", (FaultKind.RESET,)),
    FaultRule("Fennick", (FaultKind.HANG,)),
    FaultRule("Galdor", (FaultKind.TRUNCATED_JSON,)),
    FaultRule("Harrowgate", (FaultKind.LENGTH,)),
    FaultRule("Istrelle", (FaultKind.INVENTED,)),
    FaultRule("Jorvane", (FaultKind.INVENTED_QUOTE,)),
    FaultRule("Kestwick", (FaultKind.INVALID,)),
    FaultRule("Lowenby", then=FaultKind.INVALID),
    FaultRule("Morrowind", then=FaultKind.HANG),
]
# Articles that fail, and what their failure says.
FAILS_WITH = {
    "Dunmere": "answered HTTP 503: The server is overloaded",
    "Lowenby": "no usable answer (",
    "Morrowind": "Request timed out",
}


def test_endpoint_faults_fail_only_their_own_article(tmp_path: Path) -> None:
    texts = {f"{rule.marker}.txt": _article(rule.marker) for rule in ENDPOINT_FAULTS}
    texts["page.html"] = (
        "<html><head><title>Quiet harbour</title></head><body><article><h1>Quiet harbour"
        f"</h1><p>{_article('Nyland')}</p></article></body></html>"
    )
    texts["noise.txt"] = "\x01\x02\x03 ### ++ 12 34 \x7f"
    inputs = _write(tmp_path / "articles", texts)
    plan = FaultPlan(rules=ENDPOINT_FAULTS, hang_seconds=HANG_SECONDS)
    output = tmp_path / "out.json"
    with StubServer(latency=0, faults=plan) as stub:
        result = _brief_to(output, tmp_path, stub, inputs, "--concurrency", "16")
        injected = stub.fault_stats()["injected"]

    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    failures = _failures(briefing)
    assert set(failures) == {f"{marker}.txt" for marker in FAILS_WITH} | {"noise.txt"}
    for marker, message in FAILS_WITH.items():
        assert message in failures[f"{marker}.txt"]
    assert "no letters" in failures["noise.txt"]
    usage = _usage(briefing)
    for retried in ("Ambrell", "Brackwell", "Corvane", "Eskholt", "Fennick"):
        assert usage[f"{retried}.txt"]["usage"]["retries"] >= 1, retried
    for reasked in ("Galdor", "Jorvane", "Kestwick"):
        assert usage[f"{reasked}.txt"]["usage"]["reasks"] == 1, reasked
    # Cut off at the output limit: the chunk is asked again in halves.
    assert usage["Harrowgate.txt"]["usage"]["calls"] == 3
    # Made-up claimants and statements are never shown as what a source said.
    shown = json.dumps(
        [briefing["key_points"], [claim.get("shown") for claim in briefing["claims"]]]
    )
    for invented in INVENTED_WORDS.values():
        assert invented not in shown
    assert set(injected) == {rule.then or rule.faults[0] for rule in ENDPOINT_FAULTS}


def _brief_to(
    output: Path,
    tmp_path: Path,
    stub: StubServer,
    inputs: list[Path],
    *options: str,
    environment: Mapping[str, str] | None = QUICK,
) -> subprocess.CompletedProcess[str]:
    """The command on `inputs`, quiet, merging by wording, writing `output`."""
    return brief_as_process(
        tmp_path,
        stub,
        *map(str, inputs),
        *options,
        *("--no-embeddings", "-q", "-o", str(output)),
        environment=environment,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The run's one `error:` line (warnings for failed articles may come before it)."""
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


def test_a_refusal_keeps_what_was_briefed_and_lists_the_rest(tmp_path: Path) -> None:
    # One request at a time, in the order given: the first article is briefed before the
    # second is refused, and the last two are not started.
    places = ["Ambrell", "Zorvath", "Quellmark", "Rindle"]
    inputs = _write(
        tmp_path / "articles", {f"{n}-{p}.txt": _article(p) for n, p in enumerate(places)}
    )
    plan = FaultPlan(rules=[FaultRule("Zorvath", then=FaultKind.UNAUTHORIZED)])
    output = tmp_path / "out.json"
    with StubServer(latency=0, faults=plan) as stub:
        result = _brief_to(output, tmp_path, stub, inputs, "--concurrency", "1")

    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    assert "answered HTTP" in _one_error_line(result)
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    assert [Path(source["path"]).name for source in briefing["sources"]] == ["0-Ambrell.txt"]
    failures = _failures(briefing)
    assert "(stub)" in failures["1-Zorvath.txt"]  # the provider's own message
    for name in ("2-Quellmark.txt", "3-Rindle.txt"):
        assert failures[name].startswith("not briefed: "), failures[name]
    assert briefing["stats"]["refused_by_endpoint"]


@pytest.mark.parametrize("refusal", [FaultKind.FORBIDDEN, FaultKind.NOT_FOUND])
def test_a_refusal_before_anything_was_briefed_writes_nothing(
    tmp_path: Path, refusal: FaultKind
) -> None:
    inputs = _write(tmp_path / "articles", {"Zorvath.txt": _article("Zorvath")})
    plan = FaultPlan(rules=[FaultRule("Zorvath", then=refusal)])
    output = tmp_path / "out.json"
    with StubServer(latency=0, faults=plan) as stub:
        result = _brief_to(output, tmp_path, stub, inputs, environment=None)

    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"HTTP {'403' if refusal is FaultKind.FORBIDDEN else '404'}" in (_one_error_line(result))
    assert not output.exists()


def test_a_chunk_over_the_context_window_is_asked_in_halves(tmp_path: Path) -> None:
    inputs = _write(
        tmp_path / "articles",
        {"Nolwen.txt": _article("Nolwen"), "Ambrell.txt": _article("Ambrell")},
    )
    plan = FaultPlan(rules=[FaultRule("Nolwen", (FaultKind.CONTEXT_EXCEEDED,))])
    output = tmp_path / "out.json"
    with StubServer(latency=0, faults=plan, tag_pattern="Nolwen") as stub:
        result = _brief_to(output, tmp_path, stub, inputs, environment=None)
        requests = stub.fault_stats()["requests_by_tag"]

    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    assert briefing["stats"]["failures"] == []
    # Refused whole, then asked in halves: the two halves are the calls answered.
    assert requests == {"Nolwen": 3}
    assert _usage(briefing)["Nolwen.txt"]["usage"]["calls"] == 2


def test_an_article_over_the_size_cap_is_a_failure_never_sent(tmp_path: Path) -> None:
    long_text = " ".join([_article("Ulverton")] * 4)
    inputs = _write(
        tmp_path / "articles", {"Ulverton.txt": long_text, "Ambrell.txt": _article("Ambrell")}
    )
    output = tmp_path / "out.json"
    with StubServer(latency=0, tag_pattern="Ulverton|Ambrell") as stub:
        result = _brief_to(
            output, tmp_path, stub, inputs, "--max-article-chars", "300", environment=None
        )
        requests = stub.fault_stats()["requests_by_tag"]

    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    assert "--max-article-chars" in _failures(briefing)["Ulverton.txt"]
    assert requests == {"Ambrell": 1}


@pytest.mark.parametrize(
    "case",
    [
        "unwritable -o",
        "control bytes",
        "over the size cap",
    ],
)
def test_a_mistake_is_exit_2_before_any_request(tmp_path: Path, case: str) -> None:
    article = _write(tmp_path / "articles", {"Ambrell.txt": _article("Ambrell")})[0]
    arguments = [str(article), "-o", str(tmp_path / "out.json")]
    if case == "unwritable -o":
        arguments[-1] = str(tmp_path / "no" / "such" / "dir" / "out.md")
        expected = "there is no folder"
    elif case == "control bytes":
        article.write_bytes(b"\x01\x02\x03 ### ++ 12 34 \x7f\n")
        expected = "no letters"
    else:
        arguments += ["--max-article-chars", "100"]
        expected = "--max-article-chars"
    with StubServer(latency=0) as stub:
        result = brief_as_process(tmp_path, stub, *arguments, "--no-embeddings", "-q")
        served = stub.stats()

    assert_no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "No such option" not in result.stderr
    assert served["requests"] == 0
    assert not (tmp_path / "out.json").exists()


# Runs the CLI with a limit on the size of any file it writes: the briefing (larger than
# the limit) cannot be written, while the article store's and cache's files (smaller) can.
_FILE_SIZE_LIMITED = (
    "import resource, runpy, sys\n"
    "limit = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
    "sys.argv = ['summarizer', *sys.argv[2:]]\n"
    "runpy.run_module('summarizer', run_name='__main__', alter_sys=True)\n"
)
_LIMIT = 64 * 1024


def test_a_failed_write_keeps_the_previous_briefing_and_records_nothing(
    tmp_path: Path,
) -> None:
    # Long articles make a briefing over the limit; the article store's file stays under it.
    places = ["Ambrell", "Brackwell", "Corvane", "Eskholt"]
    texts = {f"{p}.txt": _long_article(p) for p in places}
    inputs = _write(tmp_path / "articles", texts)
    output = tmp_path / "out.json"
    previous = '{"previous": true}'
    output.write_text(previous, encoding="utf-8")
    environment = {**isolated_environment(tmp_path), **same_code()}
    options = ["--no-cache", "--no-embeddings", "-q", "-o", str(output)]
    with StubServer(latency=0) as stub:
        command = brief_command(stub, *map(str, inputs), *options)
        limited = [sys.executable, "-c", _FILE_SIZE_LIMITED, str(_LIMIT), *command[3:]]
        failed = subprocess.run(
            limited, capture_output=True, text=True, timeout=60, env=environment, check=False
        )
        after_failure = output.read_text(encoding="utf-8")
        again = brief_as_process(tmp_path, stub, *map(str, inputs), "--new-only", *options)

    assert_no_traceback(failed)
    assert failed.returncode == 1, failed.stderr
    # One line: the store and the cache gave no warning, the briefing could not be written.
    assert failed.stderr.count("\n") == 1, failed.stderr
    assert "a previous file there is unchanged" in _one_error_line(failed)
    assert after_failure == previous
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")] == []
    # Nothing was recorded as briefed: the --new-only run briefs every article again.
    assert_no_traceback(again)
    assert again.returncode == 0, again.stderr
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    assert len(briefing["sources"]) == len(inputs)
    assert len(output.read_bytes()) > _LIMIT


def test_ctrl_c_keeps_the_answers_and_the_same_command_goes_on(tmp_path: Path) -> None:
    places = ["Ambrell", "Brackwell", "Corvane", "Eskholt", "Fennick", "Galdor"]
    inputs = _write(tmp_path / "articles", {f"{p}.txt": _article(p) for p in places})
    output = tmp_path / "out.json"
    environment = {**isolated_environment(tmp_path), **same_code()}
    arguments = [
        *map(str, inputs),
        "--concurrency",
        "1",
        "--no-embeddings",
        "-q",
        "-o",
        str(output),
    ]
    with StubServer(latency=0.2) as stub:
        command = brief_command(stub, *arguments)
        # A suite started in the background (`make test &`) inherits SIGINT ignored, and
        # so would the command: it would never see the Ctrl-C. A Python handler here is
        # reset to the default in the child, as a terminal's Ctrl-C finds it.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            interrupted = subprocess.Popen(
                command, stderr=subprocess.PIPE, text=True, env=environment
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        with interrupted:
            deadline = time.monotonic() + 30
            while stub.stats()["answered"] < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            interrupted.send_signal(signal.SIGINT)
            _, stderr = interrupted.communicate(timeout=30)
        sent_before = stub.stats()["requests"]
        stub.reset_stats()
        resumed = brief_as_process(tmp_path, stub, *arguments)
        sent_after = stub.stats()["requests"]

    assert interrupted.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    [line] = stderr.splitlines()
    assert line.startswith("interrupted: no briefing written;"), line
    assert sent_before >= 2
    assert_no_traceback(resumed)
    assert resumed.returncode == 0, resumed.stderr
    briefing = _briefing(output)
    assert_every_input_accounted_for(inputs, briefing)
    # The answers received before Ctrl-C came from the cache: only the rest were asked.
    assert sent_after <= len(inputs) - 2
    assert briefing["stats"]["cache_hits"] >= 2
