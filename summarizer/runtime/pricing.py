"""A small price table for estimating what a run cost on hosted models.

Overridable per model: `[prices]` in the config file, or `prices=` to `resolve_settings`.
"""

from __future__ import annotations

from summarizer.config import Settings
from summarizer.models import TokenUsage

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


def price_of(settings: Settings) -> tuple[float, float] | None:
    """$ per million (prompt, completion) tokens: 0 on the embedded model, None if unknown."""
    if settings.model in settings.prices:
        return settings.prices[settings.model]
    if settings.embedded:
        return (0.0, 0.0)
    return PRICES_PER_MILLION.get(settings.model)


def embedding_price_of(settings: Settings) -> tuple[float, float] | None:
    """$ per million tokens of the run's embeddings: 0 for the local model, None if unknown."""
    name = settings.embedding_model
    if not settings.remote_embeddings or name is None:
        return (0.0, 0.0)
    if name in settings.prices:
        return settings.prices[name]
    return PRICES_PER_MILLION.get(name)


def estimate_cost(settings: Settings, usage: TokenUsage) -> float | None:
    """Dollar cost of `usage`, or None when the model's price is unknown."""
    price = price_of(settings)
    if price is None:
        return None
    return cost_of(price, usage.prompt_tokens, usage.completion_tokens)


def cost_of(price: tuple[float, float], prompt_tokens: int, completion_tokens: int) -> float:
    prompt_price, completion_price = price
    return round((prompt_tokens * prompt_price + completion_tokens * completion_price) / 1e6, 6)
