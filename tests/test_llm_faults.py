"""Fault injection at the model endpoint: a scripted fake OpenAI server, never cassettes.

Each test scripts what a fake OpenAI-compatible endpoint answers (an `httpx2.MockTransport`
behind a real `openai.AsyncOpenAI`), then checks who retries what: tenacity retries
transport failures (honoring Retry-After, within the article's deadline), instructor
re-asks validation failures only, a truncated answer is split rather than re-asked, and
every response that comes back is counted once in the usage.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from instructor.core.exceptions import InstructorError

import summarizer.runtime.llm
from summarizer.config import Settings
from summarizer.errors import ProviderError
from summarizer.extraction.drafts import (
    event_words,
    figure_choices,
    opening_of,
    response_model_for,
    sentence_key,
)
from summarizer.extraction.extract import extract_article
from summarizer.inputs.ingest import article_from_text
from summarizer.models import Article, ArticleExtraction
from summarizer.runtime.llm import ContextExceeded, Deadline, StructuredLLM
from summarizer.runtime.usage import UsageMeter
from summarizer.storage.cache import ResponseCache
from summarizer.text.sentences import Sentence, split_sentences

BASE_URL = "http://fault.test/v1"
TWO_SENTENCES = "The mayor said 300 homes were flooded on Monday. The river rose quickly."
ONE_SENTENCE = "The river rose quickly."
# What instructor writes when it re-asks after a validation error (any mode).
REASK_WORDING = ("Correct your JSON", "Validation Error", "Recall the function")

Step = (
    httpx2.Response
    | BaseException
    | Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]
)


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "api_key": "x",
        "model": "m",
        "mode": "json_schema",
        "max_reasks": 1,
        "article_deadline": 30,
        "request_timeout": 5,
    }
    return Settings(**{**values, **overrides})


# --- the fake endpoint -------------------------------------------------------------------


@dataclass
class FakeEndpoint:
    """Answers each request with the next scripted step and records the request's body.

    A step is a response, an exception to raise (as the transport would), or a function of
    the request. Past the end of the script it answers HTTP 418, which is never retried.
    """

    script: list[Step]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.times.append(time.monotonic())
        self.requests.append(json.loads(request.content))
        self.headers.append(dict(request.headers))
        if not self.script:
            return _status(418, message="the fault script is exhausted")
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, httpx2.Response):
            return step
        answer = step(request)
        return await answer if inspect.isawaitable(answer) else answer

    def user_messages(self, index: int) -> list[str]:
        return [m["content"] for m in self.requests[index]["messages"] if m["role"] == "user"]

    def all_text(self, index: int) -> str:
        return "\n".join(str(m.get("content")) for m in self.requests[index]["messages"])


def _completion(
    content: dict[str, Any] | str,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 10,
) -> httpx2.Response:
    text = content if isinstance(content, str) else json.dumps(content)
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-fault",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
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


def _status(
    code: int, *, retry_after: str | None = None, message: str = "fault"
) -> httpx2.Response:
    headers = {} if retry_after is None else {"retry-after": retry_after}
    return httpx2.Response(
        code, headers=headers, json={"error": {"message": message, "type": "fault"}}
    )


def _connect_error(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


# --- valid and invalid answers, built from the schema ------------------------------------


def _entry(sentence: Sentence, tag: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "opening": opening_of(sentence.text),
        "claimant": "unattributed",
        "subject": f"{tag} subject",
        "predicate": "reported",
        "object": "something",
        "stance": "asserted",
        "events": [],
    }
    figures = figure_choices(sentence.text)
    if len(figures) > 1:
        entry["figure"] = figures[0]
    return entry


def _answer(text: str, tag: str = "valid") -> dict[str, Any]:
    """A valid answer for a chunk whose text is `text`, checked against the real schema."""
    sentences = split_sentences(text)
    answer = {sentence_key(i): _entry(s, tag) for i, s in enumerate(sentences, start=1)}
    model = response_model_for(sentences)
    assert set(answer) == set(model.model_fields)
    model.model_validate(answer)  # the fixture itself must be valid
    return answer


def _article(text: str) -> Article:
    return article_from_text(text, title="Fault test")


def _extract(endpoint: FakeEndpoint, text: str, **settings: Any) -> ArticleExtraction:
    async def run() -> ArticleExtraction:
        client = _client(endpoint)
        try:
            return await extract_article(
                StructuredLLM(client, _settings(**settings)), _article(text)
            )
        finally:
            await client.close()

    return asyncio.run(run())


def _client(
    endpoint: Callable[[httpx2.Request], Coroutine[Any, Any, httpx2.Response]], **options: Any
) -> openai.AsyncOpenAI:
    transport = httpx2.MockTransport(endpoint)
    return openai.AsyncOpenAI(
        base_url=BASE_URL,
        api_key="x",
        http_client=httpx2.AsyncClient(transport=transport),
        **options,
    )


def _complete(
    endpoint: FakeEndpoint, text: str, *, client_options: dict[str, Any] | None = None
) -> tuple[Any, UsageMeter]:
    """One `StructuredLLM.complete` call for the chunk `text`, with its own meter."""
    sentences = split_sentences(text)
    meter = UsageMeter()

    async def run() -> Any:
        client = _client(endpoint, **(client_options or {}))
        try:
            return await StructuredLLM(client, _settings()).complete(
                messages=[{"role": "user", "content": text}],
                response_model=response_model_for(sentences),
                context={"chunk_text": text},
                meter=meter,
                deadline=Deadline(30),
            )
        finally:
            await client.close()

    return asyncio.run(run()), meter


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff without Retry-After waits ~1 s; make it 0 for speed."""
    monkeypatch.setattr(
        summarizer.runtime.llm, "wait_exponential_jitter", lambda **_: lambda _state: 0.0
    )


