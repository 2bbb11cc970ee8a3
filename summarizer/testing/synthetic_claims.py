"""Synthetic but realistic extractions for scaling the post-extraction stage.

`synthetic_corpus(claims, seed=...)` builds articles of about 30 claims and 10 events each.
Every claim is one rendition of an underlying fact, told 1 to 20 times across outlets with
paraphrase noise (active or passive voice, synonyms, dropped or added modifiers, tense,
possessives, the odd typo), so clusters of near-duplicates form as they do in a pile of
wire copy. About 30% of facts carry a figure; some of those are reported with a conflicting
figure, and figures about the same counted thing ("people killed") from different stories
share a ledger slot, so large slots with many distinct figures form too. Claimants come
in spelling variants or are unattributed; a few renditions deny what others assert. The
same seed always gives the same corpus.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.briefing.merge import number_sources
from summarizer.models import (
    Article,
    ArticleExtraction,
    Certainty,
    Claim,
    Event,
    EventType,
    Evidence,
    Polarity,
    Quantity,
    Source,
    TokenUsage,
)

__all__ = [
    "CLAIMS_PER_ARTICLE",
    "EVENTS_PER_ARTICLE",
    "MAX_DUPLICATES",
    "Corpus",
    "synthetic_corpus",
]

CLAIMS_PER_ARTICLE = 30
EVENTS_PER_ARTICLE = 10
MAX_DUPLICATES = 20
_START = dt.date(2026, 3, 2)
_DAYS = 60
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_SYLLABLES = (
    "ar bel cor dun el fen gar hol is jor kes len mar nor os pel quin ros sal tor ul "
    "ven wil yar zen brun dor ost fal grey hav kin lom mir nest oak rad stav thal vik"
).split()
_PLACE_ENDINGS = ("ford", "vale", "ton", "burg", "mouth", "field", "wick", "stead", "more", "")
_FIRST_NAMES = (
    "Marcus Teresa Daniel Ruth Ana Jonas Mira Pavel Lena Omar Grace Tomas Ines Kofi Sara "
    "Viktor Amal Hugo Nadia Felix Irene Samuel Leila Boris Clara Yusuf Elena Ravi Maya Otto"
).split()
_LAST_NAMES = (
    "Doyle Halvorsen Pryce Kemble Ruiz Lindqvist Okafor Brandt Moreau Tanaka Silva Novak "
    "Haddad Fischer Kowalski Mensah Costa Varga Ibrahim Larsen Petrov Quinn Sato Adeyemi"
).split()
_TITLES = (
    "Fire Chief",
    "Mayor",
    "Police Chief",
    "Health Minister",
    "Governor",
    "spokesperson",
    "Colonel",
    "Judge",
    "Director",
    "Commissioner",
)
_ORGANISATIONS = (
    "police",
    "the fire service",
    "the health ministry",
    "rescue workers",
    "the army",
    "rebel fighters",
    "the company",
    "local officials",
    "the government",
    "investigators",
    "the coast guard",
    "firefighters",
    "the central bank",
    "regulators",
    "the union",
    "the court",
    "prosecutors",
    "the environment agency",
    "the water utility",
    "the city council",
    "engineers",
    "the navy",
    "border guards",
    "the electricity operator",
)
# Each verb with the synonyms a paraphrase may swap in.
_VERBS = (
    ("arrested", "detained"),
    ("closed", "shut"),
    ("inspected", "examined"),
    ("reopened",),
    ("blocked", "barricaded"),
    ("seized", "confiscated"),
    ("suspended", "halted"),
    ("approved", "authorised"),
    ("rejected", "refused"),
    ("repaired", "fixed"),
    ("destroyed", "wrecked"),
    ("damaged",),
    ("restored",),
    ("banned", "prohibited"),
    ("raided", "searched"),
    ("rescued", "saved"),
    ("shelled", "bombarded"),
    ("cordoned off", "sealed off"),
    ("flooded",),
    ("tested", "sampled"),
    ("fined", "penalised"),
    ("upgraded", "modernised"),
    ("guarded", "protected"),
    ("cleared", "emptied"),
)
_NOUNS = (
    ("bridge",),
    ("main road", "highway"),
    ("hospital", "clinic"),
    ("border crossing", "checkpoint"),
    ("power plant", "power station"),
    ("water supply", "water network"),
    ("school",),
    ("factory", "plant"),
    ("port", "harbour"),
    ("airport", "airfield"),
    ("railway line", "rail line"),
    ("market",),
    ("pipeline",),
    ("dam",),
    ("warehouse", "depot"),
    ("embassy",),
    ("refinery",),
    ("mine",),
    ("prison", "jail"),
    ("town hall", "city hall"),
    ("river crossing",),
    ("chemical works",),
    ("grain silo",),
    ("fuel depot",),
)
_ADJECTIVES = (
    "northern southern eastern western old new main central largest damaged private public "
    "regional municipal coastal upper lower"
).split()
_INDUSTRIES = ("Chemical Works", "Mining", "Shipping", "Energy", "Logistics", "Steel", "Foods")
_AUTHORITIES = ("city council", "district court", "port authority", "water board", "police")
_EXTRAS = ("again", "temporarily", "partly", "fully", "quickly", "briefly", "later", "overnight")
# (noun in the sentence, canonical slot noun, measuring verbs, unit): figures that count it.
_COUNTED = (
    ("people", ("killed", "injured", "evacuated", "hospitalised", "rescued", "arrested")),
    ("workers", ("killed", "injured", "evacuated", "rescued")),
    ("residents", ("evacuated", "displaced", "relocated")),
    ("troops", ("sent", "deployed", "withdrawn")),
    ("soldiers", ("killed", "captured", "deployed")),
    ("civilians", ("killed", "injured", "displaced")),
    ("tonnes of acid", ("leaked", "spilled")),
    ("tonnes of grain", ("shipped", "delivered", "stolen")),
    ("tonnes of fuel", ("spilled", "delivered")),
    ("homes", ("flooded", "destroyed", "damaged")),
    ("buildings", ("destroyed", "damaged", "inspected")),
    ("fish", ("died", "killed")),
    ("vehicles", ("seized", "destroyed")),
    ("patients", ("treated", "transferred")),
    ("families", ("relocated", "evacuated")),
    ("protesters", ("arrested", "detained", "injured")),
)
_EVENT_TYPES: tuple[EventType, ...] = (
    "incident",
    "attack",
    "statement",
    "deployment",
    "meeting",
    "agreement",
    "casualties",
    "transfer",
    "sanction",
    "other",
)
_CERTAINTIES: tuple[Certainty, ...] = ("certain", "probable", "possible")


@dataclass(frozen=True)
class Corpus:
    """Articles with their extractions and numbered sources, as the merge stage sees them."""

    extractions: list[ArticleExtraction]
    sources: list[Source]

    @property
    def claims(self) -> int:
        return sum(len(e.claims) for e in self.extractions)

    @property
    def events(self) -> int:
        return sum(len(e.events) for e in self.extractions)


@dataclass
class _Figure:
    value: float
    qualifier: str
    noun: str
    measure: str
    low: float | None = None
    high: float | None = None
    as_of: str | None = None


@dataclass(frozen=True)
class _Story:
    """One news story: its own names, reported by `articles` articles."""

    articles: int
    places: tuple[str, ...]
    subjects: tuple[str, ...]
    landmarks: tuple[str, ...]
    claimants: tuple[str, ...]
    first_day: int


@dataclass
class _Fact:
    subject: str
    verb: tuple[str, ...]
    adjective: str
    noun: tuple[str, ...]
    landmark: str
    place: str
    day: int
    claimants: tuple[str, ...]
    event_type: EventType
    figure: _Figure | None = None
    rival: _Figure | None = None


@dataclass
class _Rendition:
    statement: str
    quote: str
    claimant: str
    figure: _Figure | None
    figure_text: str | None
    polarity: Polarity
    certainty: Certainty
    day: int
    event_type: EventType
    # The event's own word in its statement, as extraction gives it.
    trigger: str


def synthetic_corpus(
    claims: int,
    *,
    seed: int = 20260302,
    claims_per_article: int = CLAIMS_PER_ARTICLE,
    events_per_article: int = EVENTS_PER_ARTICLE,
    articles_per_story: int | None = None,
) -> Corpus:
    """Exactly `claims` claims and about a third as many events, in articles of ~30 claims.

    Stories span 3 to 20 articles unless `articles_per_story` fixes it: a large value makes
    one story's names common to most claims, the hard case for finding near-duplicates.
    """
    rng = random.Random(seed)
    articles: list[tuple[list[_Rendition], list[_Rendition]]] = []
    remaining = claims
    while remaining > 0:
        wanted = articles_per_story or rng.randrange(3, MAX_DUPLICATES + 1)
        story = _story(rng, min(wanted, -(-remaining // claims_per_article)))
        budget = min(remaining, story.articles * claims_per_article)
        claim_rows = _story_renditions(rng, story, budget, figure_share=0.3)
        event_rows = _story_renditions(
            rng, story, max(1, budget * events_per_article // claims_per_article), figure_share=0
        )
        for number in range(story.articles):
            articles.append((claim_rows[number], event_rows[number]))
        remaining -= budget
    rng.shuffle(articles)
    return _assemble(rng, [a for a in articles if a[0] or a[1]])


def _name(rng: random.Random) -> str:
    stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
    return (stem + rng.choice(_PLACE_ENDINGS)).capitalize()


def _story(rng: random.Random, articles: int) -> _Story:
    people = []
    for _ in range(rng.randrange(2, 5)):
        first, last, title = rng.choice(_FIRST_NAMES), _name(rng), rng.choice(_TITLES)
        people += [f"{title} {first} {last}", f"{title.lower()} {first} {last}"]
    company = f"{_name(rng)} {rng.choice(_INDUSTRIES)}"
    return _Story(
        articles=articles,
        places=tuple(_name(rng) for _ in range(rng.randrange(1, 4))),
        subjects=(company, f"the {_name(rng)} {rng.choice(_AUTHORITIES)}"),
        landmarks=tuple(_name(rng) for _ in range(rng.randrange(1, 4))),
        claimants=tuple(people),
        first_day=rng.randrange(_DAYS - 7),
    )


def _cluster_size(rng: random.Random, limit: int) -> int:
    sizes = range(1, limit + 1)
    return rng.choices(sizes, weights=[1 / size**1.3 for size in sizes])[0]


def _story_renditions(
    rng: random.Random, story: _Story, total: int, *, figure_share: float
) -> list[list[_Rendition]]:
    """`total` renditions spread over the story's articles, duplicates in different ones."""
    by_article: list[list[_Rendition]] = [[] for _ in range(story.articles)]
    made = 0
    while made < total:
        fact = _fact(rng, story, with_figure=rng.random() < figure_share)
        count = min(_cluster_size(rng, min(story.articles, MAX_DUPLICATES)), total - made)
        for number in rng.sample(range(story.articles), count):
            by_article[number].append(_rendition(rng, fact))
        made += count
    for rows in by_article:
        rng.shuffle(rows)
    return by_article


