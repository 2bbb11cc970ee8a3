"""The backend is decided once: from the settings, or from an injected client.

What a missing base URL means is `config.backend_defaults`; everything else asks the run's
`Backend`: its kind, label, cache identity, price and defaults. An injected client is the
endpoint at its own base URL, never "embedded llama.cpp". No server is started here.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from summarizer import Briefing, abrief
from summarizer.config import (
    DEFAULT_OPENAI_MODEL,
    EMBEDDED_MODEL_NAME,
    EMBEDDED_MODEL_SHA256,
    OPENAI_BASE_URL,
    Settings,
    resolve_settings,
)
from summarizer.errors import ConfigError
from summarizer.models import TokenUsage
from summarizer.runtime.backend import open_backend
from summarizer.runtime.backends import EMBEDDED_LABEL, Backend
from summarizer.runtime.llm import Client, StructuredLLM
from summarizer.runtime.pricing import PRICES_PER_MILLION
from summarizer.storage.cache import CACHE_FILE_NAME
from tests.test_llm_faults import BASE_URL, FakeEndpoint, _answer, _completion

LOCAL_URL = "http://localhost:8080/v1"
FLOOD = "The mayor said 300 homes were flooded on Monday. The river rose quickly."
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
SCHEMA = {"type": "object"}


@pytest.fixture
def absent(tmp_path: Path) -> Path:
    return tmp_path / "absent.toml"


def _resolved(absent: Path, **values: Any) -> Settings:
    return resolve_settings(environ={}, config_file=absent, **values)


def _client(base_url: str, endpoint: FakeEndpoint) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key="x",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(endpoint)),
    )


async def _never() -> Client:
    raise AssertionError("no request is sent in this test")


def _run(client_url: str, endpoint: FakeEndpoint, settings: Settings | None) -> Briefing:
    async def run() -> Briefing:
        client = _client(client_url, endpoint)
        try:
            return await abrief([FLOOD], settings=settings, client=client)
        finally:
            await client.close()

    return asyncio.run(run())


# --- decided from the settings ----------------------------------------------------------


def test_no_endpoint_is_the_embedded_model_with_its_defaults(absent: Path) -> None:
    settings = _resolved(absent)
    backend = Backend.for_run(settings)

    assert backend.kind == "embedded" and backend.embedded
    assert (backend.base_url, backend.gguf) == (None, None)
    assert backend.label == EMBEDDED_LABEL == "embedded llama.cpp"
    assert backend.identity == f"embedded:{EMBEDDED_MODEL_SHA256}"
    assert backend.model == EMBEDDED_MODEL_NAME
    assert (backend.default_mode, backend.default_concurrency) == ("json_object_schema", 1)
    # The settings took their defaults from the same decision.
    assert (settings.mode, settings.concurrency) == ("json_object_schema", 1)
    assert backend.price == (0.0, 0.0)


def test_a_custom_gguf_is_identified_by_its_path_size_and_date(
    absent: Path, tmp_path: Path
) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF v1")
    backend = Backend.for_run(_resolved(absent, gguf=gguf))

    stat = gguf.stat()
    assert backend.embedded and backend.gguf == gguf
    assert backend.identity == f"embedded:{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    assert backend.label == EMBEDDED_LABEL
    assert backend.price == (0.0, 0.0)

    gguf.write_bytes(b"GGUF v2, another model")
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert Backend.for_run(_resolved(absent, gguf=gguf)).identity != backend.identity

    missing = tmp_path / "missing.gguf"
    assert Backend.for_run(_resolved(absent, gguf=missing)).identity == f"embedded:{missing}"


def test_an_endpoint_is_remote_named_and_identified_by_its_url(absent: Path) -> None:
    settings = _resolved(absent, base_url=LOCAL_URL + "/", model="local-model")
    backend = Backend.for_run(settings)

    assert backend.kind == "remote" and not backend.embedded
    assert backend.base_url == backend.label == backend.identity == LOCAL_URL
    assert (backend.model, backend.gguf) == ("local-model", None)
    assert (backend.default_mode, backend.default_concurrency) == ("json_schema", 4)
    assert (settings.mode, settings.concurrency) == ("json_schema", 4)
    assert backend.price is None  # unknown: a cost budget needs a configured price


def test_an_endpoint_with_a_gguf_configured_is_still_the_endpoint(
    absent: Path, tmp_path: Path
) -> None:
    settings = _resolved(absent, base_url=LOCAL_URL, model="m", gguf=tmp_path / "mine.gguf")
    backend = Backend.for_run(settings)

    assert (backend.kind, backend.identity, backend.gguf) == ("remote", LOCAL_URL, None)


def test_the_hosted_api_is_priced_from_the_table_and_configured_prices_win(
    absent: Path,
) -> None:
    hosted = Backend.for_run(_resolved(absent, api_key="sk-test"))
    assert (hosted.base_url, hosted.model) == (OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL)
    assert hosted.price == PRICES_PER_MILLION[DEFAULT_OPENAI_MODEL]

    priced = _resolved(absent, api_key="sk-test", prices={DEFAULT_OPENAI_MODEL: (1.0, 2.0)})
    assert Backend.for_run(priced).price == (1.0, 2.0)
    # A configured price applies on this machine too (electricity, say).
    local = _resolved(absent, prices={EMBEDDED_MODEL_NAME: (0.5, 0.5)})
    assert Backend.for_run(local).price == (0.5, 0.5)


def test_cost_is_the_backends_price_of_the_usage(absent: Path) -> None:
    usage = TokenUsage(prompt_tokens=1_000_000, completion_tokens=500_000)
    priced = _resolved(absent, base_url=LOCAL_URL, model="m", prices={"m": (2.0, 4.0)})
    assert Backend.for_run(priced).cost_of(usage) == 4.0
    assert Backend.for_run(_resolved(absent, base_url=LOCAL_URL, model="m")).cost_of(usage) is None
    assert Backend.for_run(_resolved(absent)).cost_of(usage) == 0.0


def test_cache_keys_are_unchanged_by_the_backend_object(absent: Path) -> None:
    # Computed before the backend object existed (096398c): the response cache still hits.
    expected = {
        "embedded": "4c953fdee0241a9bd17c80024d5cd5791152c17bba9fccbfca932ab563c9f5fc",
        "endpoint": "1dbe03e83dbb130fb17e6bbea11f7285de263cf7cb3128f882385980478d6225",
        "hosted": "744928ed25a50240d2d13f0c617b0feabd82bb6e083a3c0ba1a7e78e555f163e",
    }
    settings = {
        "embedded": _resolved(absent),
        "endpoint": _resolved(absent, base_url=LOCAL_URL + "/", model="m"),
        "hosted": _resolved(absent, api_key="sk"),
    }

    async def keys() -> dict[str, str]:
        return {
            name: StructuredLLM(_never, value).answer_key(MESSAGES, SCHEMA, "text")
            for name, value in settings.items()
        }

    assert asyncio.run(keys()) == expected


# --- an injected client says what it is ---------------------------------------------------


def test_an_injected_client_is_the_endpoint_whatever_the_settings_say(absent: Path) -> None:
    embedded_settings = _resolved(absent)

    async def check() -> tuple[Backend, str, str]:
        client = _client(LOCAL_URL, FakeEndpoint([]))
        try:
            injected = StructuredLLM(client, embedded_settings)
            matching = StructuredLLM(_never, _resolved(absent, base_url=LOCAL_URL, model="x"))
            return (
                injected.backend,
                injected.answer_key(MESSAGES, SCHEMA, "text"),
                StructuredLLM(_never, embedded_settings, backend=matching.backend).answer_key(
                    MESSAGES, SCHEMA, "text"
                ),
            )
        finally:
            await client.close()

    backend, injected_key, endpoint_key = asyncio.run(check())

    assert backend.kind == "remote"
    assert backend.base_url == backend.label == backend.identity == LOCAL_URL
    assert backend.model == EMBEDDED_MODEL_NAME  # the model name is the settings'
    assert backend.price is None  # not free: someone else's server
    # Cached as the endpoint's answers, not the embedded model's.
    assert injected_key == endpoint_key


def test_without_a_client_a_factory_serves_what_the_settings_name(absent: Path) -> None:
    async def backends() -> tuple[Backend, Backend]:
        async with open_backend(_resolved(absent)) as embedded:
            pass  # nothing asked: nothing started
        remote = StructuredLLM(_never, _resolved(absent, base_url=LOCAL_URL, model="m"))
        return embedded.backend, remote.backend

    embedded, remote = asyncio.run(backends())

    assert (embedded.kind, embedded.label) == ("embedded", EMBEDDED_LABEL)
    assert (remote.kind, remote.label) == ("remote", LOCAL_URL)


def test_an_injected_client_reports_its_own_endpoint_in_run_stats(
    absent: Path, tmp_path: Path
) -> None:
    endpoint = FakeEndpoint([_completion(_answer(FLOOD), prompt_tokens=120, completion_tokens=80)])
    # Settings that, alone, would mean the embedded model.
    settings = _resolved(absent, cache_dir=tmp_path / "cache")

    briefing = _run(BASE_URL, endpoint, settings)

    assert briefing.stats.endpoint == BASE_URL != EMBEDDED_LABEL
    assert briefing.stats.model == EMBEDDED_MODEL_NAME
    assert briefing.stats.cost_usd is None  # its price is unknown, not zero
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE_NAME) as cache:
        endpoints = {row[0] for row in cache.execute("SELECT endpoint FROM answers")}
    assert endpoints == {BASE_URL}


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, absent: Path) -> None:
    """No endpoint, model or key in the environment; cache and store stay the test's own."""
    for variable in list(os.environ):
        if variable.startswith("OPENAI_") or (
            variable.startswith("SUMMARIZER_")
            and variable not in {"SUMMARIZER_CACHE_DIR", "SUMMARIZER_DATA_DIR"}
        ):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(absent))


