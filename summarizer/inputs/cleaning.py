"""Recognize whole lines that are page furniture, not news: bylines, share bars, ads, footers.

Used by `normalize.normalize_text` for every article, plain text and HTML alike. The rules are
deliberately narrow: a line is boilerplate only when the whole line matches one of the
patterns below, so a news sentence that merely mentions a newsletter, comments or an
advertisement is kept.
"""

from __future__ import annotations

import re

from summarizer.text.words import (
    MONTH_ABBREVIATIONS,
    MONTHS,
    WEEKDAY_ABBREVIATIONS,
    WEEKDAYS,
)

_MONTHS = "|".join([*MONTHS, *MONTH_ABBREVIATIONS])
_WEEKDAYS = "|".join([*WEEKDAYS, *WEEKDAY_ABBREVIATIONS])
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:(?:{_WEEKDAYS}),? )?"
    rf"(?:(?:{_MONTHS})\.? {_DAY},? \d{{4}}"
    rf"|{_DAY} (?:{_MONTHS})\.?,? \d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})"
)
_CLOCK = r"(?:,? (?:at )?\d{1,2}(?:[:.]\d{2})? ?(?:a\.?m\.?|p\.?m\.?)?(?: [a-z]{2,4})?)?"

# "Posted by staff on Tuesday, March 3, 2026", "Updated: 11 May 2026, 13:05". A bare date
# line is not matched: it is the article's dateline and stays in the text.
_BYLINE_DATELINE = re.compile(
    r"^(?:posted|published|updated|last updated|first published)"
    r"(?: by [^,.;:]{1,60}?)?(?: on| at)?:? "
    rf"(?P<date>{_DATE}){_CLOCK}\.?$",
    re.IGNORECASE,
)

_BOILERPLATE_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Comment sections: "No comments:", "Comments (0)", "3 comments".
        r"^(?:no comments?|comments?|\d+ comments?|comments? \(\d+\)|leave a comment"
        r"|add a comment|post a comment|show comments|view comments|be the first to comment)"
        r"[.:!]?$",
        # Share bars.
        r"^(?:share|share this(?: story| article| post| page)?"
        r"|share on (?:facebook|x|twitter|linkedin|whatsapp|email|reddit|bluesky)"
        r"|share via email|email this(?: story| article)?|print this(?: story| article| page)?)"
        r"[.:!]?$",
        # Ad slots.
        r"^(?:advertisement|advertisment|advert|sponsored|sponsored content|paid content"
        r"|story continues below(?: this)? advertisement|scroll to continue(?: with content)?)"
        r"[.:]?$",
        # Links to other stories: "Read more: ...", "Related stories".
        r"^(?:read more|read also|also read|see also|more on this story|related"
        r"|related stories|related articles|most read|you may also like)"
        r"(?:\s*[:|\u00bb\u203a\u2013\u2014-].*)?$",
        # Social accounts: "Follow us on Facebook, X and Instagram."
        r"^follow us(?: on| at)\b.*$",
        # Copyright footers: "© 2026 Coastal Post. All rights reserved."
        r"^(?:©|\(c\) \d{4}\b|copyright ©|copyright \(c\)|copyright \d{4}\b).*$",
        r"^(?:.*\b\d{4}\b.*)?\ball rights reserved\.?$",
        # Sign-up prompts, only when they name what is being signed up for.
        r"^(?:sign up|subscribe|register)(?: now| today| here)?(?: for| to)\b.*"
        r"\b(?:newsletters?|alerts?|updates|e-?mails?|briefings?|digest|bulletins?"
        r"|notifications)\b.*$",
        r"^(?:sign up|subscribe)(?: now| today| here)?[.!]?$",
        # Newsletter boxes: a "NEWSLETTER" heading, "Join the ... mailing list".
        r"^(?:newsletters?|our newsletter|free newsletter)[.:!]?$",
        r"^join (?:the|our) .{0,60}\b(?:mailing list|newsletter)[.!]?$",
        # Cookie notices that slip past the HTML extractor.
        r"^(?:we use|(?:this|our) (?:web)?site uses) cookies\b"
        r"(?=.*\b(?:agree|accept|consent|continu\w*|preferences|settings|experience)\b).*$",
    )
)
_SEPARATORS_ONLY = re.compile(r"^[|•·/\\_*~=-]+(?:\s+[|•·/\\_*~=-]+)*$")
# Share bars and footers often join several items on one line.
_ITEM_SEPARATOR = re.compile(r"\s+[|•·]\s+")
# Boilerplate is short; a long line is always treated as prose.
_MAX_BOILERPLATE_CHARS = 300


def is_boilerplate_line(line: str) -> bool:
    """Tell whether a whole line is page furniture rather than news.

    A line made of items separated by `|`, `•` or `·` is boilerplate when every item is.

    Args:
        line: One line of text, already whitespace-normalized.

    Returns:
        True for lines such as "Advertisement", "Share this story", "No comments:",
        "Posted by staff on Tuesday, March 3, 2026", "Join our mailing list |", a line of
        separators only ("|"), or "© 2026 ... All rights reserved.";
        False for anything else, including news sentences that mention such words.
    """
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_BOILERPLATE_CHARS:
        return False
    # What is left of a share bar or a footer once its links are gone: "|", "• •".
    if _SEPARATORS_ONLY.match(stripped):
        return True
    items = [item for item in _ITEM_SEPARATOR.split(stripped.strip("|•· ")) if item]
    return bool(items) and all(_is_boilerplate_item(item) for item in items)


def byline_date(line: str) -> str | None:
    """The date written in a byline dateline such as "Posted by staff on Tuesday, March 3, 2026".

    The line itself is boilerplate, but its date is still the article's publication date.

    Args:
        line: One line of text, already whitespace-normalized.

    Returns:
        The date as written ("Tuesday, March 3, 2026"), or None when the line is not a
        byline dateline.
    """
    match = _BYLINE_DATELINE.match(line.strip())
    return match.group("date") if match else None


def _is_boilerplate_item(item: str) -> bool:
    if _BYLINE_DATELINE.match(item):
        return True
    return any(pattern.match(item) for pattern in _BOILERPLATE_PATTERNS)
