"""Say whether a run could work, without running one: `summarizer doctor`.

Each check looks at one thing a run with these settings would use (the endpoint, the model,
the embedded runtime, the sentence-embedding model, the response and vector caches, the
article store) and says how it stands. Nothing here starts the embedded model, downloads or
assembles weights, or creates a cache or store file.

    problem    a run would fail
    warning    a run works around it, or does some work first (a cache it cannot use, a
               model still to be fetched or assembled)
    unchecked  it could not be told (the endpoint did not answer)
    off        these settings do not use it
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

import httpx2

from summarizer.config import INSTALL_EMBEDDED, Settings
from summarizer.errors import ConfigError
from summarizer.runtime.adapters.versions import LLAMA_CPP_PYTHON
from summarizer.runtime.backends import Backend
from summarizer.runtime.embedded_server import missing_runtime_modules
from summarizer.runtime.embedding_weights import (
    EMBEDDING_MODEL_NAME,
    embedding_model_dir,
    is_embedding_model_verified,
)
from summarizer.runtime.weights import (
    EMBEDDED_MODEL_FILE_NAME,
    default_models_dir,
    installed_weight_parts,
    verified_embedded_weights,
)
from summarizer.storage.article_store import STORE_FILE_NAME, ArticleStore
from summarizer.storage.cache import CACHE_FILE_NAME, ResponseCache
from summarizer.storage.sqlite_files import SharedFile
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME, VectorCache

__all__ = ["CheckStatus", "SetupCheck", "check_setup"]

CheckStatus = Literal["ok", "warning", "problem", "unchecked", "off"]
# Long enough for an endpoint across the internet, short enough for a check.
ENDPOINT_TIMEOUT_SECONDS = 5.0
# Importing llama_cpp loads its native library: well under a second when it works.
_IMPORT_TIMEOUT_SECONDS = 60.0
_MODELS_SHOWN = 5
_INSTALL_HINT = INSTALL_EMBEDDED
_KEY_HINT = "check --api-key, SUMMARIZER_API_KEY or OPENAI_API_KEY"


@dataclass(frozen=True, kw_only=True)
class SetupCheck:
    """One line of `summarizer doctor`: what was checked, how it stands, and what to do."""

    name: str
    status: CheckStatus
    detail: str
    hint: str | None = None


@dataclass(frozen=True)
class _Listing:
    """What the endpoint's `GET /models` said: the check, and the model ids if it listed any."""

    check: SetupCheck
    models: frozenset[str] | None


def check_setup(
    settings: Settings,
    *,
    http_client: httpx2.Client | None = None,
    timeout: float = ENDPOINT_TIMEOUT_SECONDS,
) -> list[SetupCheck]:
    """Check what a run with `settings` would use, without running one.

    Example:
        >>> for check in check_setup(resolve_settings()):  # doctest: +SKIP
        ...     print(check.name, check.status, check.detail)

    Args:
        settings: the settings a run would have (`resolve_settings(...)`).
        http_client: the client to ask the endpoint with (default: one made here).
        timeout: seconds the endpoint may take to list its models.

    Returns:
        One check each for the endpoint, model, embedded runtime, embedding model,
        response cache, vector cache and article store, in that order.
    """
    backend = Backend.for_run(settings)
    if backend.embedded:
        checks = [_embedded_endpoint(backend), _embedded_model(backend), _embedded_runtime()]
        listing = None
    else:
        assert backend.base_url is not None
        listing = _list_models(backend.base_url, settings.api_key, http_client, timeout)
        checks = [
            listing.check,
            _listed("model", backend.model, listing),
            SetupCheck(
                name="embedded runtime",
                status="off",
                detail=f"not used: the model is served at {backend.label}",
            ),
        ]
    return [
        *checks,
        _embedding_model(settings, listing),
        *_files(settings),
    ]


def _list_models(
    base_url: str, api_key: str, client: httpx2.Client | None, timeout: float
) -> _Listing:
    url = f"{base_url}/models"
    started = time.monotonic()
    try:
        if client is None:
            with httpx2.Client(timeout=timeout) as own:
                response = own.get(url, headers=_auth(api_key))
        else:
            response = client.get(url, headers=_auth(api_key), timeout=timeout)
    except httpx2.TimeoutException:
        return _unreachable(base_url, f"no answer in {timeout:g} s")
    except httpx2.HTTPError as error:
        return _unreachable(base_url, str(error) or type(error).__name__)
    seconds = time.monotonic() - started
    if response.status_code in (401, 403):
        return _unreachable(
            base_url, f"it refused the key (HTTP {response.status_code})", hint=_KEY_HINT
        )
    if not response.is_success:
        # Some OpenAI-compatible servers serve chat but no model list.
        detail = f"{base_url} answers, but lists no models (HTTP {response.status_code})"
        return _Listing(SetupCheck(name="endpoint", status="warning", detail=detail), None)
    models = _model_ids(response)
    if models is None:
        detail = f"{base_url} answers, but its model list is not OpenAI's format"
        return _Listing(SetupCheck(name="endpoint", status="warning", detail=detail), None)
    detail = f"{base_url} answers ({len(models)} model(s) listed, {seconds:.2f} s)"
    return _Listing(SetupCheck(name="endpoint", status="ok", detail=detail), models)


def _auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def _unreachable(base_url: str, reason: str, *, hint: str | None = None) -> _Listing:
    check = SetupCheck(
        name="endpoint", status="problem", detail=f"cannot use {base_url}: {reason}", hint=hint
    )
    return _Listing(check, None)