# --- validation failures are re-asked, and only those -------------------------------------


def test_invalid_answer_is_reasked_once_naming_the_problem() -> None:
    bad = _answer(TWO_SENTENCES, tag="first")
    bad["s2"]["stance"] = "sure"
    endpoint = FakeEndpoint(
        [
            _completion(bad, prompt_tokens=100, completion_tokens=40),
            _completion(
                _answer(TWO_SENTENCES, tag="second"), prompt_tokens=180, completion_tokens=45
            ),
        ]
    )

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2
    reask = endpoint.user_messages(1)[-1]
    assert "s2.stance" in reask
    assert "'sure'" in reask
    assert [c.subject for c in extraction.claims] == ["second subject", "second subject"]
    assert extraction.warnings == []
    usage = extraction.usage
    assert (usage.calls, usage.reasks) == (2, 1)
    assert (usage.prompt_tokens, usage.completion_tokens) == (280, 85)


def test_a_figure_and_what_it_counts_are_read_from_the_sentence() -> None:
    endpoint = FakeEndpoint([_completion(_answer(TWO_SENTENCES))])

    extraction = _extract(endpoint, TWO_SENTENCES)

    quantity = extraction.claims[0].quantity
    assert quantity is not None
    assert (quantity.text, quantity.value, quantity.qualifier) == ("300 homes", 300, "exact")
    assert (quantity.counted, quantity.unit) == ("homes flooded", "home")
    assert extraction.claims[1].quantity is None


def test_of_several_figures_the_one_the_model_picked_is_read_loosely() -> None:
    text = "The mayor said 300 homes and 12 shops were flooded."
    answer = _answer(text)
    # An endpoint that does not enforce the schema may point loosely: read, not re-asked.
    answer["s1"]["figure"] = "about 12 shops"
    endpoint = FakeEndpoint([_completion(answer)])

    extraction = _extract(endpoint, text)

    assert len(endpoint.requests) == 1
    quantity = extraction.claims[0].quantity
    assert quantity is not None
    assert (quantity.text, quantity.value) == ("12 shops", 12)
    assert extraction.usage.reasks == 0


def test_each_happening_named_by_a_word_of_the_sentence_is_an_event() -> None:
    answer = _answer(TWO_SENTENCES)
    answer["s1"]["events"] = [
        {"word": "flooded", "type": "incident"},
        {"word": "flood", "type": "incident"},
        {"word": "said", "type": "statement"},
    ]
    answer["s2"]["events"] = [{"word": "rose", "type": "other"}, {"word": "rose", "type": "other"}]
    endpoint = FakeEndpoint([_completion(answer)])

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 1
    # Each word once; "flood" is not the sentence's word, so it names nothing in the text.
    assert [(e.trigger, e.type) for e in extraction.events] == [
        ("flooded", "incident"),
        ("said", "statement"),
        ("rose", "other"),
    ]
    first, second, _ = extraction.events
    assert first.id != second.id
    assert first.evidence == second.evidence == extraction.claims[0].evidence


