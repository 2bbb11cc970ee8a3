"""LLM adjudication of borderline pairs: only the pairs embeddings and what the texts state
leave open reach the model, its "same" joins them, and every answer is cached, counted and
capped; a failing answer keeps the pair apart with one warning.

The model is the scripted fake endpoint of tests/test_llm_faults.py (an `httpx2` mock
transport behind a real `openai.AsyncOpenAI`), answering extraction and questions alike.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import numpy as np
import pytest

from summarizer import Briefing, ConfigError, Settings, abrief, resolve_settings
from summarizer.briefing.adjudication import Adjudicator
from summarizer.briefing.merge import merge_claims, merge_events, number_sources
from summarizer.briefing.paraphrase import facts_of, join_by_meaning
from summarizer.extraction.prompts import load_prompt
from summarizer.inputs.ingest import article_from_text
from summarizer.models import Article, Claim, Event, MergedClaim
from summarizer.render.render_usage import usage_table
from summarizer.runtime.embeddings import LocalEmbedder
from summarizer.runtime.llm import Deadline, StructuredLLM
from summarizer.runtime.usage import Budget
from summarizer.storage.cache import ResponseCache
from summarizer.testing.stub import StubServer
from tests.support import factories
from tests.support.stub_cli import brief_in_process
from tests.test_llm_faults import FakeEndpoint, _answer, _client, _completion, _status
from tests.test_llm_faults import _settings as endpoint_settings

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

# Told in other words: all-MiniLM-L6-v2 puts them at a cosine of 0.84, between CLOSE (0.75)
# and SAME (0.85), and they share no name and no number: a borderline pair.
WINDOWS_1 = "Residents were told to keep their windows shut."
WINDOWS_2 = "People living nearby were asked to keep windows closed."
# Above SAME (0.93): joined without asking.
SMOKE_1 = "Smoke from the fire closed the road for six hours."
SMOKE_2 = "The road was shut for six hours because of the smoke."
# Borderline by their cosine (0.80), but one denies what the other states: never asked.
REOPEN_1 = "The manager said the depot would reopen."
REOPEN_2 = "The manager denied that the depot would open again."
# Two articles of one story ("Wexley"), with the windows pair and nothing else to judge.
STORY = [
    f"A fire broke out at the Wexley depot on the ring road. {WINDOWS_1}",
    f"Fire crews were called to the depot in Wexley. {WINDOWS_2}",
]
SAME = {"verdict": "same"}
DIFFERENT = {"verdict": "different"}
QUESTION_TOKENS = (50, 5)


# --- the hook in join_by_meaning, on vectors of known cosines ----------------------------


def _unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle)]


def _pair_at(cosine: float) -> list[list[float]]:
    return [_unit(0.0), _unit(math.acos(cosine))]


class _Judge:
    """Records what it was asked and answers the same every time."""

    def __init__(self, same: bool) -> None:
        self.same = same
        self.asked: list[tuple[int, int]] = []

    def __call__(self, first: int, second: int) -> bool:
        self.asked.append((first, second))
        return self.same


def _join_pairs(
    pairs: Sequence[tuple[float, str, str]],
    judge: _Judge | None,
    compatible: Callable[[int, int], bool] | None = None,
) -> list[list[int]]:
    """Each pair (cosine, text, text) in a block of its own: items 2k and 2k+1."""
    vectors = np.array([v for cosine, _, _ in pairs for v in _pair_at(cosine)], np.float32)
    texts = [text for _, first, second in pairs for text in (first, second)]
    return join_by_meaning(
        [[i] for i in range(len(texts))],
        vectors,
        [i // 2 for i in range(len(texts))],
        [facts_of(text) for text in texts],
        compatible=compatible,
        adjudicate=judge,
    )


@pytest.mark.parametrize("same", [True, False])
def test_a_borderline_pair_joins_only_when_the_judge_says_same(same: bool) -> None:
    judge = _Judge(same)
    groups = _join_pairs([(0.8, WINDOWS_1, WINDOWS_2)], judge)
    assert judge.asked == [(0, 1)]
    assert groups == ([[0, 1]] if same else [[0], [1]])
    # Without a judge, as before adjudication existed: apart.
    assert _join_pairs([(0.8, WINDOWS_1, WINDOWS_2)], None) == [[0], [1]]


def test_pairs_decided_without_the_judge_never_reach_it() -> None:
    judge = _Judge(same=True)
    pairs = [
        (0.9, WINDOWS_1, WINDOWS_2),  # at SAME: joined
        (0.8, "Crews sent 40 trucks.", "There were 40 trucks sent by crews."),  # a number
        (0.8, "Crews reached Ashby.", "The crews got to Ashby."),  # a distinctive name
        (0.8, REOPEN_1, REOPEN_2),  # a denial and an assertion: apart
        (0.8, "It rained in May.", "It rained in June."),  # other months: apart
        (0.7, WINDOWS_1, WINDOWS_2),  # below CLOSE: no candidate
    ]
    groups = _join_pairs(pairs, judge)
    assert judge.asked == []
    assert groups == [[0, 1], [2, 3], [4, 5], [6], [7], [8], [9], [10], [11]]


def test_an_incompatible_pair_never_reaches_the_judge() -> None:
    judge = _Judge(same=True)
    groups = _join_pairs([(0.8, WINDOWS_1, WINDOWS_2)], judge, compatible=lambda i, j: False)
    assert (judge.asked, groups) == ([], [[0], [1]])


def test_groups_far_apart_as_wholes_never_reach_the_judge() -> None:
    # Items 0 and 1 are one group already; item 2 is close to item 0 (0.8) but not to the
    # group's centroid (0.57): one pair must not chain the two.
    vectors = np.array([[1, 0, 0], [0, 0, 1], [0.8, 0.6, 0]], np.float32)
    judge = _Judge(same=True)
    texts = ["The crews came.", "The road closed.", "The firefighters arrived."]
    groups = join_by_meaning(
        [[0, 1], [2]], vectors, [0, 0, 0], [facts_of(t) for t in texts], adjudicate=judge
    )
    assert (judge.asked, groups) == ([], [[0, 1], [2]])


# --- the adjudicator: the model's answers, cached, counted, capped ----------------------


def _question(body: dict[str, Any]) -> bool:
    return bool(body["messages"][0]["content"] == load_prompt("adjudicate_system").render())


def _extraction_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A valid answer for the chunk in the request, each claim named by its own sentence."""
    numbered = body["messages"][-1]["content"].split("Its sentences:", 1)[1]
    sentences = [line.split("] ", 1)[1] for line in numbered.strip().splitlines()]
    answer = _answer(" ".join(sentences))
    for entry, sentence in zip(answer.values(), sentences, strict=True):
        entry["subject"] = sentence.rstrip(".")
    return answer


