"""Typed objects that flow through the pipeline: ingest -> extract -> ground -> merge -> render.

These pydantic models are the single source of truth; `schemas/*.json` are generated from
them (`summarizer schema`) so that non-Python consumers can validate our JSON output.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EvidenceStatus = Literal["verified", "repaired", "unverified"]
Certainty = Literal["certain", "probable", "possible", "unknown"]
Polarity = Literal["asserted", "denied"]
Qualifier = Literal["exact", "about", "at_least", "up_to", "range", "vague"]
EventType = Literal[
    "deployment",
    "attack",
    "incident",
    "meeting",
    "agreement",
    "statement",
    "transfer",
    "casualties",
    "sanction",
    "other",
]
DatePrecision = Literal["day", "month", "year", "unknown"]
DifferenceKind = Literal[
    "conflict", "different_time", "different_scope", "vague_vs_precise", "consistent"
]
Novelty = Literal["new", "changed", "unchanged"]

# ISO 8601 calendar date at day, month or year precision ("2024-10-18", "2024-10", "2024").
# Spelled without \d or {n}: llama-cpp-python's grammar converter mangles both and its
# server dies on the resulting grammar.
PARTIAL_DATE_PATTERN = r"^[0-9][0-9][0-9][0-9](-[0-9][0-9](-[0-9][0-9])?)?$"
# The claimant of a claim whose sentence names no source (or names one its article does not).
UNATTRIBUTED = "unattributed"

# Ranks certainty from most to least sure; merging keeps the least sure, never upgrades.
CERTAINTY_ORDER: tuple[Certainty, ...] = ("certain", "probable", "possible", "unknown")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Carrier(_Frozen):
    """Another outlet or address that carried the same article (a repeat or syndicated copy)."""

    outlet: str
    title: str
    url: str | None = None
    path: str | None = None


class Article(_Frozen):
    """One source article after ingestion: normalized text plus what we know about it."""

    id: str = Field(description="Stable content hash of the normalized text.")
    title: str
    outlet: str = Field(description="Publisher that carried the article; 'unknown' if not known.")
    author: str | None = None
    url: str | None = Field(default=None, description="Address the text was read from.")
    canonical_url: str | None = Field(
        default=None,
        description="Where the page says its original lives (rel=canonical), when it says.",
    )
    path: str | None = Field(default=None, description="Local file it was read from, if any.")
    published: dt.date | None = None
    text: str = Field(description="Normalized article text; every offset refers to it.")
    also_carried_by: list[Carrier] = Field(
        default_factory=list,
        description="Copies of this article that arrived too (same URL, same text, or a "
        "syndicated near-copy); briefed once, every carrier kept.",
    )


class Evidence(_Frozen):
    """A quote proposed by the model, located (or not) in its article by deterministic code."""

    article_id: str
    quote: str = Field(
        description="The article's own text at [start, end) when located, else the model's "
        "proposal. Only verified or repaired evidence is ever displayed as a quote."
    )
    proposed_quote: str = Field(description="The quote exactly as the model proposed it.")
    start: int | None = Field(
        default=None,
        description="Where the quote is in the article's text; before grounding, where "
        "extraction read it (grounding looks there first).",
    )
    end: int | None = None
    status: EvidenceStatus


class Quantity(_Frozen):
    """A figure as the source states it, never rounded or merged with other sources' figures."""

    text: str = Field(description="The figure as written, e.g. 'as many as 10,900 to 12,000'.")
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    counted: str = Field(description="What is counted, e.g. 'North Korean troops in Russia'.")
    qualifier: Qualifier
    as_of: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)


class Claim(_Frozen):
    """A self-contained statement from one article, with who asserts it and how surely."""

    id: str
    article_id: str
    statement: str
    subject: str
    predicate: str
    object: str
    claimant: str = Field(description="Who asserts it (not the outlet); 'unattributed' allowed.")
    certainty: Certainty
    polarity: Polarity
    quantity: Quantity | None = None
    evidence: list[Evidence]


class Actor(_Frozen):
    name: str
    role: str


class Event(_Frozen):
    """Something that happened, as one article reports it."""

    id: str
    article_id: str
    type: EventType
    description: str
    actors: list[Actor]
    location: str | None = None
    date: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)
    date_precision: DatePrecision
    trigger: str | None = Field(
        default=None,
        description="The event's own word in its sentence (its verb or noun, e.g. 'arrested'), "
        "as the sentence writes it; None when the sentence has none of the model's words.",
    )
    evidence: list[Evidence]


