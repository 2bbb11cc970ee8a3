"""Sentence vectors from the endpoint's `/v1/embeddings`, through the run's own client.

Merging is synchronous (`assemble`), while the client is asynchronous and belongs to the
run's event loop. So merging runs in a worker thread, and `embed` there hands its requests
to the loop and waits for them (the loop has nothing else to do meanwhile). Texts go in
batches, all batches at once: `StructuredLLM.embed` bounds what is in flight, checks the
budget, retries transport failures and counts every answer in the meter, as for chat.
Vectors are L2-normalised here, since not every server sends unit vectors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from summarizer.errors import ProviderError
from summarizer.runtime.concurrency import all_in_order
from summarizer.runtime.embeddings import Matrix
from summarizer.runtime.llm import Deadline, StructuredLLM
from summarizer.runtime.usage import UsageMeter

__all__ = ["RemoteEmbedder"]

# Texts per request: far below OpenAI's 2,048 inputs, and short enough in tokens (news
# sentences, ~30 tokens each) for small local servers that embed a request in one batch.
BATCH_TEXTS = 128
_HINT = (
    "check that the endpoint serves /v1/embeddings and the model name; drop "
    "--embedding-model to use the local all-MiniLM-L6-v2 (extraction answers are cached)"
)


class RemoteEmbedder:
    """The endpoint's embedding model, called from a worker thread while the loop runs.

    Example:
        >>> embedder = RemoteEmbedder(llm, model="text-embedding-3-small",  # doctest: +SKIP
        ...     endpoint=url, meter=meter, deadline=deadline, loop=asyncio.get_running_loop())
        >>> await asyncio.to_thread(embedder.embed, ["a sentence"])  # doctest: +SKIP
    """

    def __init__(
        self,
        llm: StructuredLLM,
        *,
        model: str,
        endpoint: str,
        meter: UsageMeter,
        deadline: Deadline,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.name = model
        # The vector cache's key: the same model name at another endpoint may be another model.
        self.identity = f"{endpoint} {model}"
        self._llm = llm
        self._meter = meter
        self._deadline = deadline
        self._loop = loop

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit vector per text; blocks until the endpoint answered every batch.

        Raises:
            ProviderError: the endpoint failed, or answered something that is not vectors.
            BudgetExceeded: the run's budget was spent before a request was sent.
            RuntimeError: called on the event loop's own thread (it would wait forever).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run_coroutine_threadsafe(self.aembed(texts), self._loop).result()
        raise RuntimeError("RemoteEmbedder.embed waits for the event loop: call it in a thread")

    async def aembed(self, texts: Sequence[str]) -> Matrix:
        """`embed` for the event loop's own thread."""
        batches = [list(texts[i : i + BATCH_TEXTS]) for i in range(0, len(texts), BATCH_TEXTS)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(await all_in_order(self._batch(batch) for batch in batches))

    async def _batch(self, texts: list[str]) -> Matrix:
        try:
            response = await self._llm.embed(
                texts, model=self.name, meter=self._meter, deadline=self._deadline
            )
        except ProviderError as error:
            raise ProviderError(
                f"embeddings ({self.name}): {error.message}",
                # The chat request's hints name --model; keep only those that still apply.
                hint=error.hint if error.status_code in (None, 401, 403) else _HINT,
                retryable=error.retryable,
                status_code=error.status_code,
            ) from None
        return self._unit_vectors(response, len(texts))

    def _unit_vectors(self, response: Any, count: int) -> Matrix:
        data = getattr(response, "data", None)
        if not isinstance(data, list) or len(data) != count:
            got = len(data) if isinstance(data, list) else "no"
            raise self._bad_answer(f"{got} vectors for {count} texts")
        rows: list[Any] = [None] * count
        for position, item in enumerate(data):
            index = getattr(item, "index", position)
            if not isinstance(index, int) or not 0 <= index < count or rows[index] is not None:
                raise self._bad_answer(f"vector index {index!r} out of place")
            rows[index] = getattr(item, "embedding", None)
        try:
            vectors = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise self._bad_answer("vectors that are not lists of numbers") from None
        if vectors.ndim != 2 or vectors.shape[1] == 0 or not np.isfinite(vectors).all():
            raise self._bad_answer("vectors that are not lists of numbers of one length")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # A zero vector stays zero: close to nothing, so it joins nothing.
        unit: Matrix = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return unit

    def _bad_answer(self, what: str) -> ProviderError:
        return ProviderError(f"embeddings ({self.name}): the endpoint answered {what}", hint=_HINT)