def _fact(rng: random.Random, story: _Story, *, with_figure: bool) -> _Fact:
    fact = _Fact(
        subject=rng.choice(story.subjects) if rng.random() < 0.4 else rng.choice(_ORGANISATIONS),
        verb=rng.choice(_VERBS),
        adjective=rng.choice(_ADJECTIVES),
        noun=rng.choice(_NOUNS),
        landmark=rng.choice(story.landmarks) if rng.random() < 0.5 else "",
        place=rng.choice(story.places),
        day=story.first_day + rng.randrange(7),
        claimants=tuple(rng.sample(story.claimants, min(len(story.claimants), 2))),
        event_type=rng.choice(_EVENT_TYPES),
    )
    if with_figure:
        noun, measures = rng.choice(_COUNTED)
        fact.figure = _random_figure(rng, noun, rng.choice(measures))
        if rng.random() < 0.3:
            fact.rival = _random_figure(rng, noun, fact.figure.measure)
    return fact


def _random_figure(rng: random.Random, noun: str, measure: str) -> _Figure:
    magnitude = rng.choice((10, 100, 1000, 10000))
    value = float(rng.randrange(2, 10 * magnitude) if magnitude > 10 else rng.randrange(2, 60))
    qualifier = rng.choices(
        ("exact", "about", "at_least", "up_to", "range", "vague"), (6, 2, 2, 1, 1, 1)
    )[0]
    figure = _Figure(value=value, qualifier=qualifier, noun=noun, measure=measure)
    if qualifier == "range":
        figure.low, figure.high = value, value + rng.randrange(1, max(2, int(value)))
    if rng.random() < 0.1:
        figure.as_of = (_START + dt.timedelta(days=rng.randrange(_DAYS))).isoformat()
    return figure


