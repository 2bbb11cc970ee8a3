"""Sentence embeddings for merging by meaning: texts in, unit vectors out.

The default is the local all-MiniLM-L6-v2 (`minilm.py`, files from `embedding_weights.py`),
loaded on first use; an endpoint's `/v1/embeddings` is the other source
(`remote_embeddings.py`). `CachedEmbedder` puts the vector cache in front of either, so a
text seen before, in this run or an earlier one, is not embedded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from summarizer.runtime.embedding_weights import (
    EMBEDDING_MODEL_NAME,
    WEIGHTS_SHA256,
    ensure_embedding_model,
)

if TYPE_CHECKING:
    from summarizer.runtime.minilm import MiniLM
    from summarizer.storage.vector_cache import VectorCache

Matrix = npt.NDArray[np.float32]
_DIMENSIONS = 384
# Part of the local model's identity in the vector cache: bump it when minilm.py's vectors
# change (tokenisation, truncation, pooling), so vectors of the old runtime are not read.
_LOCAL_RUNTIME = "numpy-1"

__all__ = ["CachedEmbedder", "Embedder", "LocalEmbedder"]


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> Matrix: ...


class IdentifiedEmbedder(Embedder, Protocol):
    """An embedder that can say exactly what computes its vectors (the vector cache's key)."""

    identity: str


class LocalEmbedder:
    """all-MiniLM-L6-v2 on this machine's CPU; fetched and verified on first use."""

    name = EMBEDDING_MODEL_NAME
    identity = f"{EMBEDDING_MODEL_NAME} sha256:{WEIGHTS_SHA256[:16]} {_LOCAL_RUNTIME}"

    def __init__(self, models_dir: Path | None = None) -> None:
        self._models_dir = models_dir
        self._model: MiniLM | None = None
        self._seen: dict[str, Matrix] = {}

    def prepare(self) -> None:
        """Fetch and verify the model's files now (they load on first use).

        Raises:
            ConfigError: the files cannot be fetched or verified.
        """
        ensure_embedding_model(self._models_dir)

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit vector per text (384 floats)."""
        missing = list(dict.fromkeys(text for text in texts if text not in self._seen))
        if missing:
            vectors = self._loaded().embed(missing)
            self._seen.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, _DIMENSIONS), dtype=np.float32)
        return np.stack([self._seen[text] for text in texts])

    def _loaded(self) -> MiniLM:
        # Imported on first use: `import summarizer` stays free of the tokenizer library.
        from summarizer.runtime.minilm import MiniLM

        if self._model is None:
            files = ensure_embedding_model(self._models_dir)
            self._model = MiniLM(files.weights, files.tokenizer)
        return self._model


class CachedEmbedder:
    """An embedder behind the vector cache: each distinct text is embedded at most once.

    Vectors are remembered for the run and read from, or written to, `cache` (None: no
    cache, as with `--no-cache`). The wrapped embedder is asked only for texts found in
    neither, all of them in one call. Counts what it did for the run statistics.
    """

    def __init__(self, inner: IdentifiedEmbedder, *, cache: VectorCache | None) -> None:
        self.name = inner.name
        self._inner = inner
        self._cache = cache
        self._known: dict[str, Matrix] = {}
        self.cache_hits = 0
        self.computed = 0

    @property
    def texts(self) -> int:
        """Distinct texts a vector was asked for."""
        return len(self._known)

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit vector per text, from memory, the cache or the wrapped embedder."""
        wanted = [text for text in dict.fromkeys(texts) if text not in self._known]
        if wanted:
            stored = self._cache.get(self._inner.identity, wanted) if self._cache else {}
            self.cache_hits += len(stored)
            self._known.update(stored)
            missing = [text for text in wanted if text not in stored]
            if missing:
                vectors = self._inner.embed(missing)
                self.computed += len(missing)
                if self._cache is not None:
                    self._cache.put(self._inner.identity, missing, vectors)
                self._known.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, _DIMENSIONS), dtype=np.float32)
        return np.stack([self._known[text] for text in texts])
