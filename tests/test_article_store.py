"""The article store on a real SQLite file: seen ids, recording, sharing, damage, clearing."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import platformdirs

from summarizer.briefing.merge import number_sources
from summarizer.config import default_store_dir
from summarizer.inputs.ingest import article_from_text
from summarizer.models import Article, Briefing, RunStats
from summarizer.storage.article_store import STORE_FILE_NAME, STORE_FORMAT, ArticleStore

GAZETTE = (
    "Engineers found a crack in pier 3 of the Saltmere Bridge on Sunday.\n"
    "The council closed the bridge to all traffic."
)
MONDAY = dt.datetime(2026, 5, 11, 8, 0, tzinfo=dt.UTC)
TUESDAY = dt.datetime(2026, 5, 12, 8, 0, tzinfo=dt.UTC)


def _gazette(url: str = "http://gazette.test/bridge", text: str = GAZETTE) -> Article:
    return article_from_text(
        text,
        title="Saltmere Bridge closed",
        outlet="Harwick Gazette",
        url=url,
        published=dt.date(2026, 5, 11),
    )


def _festival() -> Article:
    return article_from_text(
        "The harbour festival drew crowds to the quay on Saturday.",
        title="Harbour festival",
        outlet="Coastal Post",
    )


def test_a_briefed_article_is_seen_by_its_text_not_its_url(tmp_path: Path) -> None:
    original = _gazette()
    syndicated = _gazette(url="http://wire.test/copy")
    updated = _gazette(text=GAZETTE + "\nA diversion through Millford adds 20 minutes.")
    with ArticleStore.open(tmp_path) as store:
        assert store.seen_ids([original.id]) == set()
        assert store.record([original], MONDAY) == 1
    with ArticleStore.open(tmp_path) as store:
        seen = store.seen_ids([syndicated.id, updated.id, _festival().id])
        assert store.problem is None
    assert syndicated.id == original.id
    assert seen == {original.id}


def test_a_record_keeps_metadata_times_and_count(tmp_path: Path) -> None:
    article = _gazette()
    with ArticleStore.open(tmp_path) as store:
        store.record([article, article], MONDAY)
        # Recording the same briefing again does not count it twice.
        store.record([article], MONDAY)
        # A naive time is UTC; a moved copy keeps the URL it was last seen at.
        store.record([_gazette(url="http://wire.test/copy")], dt.datetime(2026, 5, 12, 8, 0))
        stored = store.get(article.id)
        assert store.get("absent") is None
    assert stored is not None
    assert (stored.url, stored.title, stored.outlet) == (
        "http://wire.test/copy",
        "Saltmere Bridge closed",
        "Harwick Gazette",
    )
    assert stored.published == dt.date(2026, 5, 11)
    assert (stored.first_briefed, stored.last_briefed) == (MONDAY, TUESDAY)
    assert stored.times_briefed == 2


def test_an_earlier_briefing_recorded_late_moves_first_briefed_back(tmp_path: Path) -> None:
    article = _gazette()
    with ArticleStore.open(tmp_path) as store:
        store.record([article], TUESDAY)
        store.record([article], MONDAY.astimezone(dt.timezone(dt.timedelta(hours=2))))
        stored = store.get(article.id)
    assert stored is not None
    assert (stored.first_briefed, stored.last_briefed, stored.times_briefed) == (
        MONDAY,
        TUESDAY,
        2,
    )


def test_record_briefing_records_its_sources(tmp_path: Path) -> None:
    articles = [_gazette(), _festival()]
    briefing = Briefing(
        generated_at=TUESDAY,
        sources=number_sources(articles),
        events=[],
        claims=[],
        disagreements=[],
        stats=RunStats(
            model="m",
            endpoint="e",
            articles=2,
            llm_calls=0,
            reasks=0,
            prompt_tokens=0,
            completion_tokens=0,
            wall_seconds=0.0,
        ),
    )
    with ArticleStore.open(tmp_path) as store:
        assert store.record_briefing(briefing) == 2
        assert store.seen_ids(a.id for a in articles) == {a.id for a in articles}
        festival = store.get(articles[1].id)
    assert festival is not None
    assert (festival.url, festival.published, festival.last_briefed) == (None, None, TUESDAY)


def test_many_ids_are_looked_up_in_batches(tmp_path: Path) -> None:
    articles = [
        article_from_text(f"Notice {n} about the bridge.", title=f"N{n}", outlet="Council")
        for n in range(1200)
    ]
    with ArticleStore.open(tmp_path) as store:
        store.record(articles[::2], MONDAY)
        seen = store.seen_ids(a.id for a in articles)
    assert seen == {a.id for a in articles[::2]}


def _record_many(directory: Path, first: int, count: int, hour: int) -> None:
    articles = [
        article_from_text(f"Notice {n} about the bridge.", title=f"N{n}", outlet="Council")
        for n in range(first, first + count)
    ]
    with ArticleStore.open(directory) as store:
        for article in articles:
            store.record([article], dt.datetime(2026, 5, 11, hour, tzinfo=dt.UTC))
        assert store.problem is None, store.problem


def test_two_processes_can_record_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    # Overlapping ranges: 100 articles are recorded by both, at different times.
    writers = [
        context.Process(target=_record_many, args=(tmp_path, first, 200, hour))
        for first, hour in ((0, 8), (100, 9))
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert [w.exitcode for w in writers] == [0, 0]
    shared = article_from_text("Notice 150 about the bridge.", title="N150", outlet="Council")
    with ArticleStore.open(tmp_path) as store:
        assert store.summary().articles == 300
        stored = store.get(shared.id)
    assert stored is not None
    assert stored.times_briefed == 2


def test_two_connections_in_one_process_share_the_file(tmp_path: Path) -> None:
    with ArticleStore.open(tmp_path) as first, ArticleStore.open(tmp_path) as second:
        first.record([_gazette()], MONDAY)
        second.record([_festival()], MONDAY)
        assert first.seen_ids([_festival().id]) == {_festival().id}
        assert second.seen_ids([_gazette().id]) == {_gazette().id}


def test_a_damaged_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / STORE_FILE_NAME).write_bytes(b"this is not an sqlite database" * 100)
    with ArticleStore.open(tmp_path) as store:
        assert store.seen_ids([_gazette().id]) == set()
        assert store.record([_gazette()], MONDAY) == 0
        assert store.summary().articles == 0
        assert store.clear() == 0
        assert store.problem is not None
    assert store.problem.startswith(f"article store {tmp_path / STORE_FILE_NAME} unusable (")
    assert store.problem.endswith("; running without it")
    assert "\n" not in store.problem


def test_a_file_from_a_newer_release_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE_NAME
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {STORE_FORMAT + 1}")
    connection.close()
    with ArticleStore.open(tmp_path) as store:
        assert store.record([_gazette()], MONDAY) == 0
        assert store.problem is not None
    assert "written by a newer summarizer" in store.problem


def test_a_store_directory_that_cannot_be_made_is_reported(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with ArticleStore.open(not_a_directory / "sub") as store:
        assert store.record([_gazette()], MONDAY) == 0
        assert store.problem is not None


def test_reading_an_absent_store_creates_no_file(tmp_path: Path) -> None:
    with ArticleStore.open(tmp_path / "data") as store:
        assert store.seen_ids([_gazette().id]) == set()
        assert store.get(_gazette().id) is None
        assert store.summary().articles == 0
        assert store.clear() == 0
    assert not (tmp_path / "data").exists()


def test_summary_and_clear(tmp_path: Path) -> None:
    with ArticleStore.open(tmp_path) as store:
        store.record([_gazette()], MONDAY)
        store.record([_festival(), _gazette()], TUESDAY)
        summary = store.summary()
        assert (summary.articles, summary.by_outlet) == (
            2,
            {"Coastal Post": 1, "Harwick Gazette": 1},
        )
        assert (summary.first_briefed, summary.last_briefed) == (MONDAY, TUESDAY)
        assert summary.size_bytes > 0
        assert store.clear() == 2
        assert store.summary().articles == 0
        assert store.seen_ids([_gazette().id]) == set()


def test_the_default_directory_is_the_user_data_dir() -> None:
    assert default_store_dir() == Path(platformdirs.user_data_dir("summarizer"))
    assert ArticleStore.open(default_store_dir()).path.name == STORE_FILE_NAME
