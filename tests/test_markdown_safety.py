"""The Markdown briefing is safe and clickable in the renderers people use.

Text from articles, pages and file names (statements, quotes, claimants, outlets, titles,
addresses, figures, warnings, the token ledger's file names...) carries hostile payloads; the
briefing is rendered to HTML by Python-Markdown (plain with tables, and with `extra`, whose
attribute lists could add `onclick`) and by markdown-it-py (CommonMark with tables, standing in
for GitHub), and the HTML must hold only elements our own Markdown makes, no event handler,
no link but the citations to the sources, and every payload as visible text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser

import markdown
import pytest
from markdown_it import MarkdownIt

from summarizer import render_markdown
from summarizer.briefing.key_points import key_points
from summarizer.briefing.ledger import build_ledger
from summarizer.briefing.merge import merge_claims, merge_events, number_sources
from summarizer.models import (
    Article,
    ArticleFailure,
    ArticleUsage,
    Briefing,
    Carrier,
    EmbeddingUsage,
    PreviousClaim,
    RunStats,
    SincePrevious,
    Source,
    Story,
    TokenUsage,
)
from summarizer.render.markdown_escape import escape_markdown
from tests.support import factories

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)",
    "`code` and ``more``",
    "a | b || c",
    '{: onclick="alert(1)" }',
    "*em* _em_ ~~gone~~ **strong**",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\<b>bold\\</b> \\[x\\](javascript:alert(1))",
    "# heading",
    "- item",
    "1. item",
    "> quoted",
    "---",
]
# Addresses a page or a `URL:` header may give: no link may point to them.
HOSTILE_ADDRESSES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
]
# What our own Markdown makes; anything else came from an article.
ALLOWED_TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    *"p ul ol li a em strong code blockquote table thead tbody tr th td br hr".split(),
}
CITATION_TEXT = re.compile(r"\[\d+\]")

Renderer = Callable[[str], str]
RENDERERS: dict[str, Renderer] = {
    "python-markdown": lambda text: markdown.markdown(text, extensions=["tables"]),
    "python-markdown extra": lambda text: markdown.markdown(text, extensions=["extra"]),
    "markdown-it commonmark": MarkdownIt("commonmark").enable("table").render,
}


class _Page(HTMLParser):
    """Elements, attributes, links and visible text of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []
        self._open_link: str | None = None
        self._link_text = ""
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]
        if tag == "a":
            self._open_link = dict(attrs).get("href") or ""
            self._link_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open_link is not None:
            self.links.append((self._open_link, self._link_text))
            self._open_link = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._open_link is not None:
            self._link_text += data

    @property
    def text(self) -> str:
        return " ".join("".join(self._text).split())


def _article(number: int, payload: str, **fields: object) -> Article:
    text = (
        f"Officials said {payload} on Monday. "
        f"About {number},200 troops arrived at the border on Monday."
    )
    source = factories.article(text, outlet=f"Outlet {payload}")
    return source.model_copy(update={"title": f"Title {payload}", **fields})


