"""Open the model backend a run uses: a given client, a remote endpoint, or the embedded model.

This is the only place that constructs an `openai` client; everything below receives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import openai

from summarizer.config import Settings
from summarizer.embedded_server import EmbeddedServer
from summarizer.llm import StructuredLLM
from summarizer.weights import ensure_embedded_weights


@contextlib.asynccontextmanager
async def open_backend(
    settings: Settings, client: openai.AsyncOpenAI | openai.OpenAI | None = None
) -> AsyncIterator[StructuredLLM]:
    """Yield the model to extract with, starting the embedded model if needed.

    With an injected `client`, it is used as is (and left open). With a base URL, a client
    for it is made. Otherwise a local llama.cpp server is started on 127.0.0.1 and stopped
    on exit, Ctrl-C included.
    """
    if client is not None:
        yield StructuredLLM(client, settings)
        return
    if settings.base_url is not None:
        async with _client_for(settings.base_url, settings) as remote:
            yield StructuredLLM(remote, settings)
        return
    weights: Path = (
        settings.gguf
        if settings.gguf is not None
        else await asyncio.to_thread(ensure_embedded_weights)
    )
    # llama-cpp-python defaults to half the cores; generation is the bottleneck, use all.
    server = EmbeddedServer(weights, model_alias=settings.model, n_threads=os.cpu_count())
    try:
        await asyncio.to_thread(server.start)
        async with _client_for(server.base_url, settings) as local:
            yield StructuredLLM(local, settings, check_backend=server.ensure_alive)
    finally:
        server.close()


def _client_for(base_url: str, settings: Settings) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=settings.api_key,
        timeout=settings.request_timeout,
        max_retries=0,
    )
