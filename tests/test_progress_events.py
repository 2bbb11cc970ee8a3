"""A run's progress, as `brief(on_progress=...)` receives it: typed events, in order.

The endpoint is the fault-injecting fake transport, whose answers report known usage, so the
tokens each event carries can be checked exactly.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import openai
import pydantic
import pytest

from summarizer import (
    ArticleRef,
    Briefing,
    ProgressEvent,
    ProgressStage,
    Settings,
    abrief,
    brief,
    gather_articles,
)
from summarizer.runtime import backend
from summarizer.testing.stub import STUB_MODEL, StubServer
from tests.test_llm_faults import FakeEndpoint, _answer, _client, _completion, _settings, _status

FLOOD = "The mayor said 300 homes were flooded on Monday. The river rose quickly."
FIRE = "Fire crews said 2 barns burned down on Tuesday. Nobody was hurt in the fire."
# No figures, dates or times: the stub's placeholder answers fit it.
STUB_ARTICLE = "The harbour board asked the council for help. Local farmers welcomed the plan."


def _run(
    endpoint: FakeEndpoint, texts: list[str], settings: Settings | None = None
) -> tuple[Briefing, list[ProgressEvent]]:
    events: list[ProgressEvent] = []

    async def run() -> Briefing:
        client: openai.AsyncOpenAI = _client(endpoint)
        try:
            return await abrief(
                texts, settings=settings or _settings(), client=client, on_progress=events.append
            )
        finally:
            await client.close()

    return asyncio.run(run()), events


def test_a_run_reports_typed_events_in_order_with_the_tokens_spent_so_far() -> None:
    endpoint = FakeEndpoint(
        [
            _completion(_answer(FLOOD), prompt_tokens=120, completion_tokens=80),
            _completion(_answer(FIRE), prompt_tokens=100, completion_tokens=60),
        ]
    )

    briefing, events = _run(endpoint, [FLOOD, FIRE])

    assert [event.stage for event in events] == [
        ProgressStage.READING,
        ProgressStage.EXTRACTING,
        ProgressStage.EXTRACTED,
        ProgressStage.EXTRACTING,
        ProgressStage.EXTRACTED,
        ProgressStage.MERGING,
        ProgressStage.EMBEDDING,
        ProgressStage.DONE,
    ]
    read, start_1, done_1, start_2, done_2, merging, _embedding, done = events
    assert read.message.startswith("read 2 article(s); model m at http://fault.test/v1")
    assert (read.articles_total, read.articles_done) == (2, 0)
    assert start_1.article == ArticleRef(label=FLOOD, index=1, total=2)
    assert start_1.message == f"[1/2] extracting {FLOOD}"
    assert (start_1.prompt_tokens, start_1.output_tokens) == (0, 0)
    assert (done_1.prompt_tokens, done_1.output_tokens, done_1.articles_done) == (120, 80, 1)
    assert done_1.message.startswith(f"[1/2] {done_1.claims} claims, {done_1.events} events, ")
    assert done_1.verified_quotes == done_1.claims == 2
    assert start_2.article is not None and start_2.article.index == 2
    assert (done_2.prompt_tokens, done_2.output_tokens, done_2.articles_done) == (220, 140, 2)
    assert done_1.claims is not None and done_2.claims is not None
    assert merging.claims == done_1.claims + done_2.claims
    assert (done.claims, done.events) == (len(briefing.claims), len(briefing.events))
    assert done.verified_quotes == (done_1.verified_quotes or 0) + (done_2.verified_quotes or 0)
    stats = briefing.stats
    assert (done.prompt_tokens, done.output_tokens) == (
        stats.prompt_tokens,
        stats.completion_tokens,
    )
    assert done.message == (
        f"done: {len(briefing.claims)} claims, {len(briefing.events)} events, "
        f"0 disagreements from 2 sources in {stats.wall_seconds:.1f} s"
    )
    seconds = [event.elapsed_seconds for event in events]
    assert seconds == sorted(seconds)
    assert all(str(event) == event.message for event in events)


def test_a_failed_article_is_an_event_of_its_own_and_counts_as_done() -> None:
    endpoint = FakeEndpoint([_status(400, message="context too long"), _completion(_answer(FIRE))])

    _briefing, events = _run(endpoint, [FLOOD, FIRE])

    failed = [event for event in events if event.stage is ProgressStage.FAILED]
    assert len(failed) == 1
    assert failed[0].article == ArticleRef(label=FLOOD, index=1, total=2)
    assert failed[0].message.startswith("[1/2] failed: ")
    assert "HTTP 400" in failed[0].message
    assert failed[0].articles_done == 1
    assert events[-1].stage is ProgressStage.DONE
    assert events[-1].articles_done == 2


def test_a_cache_the_run_cannot_use_is_a_warning_event(tmp_path: Path) -> None:
    # A folder where the cache's file should be: SQLite cannot open it.
    (tmp_path / "responses.sqlite").mkdir()
    endpoint = FakeEndpoint([_completion(_answer(FIRE))])

    _briefing, events = _run(endpoint, [FIRE], _settings(cache_dir=tmp_path))

    warnings = [event for event in events if event.stage is ProgressStage.WARNING]
    assert len(warnings) == 1
    assert warnings[0].message.startswith("warning: response cache ")
    assert warnings[0].message.endswith("running without it")


def test_events_are_frozen() -> None:
    event = ProgressEvent(stage=ProgressStage.READING, message="read 1 article(s)")

    with pytest.raises(pydantic.ValidationError):
        event.message = "something else"  # type: ignore[misc]


def test_gather_articles_reports_its_notes_as_reading_events() -> None:
    events: list[ProgressEvent] = []

    gathered = asyncio.run(gather_articles([FIRE, FIRE], on_progress=events.append))

    assert len(gathered.articles) == 1
    assert [event.stage for event in events] == [ProgressStage.READING]
    assert events[0].message == gathered.notes[0]
    assert "duplicate article(s) folded" in events[0].message


class _StubAsEmbeddedServer:
    """Stands in for the embedded llama.cpp server: the stub answers in its place."""

    base_url = ""

    def __init__(self, weights: Path, **_options: object) -> None:
        assert weights.is_file()

    def start(self) -> None:
        pass

    def ensure_alive(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
def test_starting_the_embedded_model_is_an_event_before_its_first_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    events: list[ProgressEvent] = []
    with StubServer(latency=0) as stub:
        monkeypatch.setattr(_StubAsEmbeddedServer, "base_url", stub.base_url)
        monkeypatch.setattr(backend, "EmbeddedServer", _StubAsEmbeddedServer)
        settings = Settings(base_url=None, api_key="x", model=STUB_MODEL, mode="json_schema")
        brief([STUB_ARTICLE], settings=replace(settings, gguf=gguf), on_progress=events.append)

    stages = [event.stage for event in events]
    assert stages[:3] == [
        ProgressStage.READING,
        ProgressStage.EXTRACTING,
        ProgressStage.STARTING_MODEL,
    ]
    assert events[2].message == "starting the embedded model (llama.cpp on 127.0.0.1)"
    assert stages[-1] is ProgressStage.DONE