def test_the_verb_of_the_predicate_is_an_event_of_its_sentence_too() -> None:
    answer = _answer(TWO_SENTENCES)
    answer["s1"].update(predicate="were flooded", events=[{"word": "said", "type": "statement"}])
    # "rises" is not the sentence's word ("rose"), so it names nothing in the text.
    answer["s2"].update(predicate="rises quickly", events=[])
    endpoint = FakeEndpoint([_completion(answer)])

    extraction = _extract(endpoint, TWO_SENTENCES)

    # "were" is an auxiliary, never a happening; "flooded" is the sentence's own word.
    assert [(e.trigger, e.type) for e in extraction.events] == [
        ("said", "statement"),
        ("flooded", "other"),
    ]


def test_the_schema_offers_only_the_sentences_own_words_for_an_event() -> None:
    sentences = split_sentences(TWO_SENTENCES)
    schema = response_model_for(sentences).model_json_schema()
    offered = schema["$defs"]["Happening1"]["properties"]["word"]["enum"]
    assert offered == list(event_words(sentences[0].text))
    assert "flooded" in offered and "were" not in offered and "the" not in offered


def test_still_invalid_after_max_reasks_keeps_valid_sentences_with_a_warning() -> None:
    bad = _answer(TWO_SENTENCES)
    bad["s1"]["stance"] = "sure"
    endpoint = FakeEndpoint(
        [
            _completion(bad, prompt_tokens=100, completion_tokens=40),
            _completion(bad, prompt_tokens=200, completion_tokens=41),
        ]
    )

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2  # max_reasks=1: one answer, one re-ask
    assert [c.evidence[0].quote for c in extraction.claims] == ["The river rose quickly."]
    [warning] = extraction.warnings
    assert "still invalid after re-asks" in warning
    assert "kept the 1 of 2 sentence(s)" in warning
    usage = extraction.usage
    assert (usage.calls, usage.reasks) == (2, 1)
    assert (usage.prompt_tokens, usage.completion_tokens) == (300, 81)


def test_a_raw_control_character_in_a_string_loses_no_valid_entry() -> None:
    answer = _answer(TWO_SENTENCES)
    answer["s2"]["subject"] = "the\triver"
    # Invalid JSON (a raw tab inside a string) every time, as the embedded model once wrote.
    broken = json.dumps(answer).replace("\\t", "\t")
    endpoint = FakeEndpoint([_completion(broken), _completion(broken)])

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2
    assert [c.evidence[0].quote for c in extraction.claims] == [
        s.text for s in split_sentences(TWO_SENTENCES)
    ]
    [warning] = extraction.warnings
    assert "kept the 2 of 2 sentence(s)" in warning


# --- truncation is split, never re-asked -------------------------------------------------


def test_truncated_answer_is_split_in_halves_not_reasked() -> None:
    first, second = split_sentences(TWO_SENTENCES)
    endpoint = FakeEndpoint(
        [
            _completion('{"s1": {"opening": "The mayor', finish_reason="length"),
            _completion(_answer(first.text)),
            _completion(_answer(second.text)),
        ]
    )

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 3
    for index in range(3):
        assert not any(word in endpoint.all_text(index) for word in REASK_WORDING)
        assert len(endpoint.requests[index]["messages"]) == 2  # system + user, no re-ask
    assert "[s2]" in endpoint.user_messages(0)[0]
    for index, sentence in ((1, first), (2, second)):
        [user] = endpoint.user_messages(index)
        assert f"[s1] {sentence.text}" in user
        assert "[s2]" not in user
    assert [c.evidence[0].quote for c in extraction.claims] == [first.text, second.text]
    assert extraction.warnings == []
    assert extraction.chunks == 3
    assert (extraction.usage.calls, extraction.usage.reasks) == (3, 0)


@pytest.mark.parametrize(
    "refusal",
    [
        # llama-cpp-python's server (and OpenAI's wording, with its code).
        httpx2.Response(
            400,
            json={
                "error": {
                    "message": "This model's maximum context length is 512 tokens. However, "
                    "you requested 900 tokens (600 in the messages, 300 in the completion).",
                    "type": "invalid_request_error",
                    "code": "context_length_exceeded",
                }
            },
        ),
        # llama.cpp's own server.
        httpx2.Response(
            400,
            json={
                "error": {
                    "code": 400,
                    "message": "the request exceeds the available context size, try increasing it",
                    "type": "exceed_context_size_error",
                }
            },
        ),
    ],
)
def test_a_prompt_over_the_context_is_split_in_halves_like_a_truncated_answer(
    refusal: httpx2.Response, tmp_path: Path
) -> None:
    first, second = split_sentences(TWO_SENTENCES)
    endpoint = FakeEndpoint(
        [refusal, _completion(_answer(first.text)), _completion(_answer(second.text))]
    )

    async def run() -> ArticleExtraction:
        client = _client(endpoint)
        try:
            with ResponseCache(tmp_path / "responses.sqlite") as cache:
                llm = StructuredLLM(client, _settings())
                return await extract_article(llm, _article(TWO_SENTENCES), cache=cache)
        finally:
            await client.close()

    extraction = asyncio.run(run())

    assert len(endpoint.requests) == 3
    assert [c.evidence[0].quote for c in extraction.claims] == [first.text, second.text]
    assert extraction.warnings == []
    assert extraction.chunks == 3
    # The refusal is stored with the halves' answers: a re-run splits from the cache.
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        assert cache.summary().answers == 3


