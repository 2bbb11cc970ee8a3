"""What serves the model: a remote OpenAI-compatible endpoint, or the embedded llama.cpp model.

A run decides this once, as a `Backend` (`Backend.for_run`): from the client the caller
injected, if any (the client is the endpoint, whatever the settings say), else from the
settings. Everything that depends on which backend it is asks it: the label in messages and
run statistics, the identity the response cache keys answers by, the model's price.

What a missing base URL means, and each kind's default mode, concurrency and model, is
decided by `config.backend_defaults`, which `resolve_settings` asks too: config comes before
runtime and may not import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.config import (
    EMBEDDED_MODEL_SHA256,
    BackendKind,
    Settings,
    StructuredMode,
    backend_defaults,
)
from summarizer.models import TokenUsage
from summarizer.runtime.pricing import cost_of, price_of

if TYPE_CHECKING:
    import openai

__all__ = ["EMBEDDED_LABEL", "Backend", "client_base_url"]

EMBEDDED_LABEL = "embedded llama.cpp"


@dataclass(frozen=True, kw_only=True)
class Backend:
    """One run's model backend: what it is, and what follows from that.

    Attributes:
        kind: `remote` (an OpenAI-compatible endpoint) or `embedded` (llama.cpp, started on
            127.0.0.1 when the first request is due).
        base_url: the endpoint; None on the embedded model, whose address is known only once
            it has started.
        model: the model name the requests carry.
        gguf: the embedded model's weights when they are the user's own file; None for the
            embedded default weights, and on a remote endpoint.
        default_mode: the structured-output mode that works best with it (the settings may
            name another).
        default_concurrency: requests in flight at once unless the settings say otherwise.
        price: $ per million (prompt, completion) tokens; None if unknown.
        identity: which server answers, as the response cache keys its answers: the URL, or
            the embedded weights (the official file's hash, or a custom file's path, size and
            modification time).
        label: how messages and run statistics name it: the URL, or `embedded llama.cpp`.
    """

    kind: BackendKind
    base_url: str | None
    model: str
    gguf: Path | None
    default_mode: StructuredMode
    default_concurrency: int
    price: tuple[float, float] | None
    identity: str
    label: str

    @classmethod
    def for_run(
        cls, settings: Settings, client: openai.AsyncOpenAI | openai.OpenAI | None = None
    ) -> Backend:
        """The backend of a run with `settings`, or with `client` when one is injected.

        An injected client is a remote endpoint at its own base URL, which names it in the
        run statistics and the response cache; the model name is the settings'.
        """
        base_url = settings.base_url if client is None else client_base_url(client)
        defaults = backend_defaults(base_url)
        embedded = defaults.kind == "embedded"
        if embedded:
            identity, label, gguf = _weights_identity(settings.gguf), EMBEDDED_LABEL, settings.gguf
        else:
            assert base_url is not None
            identity = label = base_url
            gguf = None
        return cls(
            kind=defaults.kind,
            base_url=base_url,
            model=settings.model,
            gguf=gguf,
            default_mode=defaults.mode,
            default_concurrency=defaults.concurrency,
            price=price_of(settings.model, settings.prices, runs_locally=embedded),
            identity=identity,
            label=label,
        )

    @property
    def embedded(self) -> bool:
        """Whether this is llama.cpp started here, not an endpoint someone else runs."""
        return self.kind == "embedded"

    def cost_of(self, usage: TokenUsage) -> float | None:
        """Dollar cost of `usage`, or None when the model's price is unknown."""
        if self.price is None:
            return None
        return cost_of(self.price, usage.prompt_tokens, usage.completion_tokens)


def client_base_url(client: openai.AsyncOpenAI | openai.OpenAI) -> str:
    """The endpoint an `openai` client sends to, without the trailing slash it adds."""
    return str(client.base_url).rstrip("/")


def _weights_identity(gguf: Path | None) -> str:
    if gguf is None:
        return f"embedded:{EMBEDDED_MODEL_SHA256}"
    try:
        stat = gguf.stat()
    except OSError:
        return f"embedded:{gguf}"
    return f"embedded:{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
