"""The token ledger and the run's budget.

Every answer the server sends back is counted where it arrives (llm.py), re-asks included,
into the article's meter; each meter also feeds the run's budget, which is checked before
every request, so a run stops sending once it has spent what it was allowed. Embedding
requests (merging by meaning with the endpoint's model) have a meter of their own, priced as
the embedding model, against the same budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from summarizer.config import Settings
from summarizer.errors import BudgetExceeded, ConfigError
from summarizer.models import TokenUsage
from summarizer.runtime.backends import Backend
from summarizer.runtime.pricing import cost_of, embedding_price_of


@dataclass
class Budget:
    """What the whole run has spent, against its optional token and dollar limits."""

    max_tokens: int | None = None
    max_cost: float | None = None
    price: tuple[float, float] | None = None
    embedding_price: tuple[float, float] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    exceeded: str | None = None

    @classmethod
    def for_run(cls, settings: Settings, backend: Backend) -> Budget:
        """The budget of a run with `settings` on `backend` (which prices its model).

        Raises:
            ConfigError: a dollar budget for a model whose price is unknown.
        """
        price, embedding_price = backend.price, embedding_price_of(settings)
        if settings.max_cost is not None:
            unpriced = backend.model if price is None else None
            if embedding_price is None:
                unpriced = unpriced or settings.embedding_model
            if unpriced is not None:
                raise ConfigError(
                    f"--max-cost needs a price for model {unpriced!r}, and none is known",
                    hint='add it to the config file: [prices] "MODEL" = [prompt, output] $/million',
                )
        return cls(
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            price=price,
            embedding_price=embedding_price,
        )

    @property
    def tokens(self) -> int:
        """Prompt and output tokens spent: what `max_tokens` counts."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, prompt_tokens: int, completion_tokens: int, *, embeddings: bool = False) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        price = self.embedding_price if embeddings else self.price
        if price is not None:
            self.cost += cost_of(price, prompt_tokens, completion_tokens)

    def check(self) -> None:
        """Raise `BudgetExceeded` once a limit is reached: no request is sent after that."""
        if self.exceeded is None:
            if self.max_tokens is not None and self.tokens >= self.max_tokens:
                self.exceeded = (
                    f"token budget reached: {self.tokens:,} tokens spent of {self.max_tokens:,}"
                )
            elif self.max_cost is not None and self.cost >= self.max_cost:
                self.exceeded = f"cost budget reached: ${self.cost:.4f} spent of ${self.max_cost:g}"
        if self.exceeded is not None:
            raise BudgetExceeded(
                self.exceeded, hint="raise --max-tokens / --max-cost to brief the rest"
            )


@dataclass
class UsageMeter:
    """One article's ledger: usage the server reported for every answer, re-asks included.

    With `embeddings`, the ledger of the run's embedding requests instead: priced as the
    embedding model (their answers carry prompt tokens only).
    """

    budget: Budget = field(default_factory=Budget)
    embeddings: bool = False
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0
    retries: int = 0
    cache_hits: int = 0

    def record(self, response: Any) -> None:
        self.calls += 1
        usage = getattr(response, "usage", None)
        prompt = (getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0
        completion = (getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.budget.add(prompt, completion, embeddings=self.embeddings)

    def add(self, other: UsageMeter) -> None:
        """Fold in a meter of part of this article's work (its budget already counted it)."""
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.reasks += other.reasks
        self.retries += other.retries
        self.cache_hits += other.cache_hits

    def snapshot(self) -> TokenUsage:
        return TokenUsage(
            calls=self.calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            reasks=self.reasks,
            retries=self.retries,
            cache_hits=self.cache_hits,
        )
