"""A sentence-embedding model (all-MiniLM-L6-v2) run as a plain NumPy forward pass.

The model is a 6-layer BERT with 384 dimensions: its weights are read straight from the
official `model.safetensors` and its WordPiece vocabulary from `tokenizer.json` (through
`tokenizers`, the Hugging Face tokenizer library). The forward pass is the one
sentence-transformers runs for this model: BERT, mean pooling over the real tokens, L2
normalisation. Written out here because the alternatives cost far more to install for a
22M-parameter model (PyTorch is several hundred MB; onnxruntime needs an ONNX export the
official package does not carry); docs/merging.md has the measurements.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

__all__ = ["MiniLM", "read_safetensors"]

Matrix = npt.NDArray[np.float32]

_LAYERS = 6
_HEADS = 12
_MAX_TOKENS = 256
_LAYER_NORM_EPS = 1e-12
_BATCH = 64
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, Matrix]:
    """The tensors of a `.safetensors` file, as float32 arrays (the format is a JSON header)."""
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_length])
    body = memoryview(data)[8 + header_length :]
    tensors: dict[str, Matrix] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        dtype = _SAFETENSORS_DTYPES[spec["dtype"]]
        if dtype is np.int64:  # position_ids: the model's own arange, not a weight
            continue
        array = np.frombuffer(body[start:end], dtype=dtype).reshape(spec["shape"])
        tensors[name] = array.astype(np.float32)
    return tensors


class MiniLM:
    """Embeds sentences as unit vectors of 384 floats; equal texts give equal vectors."""

    dimensions = 384

    def __init__(self, weights: Path, tokenizer: Path) -> None:
        tensors = read_safetensors(weights)
        # Dense weights stored transposed, contiguous, for one BLAS call per layer.
        self._w = {
            name.removeprefix("bert."): (
                np.ascontiguousarray(value.T)
                if name.endswith("dense.weight")
                or ("attention.self" in name and name.endswith("weight"))
                else value
            )
            for name, value in tensors.items()
        }
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.no_padding()

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One row per text, L2-normalised, so a dot product is the cosine similarity."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # Similar lengths batched together: padding costs as much as real tokens.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            result[batch] = self._embed_batch([encodings[i].ids for i in batch])
        return result

    def _embed_batch(self, token_ids: list[list[int]]) -> Matrix:
        w = self._w
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Padding is left out of attention by a large negative score.
        attention_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(_LAYERS):
            x = self._layer(x, attention_bias, f"encoder.layer.{layer}.")
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: Matrix = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def _layer(self, x: Matrix, attention_bias: Matrix, prefix: str) -> Matrix:
        w = self._w
        batch, length, width = x.shape
        head_width = width // _HEADS

        def heads(name: str) -> Matrix:
            projected = _linear(x, w, f"{prefix}attention.self.{name}")
            return projected.reshape(batch, length, _HEADS, head_width).transpose(0, 2, 1, 3)

        query, key, value = heads("query"), heads("key"), heads("value")
        scores = query @ key.transpose(0, 1, 3, 2) / math.sqrt(head_width) + attention_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        attended = _linear(context, w, f"{prefix}attention.output.dense")
        x = _layer_norm(
            x + attended,
            w[f"{prefix}attention.output.LayerNorm.weight"],
            w[f"{prefix}attention.output.LayerNorm.bias"],
        )
        hidden = _gelu(_linear(x, w, f"{prefix}intermediate.dense"))
        out = _linear(hidden, w, f"{prefix}output.dense")
        return _layer_norm(
            x + out, w[f"{prefix}output.LayerNorm.weight"], w[f"{prefix}output.LayerNorm.bias"]
        )


def _linear(x: Matrix, w: dict[str, Matrix], name: str) -> Matrix:
    # Flattened to 2-D: NumPy sends a 2-D product to BLAS in one call.
    flat = x.reshape(-1, x.shape[-1]) @ w[f"{name}.weight"]
    flat += w[f"{name}.bias"]
    result: Matrix = flat.reshape(*x.shape[:-1], flat.shape[-1])
    return result


def _layer_norm(x: Matrix, scale: Matrix, shift: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: Matrix = (x - mean) / np.sqrt(variance + _LAYER_NORM_EPS) * scale + shift
    return result


def _gelu(x: Matrix) -> Matrix:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (|error| < 2e-7).

    Worked in place: on these array sizes the temporaries cost more than the arithmetic.
    """
    z = np.abs(x)
    z *= 1.0 / math.sqrt(2.0)
    # erf(5) is 1 to 11 digits; beyond it exp(-z^2) turns denormal, which is slow.
    np.minimum(z, 5.0, out=z)
    t = z * 0.3275911
    t += 1.0
    np.reciprocal(t, out=t)
    tail = t * 1.061405429
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        tail += coefficient
        tail *= t
    z *= z
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z  # 1 - erf(|x| / sqrt 2)
    # Phi(x) = 1 - tail / 2 for x >= 0, tail / 2 below.
    np.copysign(tail, x, out=tail)
    tail *= -0.5
    tail += x >= 0
    tail *= x
    return tail.astype(np.float32, copy=False)
