"""Normalized article text, the text every offset refers to, and the id it gives."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from summarizer.inputs.cleaning import is_boilerplate_line

# Characters that only differ from a space or a newline in how they look.
_SPACE_LIKE = dict.fromkeys(
    map(
        ord,
        "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
    ),
    " ",
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_LINE_BREAKS = dict.fromkeys(map(ord, "\r\u2028\u2029\x0b\x0c\x85"), "\n")


def normalize_text(raw: str) -> str:
    """Normalize Unicode and whitespace, drop boilerplate lines and paragraphs repeated verbatim.

    Boilerplate lines (bylines, share bars, ad slots, footers) are those
    `cleaning.is_boilerplate_line` recognizes. Offsets of every quote refer to this
    normalized text, so it must be deterministic.
    """
    paragraphs: list[str] = []
    seen: set[str] = set()
    for cleaned in normalized_lines(raw):
        if not cleaned:
            if paragraphs and paragraphs[-1]:
                paragraphs.append("")
            continue
        if is_boilerplate_line(cleaned):
            continue
        # A copy-pasted repeat of a whole paragraph adds nothing but model time.
        if len(cleaned) >= 40 and cleaned in seen:
            continue
        seen.add(cleaned)
        paragraphs.append(cleaned)
    return "\n".join(paragraphs).strip()


def article_id(text: str) -> str:
    """Stable id of an article: a hash of its normalized text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def normalized_lines(raw: str) -> list[str]:
    """Lines with Unicode, line breaks and spaces normalized, trimmed."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n"))
    text = text.translate(_LINE_BREAKS).translate(_SPACE_LIKE).translate(_INVISIBLE)
    return [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
