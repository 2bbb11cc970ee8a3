"""Merging by meaning with the endpoint's `/v1/embeddings`, end to end through the local
OpenAI stub (summarizer/testing/stub.py): counted in the run statistics, cached, batched,
unit length, and a failing endpoint is one line."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from summarizer import Briefing, ConfigError, Settings, brief, resolve_settings
from summarizer.runtime.backend import open_backend
from summarizer.runtime.backends import Backend
from summarizer.runtime.embeddings import LocalEmbedder, Matrix
from summarizer.runtime.llm import Deadline
from summarizer.runtime.remote_embeddings import BATCH_TEXTS, RemoteEmbedder
from summarizer.runtime.usage import Budget, UsageMeter
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME
from summarizer.testing.stub import EMBEDDING_DIMENSIONS, STUB_MODEL, StubServer, stub_vector
from tests.support.stub_cli import brief_as_process
from tests.test_stub_runs import ARTICLES

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

EMBEDDING_MODEL = "stub-embedding"


def _settings(tmp_path: Path, base_url: str, **options: Any) -> Settings:
    return resolve_settings(
        base_url=base_url,
        model=STUB_MODEL,
        mode="json_schema",
        embedding_model=EMBEDDING_MODEL,
        cache_dir=tmp_path / "cache",
        remember=False,
        environ={},
        config_file=tmp_path / "absent.toml",
        **options,
    )


@pytest.fixture
def no_local_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an embedding model at the endpoint, the local model is never asked."""

    def refuse(self: LocalEmbedder, texts: Sequence[str]) -> Matrix:
        raise AssertionError("the local embedding model was used")

    monkeypatch.setattr(LocalEmbedder, "embed", refuse)
    monkeypatch.setattr(LocalEmbedder, "prepare", refuse)


def _content(briefing: Briefing) -> dict[str, Any]:
    return briefing.model_dump(exclude={"generated_at", "stats"})


@pytest.mark.usefixtures("no_local_model")
def test_the_endpoints_vectors_are_counted_and_the_second_run_asks_for_none(
    tmp_path: Path,
) -> None:
    with StubServer(latency=0) as stub:
        base_url = stub.base_url
        settings = _settings(tmp_path, base_url)
        first = brief(ARTICLES[:3], settings=settings)
        served = stub.stats()
        stub.reset_stats()
        second = brief(ARTICLES[:3], settings=settings)
        served_again = stub.stats()

    usage = first.stats.embeddings
    assert usage is not None
    assert (usage.model, usage.endpoint) == (EMBEDDING_MODEL, base_url)
    assert usage.texts == usage.computed == served["embedding_inputs"] > 0
    assert usage.requests == served["embedding_requests"] == 1
    assert usage.prompt_tokens == served["embedding_tokens"]
    assert usage.cache_hits == 0
    # Chat figures stay the chat's own: the embedding request is counted apart.
    assert first.stats.llm_calls == served["answered"]
    assert first.stats.prompt_tokens == served["prompt_tokens"]
    assert (tmp_path / "cache" / VECTOR_CACHE_FILE_NAME).exists()

    assert served_again["embedding_requests"] == served_again["requests"] == 0
    again = second.stats.embeddings
    assert again is not None
    assert (again.cache_hits, again.computed, again.requests) == (usage.texts, 0, 0)
    assert _content(second) == _content(first)


@pytest.mark.usefixtures("no_local_model")
def test_no_cache_neither_reads_nor_writes_vectors(tmp_path: Path) -> None:
    with StubServer(latency=0) as stub:
        settings = _settings(tmp_path, stub.base_url, cache=False)
        brief(ARTICLES[:2], settings=settings)
        brief(ARTICLES[:2], settings=settings)
        served = stub.stats()
    assert served["embedding_requests"] == 2
    assert not (tmp_path / "cache").exists()


def test_the_embedding_cost_is_priced_as_the_embedding_model(tmp_path: Path) -> None:
    prices = {STUB_MODEL: (1.0, 2.0), EMBEDDING_MODEL: (10.0, 0.0)}
    with StubServer(latency=0) as stub:
        briefing = brief(ARTICLES[:2], settings=_settings(tmp_path, stub.base_url, prices=prices))
    stats = briefing.stats
    assert stats.embeddings is not None
    embedding_cost = stats.embeddings.prompt_tokens * 10.0 / 1e6
    assert stats.embeddings.cost_usd == pytest.approx(embedding_cost)
    chat_cost = (stats.prompt_tokens * 1.0 + stats.completion_tokens * 2.0) / 1e6
    assert stats.cost_usd == pytest.approx(chat_cost + embedding_cost)


def test_a_spent_budget_merges_by_wording_alone(tmp_path: Path) -> None:
    with StubServer(latency=0) as stub:
        settings = _settings(tmp_path, stub.base_url, max_tokens=1, concurrency=1)
        briefing = brief(ARTICLES[:2], settings=settings)
        served = stub.stats()
    assert served["embedding_requests"] == 0
    assert briefing.stats.stopped_by_budget is not None
    assert briefing.stats.embeddings is not None
    assert briefing.stats.embeddings.requests == 0
    assert any(w.startswith("merged by wording alone: ") for w in briefing.stats.warnings)


