from __future__ import annotations

import datetime as dt

import pytest

from summarizer.text.dates import date_named_in

TUESDAY = dt.date(2026, 3, 3)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The tank ruptured early on Monday.", dt.date(2026, 3, 2)),
        ("Results came on Tuesday evening.", TUESDAY),
        ("The plant was shut last Thursday.", dt.date(2026, 2, 26)),
        ("It happened yesterday.", dt.date(2026, 3, 2)),
        ("Officials spoke today.", TUESDAY),
        ("Posted by staff on Tuesday, March 3, 2026.", TUESDAY),
        ("The tank was installed on 14 June 2019.", dt.date(2019, 6, 14)),
        ("Inspections resumed on March 1.", dt.date(2026, 3, 1)),
        ("The report is dated 2025-12-01.", dt.date(2025, 12, 1)),
        ("Results are expected on Thursday.", dt.date(2026, 3, 5)),
        ("The intake will stay closed until at least Friday.", dt.date(2026, 3, 6)),
        ("The company said it would give an estimate on Tuesday.", TUESDAY),
        ("The river rose overnight.", None),
        ("Teams worked on Monday and Tuesday.", None),
        ("The deadline is February 30.", None),
    ],
)
def test_the_day_a_sentence_names(sentence: str, expected: dt.date | None) -> None:
    assert date_named_in(sentence, TUESDAY) == (expected.isoformat() if expected else None)


def test_a_bare_year_is_a_date_of_year_precision() -> None:
    assert date_named_in("The tank was last inspected in 2024.", TUESDAY) == "2024"


def test_weekdays_need_a_publication_date() -> None:
    assert date_named_in("It happened on Monday.", None) is None
    assert date_named_in("It happened on 2 March 2026.", None) == "2026-03-02"


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("The bridge closed two days ago.", "2026-03-02"),
        ("It happened 10 years ago.", "2016"),
        ("Three months ago the river flooded.", "2025-12"),
        ("Talks began on Sept. 5 in Geneva.", "2026-09-05"),
        ("He was arrested on 3 Jan 2025.", "2025-01-03"),
        ("The plant closed Dec 12, 2024.", "2024-12-12"),
        # dateparser reads the phrases this module finds, never the sentence: no false May.
        ("The acid may have reached the reservoir.", None),
        ("Crews marched on.", None),
    ],
)
def test_forms_dateparser_reads_are_found_here_first(sentence: str, named: str | None) -> None:
    assert date_named_in(sentence, dt.date(2026, 3, 4)) == named


def test_a_relative_or_yearless_form_needs_the_publication_date() -> None:
    assert date_named_in("The bridge closed two days ago.", None) is None
    assert date_named_in("Talks began on Sept. 5.", None) is None