@pytest.mark.usefixtures("bare_environment")
def test_an_injected_client_without_settings_takes_its_endpoints_defaults() -> None:
    endpoint = FakeEndpoint([_completion(_answer(FLOOD), prompt_tokens=120, completion_tokens=80)])

    briefing = _run(OPENAI_BASE_URL, endpoint, None)

    stats = briefing.stats
    assert (stats.endpoint, stats.model, stats.concurrency) == (
        OPENAI_BASE_URL,
        DEFAULT_OPENAI_MODEL,
        4,
    )
    prompt_price, completion_price = PRICES_PER_MILLION[DEFAULT_OPENAI_MODEL]
    assert stats.cost_usd == round((120 * prompt_price + 80 * completion_price) / 1e6, 6)
    request = endpoint.requests[0]
    assert request["model"] == DEFAULT_OPENAI_MODEL
    assert request["response_format"]["type"] == "json_schema"


@pytest.mark.usefixtures("bare_environment")
def test_an_injected_client_at_an_unnamed_models_endpoint_needs_a_model_name() -> None:
    endpoint = FakeEndpoint([])

    with pytest.raises(ConfigError, match=f"no model name given for endpoint {BASE_URL}$"):
        _run(BASE_URL, endpoint, None)

    assert endpoint.requests == []


@pytest.mark.usefixtures("bare_environment")
def test_an_injected_client_without_settings_takes_the_model_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUMMARIZER_MODEL", "served-model")
    endpoint = FakeEndpoint([_completion(_answer(FLOOD))])

    briefing = _run(BASE_URL, endpoint, None)

    assert (briefing.stats.endpoint, briefing.stats.model) == (BASE_URL, "served-model")
    assert briefing.stats.concurrency == 4
    assert endpoint.requests[0]["model"] == "served-model"
