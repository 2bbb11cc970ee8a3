"""The merge stage pauses the cyclic collector while it runs and leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from summarizer.briefing.ledger import build_ledger
from summarizer.briefing.merge import merge_claims, merge_events
from summarizer.runtime.collector import cycle_collection_paused
from summarizer.testing.synthetic_claims import synthetic_corpus


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    gc.enable()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    with cycle_collection_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_restores_the_collector() -> None:
    gc.enable()
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError("inside")
    assert gc.isenabled()


class _WatchingEmbedder:
    """Notes whether the collector ran while the stage asked for vectors."""

    name = "watching"

    def __init__(self) -> None:
        self.collector_enabled: list[bool] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.collector_enabled.append(gc.isenabled())
        vectors = np.random.default_rng(len(texts)).standard_normal((len(texts), 8))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_the_stage_runs_with_the_collector_paused() -> None:
    gc.enable()
    corpus = synthetic_corpus(60, seed=3)
    embedder = _WatchingEmbedder()

    claims = merge_claims(corpus.extractions, corpus.sources, embedder=embedder)
    merge_events(corpus.extractions, corpus.sources, embedder=embedder)
    build_ledger(claims, corpus.sources)

    assert embedder.collector_enabled and not any(embedder.collector_enabled)
    assert gc.isenabled()