def _briefing(payload: str, *, stories: int = 1, address: str | None = None) -> Briefing:
    """Every field that comes from an article or a file name carries `payload`."""
    articles = [
        _article(1, payload, url=address or f"https://example.org/news/{payload}"),
        _article(2, payload, path=f"articles/{payload}.txt"),
    ]
    articles[0] = articles[0].model_copy(
        update={
            "also_carried_by": [
                Carrier(outlet=f"Carrier {payload}", title=payload, url=f"carrier {payload}")
            ]
        }
    )
    extractions = []
    for number, source in enumerate(articles, start=1):
        sentence = f"About {number},200 troops arrived at the border on Monday."
        said = f"Officials said {payload} on Monday."
        claims = [
            factories.claim(
                source, f"Troops {payload} arrived.", quote=said, claimant=f"Minister {payload}"
            ),
            factories.claim(
                source,
                sentence,
                claimant=f"Minister {payload}",
                figure=factories.quantity(
                    f"{number},200 {payload}", number * 1000 + 200, "troops arrived"
                ),
            ),
        ]
        happened = factories.event(source, said, date="2026-03-02", trigger="said")
        events = [happened.model_copy(update={"location": f"Place {payload}"})]
        extractions.append(factories.extraction(source, claims, events))
    sources = number_sources(articles)
    merged_claims = merge_claims(extractions, sources)
    disagreements = [
        slot.model_copy(
            update={
                "slot": f"Slot {payload}",
                "entries": [
                    entry.model_copy(
                        update={
                            "quantity": entry.quantity.model_copy(
                                update={"text": f"{entry.quantity.text} {payload}"}
                            )
                        }
                    )
                    for entry in slot.entries
                ],
            }
        )
        for slot in build_ledger(merged_claims, sources)
    ]
    assert disagreements, "two figures for one slot make a disagreement"
    wording_only = next(c for c in merged_claims if c.quantity is None)
    changed = wording_only.model_copy(
        update={
            "novelty": "changed",
            "previously": PreviousClaim(
                id="p1", statement=payload, certainty="certain", polarity="asserted"
            ),
        }
    )
    merged_events = merge_events(extractions, sources)
    return Briefing(
        generated_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC),
        sources=sources,
        key_points=key_points(merged_claims, merged_events, disagreements, sources, top=10),
        stories=[
            Story(number=n, title=f"Story title {payload}", sources=[1, 2])
            for n in range(1, stories + 1)
        ],
        events=merged_events,
        claims=[changed if c is wording_only else c for c in merged_claims],
        disagreements=disagreements,
        stats=RunStats(
            model=f"model {payload}",
            endpoint=f"endpoint {payload}",
            articles=3,
            llm_calls=1,
            reasks=0,
            prompt_tokens=10,
            completion_tokens=5,
            wall_seconds=1.0,
            stopped_by_budget=f"budget {payload}",
            by_article=[
                ArticleUsage(source=f"{payload}.txt", outcome="briefed", usage=TokenUsage(calls=1))
            ],
            embeddings=EmbeddingUsage(
                model=f"embedder {payload}", endpoint="https://example.org/v1", texts=4
            ),
            failures=[ArticleFailure(source=f"failed {payload}.txt", message=f"because {payload}")],
            # Alone on its line too, where it could start a block of its own.
            warnings=[f"warning {payload}", payload],
            notes=[f"note {payload}"],
            seen_before=[f"seen {payload}"],
        ),
        since_previous=SincePrevious(
            previous_generated_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
            new=0,
            changed=1,
            unchanged=0,
            no_longer_reported=[f"gone {payload}"],
        ),
    )


def _assert_inert(page: _Page) -> None:
    assert set(page.tags) <= ALLOWED_TAGS
    for name, value in page.attributes:
        assert not name.lower().startswith("on"), (name, value)
        if name in {"href", "src"}:
            # Browsers ignore whitespace and controls inside a scheme ("java\tscript:").
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            assert not squeezed.startswith(("javascript:", "data:", "vbscript:")), value
    for href, text in page.links:
        assert CITATION_TEXT.fullmatch(text), (href, text)
        assert re.match(r"https?://", href) or not re.match(r"[a-z][a-z0-9+.-]*:|//", href), href


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("stories", [1, 2])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_short_briefing_renders_payloads_inert_and_visible(
    payload: str, stories: int, renderer: str
) -> None:
    page = _Page(RENDERERS[renderer](render_markdown(_briefing(payload, stories=stories))))

    _assert_inert(page)
    expected = [
        f"\u201cOfficials said {payload} on Monday.\u201d",  # a key point in its own words
        f"Slot {payload}",
        f"1,200 troops {payload}",  # a disputed figure
        f"Minister {payload}",  # who gives it
        f"Outlet {payload} (undated)",
        f"failed {payload}.txt: because {payload}",
        f"budget {payload}",
    ]
    shown = " ".join(payload.split())
    for text in expected:
        assert text.replace(payload, shown) in page.text


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("stories", [1, 2])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_render_inert_and_visible(payload: str, stories: int, renderer: str) -> None:
    briefing = _briefing(payload, stories=stories)
    page = _Page(RENDERERS[renderer](render_markdown(briefing, full=True)))

    _assert_inert(page)
    expected = [
        f'"Officials said {payload} on Monday."',  # verified quote
        f"Minister {payload}",  # claimant
        f"Outlet {payload}",
        f"Title {payload}",
        f"https://example.org/news/{payload}",  # the address, shown
        f"articles/{payload}.txt",  # a file name
        f"Carrier {payload} carrier {payload}",
        f"Place {payload}",
        f"1,200 troops {payload}",  # a figure, in the ledger table
        f"incident (said) — Officials said {payload} on Monday.",  # an event
        f"Slot {payload}",
        f'(was: "{payload}")',
        f"gone {payload}",
        f"model {payload}",
        f"endpoint {payload}",
        f"budget {payload}",
        f"{payload}.txt",  # the token ledger
        f"embedder {payload}",
        f"failed {payload}.txt: because {payload}",
        f"warning {payload} {payload}",
        f"note {payload}",
        f"seen {payload}",
    ]
    if stories > 1:
        expected.append(f"Story title {payload}")
    shown = " ".join(payload.split())
    for text in expected:
        assert text.replace(payload, shown) in page.text


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_an_address_that_is_not_http_gets_no_link(address: str, renderer: str) -> None:
    rendered = render_markdown(_briefing("x", address=address), full=True)
    page = _Page(RENDERERS[renderer](rendered))

    _assert_inert(page)
    assert "[s1]" not in rendered
    assert {text for _, text in page.links} == {"[2]"}
    assert f"[1] Outlet x — Title x (undated) {' '.join(address.split())}" in page.text