def _model(judge: Callable[[], httpx2.Response]) -> FakeEndpoint:
    """Extraction answered from the chunk; every question answered by `judge`."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        return judge() if _question(body) else _completion(_extraction_answer(body))

    return FakeEndpoint([answer] * 40)


def _says(verdict: dict[str, str] | str) -> Callable[[], httpx2.Response]:
    prompt_tokens, completion_tokens = QUESTION_TOKENS

    def answer() -> httpx2.Response:
        return _completion(
            verdict, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )

    return answer


def _questions(endpoint: FakeEndpoint) -> list[str]:
    return [body["messages"][-1]["content"] for body in endpoint.requests if _question(body)]


_T = TypeVar("_T")


def _in_a_worker(
    endpoint: FakeEndpoint,
    work: Callable[[Adjudicator], _T],
    *,
    cache: ResponseCache | None = None,
    limit: int = 100,
) -> tuple[_T, Adjudicator]:
    """`work` run in a worker thread with an adjudicator, as merging runs, while the loop
    serves the adjudicator's requests."""

    async def run() -> tuple[_T, Adjudicator]:
        client = _client(endpoint)
        try:
            adjudicator = Adjudicator(
                StructuredLLM(client, endpoint_settings()),
                cache=cache,
                budget=Budget(),
                deadline=Deadline(30),
                loop=asyncio.get_running_loop(),
                limit=limit,
            )
            return await asyncio.to_thread(work, adjudicator), adjudicator
        finally:
            await client.close()

    return asyncio.run(run())


