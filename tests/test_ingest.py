"""Unit tests for ingestion: text normalization, header blocks, files, folders and sources."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.inputs.ingest import article_from_text, collect_articles, read_path
from summarizer.inputs.normalize import article_id, normalize_text
from summarizer.models import Article

BODY = "The town council approved the new library budget on Monday evening."

# --- normalize_text -------------------------------------------------------------------------


def test_normalize_composes_unicode_to_nfc() -> None:
    decomposed = "Cafe\u0301 owners met the mayor."
    assert normalize_text(decomposed) == "Caf\u00e9 owners met the mayor."
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed))


@pytest.mark.parametrize(
    "space", ["\u00a0", "\u2007", "\u202f", "\u2009", "\u200a", "\u3000", "\t"]
)
def test_normalize_turns_space_likes_into_a_space(space: str) -> None:
    assert normalize_text(f"about{space}40 people") == "about 40 people"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_normalize_drops_zero_width_characters(invisible: str) -> None:
    assert normalize_text(f"flood{invisible}waters rose") == "floodwaters rose"


def test_normalize_turns_crlf_and_other_line_breaks_into_newlines() -> None:
    raw = "First line.\r\nSecond line.\rThird line.\u2028Fourth line."
    assert normalize_text(raw) == "First line.\nSecond line.\nThird line.\nFourth line."


def test_normalize_collapses_space_runs_and_trims_lines() -> None:
    assert normalize_text("   Too    many   spaces here.   ") == "Too many spaces here."


def test_normalize_collapses_blank_line_runs_and_trims_the_ends() -> None:
    raw = "\n\n  \nFirst paragraph.\n\n\n \n\nSecond paragraph.\n\n\n"
    assert normalize_text(raw) == "First paragraph.\n\nSecond paragraph."


def test_normalize_drops_the_second_copy_of_a_long_repeated_paragraph() -> None:
    repeated = "This paragraph was pasted twice by mistake, word for word."
    raw = f"Intro line here.\n\n{repeated}\n\nMiddle line.\n\n{repeated}\n\nLast line."
    assert normalize_text(raw) == (f"Intro line here.\n\n{repeated}\n\nMiddle line.\n\nLast line.")


def test_normalize_detects_repeats_after_whitespace_folding() -> None:
    repeated = "This paragraph was pasted twice by mistake, word for word."
    spaced = repeated.replace(" ", "\u00a0  ")
    raw = f"{repeated}\n\n{spaced}"
    assert normalize_text(raw) == repeated


def test_normalize_keeps_short_repeated_lines() -> None:
    raw = "Update:\nThe road is open.\nUpdate:\nThe road is open."
    assert normalize_text(raw) == raw


def test_normalize_is_idempotent() -> None:
    raw = "  Caf\u0065\u0301\u00a0news.\r\n\r\n\r\nSecond\u200b paragraph.  "
    once = normalize_text(raw)
    assert normalize_text(once) == once


# --- article_id -----------------------------------------------------------------------------


def test_article_id_is_stable_and_depends_on_the_text() -> None:
    assert article_id(BODY) == article_id(BODY)
    assert article_id(BODY) != article_id(BODY + " ")
    assert len(article_id(BODY)) == 16


def test_article_id_is_the_same_for_texts_that_normalize_alike() -> None:
    first = article_from_text(f"{BODY}\r\n")
    spaced = BODY.replace(" ", "\u00a0")
    second = article_from_text(f"  {spaced}\n\n")
    assert first.id == second.id
    assert first.id == article_id(first.text)


# --- article_from_text ----------------------------------------------------------------------

HEADED = (
    "Title: Library budget passes\n"
    "Outlet: Riverside Courier\n"
    "Date: 2024-10-18\n"
    "URL: https://example.org/library-budget\n"
    "\n"
    f"{BODY}\n"
)


def test_header_block_sets_metadata_and_is_not_part_of_the_text() -> None:
    article = article_from_text(HEADED)
    assert article.title == "Library budget passes"
    assert article.outlet == "Riverside Courier"
    assert article.published == dt.date(2024, 10, 18)
    assert article.url == "https://example.org/library-budget"
    assert article.text == BODY


def test_header_keys_are_case_insensitive_and_have_aliases() -> None:
    raw = "TITLE: Budget\npublisher: Courier\nPublished: March 3, 2024\n\n" + BODY
    article = article_from_text(raw)
    assert (article.title, article.outlet, article.published) == (
        "Budget",
        "Courier",
        dt.date(2024, 3, 3),
    )


def test_explicit_arguments_win_over_the_header() -> None:
    article = article_from_text(
        HEADED,
        title="Explicit title",
        outlet="Explicit outlet",
        url="https://example.org/other",
        published=dt.date(2025, 1, 2),
        path="/articles/x.txt",
    )
    assert article.title == "Explicit title"
    assert article.outlet == "Explicit outlet"
    assert article.url == "https://example.org/other"
    assert article.published == dt.date(2025, 1, 2)
    assert article.path == "/articles/x.txt"


def test_lines_that_are_not_a_header_stay_in_the_text() -> None:
    raw = "Warning: the bridge is closed until further notice.\n\n" + BODY
    article = article_from_text(raw)
    assert article.text == normalize_text(raw)
    assert article.title == "Warning: the bridge is closed until further notice."


def test_header_without_a_blank_line_is_not_a_header() -> None:
    raw = "Title: Only a header\nOutlet: Courier"
    article = article_from_text(raw)
    assert article.text == raw
    assert article.outlet == "untitled"


def test_first_line_is_the_title_when_there_is_no_header() -> None:
    article = article_from_text(f"Library budget passes\n\n{BODY}", fallback_name="x.txt")
    assert article.title == "Library budget passes"
    assert article.outlet == "x.txt"
    assert article.published is None
    assert article.url is None


def test_overlong_first_line_is_not_a_title() -> None:
    article = article_from_text("word " * 40, fallback_name="fallback")
    assert article.title == "fallback"


@pytest.mark.parametrize(
    "dateline",
    ["Friday, October 18, 2024", "October 18, 2024", "18 October 2024", "2024-10-18"],
)
def test_dateline_first_line_becomes_the_published_date(dateline: str) -> None:
    article = article_from_text(f"{dateline}\n{BODY}", fallback_name="fb")
    assert article.published == dt.date(2024, 10, 18)
    assert article.title == "fb"  # a dateline is not a title
    assert article.text.startswith(dateline)


def test_a_headline_under_a_dateline_is_the_title() -> None:
    article = article_from_text(f"Friday, October 18, 2024\nLibrary budget approved\n{BODY}")
    assert article.title == "Library budget approved"
    assert article.published == dt.date(2024, 10, 18)


def test_header_date_wins_over_the_dateline() -> None:
    raw = "Date: 2024-10-19\n\nFriday, October 18, 2024\n" + BODY
    assert article_from_text(raw).published == dt.date(2024, 10, 19)


def test_unparseable_header_date_falls_back_to_the_dateline() -> None:
    raw = "Date: yesterday\n\nFriday, October 18, 2024\n" + BODY
    assert article_from_text(raw).published == dt.date(2024, 10, 18)


@pytest.mark.parametrize("raw", ["", "   \n\n\t ", "\u200b\ufeff", "Title: Nothing\n\n"])
def test_empty_article_is_an_input_error(raw: str) -> None:
    with pytest.raises(InputError, match="empty"):
        article_from_text(raw, fallback_name="empty.txt")


# --- read_path ------------------------------------------------------------------------------


def test_read_single_file_records_its_path_and_name(tmp_path: Path) -> None:
    file = tmp_path / "budget.txt"
    file.write_text(BODY, encoding="utf-8")
    (article,) = read_path(file)
    assert article.text == BODY
    assert article.path == str(file)
    assert article.outlet == "budget.txt"


def test_read_folder_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("Second article about the ferry schedule.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First article about the library budget.", encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "d.markdown").write_text("Third article about the parade.", "utf-8")
    (tmp_path / "notes.pdf").write_text("not an article", encoding="utf-8")
    (tmp_path / "data.json").write_text("{}", encoding="utf-8")
    articles = read_path(tmp_path)
    assert [Path(a.path).name for a in articles if a.path] == ["a.txt", "b.md", "d.markdown"]


def test_read_folder_accepts_upper_case_suffixes(tmp_path: Path) -> None:
    (tmp_path / "LOUD.TXT").write_text("An article whose file name shouts.", encoding="utf-8")
    assert len(read_path(tmp_path)) == 1


def test_read_folder_without_article_files_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match="no article files") as caught:
        read_path(tmp_path)
    assert caught.value.hint is not None
    assert ".txt" in caught.value.hint


def test_read_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "missing.txt")


def test_read_non_utf8_file_is_an_input_error_with_a_hint(tmp_path: Path) -> None:
    file = tmp_path / "latin1.txt"
    file.write_bytes("Caf\u00e9 owners met the mayor.".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as caught:
        read_path(file)
    assert caught.value.hint == "convert the file to UTF-8"


def test_read_file_with_a_byte_order_mark_and_header(tmp_path: Path) -> None:
    file = tmp_path / "bom.txt"
    file.write_text("\ufeffTitle: With BOM\n\n" + BODY, encoding="utf-8")
    (article,) = read_path(file)
    assert article.title == "With BOM"
    assert article.text == BODY


# --- collect_articles -----------------------------------------------------------------------


def test_collect_keeps_articles_as_given() -> None:
    article = Article(id="fixed", title="Given", outlet="Courier", text=BODY)
    assert collect_articles([article]) == [article]


def test_collect_treats_a_string_with_newlines_as_article_text() -> None:
    (article,) = collect_articles([f"Library budget passes\n{BODY}"])
    assert article.title == "Library budget passes"
    assert article.path is None
    assert article.outlet == "text 1"


def test_collect_treats_a_string_naming_an_existing_file_as_a_path(tmp_path: Path) -> None:
    file = tmp_path / "one.txt"
    file.write_text(BODY, encoding="utf-8")
    (article,) = collect_articles([str(file)])
    assert article.path == str(file)


def test_collect_treats_a_one_line_sentence_as_text() -> None:
    (article,) = collect_articles(["The ferry runs again from the north/south pier."])
    assert article.path is None
    assert article.text == "The ferry runs again from the north/south pier."


@pytest.mark.parametrize("mistyped", ["articles/missing", "missing.txt", "notes.MD"])
def test_collect_mistyped_path_is_an_input_error_not_an_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mistyped: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        collect_articles([mistyped])


def test_collect_mixes_sources_in_the_order_given(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "x.txt").write_text("Folder article about the harbor.", encoding="utf-8")
    (folder / "y.txt").write_text("Another folder article about the pier.", encoding="utf-8")
    given = Article(id="given", title="Given", outlet="Courier", text=BODY)
    articles = collect_articles(["Raw text article\nabout the school board.", folder, given])
    assert [a.outlet for a in articles] == ["text 1", "x.txt", "y.txt", "Courier"]
    assert articles[-1] is given


def test_collect_missing_path_object_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        collect_articles([tmp_path / "missing"])
