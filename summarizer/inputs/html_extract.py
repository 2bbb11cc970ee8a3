"""Read one HTML page into an `Article`: its main text and metadata, found by trafilatura."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from summarizer.errors import InputError
from summarizer.inputs.normalize import article_id, normalize_text
from summarizer.models import Article

if TYPE_CHECKING:
    from trafilatura.settings import Document

# Separators between a page title and the outlet's name: "Headline | Outlet".
_TITLE_SEPARATORS = (" | ", " - ", " \u2013 ", " \u2014 ", " \u00b7 ", " :: ")


def article_from_html(
    html: str | bytes,
    *,
    url: str | None = None,
    path: str | None = None,
    fallback_name: str,
) -> Article:
    """Extract the article of an HTML page: main text, title, outlet, author, date and URL.

    Navigation, ads, cookie notices, related-story lists, comments and footers are left
    out; the main text then goes through `normalize.normalize_text`, like any article.

    Args:
        html: The page; bytes are decoded by trafilatura's charset detection.
        url: Where the page was fetched from, if it was.
        path: The local file it was read from, if it was.
        fallback_name: Title and outlet to use when the page names neither.

    Returns:
        The article. `url` is where it was fetched from, else the canonical URL the page
        declares (a local file); `canonical_url` is the one the page declares.
        `outlet` is the site name, else the host of the URL, else `fallback_name`.

    Raises:
        InputError: the page holds no article text.
    """
    source = url or path or fallback_name
    document = _extract(html, url=url)
    if document is None:
        raise _no_article_text(source)
    page_url = url or document.url
    outlet = _outlet(document.sitename, page_url) or fallback_name
    title = _strip_outlet(document.title, outlet) or fallback_name
    text = _without_leading_title(normalize_text(document.text or ""), title)
    if not text:
        raise _no_article_text(source)
    return Article(
        id=article_id(text),
        title=title,
        outlet=outlet,
        author=document.author or None,
        url=page_url,
        canonical_url=document.url or None,
        path=path,
        published=_published(document.date),
        text=text,
    )


def _extract(html: str | bytes, *, url: str | None) -> Document | None:
    # Imported on the first page: trafilatura and lxml take 0.13 s to import, which a
    # run over text files, or one answered from the cache, need not pay.
    import trafilatura
    from trafilatura.settings import Document, set_date_params

    # Precision over recall: an article sentence is rarely lost, while a kept menu or
    # comment would be briefed as news. Comments and tables are not the article.
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        # Only dates the page states as metadata or in <time>; the extensive search
        # guesses from any date-like text on the page (a copyright year, a "related" link).
        date_extraction_params=set_date_params(extensive=False),
    )
    return document if isinstance(document, Document) else None


def _no_article_text(source: str) -> InputError:
    return InputError(
        f"{source}: no article text found in the page",
        hint="give the address of an article page, not a front page, index or error page",
    )


def _outlet(sitename: str | None, page_url: str | None) -> str | None:
    host = _host(page_url)
    # trafilatura names a site without a name by its address, port included.
    if sitename and not (page_url and sitename == _netloc(page_url)):
        return sitename.strip()
    return host


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _strip_outlet(title: str | None, outlet: str) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    for separator in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head and tail.casefold() == outlet.casefold():
            return head.strip()
    return title


def _without_leading_title(text: str, title: str) -> str:
    # Some pages put the headline inside the article body; it is the title, not news.
    first_line, _, rest = text.partition("\n")
    if first_line.casefold() == title.casefold():
        return rest.strip()
    return text


def _published(date: str | None) -> dt.date | None:
    if not date:
        return None
    try:
        return dt.date.fromisoformat(date[:10])
    except ValueError:
        return None