def test_vectors_come_back_in_order_in_batches_and_of_unit_length() -> None:
    texts = [f"sentence number {n} about the harbour" for n in range(BATCH_TEXTS + 5)]
    with StubServer(latency=0) as stub:
        settings = Settings(
            base_url=stub.base_url,
            api_key="not-needed",
            model=STUB_MODEL,
            mode="json_schema",
            embedding_model=EMBEDDING_MODEL,
        )

        async def embed() -> Matrix:
            async with open_backend(settings) as llm:
                embedder = RemoteEmbedder(
                    llm,
                    model=EMBEDDING_MODEL,
                    endpoint=stub.base_url,
                    meter=UsageMeter(budget=Budget(), embeddings=True),
                    deadline=Deadline(60),
                    loop=asyncio.get_running_loop(),
                )
                with pytest.raises(RuntimeError, match="in a thread"):
                    embedder.embed(texts[:1])
                return await asyncio.to_thread(embedder.embed, texts)

        vectors = asyncio.run(embed())
        served = stub.stats()

    assert served["embedding_requests"] == 2
    assert vectors.shape == (len(texts), EMBEDDING_DIMENSIONS)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(len(texts)), abs=1e-6)
    expected = np.asarray(stub_vector(texts[-1]))
    assert vectors[-1] == pytest.approx(expected / np.linalg.norm(expected), abs=1e-6)


def test_an_endpoint_without_embeddings_is_one_line_and_exit_1(tmp_path: Path) -> None:
    articles = tmp_path / "article.txt"
    articles.write_text(ARTICLES[0] + "\n", encoding="utf-8")
    with StubServer(latency=0, embeddings=False) as stub:
        result = brief_as_process(
            tmp_path, stub, str(articles), "--embedding-model", EMBEDDING_MODEL, "-q"
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: embeddings ({EMBEDDING_MODEL}): ")
    assert "HTTP 404" in lines[0]
    assert "--embedding-model" in lines[0]


def test_the_setting_resolves_in_the_documented_order(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    base: dict[str, Any] = {
        "base_url": "http://127.0.0.1:1/v1",
        "model": "m",
        "config_file": absent,
    }
    from_env = resolve_settings(environ={"SUMMARIZER_EMBEDDING_MODEL": "env-model"}, **base)
    explicit = resolve_settings(
        embedding_model="flag-model", environ={"SUMMARIZER_EMBEDDING_MODEL": "env"}, **base
    )
    config = tmp_path / "config.toml"
    config.write_text('embedding_model = "file-model"\n', encoding="utf-8")
    from_file = resolve_settings(
        base_url="http://127.0.0.1:1/v1", model="m", environ={}, config_file=config
    )
    assert (from_env.embedding_model, explicit.embedding_model) == ("env-model", "flag-model")
    assert from_file.embedding_model == "file-model"
    assert from_file.remote_embeddings
    assert not resolve_settings(environ={}, **base).remote_embeddings
    with pytest.raises(ConfigError, match="served by an endpoint"):
        resolve_settings(embedding_model="any", environ={}, config_file=absent)


def test_a_cost_budget_needs_the_embedding_models_price(tmp_path: Path) -> None:
    settings = resolve_settings(
        base_url="http://127.0.0.1:1/v1",
        model="gpt-4o-mini",
        embedding_model="unpriced-embedder",
        max_cost=1.0,
        environ={},
        config_file=tmp_path / "absent.toml",
    )
    with pytest.raises(ConfigError, match="unpriced-embedder"):
        Budget.for_run(settings, Backend.for_run(settings))


def test_the_local_models_vectors_are_cached_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StubServer(latency=0) as stub:
        settings = resolve_settings(
            base_url=stub.base_url,
            model=STUB_MODEL,
            mode="json_schema",
            cache_dir=tmp_path / "cache",
            remember=False,
            environ={},
            config_file=tmp_path / "absent.toml",
        )
        first = brief(ARTICLES[:3], settings=settings)

        def refuse(self: LocalEmbedder, texts: Sequence[str]) -> Matrix:
            raise AssertionError("a vector was computed again")

        monkeypatch.setattr(LocalEmbedder, "embed", refuse)
        second = brief(ARTICLES[:3], settings=settings)
        served = stub.stats()

    usage, again = first.stats.embeddings, second.stats.embeddings
    assert usage is not None and again is not None
    assert (usage.model, usage.endpoint, usage.requests) == ("all-MiniLM-L6-v2", "local", 0)
    assert usage.computed == usage.texts > 0
    assert (again.cache_hits, again.computed) == (usage.texts, 0)
    assert served["embedding_requests"] == 0
    assert _content(second) == _content(first)
