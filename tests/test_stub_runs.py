"""Whole runs against the local OpenAI stub: the ledger, a killed run, a budget, replay.

The stub (summarizer/testing/stub.py) is a real HTTP server on loopback that reports the
usage it handed out, so the run's token ledger is checked against the server's own
account, retries and re-asks included. CLI runs are separate processes, so a run can be
killed for real.
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from summarizer import Briefing, ConfigError, Settings, abrief
from summarizer.testing.cassettes import read_chat_exchanges
from summarizer.testing.stub import STUB_MODEL, StubServer
from tests.support.cassette_format import ReadableJsonSerializer
from tests.support.stub_cli import brief_as_process, brief_command, isolated_environment
from tests.test_llm_faults import _completion as completion_response

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

# No figures, number words, dates or times: the stub's placeholder answers are valid for
# sentences that need neither a quantity nor an event.
ARTICLES = [
    "The harbour board asked the council for help. Local farmers welcomed the plan.",
    "The water company rejected the proposal. Residents said they had not been consulted.",
    "The teachers' union questioned the decision. The council said it would explain it.",
    "Shop owners called for a review of the rules. Officials said the work would go ahead.",
    "The hospital trust supported the new clinic. Critics said the plan had been rushed.",
    "Environmental groups criticised the port. A spokesperson said the site was safe.",
]
JSON_HEADERS = {"content-type": "application/json"}
PROGRESS_DONE = re.compile(r"^\[\d+/\d+\] \d+ claims")


def _settings(base_url: str, **overrides: Any) -> Settings:
    return Settings(
        base_url=base_url,
        api_key="not-needed",
        model=STUB_MODEL,
        mode="json_schema",
        **overrides,
    )


@pytest.mark.parametrize("fault", ["invalid_first", "rate_limit_first"])
def test_the_ledger_equals_the_usage_the_server_reported(fault: str) -> None:
    articles = ARTICLES[:3]
    with StubServer(
        latency=0,
        invalid_first=fault == "invalid_first",
        rate_limit_first=fault == "rate_limit_first",
    ) as stub:
        briefing = asyncio.run(abrief(articles, settings=_settings(stub.base_url, concurrency=2)))
        served = stub.stats()

    stats = briefing.stats
    assert stats.failures == []
    assert (stats.prompt_tokens, stats.completion_tokens) == (
        served["prompt_tokens"],
        served["completion_tokens"],
    )
    assert stats.llm_calls == served["answered"]
    if fault == "invalid_first":
        # Each article's first answer is `{}`; the re-ask is answered and paid for too.
        assert (stats.reasks, stats.retries) == (len(articles), 0)
        assert served["answered"] == 2 * len(articles)
    else:
        # The refused request returned no usage; it is retried once, after Retry-After.
        assert (stats.reasks, stats.retries) == (0, 1)
        assert (served["requests"], served["answered"]) == (len(articles) + 1, len(articles))
    lines = [line.usage for line in stats.by_article]
    assert sum(u.prompt_tokens for u in lines) == stats.prompt_tokens
    assert sum(u.completion_tokens for u in lines) == stats.completion_tokens
    assert sum(u.calls for u in lines) == stats.llm_calls
    assert sum(u.reasks for u in lines) == stats.reasks
    assert sum(u.retries for u in lines) == stats.retries


def _write_articles(folder: Path, texts: list[str]) -> Path:
    folder.mkdir()
    for number, text in enumerate(texts, start=1):
        (folder / f"{number:02d}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def _kill_after_finished(command: list[str], environment: dict[str, str], finished: int) -> None:
    """Start `command`, SIGKILL it once `finished` articles are reported done on stderr."""
    lines: queue.Queue[str | None] = queue.Queue()
    with subprocess.Popen(
        command,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        stderr = process.stderr

        def read() -> None:
            for line in stderr:
                lines.put(line)
            lines.put(None)

        # A reader thread, so a run that stalls fails the test instead of hanging it.
        threading.Thread(target=read, daemon=True).start()
        seen: list[str] = []
        done = 0
        deadline = time.monotonic() + 30
        try:
            while done < finished:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                assert line is not None, f"the run ended before it was killed: {seen}"
                seen.append(line)
                done += PROGRESS_DONE.match(line) is not None
        finally:
            process.kill()
            process.wait()


def test_a_killed_run_keeps_its_finished_articles_and_the_rerun_pays_only_for_the_rest(
    tmp_path: Path,
) -> None:
    articles = _write_articles(tmp_path / "articles", ARTICLES)
    output = tmp_path / "briefing.json"
    environment = isolated_environment(tmp_path)

    with StubServer(latency=0.2) as stub:
        command = brief_command(stub, str(articles), "-o", str(output), "--concurrency", "1")
        _kill_after_finished(command, environment, finished=3)
        assert not output.exists()
        rerun = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=60, check=False
        )
        served = stub.stats()

    assert rerun.returncode == 0, rerun.stderr
    stats = Briefing.model_validate_json(output.read_text(encoding="utf-8")).stats
    assert stats.failures == []
    assert stats.cache_hits >= 3
    assert stats.llm_calls == len(ARTICLES) - stats.cache_hits
    # Every answer was paid for once, except perhaps the article in flight at the kill:
    # the stub may have answered it to a process that died before storing the answer.
    assert len(ARTICLES) <= served["answered"] <= len(ARTICLES) + 1


def test_a_token_budget_stops_the_cli_with_exit_3_and_the_briefing_of_what_finished(
    tmp_path: Path,
) -> None:
    articles = _write_articles(tmp_path / "articles", ARTICLES[:3])
    output = tmp_path / "briefing.json"

    with StubServer(latency=0) as stub:
        result = brief_as_process(
            tmp_path,
            stub,
            *(str(articles), "-o", str(output), "--concurrency", "1", "--max-tokens", "1"),
        )
        served = stub.stats()

    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: token budget reached: ")
    assert errors[0].endswith("the briefing covers the 1 of 3 articles that finished")
    briefing = Briefing.model_validate_json(output.read_text(encoding="utf-8"))
    assert len(briefing.sources) == 1
    assert briefing.stats.stopped_by_budget is not None
    assert served["answered"] == 1


def _write_cassette(path: Path, exchanges: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    """A cassette in the tests' own format (JSON bodies stored as data)."""
    interactions = [
        {
            "request": {
                "method": "POST",
                "uri": "http://127.0.0.1:8080/v1/chat/completions",
                "body": httpx2.Request("POST", "http://x", json=request).content.decode(),
                "headers": {"content-type": ["application/json"]},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": httpx2.Response(200, json=response).content.decode()},
            },
        }
        for request, response in exchanges
    ]
    path.write_text(
        ReadableJsonSerializer.serialize({"version": 1, "interactions": interactions}),
        encoding="utf-8",
    )
    return path


