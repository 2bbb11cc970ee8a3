"""The HTML report without a browser: one self-contained file, a strict CSP, inert payloads.

Every field that comes from an article, a page, a file name or the model carries hostile
payloads (the briefings of `tests/test_markdown_safety.py`); the page must hold only the
elements our template makes, no event handler, no script but its own, no link but to
http(s) addresses and into the page, and every payload as visible text. The script's
highlighting itself runs in `tests/test_html_report_browser.py`; here each citation must
name the span of its own source's text that its quote is.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import Briefing, render_html
from summarizer.cli import app
from summarizer.models import Disagreement
from summarizer.render.html_charts import TimelineItem, partial_date, slot_chart, timeline_figure
from tests.test_markdown_safety import HOSTILE_ADDRESSES, PAYLOADS
from tests.test_markdown_safety import _briefing as payload_briefing

# Payloads aimed at HTML itself: attributes, raw-text elements, the JSON data block.
HTML_PAYLOADS = [
    '"><svg onload=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<a href=javascript:alert(1)>x</a>",
    "\U0001f600 {{ 7 * 7 }} {% raw %} ${alert(1)}",
]
# What our own template makes; anything else came from a briefing.
ALLOWED_TAGS = set(
    "html head meta title style body header main section dialog div h1 h2 h3 h4 p ol ul li "
    "a span strong blockquote table thead tbody tr th td button script "
    "svg g line rect circle text".split()
)


class Report(HTMLParser):
    """Elements, raw-text blocks (scripts, style) and visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.blocks: list[tuple[str, dict[str, str], str]] = []
        self._raw: tuple[str, dict[str, str], list[str]] | None = None
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag in {"script", "style"}:
            self._raw = (tag, attributes, [])

    def handle_endtag(self, tag: str) -> None:
        if self._raw is not None and tag == self._raw[0]:
            self.blocks.append((tag, self._raw[1], "".join(self._raw[2])))
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._raw[2].append(data)
        else:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self._text).split())

    def attribute_values(self, name: str) -> list[str]:
        return [attrs[name] for _, attrs in self.elements if name in attrs]

    def block(self, tag: str, **attributes: str) -> str:
        [content] = [
            text
            for kind, attrs, text in self.blocks
            if kind == tag
            and all(attrs.get(k) == v for k, v in attributes.items())
            and (attributes or "type" not in attrs)
        ]
        return content

    def articles(self) -> dict[str, dict[str, str | None]]:
        data: dict[str, dict[str, str | None]] = json.loads(
            self.block("script", type="application/json", **{"class": "articles"})
        )
        return data

    def openings(self) -> set[tuple[int, int, int]]:
        """(source, start, end) of every citation that opens its article."""
        return {
            (int(attrs["data-source"]), int(attrs["data-start"]), int(attrs["data-end"]))
            for tag, attrs in self.elements
            if tag == "a" and "data-start" in attrs
        }


def _policy(report: Report) -> dict[str, str]:
    [content] = [
        attrs["content"]
        for tag, attrs in report.elements
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "content-security-policy"
    ]
    directives = (part.strip().split(" ", 1) for part in content.split(";"))
    return {name: value for name, value in directives}


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _assert_inert(report: Report) -> None:
    assert {tag for tag, _ in report.elements} <= ALLOWED_TAGS
    for tag, attrs in report.elements:
        for name in attrs:
            assert not name.lower().startswith("on"), (tag, name)
        assert "src" not in attrs and "srcdoc" not in attrs and "style" not in attrs, (tag, attrs)
    for href in report.attribute_values("href"):
        assert href.startswith("#") or re.match(r"https://example\.org/", href), href
    scripts = [(attrs, text) for tag, attrs, text in report.blocks if tag == "script"]
    assert [attrs.get("type") for attrs, _ in scripts] == ["application/json", None]


def test_the_report_is_one_self_contained_file_under_a_strict_policy() -> None:
    report = Report(render_html(payload_briefing("x")))

    policy = _policy(report)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == f"'sha256-{_sha256(report.block('script'))}'"
    assert policy["style-src"] == f"'sha256-{_sha256(report.block('style'))}'"
    assert policy["img-src"] == "data:"
    assert "unsafe" not in " ".join(policy.values())
    tags = [tag for tag, _ in report.elements]
    # A policy in a <meta> applies only to what comes after it.
    assert tags.index("meta") < tags.index("style") < tags.index("script")
    assert not {"link", "img", "iframe", "object", "embed", "base", "form"} & set(tags)
    style = report.block("style")
    assert "url(" not in style and "@import" not in style
    _assert_inert(report)


