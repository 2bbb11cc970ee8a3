"""A small price table for estimating what a run cost on hosted models."""

from __future__ import annotations

from summarizer.config import Settings
from summarizer.models import TokenUsage

# US dollars per million (prompt, completion) tokens; public list prices, may drift.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


def estimate_cost(settings: Settings, usage: TokenUsage) -> float | None:
    """Dollar cost of `usage`: 0 on the embedded model, None when the price is unknown."""
    if settings.embedded:
        return 0.0
    price = PRICES_PER_MILLION.get(settings.model)
    if price is None:
        return None
    prompt_price, completion_price = price
    return round(
        (usage.prompt_tokens * prompt_price + usage.completion_tokens * completion_price) / 1e6, 6
    )