def _figure_text(figure: _Figure) -> str:
    number = f"{int(figure.value):,}"
    if figure.qualifier == "range":
        assert figure.high is not None
        return f"between {number} and {int(figure.high):,} {figure.noun}"
    if figure.qualifier == "vague":
        return f"{'dozens' if figure.value < 100 else 'hundreds'} of {figure.noun}"
    prefix = {"about": "about ", "at_least": "at least ", "up_to": "up to "}.get(
        figure.qualifier, ""
    )
    return f"{prefix}{number} {figure.noun}"


def _rendition(rng: random.Random, fact: _Fact) -> _Rendition:
    figure = fact.figure
    if fact.rival is not None and rng.random() < 0.4:
        figure = fact.rival
    day_name = _WEEKDAYS[(_START + dt.timedelta(days=fact.day)).weekday()]
    place = f"in {fact.place}" if rng.random() < 0.85 else ""
    time = f"on {day_name}" if rng.random() < 0.6 else ""
    extra = rng.choice(_EXTRAS) if rng.random() < 0.2 else ""
    verb = fact.verb[0] if rng.random() < 0.75 else rng.choice(fact.verb)
    noun = fact.noun[0] if rng.random() < 0.8 else rng.choice(fact.noun)
    adjective = fact.landmark or fact.adjective
    if rng.random() < 0.2:
        adjective = fact.adjective if fact.landmark and rng.random() < 0.5 else ""
    elif fact.landmark and rng.random() < 0.1:
        adjective, noun, place = fact.adjective, f"{noun} of {fact.landmark}", ""
    figure_text = None
    if figure is not None:
        figure_text = _figure_text(figure)
        words = [figure_text, "were", figure.measure, extra, place, time]
        if rng.random() < 0.3:
            words += ["near the", adjective, noun]
    elif rng.random() < 0.5:
        words = [fact.subject, extra, verb, "the", adjective, noun, place, time]
    else:
        words = ["the", adjective, noun, place, "was", extra, verb, "by", fact.subject, time]
    statement = " ".join(w for w in words if w)
    if rng.random() < 0.04:
        statement = _typo(rng, statement)
    statement = statement[0].upper() + statement[1:] + "."
    if figure_text and not statement.lower().startswith(figure_text.lower()):
        figure_text = None
    elif figure_text:
        figure_text = statement[: len(figure_text)]
    claimant = "unattributed" if rng.random() < 0.4 else rng.choice(fact.claimants)
    quote = (
        statement
        if claimant == "unattributed"
        else f"{claimant} said {statement[0].lower()}{statement[1:]}"
    )
    return _Rendition(
        statement=statement,
        quote=quote,
        claimant=claimant,
        figure=figure if figure_text else None,
        figure_text=figure_text,
        polarity="denied" if rng.random() < 0.06 else "asserted",
        certainty=rng.choices(_CERTAINTIES, (17, 2, 1))[0],
        day=fact.day,
        event_type=fact.event_type,
        trigger=figure.measure if figure is not None else verb,
    )