def test_a_single_sentence_over_the_context_is_a_warning_about_the_context() -> None:
    refusal = _status(400, message="Requested tokens (900) exceed context window of 512")
    endpoint = FakeEndpoint([refusal])

    extraction = _extract(endpoint, ONE_SENTENCE)

    assert extraction.claims == []
    [warning] = extraction.warnings
    assert "hit the model's context and cannot be split" in warning


def test_any_other_400_fails_the_article() -> None:
    endpoint = FakeEndpoint([_status(400, message="unknown field 'seed'")])

    with pytest.raises(ProviderError, match="HTTP 400: unknown field 'seed'") as raised:
        _extract(endpoint, TWO_SENTENCES)
    assert not isinstance(raised.value, ContextExceeded)


def test_truncated_single_sentence_is_a_warning_about_the_output_limit() -> None:
    endpoint = FakeEndpoint([_completion('{"s1": {"quo', finish_reason="length")])

    extraction = _extract(endpoint, ONE_SENTENCE)

    assert len(endpoint.requests) == 1
    assert extraction.claims == []
    [warning] = extraction.warnings
    assert "hit the output limit" in warning
    assert (extraction.usage.calls, extraction.usage.reasks) == (1, 0)


# --- transport failures are retried by tenacity, around each request ---------------------


def test_429_with_retry_after_zero_then_success_counts_only_the_answer() -> None:
    endpoint = FakeEndpoint(
        [
            _status(429, retry_after="0"),
            _completion(_answer(TWO_SENTENCES), prompt_tokens=120, completion_tokens=30),
        ]
    )

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2
    assert endpoint.requests[0] == endpoint.requests[1]  # the same request, resent as is
    assert len(extraction.claims) == 2
    usage = extraction.usage
    assert (usage.calls, usage.reasks) == (1, 0)
    assert (usage.prompt_tokens, usage.completion_tokens) == (120, 30)


def test_429_waits_as_long_as_retry_after_says() -> None:
    endpoint = FakeEndpoint([_status(429, retry_after="1"), _completion(_answer(ONE_SENTENCE))])

    result, meter = _complete(endpoint, ONE_SENTENCE)

    assert result.s1.subject == "valid subject"
    assert len(endpoint.times) == 2
    assert endpoint.times[1] - endpoint.times[0] >= 0.95
    assert (meter.calls, meter.reasks) == (1, 0)


def test_503_twice_then_success() -> None:
    endpoint = FakeEndpoint(
        [
            _status(503, retry_after="0"),
            _status(503, retry_after="0"),
            _completion(_answer(TWO_SENTENCES)),
        ]
    )

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 3
    assert len(extraction.claims) == 2
    assert extraction.warnings == []
    assert (extraction.usage.calls, extraction.usage.reasks) == (1, 0)


def test_401_is_a_provider_error_with_a_hint_and_not_retried() -> None:
    endpoint = FakeEndpoint([_status(401, message="invalid api key")])

    with pytest.raises(ProviderError) as caught:
        _extract(endpoint, TWO_SENTENCES)

    error = caught.value
    assert type(error) is ProviderError
    assert not isinstance(error, InstructorError)
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert error.status_code == 401
    assert error.retryable is False
    assert error.hint is not None
    assert "api-key" in error.hint
    assert "HTTP 401" in error.message
    # The provider's own words, not the SDK's "Error code: 401 - {'error': ...}".
    assert error.message.endswith("answered HTTP 401: invalid api key")
    assert len(endpoint.requests) == 1


def test_connection_error_is_retried_then_succeeds(no_backoff: None) -> None:
    endpoint = FakeEndpoint([_connect_error, _completion(_answer(TWO_SENTENCES))])

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2
    assert len(extraction.claims) == 2
    assert (extraction.usage.calls, extraction.usage.reasks) == (1, 0)