def _judging(
    endpoint: FakeEndpoint,
    pairs: Sequence[tuple[Claim | Event, Claim | Event]],
    *,
    cache: ResponseCache | None = None,
    limit: int = 100,
) -> tuple[list[bool], Adjudicator]:
    """Each pair judged in turn."""
    return _in_a_worker(
        endpoint, lambda judge: [judge(a, b) for a, b in pairs], cache=cache, limit=limit
    )


def _claims(*texts: str) -> list[Claim]:
    return [
        factories.claim(factories.article(text, outlet=f"Outlet {n}"), text)
        for n, text in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


def _sources(claim: MergedClaim) -> list[int]:
    return [citation.source for citation in claim.citations]


@pytest.mark.parametrize("verdict", [SAME, DIFFERENT])
def test_only_the_borderline_claims_are_asked_and_the_answer_decides(
    embedder: LocalEmbedder, verdict: dict[str, str]
) -> None:
    texts = [WINDOWS_1, SMOKE_1, REOPEN_1, WINDOWS_2, SMOKE_2, REOPEN_2]
    articles = [factories.article(text, outlet=f"Outlet {n}") for n, text in enumerate(texts)]
    extractions = [factories.extraction(a, [factories.claim(a, a.text)]) for a in articles]
    sources = number_sources(articles)
    endpoint = _model(_says(verdict))

    merged, _ = _in_a_worker(
        endpoint,
        lambda judge: merge_claims(extractions, sources, embedder=embedder, adjudicate=judge),
    )

    assert _questions(endpoint) == [
        load_prompt("adjudicate_claims").render(sentences=f"A: {WINDOWS_2}\nB: {WINDOWS_1}")
    ]
    groups = sorted(_sources(claim) for claim in merged)
    windows = [[1, 4]] if verdict == SAME else [[1], [4]]
    assert groups == sorted([*windows, [2, 5], [3], [6]])


def test_borderline_events_are_asked_about_the_happening_by_its_word(
    embedder: LocalEmbedder,
) -> None:
    first, second = (
        factories.article(t, outlet=o) for t, o in [(WINDOWS_1, "A"), (WINDOWS_2, "B")]
    )
    extractions = [
        factories.extraction(a, [], [factories.event(a, a.text, date=None, trigger="keep")])
        for a in (first, second)
    ]
    endpoint = _model(_says(SAME))
    sources = number_sources([first, second])

    merged, _ = _in_a_worker(
        endpoint,
        lambda judge: merge_events(extractions, sources, embedder=embedder, adjudicate=judge),
    )

    assert len(merged) == 1
    sentences = f"A: {WINDOWS_2} [keep]\nB: {WINDOWS_1} [keep]"
    assert _questions(endpoint) == [load_prompt("adjudicate_events").render(sentences=sentences)]


def test_the_adjudicator_refuses_to_wait_for_its_own_loop() -> None:
    first, second = _claims(WINDOWS_1, WINDOWS_2)
    endpoint = FakeEndpoint([])

    async def run() -> None:
        client = _client(endpoint)
        try:
            adjudicator = Adjudicator(
                StructuredLLM(client, endpoint_settings()),
                cache=None,
                budget=Budget(),
                deadline=Deadline(30),
                loop=asyncio.get_running_loop(),
                limit=100,
            )
            with pytest.raises(RuntimeError, match="call it in a thread"):
                adjudicator(first, second)
        finally:
            await client.close()

    asyncio.run(run())
    assert endpoint.requests == []


def test_a_pair_met_the_other_way_round_is_answered_from_the_cache(tmp_path: Path) -> None:
    first, second = _claims(WINDOWS_1, WINDOWS_2)
    endpoint = _model(_says(SAME))
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        verdicts, adjudicator = _judging(endpoint, [(first, second), (second, first)], cache=cache)
    assert verdicts == [True, True]
    usage = adjudicator.usage()
    assert (usage.pairs, usage.same, usage.usage.calls, usage.usage.cache_hits) == (2, 2, 1, 1)


def test_at_most_the_cap_of_pairs_is_judged_and_the_rest_stay_apart() -> None:
    a, b, c, d = _claims(WINDOWS_1, WINDOWS_2, SMOKE_1, SMOKE_2)
    endpoint = _model(_says(SAME))
    verdicts, adjudicator = _judging(endpoint, [(a, b), (c, d), (a, d)], limit=1)
    assert verdicts == [True, False, False]
    assert len(endpoint.requests) == 1
    usage = adjudicator.usage()
    assert (usage.pairs, usage.same, usage.left_unasked) == (1, 1, 2)
    assert adjudicator.warnings() == [
        "adjudication: the cap of 1 pair(s) was reached; 2 more borderline pair(s) kept "
        "apart (max_adjudications)"
    ]


def test_answers_that_stay_invalid_keep_their_pairs_apart_with_one_warning() -> None:
    a, b, c, d = _claims(WINDOWS_1, WINDOWS_2, SMOKE_1, SMOKE_2)
    endpoint = _model(_says("the same, I think"))
    verdicts, adjudicator = _judging(endpoint, [(a, b), (c, d)])
    assert verdicts == [False, False]
    usage = adjudicator.usage()
    # Each answer re-asked once (max_reasks=1), every attempt counted.
    assert (usage.pairs, usage.failed, usage.usage.calls, usage.usage.reasks) == (2, 2, 4, 2)
    [warning] = adjudicator.warnings()
    assert warning.startswith("adjudication: no usable answer for 2 pair(s), kept apart (first: ")


# --- whole runs ---------------------------------------------------------------------------


def _story() -> list[Article]:
    return [article_from_text(text, title=f"Depot fire {n}") for n, text in enumerate(STORY)]


def _brief(endpoint: FakeEndpoint, settings: Settings) -> Briefing:
    async def run() -> Briefing:
        client = _client(endpoint)
        try:
            return await abrief(_story(), settings=settings, client=client)
        finally:
            await client.close()

    return asyncio.run(run())


def _run_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return endpoint_settings(cache_dir=tmp_path / "cache", **overrides)


def _windows_claims(briefing: Briefing) -> list[list[int]]:
    return [_sources(c) for c in briefing.claims if "windows" in (c.citations[0].quote or "")]


def test_off_by_default_no_question_is_asked(tmp_path: Path) -> None:
    endpoint = _model(_says(SAME))
    briefing = _brief(endpoint, _run_settings(tmp_path))
    assert _questions(endpoint) == []
    assert briefing.stats.adjudication is None
    assert sorted(_windows_claims(briefing)) == [[1], [2]]
    assert resolve_settings(environ={}, config_file=tmp_path / "absent.toml").adjudicate is False


def test_the_judged_pair_is_joined_counted_and_a_second_run_asks_nothing(
    tmp_path: Path,
) -> None:
    settings = _run_settings(tmp_path, adjudicate=True)
    endpoint = _model(_says(SAME))
    first = _brief(endpoint, settings)

    assert len(_questions(endpoint)) == 1
    assert _windows_claims(first) == [[1, 2]]
    judged = first.stats.adjudication
    assert judged is not None
    assert (judged.pairs, judged.same, judged.failed, judged.left_unasked) == (1, 1, 0, 0)
    assert (judged.usage.calls, judged.usage.prompt_tokens, judged.usage.completion_tokens) == (
        1,
        *QUESTION_TOKENS,
    )
    # The run's chat totals are every request the endpoint answered, questions included.
    stats = first.stats
    assert stats.llm_calls == len(endpoint.requests) == 3
    assert (stats.prompt_tokens, stats.completion_tokens) == (2 * 100 + 50, 2 * 10 + 5)
    assert stats.cost_usd is None  # model "m" has no price
    rows = [row for row in usage_table(stats) if row.startswith("| Adjudication")]
    assert rows == ["| Adjudication (1 pairs, 1 same) |  | 1 | 0 | 0 | 0 | 50 | 5 | ? |"]

    nothing = FakeEndpoint([])
    second = _brief(nothing, settings)
    assert nothing.requests == []
    again = second.stats.adjudication
    assert again is not None
    assert (again.pairs, again.same, again.usage.calls, again.usage.cache_hits) == (1, 1, 0, 1)
    assert second.claims == first.claims


@pytest.mark.parametrize(
    "judge",
    [_says("not JSON at all"), lambda: _status(400, message="bad request")],
    ids=["invalid answer", "endpoint error"],
)
def test_a_failing_judge_keeps_the_pair_apart_and_the_briefing_completes(
    tmp_path: Path, judge: Callable[[], httpx2.Response]
) -> None:
    briefing = _brief(_model(judge), _run_settings(tmp_path, adjudicate=True))
    assert sorted(_windows_claims(briefing)) == [[1], [2]]
    assert len(briefing.claims) == 4 and briefing.stats.failures == []
    judged = briefing.stats.adjudication
    assert judged is not None and (judged.pairs, judged.failed, judged.same) == (1, 1, 0)
    [warning] = [w for w in briefing.stats.warnings if "adjudication" in w]
    assert "kept apart" in warning


def test_a_spent_budget_stops_adjudicating_and_keeps_the_merge_by_embeddings(
    tmp_path: Path,
) -> None:
    # Each article's answer costs 110 tokens: the budget is spent when merging starts.
    endpoint = _model(_says(SAME))
    briefing = _brief(endpoint, _run_settings(tmp_path, adjudicate=True, max_tokens=220))
    assert _questions(endpoint) == []
    assert sorted(_windows_claims(briefing)) == [[1], [2]]
    assert briefing.stats.embeddings is not None
    judged = briefing.stats.adjudication
    assert judged is not None and (judged.pairs, judged.left_unasked) == (0, 1)
    assert briefing.stats.stopped_by_budget is not None
    assert any(
        w.startswith("adjudication stopped, later pairs kept apart: token budget reached")
        for w in briefing.stats.warnings
    )


# --- settings and the command line --------------------------------------------------------


def test_the_cap_resolves_like_every_numeric_setting(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    assert resolve_settings(environ={}, config_file=absent).max_adjudications == 100
    environ = {"SUMMARIZER_MAX_ADJUDICATIONS": "7"}
    assert resolve_settings(environ=environ, config_file=absent).max_adjudications == 7
    explicit = resolve_settings(max_adjudications=3, environ=environ, config_file=absent)
    assert explicit.max_adjudications == 3
    with pytest.raises(ConfigError, match="max_adjudications must be at least 1"):
        resolve_settings(environ={"SUMMARIZER_MAX_ADJUDICATIONS": "0"}, config_file=absent)


def test_adjudication_needs_merging_by_meaning(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="merging by meaning") as raised:
        resolve_settings(
            adjudicate=True, embeddings=False, environ={}, config_file=tmp_path / "absent.toml"
        )
    assert raised.value.hint is not None and "--no-embeddings" in raised.value.hint


@pytest.mark.parametrize("flag", [[], ["--adjudicate", "--max-adjudications", "5"]])
def test_the_command_line_switches_it_on(tmp_path: Path, flag: list[str]) -> None:
    article = tmp_path / "a.txt"
    article.write_text("The harbour board asked the council for help.\n", encoding="utf-8")
    output = tmp_path / "briefing.json"
    with StubServer(latency=0) as stub:
        result = brief_in_process(stub, str(article), "-o", str(output), "-q", *flag)
    assert result.exit_code == 0, result.output
    adjudication = json.loads(output.read_text(encoding="utf-8"))["stats"]["adjudication"]
    assert (adjudication is not None) == bool(flag)
