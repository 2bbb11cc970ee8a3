"""Nothing paid for twice, nothing paid for unseen: cache, concurrency, ledger and budget.

The endpoint is the scripted fake transport of test_llm_faults (never a cassette); the
cache is a real SQLite file in the test's own directory.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx2
import pytest

from summarizer import Briefing, abrief
from summarizer.config import Settings
from summarizer.errors import ConfigError
from tests.test_llm_faults import _answer, _client, _completion, _settings, _status

ARTICLES = [
    "The mayor said 300 homes were flooded on Monday. The river rose quickly.",
    "Fire crews said 2 barns burned down on Tuesday. Nobody was hurt in the fire.",
    "The council met in the town hall. It agreed to repair the bridge.",
    "Schools stayed closed all week. Parents were told to keep children at home.",
]
PROMPT_TOKENS, COMPLETION_TOKENS = 120, 80


class AnsweringEndpoint:
    """Answers every chunk validly (after `delay_for(text)` seconds); records what it saw."""

    def __init__(self, delays: dict[str, float] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.fail_for: dict[str, httpx2.Response] = {}
        self._delays = delays or {}

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        text = _article_in(body)
        if text in self.fail_for:
            return self.fail_for[text]
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self._delays.get(text, 0.0))
        finally:
            self.in_flight -= 1
        return _completion(
            _answer(text), prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS
        )

    def texts_asked(self) -> list[str]:
        return [_article_in(body) for body in self.requests]


def _article_in(body: dict[str, Any]) -> str:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    sentences = re.findall(r"^\[s\d+\] (.*)$", user, flags=re.MULTILINE)
    return " ".join(sentences)


def _run(
    endpoint: Callable[[httpx2.Request], Coroutine[Any, Any, httpx2.Response]],
    settings: Settings,
    articles: list[str],
) -> Briefing:
    async def go() -> Briefing:
        client = _client(endpoint)  # any async handler will do, not only a FakeEndpoint
        try:
            return await abrief(articles, settings=settings, client=client)
        finally:
            await client.close()

    return asyncio.run(go())


def _cached(tmp_path: Path, **overrides: Any) -> Settings:
    return _settings(cache_dir=tmp_path / "cache", **overrides)


def test_a_second_run_over_the_same_articles_makes_no_model_call(tmp_path: Path) -> None:
    first_endpoint, second_endpoint = AnsweringEndpoint(), AnsweringEndpoint()

    first = _run(first_endpoint, _cached(tmp_path), ARTICLES)
    second = _run(second_endpoint, _cached(tmp_path), ARTICLES)

    assert len(first_endpoint.requests) == len(ARTICLES)
    assert second_endpoint.requests == []
    assert (second.stats.llm_calls, second.stats.cache_hits) == (0, len(ARTICLES))
    assert (second.stats.prompt_tokens, second.stats.completion_tokens) == (0, 0)
    assert second.model_dump(exclude={"generated_at", "stats"}) == first.model_dump(
        exclude={"generated_at", "stats"}
    )


@pytest.mark.parametrize(
    "change",
    [{"model": "other"}, {"seed": 8}, {"temperature": 0.5}, {"max_output_tokens": 999}],
    ids=lambda change: next(iter(change)),
)
def test_a_different_model_or_generation_parameter_is_asked_again(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    _run(AnsweringEndpoint(), _cached(tmp_path), ARTICLES[:1])
    endpoint = AnsweringEndpoint()

    briefing = _run(endpoint, _cached(tmp_path, **change), ARTICLES[:1])

    assert len(endpoint.requests) == 1
    assert briefing.stats.cache_hits == 0


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    _run(AnsweringEndpoint(), _settings(cache_dir=None), ARTICLES[:1])
    assert not (tmp_path / "cache").exists()
    endpoint = AnsweringEndpoint()
    _run(endpoint, _settings(cache_dir=None), ARTICLES[:1])
    assert len(endpoint.requests) == 1


def test_a_run_stopped_half_way_keeps_its_finished_articles(tmp_path: Path) -> None:
    broken = AnsweringEndpoint()
    broken.fail_for[ARTICLES[2]] = _status(401, message="key revoked")
    stopped = _run(broken, _cached(tmp_path), ARTICLES)

    # Refused with a 401: nothing more is asked, not even by the article next in line, and
    # the two that finished are briefed.
    assert broken.texts_asked() == ARTICLES[:3]
    assert len(stopped.sources) == 2
    assert stopped.stats.refused_by_endpoint is not None
    assert "key revoked" in stopped.stats.refused_by_endpoint
    assert [f.message.startswith("not briefed: ") for f in stopped.stats.failures] == [False, True]
    endpoint = AnsweringEndpoint()
    briefing = _run(endpoint, _cached(tmp_path), ARTICLES)

    assert endpoint.texts_asked() == [ARTICLES[2], ARTICLES[3]]
    assert briefing.stats.cache_hits == 2


def test_requests_overlap_up_to_the_limit_and_results_keep_input_order(tmp_path: Path) -> None:
    # The first article answers last; the briefing must not care.
    delays = {text: 0.2 - 0.05 * index for index, text in enumerate(ARTICLES)}
    endpoint = AnsweringEndpoint(delays)

    briefing = _run(endpoint, _settings(concurrency=3), ARTICLES)

    assert endpoint.max_in_flight == 3
    assert endpoint.texts_asked()[:3] == ARTICLES[:3]
    # Source n is the n-th article given, whatever order the answers came back in.
    for claim in briefing.claims:
        for citation in claim.citations:
            assert citation.quote is not None
            assert citation.quote in ARTICLES[citation.source - 1]
    assert briefing.stats.concurrency == 3


def test_the_same_articles_give_the_same_briefing_at_any_concurrency(tmp_path: Path) -> None:
    delays = {text: 0.05 * (len(ARTICLES) - index) for index, text in enumerate(ARTICLES)}
    one = _run(AnsweringEndpoint(delays), _settings(concurrency=1), ARTICLES)
    four = _run(AnsweringEndpoint(delays), _settings(concurrency=4), ARTICLES)

    assert four.model_dump(exclude={"generated_at", "stats"}) == one.model_dump(
        exclude={"generated_at", "stats"}
    )


def test_the_ledger_counts_the_tokens_of_a_failed_article() -> None:
    endpoint = AnsweringEndpoint()
    failing = ARTICLES[1]
    calls = {"n": 0}

    async def invalid_then_down(request: httpx2.Request) -> httpx2.Response:
        if _article_in(json.loads(request.content)) != failing:
            return await endpoint(request)
        calls["n"] += 1
        if calls["n"] == 1:
            return _completion({"s1": {}}, prompt_tokens=50, completion_tokens=5)
        return _status(503, retry_after="0")

    briefing = _run(invalid_then_down, _settings(), ARTICLES[:2])

    failed = briefing.stats.by_article[1]
    assert failed.outcome == "failed"
    assert (failed.usage.calls, failed.usage.prompt_tokens, failed.usage.completion_tokens) == (
        1,
        50,
        5,
    )
    assert failed.usage.retries >= 1
    assert briefing.stats.prompt_tokens == PROMPT_TOKENS + 50
    assert briefing.stats.completion_tokens == COMPLETION_TOKENS + 5


def test_a_token_budget_stops_the_run_with_the_briefing_of_what_finished() -> None:
    endpoint = AnsweringEndpoint()
    per_article = PROMPT_TOKENS + COMPLETION_TOKENS

    briefing = _run(endpoint, _settings(max_tokens=per_article + 1), ARTICLES)

    assert len(endpoint.requests) == 2  # the second was sent before the limit was reached
    assert len(briefing.sources) == 2
    assert briefing.stats.stopped_by_budget == (
        f"token budget reached: {2 * per_article} tokens spent of {per_article + 1}"
    )
    outcomes = [line.outcome for line in briefing.stats.by_article]
    assert outcomes == ["briefed", "briefed", "not started", "not started"]
    assert [f.message for f in briefing.stats.failures] == [
        f"not briefed: {briefing.stats.stopped_by_budget}"
    ] * 2


def test_a_cost_budget_uses_the_overridden_price() -> None:
    settings = _settings(max_cost=0.0001, prices={"m": (1.0, 1.0)})  # $1 per million tokens

    briefing = _run(AnsweringEndpoint(), settings, ARTICLES)

    assert briefing.stats.stopped_by_budget is not None
    assert briefing.stats.stopped_by_budget.startswith("cost budget reached: $0.0002")
    assert briefing.stats.cost_usd == pytest.approx(0.0002)


def test_a_cost_budget_without_a_known_price_is_refused_before_any_request() -> None:
    endpoint = AnsweringEndpoint()
    with pytest.raises(ConfigError, match="needs a price for model 'm'"):
        _run(endpoint, _settings(max_cost=1.0), ARTICLES)
    assert endpoint.requests == []
