"""The Python API with an injected client: async and sync, and one bad article of several.

The endpoint is the fault-injecting fake transport, never a cassette.
"""

from __future__ import annotations

import asyncio
import json
import warnings

import httpx2
import openai

from summarizer import Briefing, abrief, brief
from summarizer.errors import UserError
from tests.test_llm_faults import BASE_URL, FakeEndpoint, _answer, _completion, _settings, _status

FLOOD = "The mayor said 300 homes were flooded on Monday. The river rose quickly."
FIRE = "Fire crews said 2 barns burned down on Tuesday. Nobody was hurt in the fire."


def test_abrief_uses_the_injected_async_client_and_leaves_it_open() -> None:
    endpoint = FakeEndpoint([_completion(_answer(FLOOD), prompt_tokens=120, completion_tokens=80)])

    async def run() -> tuple[int, bool]:
        client = openai.AsyncOpenAI(
            base_url=BASE_URL,
            api_key="x",
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(endpoint)),
        )
        briefing = await abrief([FLOOD], settings=_settings(), client=client)
        still_open = not client.is_closed()
        await client.close()
        return len(briefing.claims), still_open

    claims, still_open = asyncio.run(run())

    assert claims == 2
    assert still_open
    assert len(endpoint.requests) == 1


def test_brief_accepts_a_sync_client() -> None:
    answer = _completion(_answer(FLOOD), prompt_tokens=120, completion_tokens=80)
    seen: list[dict[str, object]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return answer

    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    briefing = brief([FLOOD], settings=_settings(), client=client)
    client.close()

    assert len(seen) == 1
    assert briefing.stats.llm_calls == 1
    assert (briefing.stats.prompt_tokens, briefing.stats.completion_tokens) == (120, 80)
    assert all(c.quote for claim in briefing.claims for c in claim.citations)


def test_one_failing_article_is_reported_and_the_rest_is_briefed() -> None:
    endpoint = FakeEndpoint([_status(400, message="context too long"), _completion(_answer(FIRE))])

    async def run() -> Briefing:
        client = openai.AsyncOpenAI(
            base_url=BASE_URL,
            api_key="x",
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(endpoint)),
        )
        try:
            return await abrief([FLOOD, FIRE], settings=_settings(), client=client)
        finally:
            await client.close()

    briefing = asyncio.run(run())

    assert [s.title for s in briefing.sources] == [FIRE]
    assert len(briefing.stats.failures) == 1
    assert "HTTP 400" in briefing.stats.failures[0].message


def test_brief_inside_a_running_event_loop_fails_at_once_naming_abrief() -> None:
    # As in a notebook cell: a loop is running, so brief() cannot start its own.
    async def in_a_notebook() -> UserError:
        try:
            brief([FLOOD], settings=_settings())
        except UserError as error:
            return error
        raise AssertionError("brief() ran inside a running loop")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited"
        error = asyncio.run(in_a_notebook())

    assert "running event loop" in str(error)
    assert error.hint is not None and "abrief" in error.hint