def _model_ids(response: httpx2.Response) -> frozenset[str] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    return frozenset(
        str(entry["id"]) for entry in entries if isinstance(entry, dict) and "id" in entry
    )


def _listed(name: str, model: str, listing: _Listing) -> SetupCheck:
    """Whether the endpoint lists `model`, when it listed anything."""
    if listing.models is None:
        answered = listing.check.status != "problem"
        reason = "the endpoint lists no models" if answered else "the endpoint cannot be used"
        return SetupCheck(name=name, status="unchecked", detail=f"{model}: {reason}")
    if model in listing.models:
        return SetupCheck(name=name, status="ok", detail=f"{model} is listed by the endpoint")
    shown = sorted(listing.models)[:_MODELS_SHOWN]
    more = len(listing.models) - len(shown)
    offered = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    return SetupCheck(
        name=name,
        status="problem",
        detail=f"{model} is not among the models the endpoint lists ({offered or 'none'})",
        hint=f"pass --{name.replace(' ', '-')} with a name it lists",
    )


def _embedded_endpoint(backend: Backend) -> SetupCheck:
    return SetupCheck(
        name="endpoint",
        status="ok",
        detail=f"{backend.label}: a run starts it on 127.0.0.1 when it first needs the model",
    )


def _embedded_model(backend: Backend) -> SetupCheck:
    gguf = backend.gguf
    if gguf is not None:
        if gguf.is_file():
            size = gguf.stat().st_size
            detail = f"{gguf} ({size / 1e9:.2f} GB; a GGUF of your own, not verified)"
            return SetupCheck(name="model", status="ok", detail=detail)
        return SetupCheck(
            name="model",
            status="problem",
            detail=f"--gguf {gguf}: no such file",
            hint="pass the path of a .gguf file, or drop --gguf for the default model",
        )
    verified = verified_embedded_weights()
    if verified is not None:
        return SetupCheck(name="model", status="ok", detail=f"{verified} (verified)")
    try:
        parts = installed_weight_parts()
    except ConfigError as error:
        return SetupCheck(name="model", status="problem", detail=error.message, hint=error.hint)
    return SetupCheck(
        name="model",
        status="warning",
        detail=f"{EMBEDDED_MODEL_FILE_NAME} not yet assembled and verified in "
        f"{default_models_dir()}: the next run does it from the {len(parts)} installed "
        "part files (1.1 GB)",
    )


def _embedded_runtime() -> SetupCheck:
    name = "embedded runtime"
    missing = missing_runtime_modules()
    if missing:
        return SetupCheck(
            name=name,
            status="problem",
            detail=f"not installed (missing: {', '.join(missing)})",
            hint=_INSTALL_HINT,
        )
    other_release = LLAMA_CPP_PYTHON.problem()
    if other_release is not None:
        # The embedded runtime will not start with it (adapters/llama_cpp_internals.py).
        return SetupCheck(
            name=name, status="problem", detail=other_release.message, hint=other_release.hint
        )
    version = metadata.version("llama-cpp-python")
    reason = _import_problem("llama_cpp")
    if reason is not None:
        return SetupCheck(
            name=name,
            status="problem",
            detail=f"llama-cpp-python {version} does not import: {reason}",
            hint=_INSTALL_HINT,
        )
    return SetupCheck(
        name=name, status="ok", detail=f"llama-cpp-python {version} with its server extra imports"
    )


def _import_problem(module: str) -> str | None:
    """Why `module` does not import, tried in a process of its own: a native library built
    for another CPU can kill the process that imports it."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            capture_output=True,
            text=True,
            timeout=_IMPORT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def _embedding_model(settings: Settings, listing: _Listing | None) -> SetupCheck:
    name = "embedding model"
    if not settings.embeddings:
        return SetupCheck(name=name, status="off", detail="not used: merging by wording alone")
    if settings.embedding_model is not None:
        assert listing is not None  # resolve_settings: a remote embedding model needs an endpoint
        return _listed(name, settings.embedding_model, listing)
    directory = embedding_model_dir()
    if is_embedding_model_verified():
        return SetupCheck(name=name, status="ok", detail=f"{directory} (verified)")
    return SetupCheck(
        name=name,
        status="warning",
        detail=f"{EMBEDDING_MODEL_NAME} not fetched into {directory}: the next run "
        "downloads it from the package index (87 MB)",
        hint="run 'summarizer models fetch' now, with access to the package index",
    )


def _files(settings: Settings) -> list[SetupCheck]:
    cache_dir, data_dir = settings.cache_dir, settings.data_dir
    return [
        _file("response cache", ResponseCache(cache_dir / CACHE_FILE_NAME) if cache_dir else None),
        _file(
            "vector cache",
            VectorCache(cache_dir / VECTOR_CACHE_FILE_NAME) if cache_dir else None,
        ),
        _file("article store", ArticleStore(data_dir / STORE_FILE_NAME) if data_dir else None),
    ]


def _file(name: str, shared: SharedFile | None) -> SetupCheck:
    if shared is None:
        return SetupCheck(name=name, status="off", detail="not used (switched off)")
    with shared:
        problem = shared.check()
    if problem is not None:
        return SetupCheck(name=name, status="warning", detail=problem)
    state = "opens, writable" if shared.path.exists() else "not created yet; can be"
    return SetupCheck(name=name, status="ok", detail=f"{shared.path} ({state})")