def _source(number: int, **fields: object) -> Source:
    return Source.model_validate(
        {"number": number, "article_id": f"a{number}", "title": f"T{number}", "outlet": "O"}
        | fields
    )


@pytest.mark.parametrize("renderer", RENDERERS)
def test_citations_link_to_their_source(renderer: str) -> None:
    sources = [
        _source(1, path="-"),  # standard input: nothing to link
        _source(2, url="https://example.org/a b?x=1&y=2", path="ignored.txt"),
        _source(3, path="my articles/report (1).md"),
        _source(4, url="javascript:alert(1)", path="kept/out.txt"),
        _source(5, path="/abs/<b>.md"),
    ]
    claims = []
    for source in sources:
        article = factories.article(f"Claim {source.number}.", outlet="O")
        claims += merge_claims(
            [factories.extraction(article, [factories.claim(article, f"Claim {source.number}.")])],
            [source.model_copy(update={"article_id": article.id})],
        )
    everything = claims[0].model_copy(
        update={"citations": [c for claim in claims for c in claim.citations]}
    )
    briefing = Briefing(
        generated_at=dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
        sources=sources,
        events=[],
        claims=[everything],
        disagreements=[],
        stats=RunStats(
            model="m",
            endpoint="e",
            articles=5,
            llm_calls=0,
            reasks=0,
            prompt_tokens=0,
            completion_tokens=0,
            wall_seconds=1.0,
        ),
    )
    rendered = render_markdown(briefing, full=True)
    page = _Page(RENDERERS[renderer](rendered))

    assert "· \\[1\\] [[2]][s2] [[3]][s3] \\[4\\] [[5]][s5]\n" in rendered
    assert rendered.endswith(
        "[s2]: <https://example.org/a%20b?x=1&amp;y=2>\n"
        "[s3]: <my%20articles/report%20%281%29.md>\n"
        "[s5]: </abs/%3Cb%3E.md>\n"
    )
    expected = {
        "[2]": "https://example.org/a%20b?x=1&y=2",
        "[3]": "my%20articles/report%20%281%29.md",
        "[5]": "/abs/%3Cb%3E.md",
    }
    # Each is a link three times: in the claim's details, by its quote and in the sources.
    assert sorted(page.links) == sorted([(href, text) for text, href in expected.items()] * 3)
    _assert_inert(page)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('The ministry\'s "final" count (so far)!', 'The ministry\'s "final" count (so far)!'),
        ("AT&T and Q&A sessions", "AT&T and Q&A sessions"),
        ("&lt; and &#35; and &amp", "&amp;lt; and &amp;&#35;35; and &amp;amp"),
        ("01_courier.md", "01_courier.md"),
        ("_draft_ a__b", "&#95;draft&#95; a&#95;&#95;b"),
        ("- a", "&#45; a"),
        ("-5 degrees", "-5 degrees"),
        ("1. a", "1&#46; a"),
        ("a | b", "a | b"),
        ("one\n  two", "one two"),
    ],
)
def test_escaping_keeps_ordinary_text_readable(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_a_table_cell_escapes_pipes() -> None:
    assert escape_markdown("a | b", in_table=True) == "a &#124; b"