def _typo(rng: random.Random, text: str) -> str:
    position = rng.randrange(1, len(text) - 1)
    if text[position] == " ":
        return text
    if rng.random() < 0.5:
        return text[:position] + text[position + 1 :]
    return text[:position] + text[position + 1] + text[position] + text[position + 2 :]


def _assemble(
    rng: random.Random, articles: Sequence[tuple[list[_Rendition], list[_Rendition]]]
) -> Corpus:
    outlets = [
        f"{name} {kind}"
        for name in ("Courier", "Herald", "Signal", "Observer", "Press")
        for kind in ("Daily", "Weekly", "Online", "Agency", "Times", "Post", "Gazette", "Tribune")
    ]
    built: list[tuple[Article, list[_Rendition], list[_Rendition]]] = []
    for number, (claims, events) in enumerate(articles):
        text = " ".join([r.quote for r in claims] + [r.statement for r in events])
        article = Article(
            id=f"a{number:06d}",
            title=f"Story {number}",
            outlet=rng.choice(outlets),
            published=_START + dt.timedelta(days=rng.randrange(_DAYS)),
            text=text,
        )
        built.append((article, claims, events))
    sources = number_sources([article for article, _, _ in built])
    extractions: list[ArticleExtraction] = []
    claim_ids, event_ids = iter(range(10**9)), iter(range(10**9))
    for article, claims, events in built:
        extractions.append(
            ArticleExtraction(
                article_id=article.id,
                claims=[_claim(rng, article, row, next(claim_ids)) for row in claims],
                events=[_event(rng, article, row, next(event_ids)) for row in events],
                chunks=1,
                usage=TokenUsage(),
            )
        )
    return Corpus(extractions=extractions, sources=sources)


