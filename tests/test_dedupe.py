"""Duplicate articles: same URL, same text or a syndicated copy are briefed once, carriers kept."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from summarizer.inputs.dedupe import dedupe_articles, is_near_copy, normalize_url
from summarizer.inputs.html_extract import article_from_html
from summarizer.inputs.ingest import article_from_text, read_path
from summarizer.models import Article, Carrier

SITE = Path(__file__).resolve().parent / "web" / "site"
BASE_URL = "http://127.0.0.1:8765"
GAZETTE = "harwick-gazette/saltmere-bridge-closed.html"
WIRE = "northfold-wire/saltmere-bridge-closed.html"
COASTAL = "coastal-post/saltmere-bridge-reopening.html"
TIDEWATER = "tidewater-times/saltmere-bridge-inspection.html"


def _served(relative: str) -> Article:
    """The page as fetched from the test site: its canonical URL is resolvable."""
    page = (SITE / relative).read_text(encoding="utf-8").replace("{{BASE_URL}}", BASE_URL)
    return article_from_html(page, url=f"{BASE_URL}/{relative}", fallback_name=relative)


def _from_disk(relative: str) -> Article:
    """The page read as a file: `{{BASE_URL}}` is no URL, so it has none."""
    (article,) = read_path(SITE / relative)
    return article


def _text_article(
    text: str, *, outlet: str = "Harwick Gazette", title: str = "Bridge", url: str | None = None
) -> Article:
    return article_from_text(text, title=title, outlet=outlet, url=url)


# --- the syndicated copy --------------------------------------------------------------------


@pytest.mark.parametrize("order", [(GAZETTE, WIRE), (WIRE, GAZETTE)])
def test_the_wire_copy_is_kept_once_as_the_original_it_points_at(order: tuple[str, str]) -> None:
    (kept,) = dedupe_articles([_served(relative) for relative in order])
    assert kept.outlet == "Harwick Gazette"
    assert kept.text == _served(GAZETTE).text
    assert kept.also_carried_by == [
        Carrier(
            outlet="Northfold Wire",
            title="Crack in support pier shuts Saltmere Bridge in Harwick",
            url=f"{BASE_URL}/{WIRE}",
        )
    ]


def test_without_urls_the_near_copy_is_found_from_the_text_and_the_first_is_kept() -> None:
    wire, gazette = _from_disk(WIRE), _from_disk(GAZETTE)
    assert (wire.url, gazette.url) == (None, None)
    (kept,) = dedupe_articles([wire, gazette])
    assert kept.outlet == "Northfold Wire"
    assert kept.also_carried_by == [
        Carrier(outlet="Harwick Gazette", title=gazette.title, path=str(SITE / GAZETTE))
    ]


def test_the_wire_copy_is_a_near_copy_of_the_gazette_article() -> None:
    assert is_near_copy(_from_disk(WIRE).text, _from_disk(GAZETTE).text)
    assert is_near_copy(_from_disk(GAZETTE).text, _from_disk(WIRE).text)


def test_two_outlets_reporting_the_same_story_are_not_merged() -> None:
    # The Coastal Post names the same bridge, pier, diversion and the council's 18,000.
    gazette, coastal, tidewater = _served(GAZETTE), _served(COASTAL), _served(TIDEWATER)
    assert not is_near_copy(gazette.text, coastal.text)
    assert not is_near_copy(gazette.text, tidewater.text)
    assert dedupe_articles([gazette, coastal, tidewater]) == [gazette, coastal, tidewater]


def test_the_kept_copy_takes_the_position_of_the_first_arrival() -> None:
    coastal, wire, tidewater, gazette = (
        _served(COASTAL),
        _served(WIRE),
        _served(TIDEWATER),
        _served(GAZETTE),
    )
    kept = dedupe_articles([coastal, wire, tidewater, gazette])
    assert [article.outlet for article in kept] == [
        "Coastal Post",
        "Harwick Gazette",
        "Tidewater Times",
    ]
    assert kept[0] is coastal
    assert kept[2] is tidewater


# --- the same file, the same text, the same URL ---------------------------------------------


def test_the_same_file_twice_is_kept_once_without_naming_itself_as_a_carrier() -> None:
    first, second = read_path(SITE / GAZETTE) + read_path(SITE / GAZETTE)
    assert dedupe_articles([first, second]) == [first]


def test_the_same_text_from_two_files_is_kept_once_with_the_other_path(tmp_path: Path) -> None:
    text = "Title: Bridge\nOutlet: Harwick Gazette\n\nThe Saltmere Bridge is closed."
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text + "\n\n", encoding="utf-8")
    first, second = read_path(tmp_path)
    (kept,) = dedupe_articles([first, second])
    assert kept.path == str(tmp_path / "a.txt")
    assert kept.also_carried_by == [
        Carrier(outlet="Harwick Gazette", title="Bridge", path=str(tmp_path / "b.txt"))
    ]


def test_the_same_url_with_tracking_parameters_is_the_same_article() -> None:
    first = _text_article(
        "Engineers found a crack in pier 3 on Sunday.",
        url="https://harwick-gazette.example/news/bridge",
    )
    updated = _text_article(
        "Engineers found a crack in pier 3 on Sunday. Divers will inspect it.",
        url="HTTPS://Harwick-Gazette.example:443/news/bridge/?utm_source=feed&fbclid=x1#top",
    )
    assert dedupe_articles([first, updated]) == [first]


def test_carriers_of_a_copy_are_kept_and_listed_once() -> None:
    tidewater_carrier = Carrier(outlet="Tidewater Times", title="Bridge shut")
    gazette = _served(GAZETTE)
    wire = _served(WIRE).model_copy(update={"also_carried_by": [tidewater_carrier]})
    again = wire.model_copy(update={"title": "Another headline"})
    (kept,) = dedupe_articles([gazette, wire, again])
    assert [carrier.outlet for carrier in kept.also_carried_by] == [
        "Northfold Wire",
        "Tidewater Times",
        "Northfold Wire",
    ]
    assert [carrier.title for carrier in kept.also_carried_by][2] == "Another headline"


def test_copies_are_grouped_transitively() -> None:
    url = "https://harwick-gazette.example/news/bridge"
    long_text = " ".join(f"Sentence {n} of the bridge report has words." for n in range(20))
    by_url = _text_article("A short first version.", url=url)
    by_url_and_text = _text_article(long_text, title="Bridge (updated)", url=url + "?utm_medium=x")
    by_text = _text_article(long_text + " One more line.", outlet="Northfold Wire")
    kept = dedupe_articles([by_url, by_url_and_text, by_text])
    assert len(kept) == 1
    assert kept[0] is not by_url
    assert kept[0].text == by_url.text
    assert [carrier.title for carrier in kept[0].also_carried_by] == [
        "Bridge (updated)",
        "Bridge",
    ]
    assert [carrier.outlet for carrier in kept[0].also_carried_by] == [
        "Harwick Gazette",
        "Northfold Wire",
    ]


def test_articles_without_copies_come_back_unchanged() -> None:
    articles = [_served(COASTAL), _served(TIDEWATER)]
    result = dedupe_articles(articles)
    assert all(a is b for a, b in zip(result, articles, strict=True))
    assert dedupe_articles([]) == []


# --- normalize_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("HTTPS://Example.ORG/News/Bridge/", "https://example.org/News/Bridge"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org/a#comments", "https://example.org/a"),
        ("https://example.org/a?utm_source=x&UTM_Medium=y&fbclid=z", "https://example.org/a"),
        ("https://example.org/a?id=7&utm_campaign=x&page=2", "https://example.org/a?id=7&page=2"),
        ("https://example.org/", "https://example.org"),
        ("https://example.org:port/a", "https://example.org:port/a"),
        # Newsletter and analytics tags too (courlan's list): mc_cid, _ga, ref.
        ("https://example.org/a?ref=home&mc_cid=1&_ga=2&id=3", "https://example.org/a?id=3"),
    ],
)
def test_normalize_url(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


# --- is_near_copy ---------------------------------------------------------------------------

REPORT = [
    "Engineers found a crack in pier 3 of the Saltmere Bridge in Harwick on Sunday.",
    "Harwick Council closed the bridge to all traffic on Sunday evening.",
    "Council engineer Tomas Reyne said the crack was about 40 centimetres long.",
    "The council says about 18,000 vehicles a day use the bridge.",
    "Drivers are being sent on a diversion through Millford.",
    "Pedestrians and cyclists are also barred from the bridge.",
]


def test_a_trimmed_copy_with_its_own_formatting_is_a_near_copy() -> None:
    trimmed = " ".join(REPORT[:4]).upper()
    assert is_near_copy("\n\n".join(REPORT), trimmed)


def test_a_short_article_quoted_inside_a_long_roundup_is_not_a_copy() -> None:
    roundup = "\n".join(
        [*REPORT, *(f"Item {n}: the ferry, the festival and the school run." for n in range(30))]
    )
    assert not is_near_copy(REPORT[0] + " " + REPORT[1], roundup)
    assert not is_near_copy(" ".join(REPORT[:3]), roundup)


def test_a_version_with_one_sentence_changed_is_another_article() -> None:
    # An update that changes a figure must be briefed, not folded into the older version.
    updated = [*REPORT[:3], REPORT[3].replace("18,000", "25,000"), *REPORT[4:]]
    assert "25,000" in updated[3]
    assert not is_near_copy("\n\n".join(REPORT), "\n\n".join(updated))


def test_short_texts_are_copies_only_when_their_words_are_identical() -> None:
    assert is_near_copy("Two workers were killed.", "two workers were KILLED")
    assert not is_near_copy("Two workers were killed.", "Two workers were killed on Monday.")
    assert not is_near_copy("", "")


# --- scale ----------------------------------------------------------------------------------


def test_five_hundred_articles_with_copies_among_them() -> None:
    generator = random.Random(7)
    vocabulary = [f"w{n}" for n in range(400)]

    def sentence() -> str:
        words = generator.choices(vocabulary, k=10)
        return " ".join([words[0].capitalize(), *words[1:]]) + "."

    originals = [
        _text_article(" ".join(sentence() for _ in range(12)), outlet=f"Outlet {n}")
        for n in range(450)
    ]
    copies = [
        _text_article("This story was first published elsewhere. " + original.text, outlet="Wire")
        for original in originals[:50]
    ]
    kept = dedupe_articles(originals + copies)
    assert kept[:50] == [
        original.model_copy(update={"also_carried_by": [Carrier(outlet="Wire", title="Bridge")]})
        for original in originals[:50]
    ]
    assert kept[50:] == originals[50:]