def _completion(content: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = completion_response(
        content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    ).json()
    return body


def _content(response: httpx2.Response) -> str:
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def test_replay_answers_by_request_body_in_recorded_order_and_404s_the_rest(
    tmp_path: Path,
) -> None:
    asked = {"model": "recorded", "messages": [{"role": "user", "content": "Hi."}], "seed": 7}
    cassette = _write_cassette(
        tmp_path / "exchanges.yaml",
        [
            (asked, _completion("first", 10, 2)),
            (asked, _completion("second", 10, 3)),
            ({**asked, "seed": 8}, _completion("other", 11, 4)),
        ],
    )
    # The same JSON with keys in another order and other spacing is the same request.
    reordered = (
        '{"seed": 7,  "messages": [{"content": "Hi.", "role": "user"}], "model": "recorded"}'
    )

    with StubServer(latency=0, replay=cassette) as stub:
        url = f"{stub.base_url}/chat/completions"
        with httpx2.Client(trust_env=False, headers=JSON_HEADERS) as client:
            contents = [_content(client.post(url, content=reordered)) for _ in range(3)]
            unmatched = client.post(url, json={**asked, "seed": 9})
            stats = stub.stats()
            stub.reset_stats()
            rewound = _content(client.post(url, content=reordered))

    assert contents == ["first", "second", "second"]
    assert unmatched.status_code == 404
    assert unmatched.json()["error"]["code"] == "no_recorded_response"
    assert stats["requests"] == 4
    assert stats["answered"] == 3
    assert (stats["prompt_tokens"], stats["completion_tokens"]) == (30, 8)
    assert rewound == "first"


def test_replay_does_not_combine_with_invalid_answers(tmp_path: Path) -> None:
    cassette = _write_cassette(
        tmp_path / "one.yaml", [({"model": "m", "messages": []}, _completion("x", 1, 1))]
    )
    with pytest.raises(ValueError, match="invalid_first"):
        StubServer(replay=cassette, invalid_first=True)
    with pytest.raises(ValueError, match="no chat-completion exchange"):
        StubServer(replay=_write_cassette(tmp_path / "empty.yaml", []))


def test_replay_reads_bodies_stored_as_strings_too(tmp_path: Path) -> None:
    asked = {"model": "m", "messages": [{"role": "user", "content": "Hi."}]}
    cassette = tmp_path / "vcrpy.yaml"
    # vcrpy's own way: bodies as JSON text, not parsed data.
    cassette.write_text(
        "interactions:\n"
        "- request:\n"
        "    method: POST\n"
        "    uri: http://127.0.0.1:8080/v1/chat/completions\n"
        f"    body: '{json.dumps(asked)}'\n"
        "  response:\n"
        "    status: {code: 200}\n"
        f"    body: {{string: '{json.dumps(_completion('recorded', 5, 1))}'}}\n",
        encoding="utf-8",
    )

    (exchange,) = read_chat_exchanges(cassette)

    assert exchange.request == asked
    assert (exchange.status, exchange.prompt_tokens, exchange.completion_tokens) == (200, 5, 1)
    assert exchange.response["choices"][0]["message"]["content"] == "recorded"


def test_replay_without_pyyaml_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = _write_cassette(
        tmp_path / "one.yaml", [({"model": "m", "messages": []}, _completion("x", 1, 1))]
    )
    monkeypatch.setitem(sys.modules, "yaml", None)

    with pytest.raises(ConfigError, match="PyYAML") as raised:
        StubServer(replay=cassette)

    assert raised.value.hint == "pip install 'cited-briefing[testing]'"