class TokenUsage(_Frozen):
    """Tokens as reported by the server, summed over every attempt (retries and re-asks)."""

    calls: int = Field(default=0, description="Answers received (re-asks included).")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = Field(default=0, description="Requests that re-asked after invalid output.")
    retries: int = Field(default=0, description="Requests re-sent after a transport failure.")
    cache_hits: int = Field(default=0, description="Chunks answered from the response cache.")

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasks=self.reasks + other.reasks,
            retries=self.retries + other.retries,
            cache_hits=self.cache_hits + other.cache_hits,
        )


class ArticleExtraction(_Frozen):
    """What the model proposed for one article, grounded or not yet."""

    article_id: str
    events: list[Event]
    claims: list[Claim]
    chunks: int = Field(description="How many requests the article was split into.")
    usage: TokenUsage
    warnings: list[str] = Field(default_factory=list)


class Source(_Frozen):
    """A numbered source of the briefing; citations refer to it by number."""

    number: int
    article_id: str
    title: str
    outlet: str
    author: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    path: str | None = None
    published: dt.date | None = None
    also_carried_by: list[Carrier] = Field(default_factory=list)
    text: str | None = Field(
        default=None,
        description="The article's normalized text, which every citation's offsets refer "
        "to; None in briefings written before it was kept.",
    )


class Citation(_Frozen):
    """One source's support for a merged claim or event."""

    source: int = Field(description="Number of the cited source.")
    article_id: str
    claim_or_event_id: str
    claimant: str | None = None
    certainty: Certainty | None = None
    quote: str | None = Field(
        default=None, description="Verbatim quote, present only when verified or repaired."
    )
    start: int | None = None
    end: int | None = None
    status: EvidenceStatus
    trigger: str | None = Field(
        default=None, description="For an event: its own word in the quote (`Event.trigger`)."
    )

    @model_validator(mode="after")
    def _unverified_shows_no_quote(self) -> Citation:
        if self.status == "unverified" and self.quote is not None:
            raise ValueError("an unverified citation must not carry a quote")
        return self


ShownKind = Literal["checked", "verbatim", "unchecked"]


class ShownLine(_Frozen):
    """The line a reader is shown for a merged claim or event, and why it may be shown.

    `checked`: the model's statement, every number, name, content word and negation of
    which is in the quote it was read from (`summarizer.grounding.statement_check`); `verbatim`: the
    source's own sentence, shown as a quote, because the statement failed that check;
    `unchecked`: the statement, with no verified quote to check it against (never a key
    point, marked as not verified wherever it is shown).
    """

    text: str
    kind: ShownKind
    source: int | None = Field(
        default=None, description="For `verbatim`: the source whose words these are."
    )
    start: int | None = Field(default=None, description="For `verbatim`: offset in the source.")
    end: int | None = None
    problem: str | None = Field(
        default=None, description="Why the model's statement was not shown, when it was not."
    )


class Corroboration(_Frozen):
    """How widely a claim is carried and by how many independent origins."""

    outlets: list[str]
    outlet_count: int
    claimants: list[str]
    independent_origins: int = Field(
        description="Distinct named claimants, plus one per outlet carrying it unattributed."
    )


class PreviousClaim(_Frozen):
    """How a changed claim read in the previous briefing."""

    id: str = Field(description="Id of the matching merged claim in the previous briefing.")
    statement: str
    quantity_text: str | None = Field(
        default=None, description="Its figure as written then (`Quantity.text`), if it had one."
    )
    certainty: Certainty
    polarity: Polarity


class MergedClaim(_Frozen):
    id: str
    story: int = Field(
        default=1, description="Number of the story (`Briefing.stories`) it is part of."
    )
    statement: str = Field(description="The model's statement (see `shown` for what is shown).")
    shown: ShownLine | None = Field(
        default=None, description="What a reader is shown; None in older briefings."
    )
    subject: str
    predicate: str
    object: str
    certainty: Certainty = Field(description="The least sure certainty among its sources.")
    polarity: Polarity
    quantity: Quantity | None = None
    citations: list[Citation]
    corroboration: Corroboration
    novelty: Novelty | None = Field(
        default=None,
        description="Compared with a previous briefing: 'new' (no matching claim then), "
        "'changed' (a matching claim with another figure, certainty or polarity) or "
        "'unchanged'. None when no previous briefing was compared.",
    )
    previously: PreviousClaim | None = Field(
        default=None, description="The matching previous claim, when novelty is 'changed'."
    )


