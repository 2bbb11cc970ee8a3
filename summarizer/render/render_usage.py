"""The token ledger as text: per article and in total, the same table in the CLI and briefing.

Requests for sentence vectors to the endpoint (`--embedding-model`) are a row of their own;
the local model's vectors cost nothing and are not in the table. So are the requests that
judged borderline pairs (`--adjudicate`), which the run's chat totals include. The rows
are plain text (`usage_rows`, for the HTML report too); the Markdown table escapes an
article's label (its file name or address) and a model's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from summarizer.models import EmbeddingUsage, RunStats, TokenUsage
from summarizer.render.markdown_escape import escape_markdown


@dataclass(frozen=True)
class UsageRow:
    """One row of the token ledger; `label` is plain text (it may name an article's file)."""

    label: str
    outcome: str
    usage: TokenUsage
    cost_usd: float | None
    total: bool = False


def usage_rows(stats: RunStats) -> list[UsageRow]:
    """Every article's requests and tokens, adjudication, remote embeddings, then the total."""
    rows = [
        UsageRow(line.source, line.outcome, line.usage, line.cost_usd) for line in stats.by_article
    ]
    adjudication = stats.adjudication
    if adjudication is not None:
        pairs = f"Adjudication ({adjudication.pairs} pairs, {adjudication.same} same)"
        rows.append(UsageRow(pairs, "", adjudication.usage, adjudication.cost_usd))
    total = stats.usage
    embeddings = _remote(stats)
    if embeddings is not None:
        vectors = _embedding_usage(embeddings)
        rows.append(UsageRow(f"Embeddings ({embeddings.model})", "", vectors, embeddings.cost_usd))
        total += vectors
    rows.append(UsageRow("Total", "", total, stats.cost_usd, total=True))
    return rows


def usage_table(stats: RunStats) -> list[str]:
    """A Markdown table of every article's requests and tokens, then the run's totals."""
    lines = [
        "| Article | Outcome | Calls | Re-asks | Retries | Cached | Prompt | Output | Cost |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in usage_rows(stats):
        label = "**Total**" if row.total else escape_markdown(row.label, in_table=True)
        lines.append(_row(label, row.outcome, row.usage, row.cost_usd))
    return lines


def usage_summary(stats: RunStats) -> str:
    """The run's spend in one line."""
    cached = f", {stats.cache_hits} answer(s) from cache" if stats.cache_hits else ""
    judged = stats.adjudication
    pairs = (
        ""
        if judged is None
        else f"; {judged.pairs} borderline pair(s) adjudicated, {judged.same} the same"
    )
    embeddings = _remote(stats)
    vectors = (
        ""
        if embeddings is None
        else f"; {embeddings.requests} embedding request(s), {embeddings.prompt_tokens:,} tokens"
    )
    return (
        f"{stats.llm_calls} LLM call(s) ({stats.reasks} re-asks, {stats.retries} retries)"
        f"{cached}; {stats.prompt_tokens:,} prompt + {stats.completion_tokens:,} output tokens"
        f"{pairs}{vectors}; cost {format_cost(stats.cost_usd)}"
    )


def format_cost(cost: float | None) -> str:
    return "unknown (no price for this model)" if cost is None else f"${cost:.4f}"


def _remote(stats: RunStats) -> EmbeddingUsage | None:
    embeddings = stats.embeddings
    return None if embeddings is None or embeddings.endpoint == "local" else embeddings


def _embedding_usage(embeddings: EmbeddingUsage) -> TokenUsage:
    return TokenUsage(
        calls=embeddings.requests,
        prompt_tokens=embeddings.prompt_tokens,
        retries=embeddings.retries,
        cache_hits=embeddings.cache_hits,
    )


def _row(label: str, outcome: str, usage: TokenUsage, cost: float | None) -> str:
    """A table row; `label` is Markdown already (escaped where it came from outside)."""
    cells = [
        label,
        outcome,
        str(usage.calls),
        str(usage.reasks),
        str(usage.retries),
        str(usage.cache_hits),
        f"{usage.prompt_tokens:,}",
        f"{usage.completion_tokens:,}",
        "?" if cost is None else f"${cost:.4f}",
    ]
    return "| " + " | ".join(cells) + " |"