def _evidence(rng: random.Random, article: Article, quote: str) -> Evidence:
    start = article.text.find(quote)
    if start < 0 or rng.random() < 0.08:
        return Evidence(
            article_id=article.id, quote=quote, proposed_quote=quote, status="unverified"
        )
    return Evidence(
        article_id=article.id,
        quote=quote,
        proposed_quote=quote,
        start=start,
        end=start + len(quote),
        status="verified",
    )


def _claim(rng: random.Random, article: Article, row: _Rendition, number: int) -> Claim:
    quantity = None
    if row.figure is not None and row.figure_text is not None:
        figure = row.figure
        quantity = Quantity(
            text=row.figure_text,
            value=figure.value,
            low=figure.low,
            high=figure.high,
            unit="tonnes" if figure.noun.startswith("tonnes") else None,
            counted=f"{figure.noun} {figure.measure}",
            qualifier=figure.qualifier,
            as_of=figure.as_of,
        )
    words = row.statement.rstrip(".").split()
    return Claim(
        id=f"c{number:07d}",
        article_id=article.id,
        statement=row.statement,
        subject=" ".join(words[:2]),
        predicate=" ".join(words[2:3]),
        object=" ".join(words[3:]),
        claimant=row.claimant,
        certainty=row.certainty,
        polarity=row.polarity,
        quantity=quantity,
        evidence=[_evidence(rng, article, row.quote)],
    )


def _event(rng: random.Random, article: Article, row: _Rendition, number: int) -> Event:
    day = _START + dt.timedelta(days=row.day)
    precision = rng.choices(("day", "month", "unknown"), (8, 1, 1))[0]
    date = {"day": day.isoformat(), "month": day.isoformat()[:7], "unknown": None}[precision]
    return Event(
        id=f"e{number:07d}",
        article_id=article.id,
        type=row.event_type,
        description=row.statement,
        actors=[],
        date=date,
        date_precision=precision,
        trigger=row.trigger,
        evidence=[_evidence(rng, article, row.statement)],
    )
