"""A small price table for estimating what a run cost on hosted models.

Overridable per model: `[prices]` in the config file, or `prices=` to `resolve_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping

from summarizer.config import Settings

# US dollars per million (prompt, completion) tokens; public list prices, which drift:
# override them rather than trusting them for billing.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    # Embedding models: prompt tokens only.
    "text-embedding-3-small": (0.02, 0.0),
    "text-embedding-3-large": (0.13, 0.0),
    "text-embedding-ada-002": (0.10, 0.0),
}


def price_of(
    model: str, prices: Mapping[str, tuple[float, float]], *, runs_locally: bool
) -> tuple[float, float] | None:
    """$ per million (prompt, completion) tokens of `model`: the configured `prices` first,
    then 0 if it runs on this machine, then the built-in table; None if unknown.

    A run asks its backend (`Backend.price`), which knows whether it runs locally.
    """
    if model in prices:
        return prices[model]
    if runs_locally:
        return (0.0, 0.0)
    return PRICES_PER_MILLION.get(model)


def embedding_price_of(settings: Settings) -> tuple[float, float] | None:
    """$ per million tokens of the run's embeddings: 0 for the local model, None if unknown."""
    name = settings.embedding_model
    if not settings.remote_embeddings or name is None:
        return (0.0, 0.0)
    return price_of(name, settings.prices, runs_locally=False)


def cost_of(price: tuple[float, float], prompt_tokens: int, completion_tokens: int) -> float:
    prompt_price, completion_price = price
    return round((prompt_tokens * prompt_price + completion_tokens * completion_price) / 1e6, 6)
