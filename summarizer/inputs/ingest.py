"""Turn files (text, Markdown, HTML), folders, stdin and strings into normalized `Article`s."""

from __future__ import annotations

import datetime as dt
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, TextIO

from summarizer.errors import InputError
from summarizer.inputs.cleaning import byline_date
from summarizer.inputs.normalize import article_id, normalize_text, normalized_lines
from summarizer.models import Article

HTML_SUFFIXES = frozenset({".html", ".htm"})
ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".markdown"}) | HTML_SUFFIXES
_HEADER_KEYS = {
    "title": "title",
    "outlet": "outlet",
    "publisher": "outlet",
    "source": "outlet",
    "date": "published",
    "published": "published",
    "url": "url",
    "author": "author",
}
_HEADER_LINE = re.compile(r"^([A-Za-z]+):\s*(.*)$")
_DATE_FORMATS = ("%Y-%m-%d", "%A, %B %d, %Y", "%B %d, %Y", "%d %B %Y")
_MAX_TITLE_CHARS = 160
# Prose has words: a file of control bytes or symbols is refused, not sent to the model.
_PROSE = re.compile(r"[^\W\d_]")


def article_from_text(
    raw: str,
    *,
    title: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    published: dt.date | None = None,
    path: str | None = None,
    fallback_name: str = "untitled",
) -> Article:
    """Build an Article from raw text, reading an optional `Key: value` header block.

    A header block is a run of lines at the very top such as `Title: ...`, `Outlet: ...`,
    `Date: 2026-03-02`, `URL: ...`, ended by a blank line. Explicit arguments win over it.

    Raises:
        InputError: the text is empty once normalized, or is not prose (no word of letters:
            control bytes, symbols, numbers only).
    """
    header, body = _split_header(raw)
    text = normalize_text(body)
    if not text:
        raise InputError(f"{path or fallback_name}: the article is empty")
    if not _PROSE.search(text):
        raise InputError(f"{path or fallback_name}: not an article's text (no letters)")
    lines = [line for line in text.split("\n") if line]
    first_line_date = _parse_date(lines[0])
    dateline = first_line_date or _byline_dateline(body)
    resolved_title = title or header.get("title") or _headline(lines, first_line_date)
    return Article(
        id=article_id(text),
        title=resolved_title or fallback_name,
        outlet=outlet or header.get("outlet") or fallback_name,
        url=url or header.get("url"),
        path=path,
        published=published or _parse_date(header.get("published", "")) or dateline,
        text=text,
    )


def read_path(path: Path) -> list[Article]:
    """Read one file, or every article file in a folder (recursively, sorted by name).

    Raises:
        InputError: the path does not exist, cannot be read, or holds no article files.
    """
    kind = path_kind(path)
    if kind == "folder":
        return [_read_file(file) for file in article_files(path)]
    if kind is None:
        raise InputError(f"{path}: no such file or folder")
    return [_read_file(path)]


def article_files(folder: Path) -> list[Path]:
    """The article files in `folder` and below, sorted by path.

    Raises:
        InputError: the folder holds none.
    """
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
    )
    if not files:
        raise InputError(
            f"{folder}: no article files found",
            hint=f"a folder must hold {', '.join(sorted(ARTICLE_SUFFIXES))} files",
        )
    return files


def read_stdin(stream: TextIO | None = None) -> Article:
    """Read one article from standard input: an HTML document, or text."""
    raw = (stream or sys.stdin).read()
    head = raw.lstrip()[:512].lower()
    if head.startswith("<") and ("<html" in head or "<body" in head or "<!doctype" in head):
        from summarizer.inputs.html_extract import article_from_html  # see _read_html_file

        return article_from_html(raw, path="-", fallback_name="stdin")
    return article_from_text(raw, path="-", fallback_name="stdin")


def read_file_bytes(path: Path) -> bytes:
    """The bytes of a file, or a one-line InputError saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None


def collect_articles(sources: Iterable[str | Path | Article]) -> list[Article]:
    """Turn paths, `-` (stdin), raw strings and Articles into Articles, in the order given.

    A `str` is read as a path when it is `-`, names an existing file or folder, or looks
    like a path (one line, no spaces, with a `/` or an article suffix), so that a mistyped
    path is an error rather than a one-line article; any other `str` is article text.

    Raises:
        InputError: a path that does not exist or cannot be read.
    """
    articles: list[Article] = []
    for source in sources:
        if isinstance(source, Article):
            articles.append(source)
        elif isinstance(source, Path):
            articles.extend(read_path(source))
        elif source == "-":
            articles.append(read_stdin())
        elif _looks_like_path(source):
            articles.extend(read_path(Path(source)))
        else:
            articles.append(article_from_text(source, fallback_name=f"text {len(articles) + 1}"))
    return articles


def path_kind(source: str | Path) -> Literal["folder", "file", "other"] | None:
    """What `source` names on disk, or None when nothing (or it cannot name anything: a
    one-line article text is longer than a file name may be, which `stat` refuses)."""
    try:
        status = Path(source).stat()
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(status.st_mode):
        return "folder"
    return "file" if stat.S_ISREG(status.st_mode) else "other"


def _looks_like_path(text: str) -> bool:
    if not text.strip() or "\n" in text or len(text) > 4096:
        return False
    if path_kind(text) is not None:
        return True
    single_token = len(text.split()) == 1
    return single_token and ("/" in text or Path(text).suffix.lower() in ARTICLE_SUFFIXES)


def _read_file(path: Path) -> Article:
    if path.suffix.lower() in HTML_SUFFIXES:
        return _read_html_file(path)
    try:
        raw = read_file_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", hint="convert the file to UTF-8") from None
    return article_from_text(raw, path=str(path), fallback_name=path.name)


def _read_html_file(path: Path) -> Article:
    # Imported here: only HTML input needs trafilatura and lxml loaded.
    from summarizer.inputs.html_extract import article_from_html

    return article_from_html(read_file_bytes(path), path=str(path), fallback_name=path.name)


def _byline_dateline(body: str) -> dt.date | None:
    """The date of a "Posted by ... on <date>" first line, which normalize_text drops."""
    first_line = next((line for line in normalized_lines(body) if line), "")
    date_text = byline_date(first_line)
    return _parse_date(date_text) if date_text else None


def _split_header(raw: str) -> tuple[dict[str, str], str]:
    lines = raw.lstrip("\ufeff").splitlines()
    header: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line.strip():
            return (header, "\n".join(lines[index + 1 :])) if header else ({}, raw)
        match = _HEADER_LINE.match(line.strip())
        key = _HEADER_KEYS.get(match.group(1).lower()) if match else None
        if match is None or key is None:
            return {}, raw
        header[key] = match.group(2).strip()
    return {}, raw


def _parse_date(value: str) -> dt.date | None:
    value = value.strip()
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    return None


def _headline(lines: list[str], first_line_date: dt.date | None) -> str | None:
    """The first line, or under a dateline ("Friday, October 18, 2024") the next one when
    it does not end as a sentence does; never a date, never a paragraph."""
    if first_line_date is None:
        candidate = lines[0]
    elif len(lines) > 1 and not lines[1].endswith("."):
        candidate = lines[1]
    else:
        return None
    if len(candidate) > _MAX_TITLE_CHARS or _parse_date(candidate) is not None:
        return None
    return candidate