def test_connection_error_for_good_is_a_retryable_provider_error(no_backoff: None) -> None:
    endpoint = FakeEndpoint([_connect_error] * 6)

    with pytest.raises(ProviderError) as caught:
        _extract(endpoint, TWO_SENTENCES)

    assert caught.value.retryable is True
    assert caught.value.status_code is None
    assert len(endpoint.requests) == 6  # tenacity's attempt cap


def test_article_deadline_cuts_a_long_retry_after_and_stops_retries() -> None:
    def unavailable(_: httpx2.Request) -> httpx2.Response:
        return _status(503, retry_after="60")

    endpoint = FakeEndpoint([unavailable] * 10)
    started = time.monotonic()

    with pytest.raises(ProviderError) as caught:
        _extract(endpoint, TWO_SENTENCES, article_deadline=1.0)

    elapsed = time.monotonic() - started
    assert caught.value.status_code == 503
    assert caught.value.retryable is True
    assert 0.9 <= elapsed < 5
    # Stopped by the deadline, well before tenacity's cap of 6 attempts.
    assert 2 <= len(endpoint.requests) <= 3


def test_sdk_retries_are_off_even_when_the_client_asks_for_them() -> None:
    endpoint = FakeEndpoint([_status(500, retry_after="0"), _completion(_answer(ONE_SENTENCE))])

    result, meter = _complete(endpoint, ONE_SENTENCE, client_options={"max_retries": 5})

    assert result.s1.subject == "valid subject"
    assert len(endpoint.requests) == 2
    # The SDK numbers its own retries; both requests are first tries, resent by tenacity.
    assert [h["x-stainless-retry-count"] for h in endpoint.headers] == ["0", "0"]
    assert (meter.calls, meter.reasks) == (1, 0)


def test_sdk_retries_are_off_for_a_failure_that_stays() -> None:
    def server_error(_: httpx2.Request) -> httpx2.Response:
        return _status(500, retry_after="0")

    endpoint = FakeEndpoint([server_error] * 40)

    with pytest.raises(ProviderError) as caught:
        _complete(endpoint, ONE_SENTENCE, client_options={"max_retries": 5})

    assert caught.value.status_code == 500
    # tenacity's 6 attempts, not 6 x (1 + 5) with the SDK's retries nested inside.
    assert len(endpoint.requests) == 6
    assert {h["x-stainless-retry-count"] for h in endpoint.headers} == {"0"}


def test_retry_after_as_an_http_date_is_honored() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    retry_after = email.utils.format_datetime(past, usegmt=True)
    endpoint = FakeEndpoint(
        [_status(429, retry_after=retry_after), _completion(_answer(ONE_SENTENCE))]
    )

    result, meter = _complete(endpoint, ONE_SENTENCE)

    assert result.s1.subject == "valid subject"
    assert len(endpoint.times) == 2
    assert endpoint.times[1] - endpoint.times[0] < 0.5  # a date in the past means: now
    assert (meter.calls, meter.reasks) == (1, 0)


# --- regressions: bugs found by these tests, now fixed ---------------------------------------


def test_malformed_retry_after_falls_back_to_backoff(no_backoff: None) -> None:
    endpoint = FakeEndpoint([_status(429, retry_after="soon"), _completion(_answer(TWO_SENTENCES))])

    extraction = _extract(endpoint, TWO_SENTENCES)

    assert len(endpoint.requests) == 2
    assert extraction.warnings == []
    assert len(extraction.claims) == 2


def test_no_request_is_sent_after_the_article_deadline() -> None:
    two_paragraphs = "The mayor said 300 homes were flooded on Monday.\n\nThe river rose quickly."
    first, second = split_sentences(two_paragraphs)

    async def slow(answer: dict[str, Any]) -> httpx2.Response:
        await asyncio.sleep(0.4)
        return _completion(answer)

    endpoint = FakeEndpoint(
        [lambda _: slow(_answer(first.text)), lambda _: slow(_answer(second.text))]
    )

    raised = None
    try:
        _extract(endpoint, two_paragraphs, article_deadline=0.3, chunk_chars=50)
    except ProviderError as error:
        raised = error
    assert len(endpoint.requests) == 1  # the second chunk starts after the deadline
    assert raised is not None


def test_unparseable_warning_names_the_validation_error() -> None:
    bad = _answer(TWO_SENTENCES)
    bad["s1"]["stance"] = "sure"
    endpoint = FakeEndpoint([_completion(bad), _completion(bad)])

    extraction = _extract(endpoint, TWO_SENTENCES)

    [warning] = extraction.warnings
    assert "<failed_attempts>" not in warning
    assert "validation error" in warning
