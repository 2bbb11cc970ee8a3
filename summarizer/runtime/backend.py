"""Open the model backend a run uses: a given client, a remote endpoint, or the embedded model.

This is the only place that constructs an `openai` client; everything below receives it.
Which backend it is was decided before, once (`backends.Backend.for_run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import openai

from summarizer.config import Settings
from summarizer.runtime.backends import Backend
from summarizer.runtime.embedded_server import EmbeddedServer
from summarizer.runtime.llm import StructuredLLM
from summarizer.runtime.weights import ensure_embedded_weights


@contextlib.asynccontextmanager
async def open_backend(
    settings: Settings,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_start: Callable[[str], None] | None = None,
    *,
    backend: Backend | None = None,
) -> AsyncIterator[StructuredLLM]:
    """Yield the model to extract with; the embedded model starts only if a request is due.

    With an injected `client`, it is used as is (and left open). On a remote `backend`, a
    client for its base URL is made. On the embedded one, a local llama.cpp server is
    started on 127.0.0.1 when the first request is sent (a run answered from the cache
    starts nothing) and stopped on exit, Ctrl-C included. `backend` defaults to
    `Backend.for_run(settings, client)`.
    """
    backend = backend or Backend.for_run(settings, client)
    if client is not None:
        yield StructuredLLM(client, settings, backend=backend)
        return
    if not backend.embedded:
        assert backend.base_url is not None
        async with _client_for(backend.base_url, settings) as remote:
            yield StructuredLLM(remote, settings, backend=backend)
        return
    server: EmbeddedServer | None = None
    local: openai.AsyncOpenAI | None = None

    async def start() -> openai.AsyncOpenAI:
        nonlocal server, local
        if on_start is not None:
            on_start("starting the embedded model (llama.cpp on 127.0.0.1)")
        weights: Path = (
            backend.gguf
            if backend.gguf is not None
            else await asyncio.to_thread(ensure_embedded_weights)
        )
        # llama-cpp-python defaults to half the cores; generation is the bottleneck, use all.
        server = EmbeddedServer(weights, model_alias=backend.model, n_threads=os.cpu_count())
        # Started from this (the main) thread, not a worker: the kernel then kills the
        # server when this process dies, however it dies (see embedded_server.py).
        server.start()
        # Loopback must never go through a proxy named in the environment.
        local = _client_for(
            server.base_url, settings, http_client=openai.DefaultAsyncHttpxClient(trust_env=False)
        )
        return local

    def check_alive() -> None:
        if server is not None:
            server.ensure_alive()

    try:
        yield StructuredLLM(start, settings, backend=backend, check_backend=check_alive)
    finally:
        if local is not None:
            await local.close()
        if server is not None:
            server.close()


def _client_for(base_url: str, settings: Settings, **options: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=settings.api_key,
        timeout=settings.request_timeout,
        max_retries=0,
        **options,
    )
