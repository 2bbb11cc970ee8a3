"""Text from articles and file names made inert in Markdown, and addresses made safe to link.

Python-Markdown, markdown-it (CommonMark) and GitHub (CommonMark with GFM) must all show such
text as the characters it is: no HTML, link, image, code span, emphasis, table cell or block
may come out of it. A character that could start one is written as an HTML entity, which all
three read as the character itself after parsing; a backslash escape is not enough, since
Python-Markdown keeps `\\<` as the start of a tag. Everything else stays as typed, so that a
briefing read raw in a terminal stays readable: quote marks, apostrophes and parentheses are
inert in Markdown text (a parenthesis makes a link only right after a `]`, and every `]` of
an article is escaped), `&` is escaped only where it would be read as an entity, and `_` only
where it could open or close emphasis (not inside a word, as in `01_courier.md`).
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["escape_markdown", "http_url", "link_destination"]

_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

# `\` would escape the entity after it; `<` and `>` start HTML, autolinks and block quotes;
# `[`, `]` links, images and references; `` ` `` code; `*`, `_` and `~` emphasis and
# strikethrough; `#` headings (also a heading's closing run); `{`, `}` Python-Markdown's
# attribute lists (`{: onclick=...}`). A `_` between two letters or digits never emphasises.
_SPECIAL = re.compile(
    r"&(?=#?\w+(?:;|$))|[\\<>\[\]`*~#{}]|(?<![^\W_])_|_(?![^\W_])",
)
# What starts a list item, a thematic break or a definition (Python-Markdown's def_list)
# when it opens a line: its first character is escaped (`-5` stays as it is).
_BLOCK_MARK = re.compile(r"^(?:[-+:](?=\s|$)|-(?=-))")
_ORDERED_MARK = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")

_WEB_ADDRESS = re.compile(r"https?://[^/\s]", re.IGNORECASE)
# Kept as they are in a URL: RFC 3986's reserved and unreserved characters and `%` (escapes
# already made). Spaces, controls, quote marks, `<`, `>`, `\`, `` ` ``, `{`, `}`, `|`, `^`
# and non-ASCII are percent-encoded, so the address cannot end the link early.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def escape_markdown(value: str, *, in_table: bool = False) -> str:
    """Text from an article or a file name, safe anywhere on one line of Markdown.

    Whitespace (newlines too) is folded to single spaces; the characters that could make
    HTML, a link, an image, code, emphasis or a block become HTML entities.

    Args:
        value: The text as it came.
        in_table: The text goes in a table cell, so `|` is escaped too.

    Returns:
        One line that Python-Markdown, markdown-it and GitHub show as `value`'s characters.
    """
    flat = _SPECIAL.sub(_entity, " ".join(value.split()))
    if in_table:
        flat = flat.replace("|", "&#124;")
    flat = _BLOCK_MARK.sub(_entity, flat)
    return _ORDERED_MARK.sub(lambda match: match[1] + _entity_of(match[2]), flat)


def link_destination(*, url: str | None, path: str | None) -> str | None:
    """Where a link to a source may point: its http(s) URL, else its file path; or nowhere.

    A URL with any other scheme (`javascript:`, `data:`, ...) gets no link, even when a path
    is known; standard input (`-`) has no path to link. The result is percent-encoded, with
    `&` as `&amp;`, ready to go between `<` and `>` in a link reference definition; a path
    stays relative when it was (`:` is encoded, so no part of it reads as a scheme).
    """
    if url is not None:
        address = http_url(url)
        return None if address is None else address.replace("&", "&amp;")
    if path is None or path == "-":
        return None
    # `//host/...` would leave the site; a POSIX path means the same with one slash.
    return re.sub(r"^/+", "/", quote(path, safe="/"))


def http_url(url: str) -> str | None:
    """An http(s) URL percent-encoded so that it cannot end a link early; None for any other.

    The one rule for what a briefing links to (Markdown and HTML alike): `javascript:`,
    `data:`, scheme-relative `//host` and every other address get no link.
    """
    if not _WEB_ADDRESS.match(url):
        return None
    return quote(url, safe=_URL_SAFE)


def _entity(match: re.Match[str]) -> str:
    return _entity_of(match[0])


def _entity_of(character: str) -> str:
    return _NAMED.get(character, f"&#{ord(character)};")