class MergedEvent(_Frozen):
    id: str
    story: int = Field(default=1, description="Number of the story it is part of.")
    type: EventType
    description: str
    shown: ShownLine | None = Field(
        default=None, description="What a reader is shown; None in older briefings."
    )
    date: str | None = Field(default=None, pattern=PARTIAL_DATE_PATTERN)
    date_precision: DatePrecision
    location: str | None = None
    actors: list[Actor]
    citations: list[Citation]


class LedgerEntry(_Frozen):
    """One source's figure for a disputed quantity slot."""

    source: int
    claim_id: str
    outlet: str
    claimant: str
    quantity: Quantity
    published: dt.date | None = None
    citation: Citation
    certainty: Certainty = Field(
        default="certain",
        description="How surely the claim that gives the figure states it, its sentence's "
        "hedges included: 'might surge to as many as 100,000' is possible.",
    )


class Difference(_Frozen):
    """Why two entries of a slot differ."""

    first: int = Field(description="Index of the first entry in the slot.")
    second: int = Field(description="Index of the second entry in the slot.")
    kind: DifferenceKind
    explanation: str


class Disagreement(_Frozen):
    """A quantity slot (the same counted thing) where sources give different figures."""

    slot: str
    story: int = Field(default=1, description="Number of the story it is part of.")
    unit: str | None = None
    entries: list[LedgerEntry]
    differences: list[Difference]

    @model_validator(mode="after")
    def _differences_point_into_entries(self) -> Disagreement:
        for difference in self.differences:
            if not (0 <= difference.first < len(self.entries)) or not (
                0 <= difference.second < len(self.entries)
            ):
                raise ValueError("a difference refers to an entry the slot does not have")
        return self


class ArticleFailure(_Frozen):
    """An article that could not be used, and why; it is reported, never silently dropped."""

    source: str
    message: str


ArticleOutcome = Literal["briefed", "failed", "not started"]


class ArticleUsage(_Frozen):
    """One article's line in the token ledger: every attempt, failed ones included."""

    source: str
    outcome: ArticleOutcome
    usage: TokenUsage
    cost_usd: float | None = Field(default=None, description="None when the price is unknown.")


class EmbeddingUsage(_Frozen):
    """The sentence vectors merging by meaning used, where they came from, what they cost."""

    model: str = Field(description="The embedding model: all-MiniLM-L6-v2 or the endpoint's.")
    endpoint: str = Field(description="'local', or the endpoint serving /v1/embeddings.")
    texts: int = Field(description="Distinct texts a vector was needed for.")
    cache_hits: int = Field(default=0, description="Vectors read from the vector cache.")
    computed: int = Field(default=0, description="Vectors computed or requested in this run.")
    requests: int = Field(default=0, description="/v1/embeddings requests answered.")
    retries: int = Field(default=0, description="Requests re-sent after a transport failure.")
    prompt_tokens: int = Field(default=0, description="Tokens the endpoint reported.")
    cost_usd: float | None = Field(default=None, description="None when the price is unknown.")


class AdjudicationUsage(_Frozen):
    """The borderline pairs of merging by meaning the model judged (`adjudicate`)."""

    pairs: int = Field(description="Pairs judged: asked, or answered from the response cache.")
    same: int = Field(description="Of them, judged to state the same thing, and so joined.")
    failed: int = Field(
        default=0, description="Pairs the model gave no usable answer for: kept apart."
    )
    left_unasked: int = Field(
        default=0,
        description="Borderline pairs kept apart without asking: past the cap "
        "(`max_adjudications`), after the budget ran out, or after the endpoint failed.",
    )
    usage: TokenUsage = Field(
        description="Its requests (also in the run's totals); cache_hits counts pairs "
        "answered from the response cache."
    )
    cost_usd: float | None = Field(default=None, description="None when the price is unknown.")


