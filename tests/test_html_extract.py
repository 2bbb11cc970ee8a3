"""HTML pages to Articles: main text without chrome, and metadata, read from the test site."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.inputs.html_extract import article_from_html
from summarizer.inputs.ingest import read_path
from summarizer.inputs.normalize import article_id, normalize_text
from summarizer.models import Article

SITE = Path(__file__).resolve().parent / "web" / "site"
BASE_URL = "http://127.0.0.1:8765"

GAZETTE_SENTENCES = [
    "Engineers found a crack in pier 3 of the Saltmere Bridge in Harwick on Sunday.",
    "Harwick Council closed the bridge to all traffic on Sunday evening.",
    "Council engineer Tomas Reyne said the crack was about 40 centimetres long.",
    "The council says about 18,000 vehicles a day use the bridge.",
    "Drivers are being sent on a diversion through Millford, which adds 20 minutes to the journey.",
    "Pedestrians and cyclists are also barred from the bridge.",
    "The council said divers would inspect the damaged pier early this week.",
]
PULL_QUOTE = (
    '"This bridge has been patched for twenty years and now the bill has arrived," '
    "union official Gareth Lowe said."
)

# page -> (title, outlet, author, published, every sentence of the article in order)
PAGES = {
    "harwick-gazette/saltmere-bridge-closed.html": (
        "Saltmere Bridge closed after crack found in support pier",
        "Harwick Gazette",
        "Elin Marsh",
        dt.date(2026, 5, 11),
        GAZETTE_SENTENCES,
    ),
    "northfold-wire/saltmere-bridge-closed.html": (
        "Crack in support pier shuts Saltmere Bridge in Harwick",
        "Northfold Wire",
        "Elin Marsh",
        dt.date(2026, 5, 11),
        ["This story was first published by the Harwick Gazette.", *GAZETTE_SENTENCES],
    ),
    "tidewater-times/saltmere-bridge-inspection.html": (
        "Divers find Saltmere Bridge crack runs below waterline",
        "Tidewater Times",
        "Priya Okafor",
        dt.date(2026, 5, 12),
        [
            "Divers inspected pier 3 of the Saltmere Bridge on Monday.",
            "The divers found that the crack runs below the waterline.",
            # The pull-quote comes first; the paragraph that repeats it verbatim is dropped.
            PULL_QUOTE,
            "Harwick Council estimates the repairs at 2.4 million pounds.",
            "The engineers' union says the repairs will cost at least 6 million pounds.",
            "The bridge remains closed to all traffic.",
            "The council will publish the full inspection report on Friday.",
        ],
    ),
    "coastal-post/saltmere-bridge-reopening.html": (
        "Saltmere Bridge to reopen to cars in September",
        "Coastal Post",
        "Dan Whitcombe",
        dt.date(2026, 5, 13),
        [
            "Harwick Council says the Saltmere Bridge will reopen to cars in September.",
            "Council leader Maria Castell said lorries would stay banned until the end of the "
            "year.",
            "The bridge was closed on Sunday after engineers found a crack in pier 3.",
            "The Harwick Traffic Group says 25,000 vehicles a day use the bridge.",
            "The council's own figure is 18,000 vehicles a day.",
            "Shop owners in Harwick say trade has fallen since the closure.",
            "The diversion through Millford remains in place.",
        ],
    ),
    "coastal-post/harbour-festival.html": (
        "Harbour festival returns in June",
        "Coastal Post",
        "Lucy Penrose",
        dt.date(2026, 4, 20),
        [
            "The Harwick Harbour Festival will return on the first weekend of June.",
            "Organisers expect about 4,000 visitors over the two days.",
            "The festival will include a rowing race and a seafood market on the quay.",
        ],
    ),
}

# Text of the pages' chrome; none of it may reach an article.
CHROME = [
    "cookies",
    "Advertisement",
    "Harwick Motors",
    "ferry to the Saltmere islands",
    "Related stories",
    "Millford Road resurfacing",
    "Most read",
    "Share",
    "Facebook",
    "No comments",
    "Comments",
    "Be the first",
    "Sign up",
    "Subscribe",
    "newsletter",
    "Follow us",
    "All rights reserved",
    "©",
    "Privacy policy",
    "Local news",
    "Coast correspondent",
    "Partner titles",
    "Read more",
    "Harwick 14",
]


def _page(relative: str) -> str:
    return (SITE / relative).read_text(encoding="utf-8").replace("{{BASE_URL}}", BASE_URL)


def _article(relative: str) -> Article:
    return article_from_html(
        _page(relative), path=str(SITE / relative), fallback_name=Path(relative).name
    )


@pytest.mark.parametrize("relative", sorted(PAGES))
def test_main_text_is_every_article_sentence_and_nothing_else(relative: str) -> None:
    article = _article(relative)
    assert article.text.split("\n") == PAGES[relative][4]


@pytest.mark.parametrize("relative", sorted(PAGES))
def test_no_chrome_reaches_the_text(relative: str) -> None:
    text = _article(relative).text
    assert [chrome for chrome in CHROME if chrome in text] == []


@pytest.mark.parametrize("relative", sorted(PAGES))
def test_metadata_is_read_from_the_page(relative: str) -> None:
    title, outlet, author, published, _ = PAGES[relative]
    article = _article(relative)
    assert (article.title, article.outlet, article.author, article.published) == (
        title,
        outlet,
        author,
        published,
    )
    assert article.path == str(SITE / relative)


@pytest.mark.parametrize("relative", sorted(PAGES))
def test_text_is_normalized_and_the_id_is_its_hash(relative: str) -> None:
    article = _article(relative)
    assert normalize_text(article.text) == article.text
    assert article.id == article_id(article.text)


def test_the_canonical_url_is_the_pages_own_declaration() -> None:
    gazette = _article("harwick-gazette/saltmere-bridge-closed.html")
    assert gazette.canonical_url == f"{BASE_URL}/harwick-gazette/saltmere-bridge-closed.html"
    # Read without an address of its own, the page is known by the one it declares.
    assert gazette.url == gazette.canonical_url


def test_a_syndicated_copy_keeps_its_own_address_and_the_originals_canonical_url() -> None:
    wire = article_from_html(
        _page("northfold-wire/saltmere-bridge-closed.html"),
        url=f"{BASE_URL}/northfold-wire/saltmere-bridge-closed.html",
        fallback_name="wire",
    )
    assert wire.url == f"{BASE_URL}/northfold-wire/saltmere-bridge-closed.html"
    assert wire.canonical_url == f"{BASE_URL}/harwick-gazette/saltmere-bridge-closed.html"
    assert wire.outlet == "Northfold Wire"


def test_a_page_without_article_text_is_an_input_error_naming_the_source() -> None:
    page = (SITE / "broken" / "no-article.html").read_text(encoding="utf-8")
    url = f"{BASE_URL}/broken/no-article.html"
    with pytest.raises(InputError) as caught:
        article_from_html(page, url=url, fallback_name="no-article.html")
    assert caught.value.message == f"{url}: no article text found in the page"
    assert "\n" not in caught.value.one_line()


def test_without_a_url_the_error_names_the_path() -> None:
    path = str(SITE / "broken" / "no-article.html")
    with pytest.raises(InputError, match="no article text found"):
        article_from_html(Path(path).read_bytes(), path=path, fallback_name="no-article.html")
    with pytest.raises(InputError) as caught:
        article_from_html(b"", path=path, fallback_name="no-article.html")
    assert caught.value.message.startswith(f"{path}: ")


# --- pages written for one rule each --------------------------------------------------------

SENTENCES = [
    "Harbour master Jos\u00e9 \u00c1lvarez said the quay would reopen on Friday.",
    "The quay has been closed since a storm damaged the railings\u00a0last week.",
    "Repairs to the railings cost about 12,000 pounds, the harbour board said.",
    "Fishing boats have been landing their catch at Millford in the meantime.",
]


def _minimal_page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def _paragraphs(sentences: list[str]) -> str:
    return "".join(f"<p>{sentence}</p>" for sentence in sentences)


@pytest.mark.parametrize(
    ("encoding", "declaration"),
    [("latin-1", '<meta charset="iso-8859-1">'), ("utf-8", '<meta charset="utf-8">')],
)
def test_bytes_are_decoded_with_accents_and_non_breaking_spaces(
    encoding: str, declaration: str
) -> None:
    page = _minimal_page(
        f"{declaration}<title>Quay to reopen</title>",
        f"<article><h1>Quay to reopen</h1>{_paragraphs(SENTENCES)}</article>",
    )
    article = article_from_html(page.encode(encoding), fallback_name="quay.html")
    assert "Harbour master Jos\u00e9 \u00c1lvarez said" in article.text
    assert "the railings last week." in article.text
    assert "\u00a0" not in article.text


def test_a_headline_repeated_as_the_first_line_is_not_text() -> None:
    page = _minimal_page(
        "<title>Quay to reopen</title>",
        f"<article><h1>Quay to reopen</h1>{_paragraphs(SENTENCES)}</article>",
    )
    article = article_from_html(page, fallback_name="quay.html")
    assert article.title == "Quay to reopen"
    assert article.text.split("\n")[0] == SENTENCES[0]


@pytest.mark.parametrize("separator", [" | ", " - ", " \u2014 "])
def test_the_outlet_suffix_of_a_page_title_is_dropped(separator: str) -> None:
    # Some sites put their name in og:title too.
    head = (
        f'<meta property="og:title" content="Quay to reopen{separator}Harwick Gazette">'
        '<meta property="og:site_name" content="Harwick Gazette">'
    )
    page = _minimal_page(head, f"<article>{_paragraphs(SENTENCES)}</article>")
    assert article_from_html(page, fallback_name="quay.html").title == "Quay to reopen"


def test_a_title_whose_suffix_is_not_the_outlet_is_kept() -> None:
    head = (
        '<meta property="og:title" content="Quay repairs - what we know">'
        '<meta property="og:site_name" content="Harwick Gazette">'
    )
    page = _minimal_page(head, f"<article>{_paragraphs(SENTENCES)}</article>")
    assert article_from_html(page, fallback_name="q").title == "Quay repairs - what we know"


def test_without_a_site_name_the_outlet_is_the_host_without_www() -> None:
    page = _minimal_page(
        "<title>Quay to reopen</title>", f"<article>{_paragraphs(SENTENCES)}</article>"
    )
    url = "https://www.harwick-herald.example:8443/news/quay"
    article = article_from_html(page, url=url, fallback_name="quay.html")
    assert article.outlet == "harwick-herald.example"
    assert article.url == url


def test_without_a_url_or_site_name_the_outlet_is_the_fallback_name() -> None:
    page = _minimal_page(
        "<title>Quay to reopen</title>", f"<article>{_paragraphs(SENTENCES)}</article>"
    )
    article = article_from_html(page, fallback_name="quay.html")
    assert (article.outlet, article.url, article.author) == ("quay.html", None, None)


def test_the_date_is_not_guessed_from_a_copyright_year() -> None:
    page = _minimal_page(
        "<title>Quay to reopen</title>",
        f"<article>{_paragraphs(SENTENCES)}</article><footer><p>\u00a9 2025 Herald</p></footer>",
    )
    assert article_from_html(page, fallback_name="quay.html").published is None


def test_the_repeat_of_a_paragraph_is_dropped_from_html_text_too() -> None:
    repeated = [*SENTENCES[:2], SENTENCES[0], *SENTENCES[2:]]
    page = _minimal_page("<title>Quay</title>", f"<article>{_paragraphs(repeated)}</article>")
    text = article_from_html(page, fallback_name="quay.html").text
    assert text.count(SENTENCES[0]) == 1


# --- through ingest -------------------------------------------------------------------------


def test_read_path_reads_html_files_in_a_folder(tmp_path: Path) -> None:
    shutil.copy(SITE / "coastal-post" / "harbour-festival.html", tmp_path / "a.html")
    shutil.copy(SITE / "harwick-gazette" / "saltmere-bridge-closed.html", tmp_path / "b.HTM")
    (tmp_path / "c.txt").write_text("Title: Note\n\nThe ferry runs again on Monday.", "utf-8")
    articles = read_path(tmp_path)
    assert [(article.outlet, Path(article.path or "").name) for article in articles] == [
        ("Coastal Post", "a.html"),
        ("Harwick Gazette", "b.HTM"),
        ("c.txt", "c.txt"),
    ]
    assert articles[1].text.split("\n") == GAZETTE_SENTENCES


def test_read_path_on_a_page_without_an_article_is_an_input_error() -> None:
    path = SITE / "broken" / "no-article.html"
    with pytest.raises(InputError, match=r"no-article\.html: no article text found"):
        read_path(path)
