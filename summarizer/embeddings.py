"""Sentence embeddings for merging by meaning: texts in, unit vectors out.

The default is the local all-MiniLM-L6-v2 (`minilm.py`, files from `embedding_weights.py`),
loaded on first use. Vectors of texts seen before in the run are not computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from summarizer.embedding_weights import EMBEDDING_MODEL_NAME, ensure_embedding_model

if TYPE_CHECKING:
    from summarizer.minilm import MiniLM

Matrix = npt.NDArray[np.float32]
_DIMENSIONS = 384

__all__ = ["Embedder", "LocalEmbedder"]


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> Matrix: ...


class LocalEmbedder:
    """all-MiniLM-L6-v2 on this machine's CPU; fetched and verified on first use."""

    name = EMBEDDING_MODEL_NAME

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
        from summarizer.minilm import MiniLM

        if self._model is None:
            files = ensure_embedding_model(self._models_dir)
            self._model = MiniLM(files.weights, files.tokenizer)
        return self._model
