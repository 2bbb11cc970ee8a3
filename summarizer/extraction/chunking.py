"""Split long articles on paragraph boundaries so each request fits the model's context.

A paragraph too long for one request is cut between its sentences, where
`text.sentences` ends them (so never after "Dr." or "Sept.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.text.sentences import sentence_ends


@dataclass(frozen=True)
class Chunk:
    """A slice of an article's text; `start`/`end` are offsets into the article."""

    index: int
    start: int
    end: int
    text: str


def split_into_chunks(text: str, *, max_chars: int) -> list[Chunk]:
    """Split `text` into chunks of at most `max_chars`, cutting between paragraphs.

    A paragraph longer than `max_chars` is cut between sentences, and a sentence longer
    than that is cut hard. Chunks cover the text in order; `text[c.start:c.end] == c.text`.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces = [
        piece
        for start, end in _paragraph_spans(text)
        for piece in _fit(text, start, end, max_chars)
    ]
    chunks: list[Chunk] = []
    current_start: int | None = None
    current_end = 0
    for start, end in pieces:
        if current_start is not None and end - current_start > max_chars:
            chunks.append(_chunk(text, len(chunks), current_start, current_end))
            current_start = None
        if current_start is None:
            current_start = start
        current_end = end
    if current_start is not None:
        chunks.append(_chunk(text, len(chunks), current_start, current_end))
    return chunks


def halve(chunk: Chunk) -> list[Chunk] | None:
    """Split a chunk in two at the paragraph (else sentence) boundary nearest its middle.

    Returns None when the chunk cannot be split further (a single sentence).
    """
    text = chunk.text
    boundaries = [m.end() for m in re.finditer(r"\n+", text)]
    boundaries = boundaries or [start for _, start in sentence_ends(text, 0, len(text))]
    boundaries = [b for b in boundaries if 0 < b < len(text)]
    if not boundaries:
        return None
    cut = min(boundaries, key=lambda b: abs(b - len(text) / 2))
    first_end = len(text[:cut].rstrip())
    return [
        Chunk(
            index=chunk.index, start=chunk.start, end=chunk.start + first_end, text=text[:first_end]
        ),
        Chunk(index=chunk.index, start=chunk.start + cut, end=chunk.end, text=text[cut:]),
    ]


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]


def _fit(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    if end - start <= max_chars:
        return [(start, end)]
    spans: list[tuple[int, int]] = []
    sentence_start = start
    for sentence_end, next_start in sentence_ends(text, start, end):
        spans.append((sentence_start, sentence_end))
        sentence_start = next_start
    spans.append((sentence_start, end))
    fitted: list[tuple[int, int]] = []
    for span_start, span_end in spans:
        for cut in range(span_start, span_end, max_chars):
            fitted.append((cut, min(cut + max_chars, span_end)))
    return fitted


def _chunk(text: str, index: int, start: int, end: int) -> Chunk:
    return Chunk(index=index, start=start, end=end, text=text[start:end])
