"""The vector cache: a real SQLite file, read back by another instance, as another run would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.runtime.embeddings import CachedEmbedder, Matrix
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME, VectorCache

TEXTS = ["The A614 was shut for six hours.", "Police evacuated 40 homes."]


def _vectors(count: int, dimensions: int = 8, seed: int = 1) -> Matrix:
    rows = np.random.default_rng(seed).normal(size=(count, dimensions)).astype(np.float32)
    unit: Matrix = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return unit


class _CountingEmbedder:
    """Vectors from a fixed table; remembers every batch it was asked for."""

    name = "counting"
    identity = "counting v1"

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.asked.append(list(texts))
        return np.stack([_vectors(1, seed=len(text))[0] for text in texts])


def test_vectors_written_by_one_run_are_read_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / VECTOR_CACHE_FILE_NAME
    vectors = _vectors(2)
    with VectorCache(path) as cache:
        cache.put("model a", TEXTS, vectors)

    with VectorCache(path) as cache:
        found = cache.get("model a", [*TEXTS, "never stored"])
        other_model = cache.get("model b", TEXTS)

    assert set(found) == set(TEXTS)
    for row, text in enumerate(TEXTS):
        assert found[text].dtype == np.float32
        assert np.array_equal(found[text], vectors[row])
    assert other_model == {}


def test_a_long_list_is_looked_up_in_parts(tmp_path: Path) -> None:
    texts = [f"sentence {number}" for number in range(1_234)]
    vectors = _vectors(len(texts))
    with VectorCache(tmp_path / VECTOR_CACHE_FILE_NAME) as cache:
        cache.put("model", texts, vectors)
        found = cache.get("model", texts)
    assert len(found) == len(texts)
    assert np.array_equal(found["sentence 1233"], vectors[1233])


def test_summary_and_clear(tmp_path: Path) -> None:
    path = tmp_path / VECTOR_CACHE_FILE_NAME
    with VectorCache(path) as cache:
        assert cache.summary().vectors == 0
        assert not path.exists()  # reading an absent cache does not create it
        cache.put("model a", TEXTS, _vectors(2))
        cache.put("model b", TEXTS[:1], _vectors(1))
        summary = cache.summary()
        assert (summary.vectors, summary.by_embedder) == (3, {"model a": 2, "model b": 1})
        assert summary.size_bytes > 0
        assert cache.clear() == 3
        assert cache.get("model a", TEXTS) == {}


def test_an_unusable_file_is_reported_once_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / VECTOR_CACHE_FILE_NAME
    path.write_bytes(b"this is not an SQLite database, only bytes " * 100)
    with VectorCache(path) as cache:
        cache.put("model", TEXTS, _vectors(2))
        assert cache.get("model", TEXTS) == {}
        assert cache.problem is not None
        assert "vector cache" in cache.problem


def test_the_cached_embedder_embeds_each_text_once_across_runs(tmp_path: Path) -> None:
    path = tmp_path / VECTOR_CACHE_FILE_NAME
    inner = _CountingEmbedder()
    with VectorCache(path) as cache:
        first = CachedEmbedder(inner, cache=cache)
        vectors = first.embed([TEXTS[0], TEXTS[1], TEXTS[0]])
        first.embed(TEXTS)
    assert inner.asked == [TEXTS]
    assert (first.texts, first.computed, first.cache_hits) == (2, 2, 0)
    assert np.array_equal(vectors[0], vectors[2])

    with VectorCache(path) as cache:
        second = CachedEmbedder(inner, cache=cache)
        again = second.embed([*TEXTS, "a new sentence"])
    assert inner.asked == [TEXTS, ["a new sentence"]]
    assert (second.texts, second.computed, second.cache_hits) == (3, 1, 2)
    assert np.array_equal(again[:2], vectors[:2])


def test_without_a_cache_only_the_run_remembers(tmp_path: Path) -> None:
    inner = _CountingEmbedder()
    CachedEmbedder(inner, cache=None).embed(TEXTS)
    CachedEmbedder(inner, cache=None).embed(TEXTS)
    assert inner.asked == [TEXTS, TEXTS]
    assert CachedEmbedder(inner, cache=None).embed([]).shape[0] == 0


def test_cache_show_and_clear_cover_the_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tmp_path / "absent.toml"))
    with VectorCache(tmp_path / VECTOR_CACHE_FILE_NAME) as cache:
        cache.put("all-MiniLM-L6-v2 test", TEXTS, _vectors(2))

    shown = CliRunner().invoke(app, ["cache", "show"])
    cleared = CliRunner().invoke(app, ["cache", "clear"])
    shown_after = CliRunner().invoke(app, ["cache", "show"])

    assert shown.exit_code == 0, shown.output
    assert "sentence vectors: 2" in shown.output
    assert "all-MiniLM-L6-v2 test: 2" in shown.output
    assert f"removed 2 sentence vector(s) from {tmp_path / VECTOR_CACHE_FILE_NAME}" in (
        cleared.output
    )
    assert "sentence vectors: 0" in shown_after.output