class RunStats(_Frozen):
    """What the run did and spent; token figures sum every request, re-asks included."""

    model: str
    endpoint: str
    articles: int
    llm_calls: int = Field(description="Chat answers received: extraction and adjudication.")
    reasks: int
    retries: int = 0
    prompt_tokens: int
    completion_tokens: int
    cache_hits: int = 0
    cost_usd: float | None = Field(
        default=None,
        description="Extraction, adjudication and embeddings; None when a price is unknown.",
    )
    concurrency: int = 1
    wall_seconds: float
    stopped_by_budget: str | None = Field(
        default=None, description="Why the run stopped early, when a budget was reached."
    )
    refused_by_endpoint: str | None = Field(
        default=None,
        description=(
            "What the endpoint said when it refused a request for good (a bad key, an unknown"
            " model): the articles not briefed by then are among the failures."
        ),
    )
    by_article: list[ArticleUsage] = Field(default_factory=list)
    embeddings: EmbeddingUsage | None = Field(
        default=None, description="Merging by meaning's sentence vectors; None when it was off."
    )
    adjudication: AdjudicationUsage | None = Field(
        default=None, description="The model's judgement of borderline pairs; None when off."
    )
    failures: list[ArticleFailure] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list,
        description="What reading the inputs did: feed entries taken and left out, "
        "duplicate articles folded.",
    )
    seen_before: list[str] = Field(
        default_factory=list,
        description="Articles left out because they were briefed before (new-only runs).",
    )

    @property
    def usage(self) -> TokenUsage:
        """The run's chat requests as one `TokenUsage` (the JSON keeps the flat fields)."""
        return TokenUsage(
            calls=self.llm_calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            reasks=self.reasks,
            retries=self.retries,
            cache_hits=self.cache_hits,
        )

    @staticmethod
    def usage_fields(usage: TokenUsage) -> dict[str, int]:
        """The flat fields of a `TokenUsage`, for building a `RunStats`."""
        return {
            "llm_calls": usage.calls,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "reasks": usage.reasks,
            "retries": usage.retries,
            "cache_hits": usage.cache_hits,
        }


class SincePrevious(_Frozen):
    """What changed since the previous briefing this one was compared with."""

    previous_generated_at: dt.datetime = Field(
        description="When the previous briefing was generated."
    )
    new: int = Field(description="Claims with no matching claim in the previous briefing.")
    changed: int = Field(description="Claims whose figure, certainty or polarity changed.")
    unchanged: int
    no_longer_reported: list[str] = Field(
        default_factory=list,
        description="Statements of previous claims that no claim of this briefing matches.",
    )


KeyPointKind = Literal["claim", "event", "disagreement"]


class KeyPoint(_Frozen):
    """One line of the briefing's lead: what an analyst weighs first.

    Ranked by `summarizer.briefing.key_points`.
    """

    rank: int = Field(description="1 is the most important.")
    story: int
    kind: KeyPointKind
    ref: str = Field(
        description="The id of the merged claim or event, or the slot of the disagreement."
    )
    line: ShownLine
    sources: list[int] = Field(description="Numbers of the sources it cites.")
    reasons: list[str] = Field(
        description="Why it ranks where it does, e.g. '3 independent origins', 'figure in dispute'."
    )
    score: float


class Story(_Frozen):
    """One story of the day: articles clustered together; their claims merge only there."""

    number: int
    title: str = Field(description="The title of the story's most typical article.")
    sources: list[int] = Field(description="Numbers of the sources that tell it.")


class Briefing(_Frozen):
    """The merged, cited briefing: the product's output.

    In a notebook it shows itself as its HTML report: `_repr_html_` is set by the renderer
    (`render_html`), which is built on these models and so cannot be imported by them.
    """

    generated_at: dt.datetime
    sources: list[Source]
    stories: list[Story] = Field(
        default_factory=list,
        description="The stories the articles tell, largest first; every claim, event and "
        "disagreement names its story by number.",
    )
    key_points: list[KeyPoint] = Field(
        default_factory=list,
        description="The most important claims, events and disputes, best first "
        "(`Settings.top`, 10 by default); every line checked against its quotes.",
    )
    events: list[MergedEvent] = Field(
        description="Merged events, story by story (as `stories`), each in timeline order."
    )
    claims: list[MergedClaim]
    disagreements: list[Disagreement]
    stats: RunStats
    since_previous: SincePrevious | None = Field(
        default=None,
        description="Counts against a previous briefing, when one was compared (see "
        "`MergedClaim.novelty`).",
    )
