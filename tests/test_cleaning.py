"""Boilerplate-line removal: what is dropped, what is kept, and the example articles."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from summarizer.inputs.cleaning import byline_date, is_boilerplate_line
from summarizer.inputs.ingest import article_from_text, read_path
from summarizer.inputs.normalize import normalize_text
from tests.conftest import EXAMPLES

BODY = "Harwick Council closed the Saltmere Bridge on Sunday evening."


@pytest.mark.parametrize(
    "line",
    [
        "Posted by staff on Tuesday, March 3, 2026",
        "Posted by Elin Marsh on 11 May 2026, 08:30",
        "Published: 2026-05-11",
        "Updated 12 May 2026 at 7.30am",
        "No comments:",
        "Comments (0)",
        "12 comments",
        "Subscribe to our newsletter for daily updates. | Share this story | Comments (0)",
        "Share this story",
        "Share on WhatsApp",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Read more: Harbour car park fees to rise in July",
        "Related stories",
        "Follow us on Facebook, X and Instagram.",
        "© 2026 Coastal Post. All rights reserved.",
        "Copyright © 2026 Tidewater Media Group. All rights reserved.",
        "2026 Harwick Gazette Ltd. All rights reserved.",
        "Sign up for the Gazette morning newsletter",
        "Sign up for Tidewater Times breaking news alerts.",
        "This site uses cookies. By continuing to browse you agree to our use of cookies.",
        "Share this story • Advertisement",
        # A newsletter box reduced to text: heading, sign-up line, separators left over.
        "NEWSLETTER",
        "Join the Harwick Gazette mailing list |",
        "Join our newsletter!",
        "|",
        "| |",
        "- - -",
        "| Share this story |",
    ],
)
def test_boilerplate_lines_are_recognized(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        # News that merely mentions the words the patterns look for.
        "The council said its weekly newsletter would carry the repair schedule.",
        "Residents left more than 300 comments on the council's consultation page.",
        "No comments were made by the engineers after the meeting.",
        "The mayor said she would share the inspection report with residents.",
        "Advertisement revenue at the Gazette fell by a third last year.",
        "Read more slowly, the sign on the bridge warned drivers.",
        "Subscribers to the ferry pass will get a refund, the operator said.",
        "Sign up for the repair volunteer scheme closes on Friday.",
        "The festival was posted online on Tuesday, March 3, 2026.",
        "Posted notices warn drivers of the closure.",
        "Copyright lawyers said the bridge photographs belong to the council.",
        "All rights to the bridge were transferred to the council in 1998.",
        "Follow the diversion signs through Millford, the police said.",
        # A bare dateline is the article's date, not furniture.
        "Tuesday, March 3, 2026",
        # Items joined by a separator are dropped only when every item is boilerplate.
        "Share this story | The bridge will reopen in September.",
        "The council said it would join the mailing list of the regional authorities.",
        "Newsletter printing costs rose by a fifth, the publisher said.",
        "Join the march on Friday, the union told its members.",
        "3 - 2",
        "",
    ],
)
def test_news_lines_are_kept(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_a_long_line_is_never_boilerplate() -> None:
    assert not is_boilerplate_line("Advertisement | " * 30 + "Advertisement")


def test_normalize_text_drops_boilerplate_lines_and_closes_the_gap() -> None:
    raw = (
        f"Posted by staff on Monday, May 11, 2026\n\n{BODY}\n\nAdvertisement\n\n"
        "Drivers face a 20-minute diversion.\nShare this story\nNo comments:\n"
    )
    assert normalize_text(raw) == f"{BODY}\n\nDrivers face a 20-minute diversion."


def test_normalize_text_keeps_news_that_mentions_newsletters_and_comments() -> None:
    raw = (
        "The council newsletter will list the diversion routes.\n\n"
        "Residents left hundreds of comments on the plans."
    )
    assert normalize_text(raw) == raw


def test_normalize_text_with_boilerplate_is_idempotent() -> None:
    raw = f"Share this story\n\n{BODY}\n\n\nAdvertisement\n\n\n{BODY} Again.\n© 2026 Gazette."
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_byline_date_reads_the_date_of_a_byline_dateline() -> None:
    assert byline_date("Posted by staff on Tuesday, March 3, 2026") == "Tuesday, March 3, 2026"
    assert byline_date("Published: 2026-05-11") == "2026-05-11"
    assert byline_date("Tuesday, March 3, 2026") is None
    assert byline_date(BODY) is None


def test_a_dropped_byline_dateline_still_dates_the_article() -> None:
    article = article_from_text(f"Posted by staff on Tuesday, March 3, 2026\n\n{BODY}")
    assert article.published == dt.date(2026, 3, 3)
    assert article.text == BODY


def test_after_a_dropped_byline_the_first_line_can_be_the_title() -> None:
    raw = f"Posted by staff on Tuesday, March 3, 2026\nBridge closed\n\n{BODY}"
    article = article_from_text(raw)
    assert article.title == "Bridge closed"
    assert article.published == dt.date(2026, 3, 3)


def test_a_bare_dateline_stays_in_the_text_and_dates_the_article() -> None:
    article = article_from_text(f"Tuesday, March 3, 2026\n{BODY}", fallback_name="fb")
    assert article.published == dt.date(2026, 3, 3)
    assert article.text == f"Tuesday, March 3, 2026\n{BODY}"


# --- the example articles -------------------------------------------------------------------

# Exactly the lines normalization removes from each example, and nothing else changes.
REMOVED_FROM_EXAMPLES = {
    "01_ostervale-courier.md": [],
    "02_lenne-valley-herald.md": ["Posted by staff on Tuesday, March 3, 2026"],
    # Not boilerplate: the verbatim repeat of a paragraph (its second copy).
    "03_northfold-press-agency.md": [
        "The tank ruptured at the Brannock plant in Ostervale early on Monday. "
        "The Ostervale Fire Service said two workers were killed."
    ],
    "04_riverside-daily-signal.txt": [
        "Subscribe to our newsletter for daily updates. | Share this story | Comments (0)"
    ],
    "05_kessford-observer.txt": [],
}


def _body_lines(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    body = raw.split("\n\n", 1)[1]  # every example starts with a header block
    return [line.strip() for line in body.splitlines() if line.strip()]


def _without_last(lines: list[str], removed: list[str]) -> list[str]:
    to_remove = Counter(removed)
    kept: list[str] = []
    for line in reversed(lines):
        if to_remove[line]:
            to_remove[line] -= 1
            continue
        kept.append(line)
    return kept[::-1]


def test_the_example_folder_is_the_one_described() -> None:
    assert sorted(path.name for path in EXAMPLES.iterdir()) == sorted(REMOVED_FROM_EXAMPLES)


@pytest.mark.parametrize("name", sorted(REMOVED_FROM_EXAMPLES))
def test_example_articles_lose_exactly_their_planted_boilerplate(name: str) -> None:
    path = EXAMPLES / name
    (article,) = read_path(path)
    body_lines = _body_lines(path)
    text_lines = [line for line in article.text.split("\n") if line]
    assert text_lines == _without_last(body_lines, REMOVED_FROM_EXAMPLES[name])


def test_example_dates_are_still_read() -> None:
    dates = [article.published for article in read_path(EXAMPLES)]
    assert dates == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 5),
    ]