@pytest.mark.parametrize("stories", [1, 2])
@pytest.mark.parametrize("payload", PAYLOADS + HTML_PAYLOADS)
def test_payloads_render_inert_and_visible(payload: str, stories: int) -> None:
    briefing = payload_briefing(payload, stories=stories)
    report = Report(render_html(briefing))

    _assert_inert(report)
    expected = [
        f"\u201cOfficials said {payload} on Monday.\u201d",  # a key point in its own words
        f"Outlet {payload} — Title {payload}",
        f"articles/{payload}.txt",  # a file name
        f"https://example.org/news/{payload}",  # an address, shown
        f"Carrier {payload} carrier {payload}",
        f"Minister {payload}",  # a claimant
        f"Slot {payload}",
        f"1,200 troops {payload}",  # a disputed figure
        f"Place {payload}",
        f"Story title {payload}",
        f'Changed (was: "{payload}")',
        f"gone {payload}",
        f"model {payload}",
        f"budget {payload}",
        f"{payload}.txt",  # the token ledger
        f"embedder {payload}",
        f"failed {payload}.txt: because {payload}",
        f"warning {payload}",
        f"note {payload}",
        f"seen {payload}",
    ]
    shown = " ".join(payload.split())
    for text in expected:
        assert text.replace(payload, shown) in report.text
    articles = report.articles()
    for source in briefing.sources:
        assert articles[str(source.number)]["text"] == source.text
        assert articles[str(source.number)]["label"] == (
            f"[{source.number}] {source.outlet} — {source.title}"
        )


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_an_address_that_is_not_http_gets_no_link(address: str) -> None:
    report = Report(render_html(payload_briefing("x", address=address)))

    _assert_inert(report)
    assert report.articles()["1"]["href"] is None
    assert f"Outlet x — Title x (undated) {' '.join(address.split())}" in report.text


def test_every_citation_opens_its_own_quote_at_its_offsets() -> None:
    # The emoji is one code point but two UTF-16 units: offsets after it count code points.
    briefing = payload_briefing("\U0001f600 <b>bold</b>")
    report = Report(render_html(briefing))

    texts = {int(n): article["text"] for n, article in report.articles().items()}
    numbers = {source.article_id: source.number for source in briefing.sources}
    citations = [c for claim in briefing.claims for c in claim.citations]
    citations += [c for event in briefing.events for c in event.citations]
    citations += [e.citation for slot in briefing.disagreements for e in slot.entries]
    expected = {(c.source, c.start, c.end): c.quote for c in citations if c.quote is not None}
    assert all(numbers[c.article_id] == c.source for c in citations)
    assert report.openings() == set(expected)
    for (source, start, end), quote in expected.items():
        text = texts[source]
        assert text is not None and text[start:end] == quote


def test_a_source_without_its_text_shows_its_quotes_only() -> None:
    briefing = payload_briefing("x")
    older = briefing.model_copy(
        update={"sources": [s.model_copy(update={"text": None}) for s in briefing.sources]}
    )
    report = Report(render_html(older))

    assert report.openings() == set()
    assert report.articles() == {}
    assert "\u201cAbout 1,200 troops arrived at the border on Monday.\u201d" in report.text
    assert "(text not in this briefing: quotes only)" in report.text


def test_offsets_outside_the_text_open_nothing() -> None:
    briefing = payload_briefing("x")
    first, second = briefing.sources
    shortened = briefing.model_copy(
        update={"sources": [first.model_copy(update={"text": "Officials"}), second]}
    )
    report = Report(render_html(shortened))

    assert {source for source, _, _ in report.openings()} == {2}


def test_a_notebook_shows_the_same_report() -> None:
    briefing = payload_briefing("x")
    # The renderer sets `_repr_html_` on the class when it is imported; mypy cannot see that.
    assert briefing._repr_html_() == render_html(briefing)  # type: ignore[attr-defined]


def _entry(source: int, text: str, published: dt.date | None, **figure: object) -> object:
    return {
        "source": source,
        "claim_id": f"c{source}",
        "outlet": f"Outlet {source}",
        "claimant": "unattributed",
        "quantity": {"text": text, "counted": "people evacuated", "qualifier": "about", **figure},
        "published": published,
        "citation": {
            "source": source,
            "article_id": f"a{source}",
            "claim_or_event_id": f"c{source}",
            "status": "unverified",
        },
    }


def test_a_slot_chart_places_each_figure_by_its_date() -> None:
    day = dt.date(2026, 3, 2)
    slot = Disagreement.model_validate(
        {
            "slot": "people evacuated",
            "entries": [
                _entry(1, "1,200", day, value=1200, as_of="2026-03"),
                _entry(2, "1,000 to 4,500", day + dt.timedelta(days=2), low=1000, high=4500),
                _entry(3, "thousands", day),  # no number: listed, not drawn
                _entry(4, "4,500", None, value=4500),  # no date: the undated band
            ],
            "differences": [],
        }
    )
    chart = slot_chart(slot)

    assert chart is not None
    exact, span, undated = chart.marks
    assert exact.bar_top is None and span.value_y is None
    assert span.bar_top is not None and span.bar_bottom is not None
    assert exact.value_y is not None
    assert span.bar_top < exact.value_y < span.bar_bottom
    assert undated.value_y == span.bar_top  # 4,500 both: one height
    assert exact.x < span.x < undated.x == chart.undated_x
    assert [(i.source, i.outlet) for i in chart.legend] == [
        (1, "Outlet 1"),
        (2, "Outlet 2"),
        (4, "Outlet 4"),
    ]
    assert chart.left_out == [3]
    assert [t.label for t in chart.x_ticks] == ["2026-03", "2026-03-04"]


def test_the_timeline_has_a_row_a_date_in_date_order_and_leaves_undated_out() -> None:
    figure = timeline_figure(
        [
            TimelineItem(1, "2026-03-02", "first"),
            TimelineItem(2, "undated", "no date"),
            TimelineItem(3, "2024", "long before"),
            TimelineItem(4, "2026-03-02", "same day"),
        ]
    )

    assert figure is not None
    assert [tick.label for tick in figure.ticks] == ["2024", "2026-03-02"]
    rows = {dot.number: dot.y for dot in figure.dots}
    assert sorted(rows) == [1, 3, 4]
    assert rows[3] < rows[1] == rows[4]
    assert timeline_figure([TimelineItem(1, "undated", "x")]) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [("2024", dt.date(2024, 1, 1)), ("2024-10", dt.date(2024, 10, 1)), ("2024-13", None)],
)
def test_partial_dates_fall_on_their_first_day(text: str, day: dt.date | None) -> None:
    assert partial_date(text) == day


def _clean(briefing: Briefing) -> Briefing:
    stats = briefing.stats.model_copy(
        update={"stopped_by_budget": None, "failures": [], "warnings": []}
    )
    return briefing.model_copy(update={"stats": stats})


@pytest.mark.parametrize(
    ("arguments", "html"),
    [
        (["-o", "{folder}/briefing.html"], True),
        (["-o", "{folder}/briefing.HTM"], True),
        (["-o", "{folder}/briefing.md", "--format", "html"], True),
        (["-o", "{folder}/briefing.html", "--format", "md"], False),
    ],
)
def test_the_cli_writes_html_for_an_html_file_or_when_asked(
    arguments: list[str], html: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    briefing = _clean(payload_briefing("x"))
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr("summarizer.cli.run_brief", lambda *args, **kwargs: briefing)
    options = [a.format(folder=tmp_path) for a in arguments]

    result = CliRunner().invoke(app, ["brief", "a.txt", "-q", *options])

    assert result.exit_code == 0, result.output
    written = Path(options[1]).read_text(encoding="utf-8")
    assert (written == render_html(briefing)) is html


def test_the_cli_writes_html_to_stdout_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    briefing = _clean(payload_briefing("x"))
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr("summarizer.cli.run_brief", lambda *args, **kwargs: briefing)

    result = CliRunner().invoke(app, ["brief", "a.txt", "-q", "--format", "html"])

    assert result.exit_code == 0, result.output
    assert result.stdout == render_html(briefing)
