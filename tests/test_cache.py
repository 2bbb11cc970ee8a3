"""The response cache on a real SQLite file: addressing, sharing, damage, show and clear."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.storage.cache import CACHE_FILE_NAME, ResponseCache, cache_key

BASE_KEY: dict[str, Any] = {
    "model": "m",
    "endpoint": "http://x/v1",
    "messages": [{"role": "user", "content": "[s1] The river rose."}],
    "schema": {"type": "object"},
    "chunk_text": "The river rose.",
    "parameters": {"temperature": 0.0, "seed": 7},
}


def _put(cache: ResponseCache, key: str, answer: dict[str, Any] | None = None) -> None:
    cache.put(
        key,
        answer or {"outcome": "answered"},
        model="m",
        endpoint="http://x/v1",
        prompt_tokens=10,
        completion_tokens=5,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", "n"),
        ("endpoint", "embedded:abc"),
        ("messages", [{"role": "user", "content": "[s1] The river fell."}]),
        ("schema", {"type": "object", "required": ["s1"]}),
        ("chunk_text", "The river fell."),
        ("parameters", {"temperature": 0.0, "seed": 8}),
    ],
)
def test_every_part_of_the_address_changes_the_key(field: str, value: Any) -> None:
    assert cache_key(**BASE_KEY) != cache_key(**{**BASE_KEY, field: value})


def test_the_key_ignores_parameter_order() -> None:
    reordered = {**BASE_KEY, "parameters": {"seed": 7, "temperature": 0.0}}
    assert cache_key(**BASE_KEY) == cache_key(**reordered)


def test_an_answer_is_kept_across_connections(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE_NAME
    with ResponseCache(path) as cache:
        _put(cache, "k", {"outcome": "answered", "entries": {"s1": {"quote": "ü"}}})
    with ResponseCache(path) as cache:
        hit = cache.get("k")
        assert cache.get("other") is None
    assert hit is not None
    assert hit.answer == {"outcome": "answered", "entries": {"s1": {"quote": "ü"}}}
    assert (hit.prompt_tokens, hit.completion_tokens) == (10, 5)


def _write_many(path: Path, prefix: str, count: int) -> None:
    with ResponseCache(path) as cache:
        for index in range(count):
            _put(cache, f"{prefix}{index}")
        assert cache.problem is None, cache.problem


def test_two_processes_can_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE_NAME
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_many, args=(path, prefix, 300)) for prefix in ("a", "b")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert [w.exitcode for w in writers] == [0, 0]
    with ResponseCache(path) as cache:
        assert cache.summary().answers == 600


def test_a_damaged_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE_NAME
    path.write_bytes(b"this is not an sqlite database" * 100)
    with ResponseCache(path) as cache:
        assert cache.get("k") is None
        _put(cache, "k")
        assert cache.problem is not None
        assert "running without it" in cache.problem


def test_a_cache_directory_that_cannot_be_made_is_reported(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with ResponseCache(not_a_directory / "sub" / CACHE_FILE_NAME) as cache:
        assert cache.get("k") is None
        assert cache.problem is not None


def test_summary_and_clear(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE_NAME
    with ResponseCache(path) as cache:
        assert cache.summary().answers == 0
        _put(cache, "a")
        _put(cache, "b")
        summary = cache.summary()
        assert (summary.answers, summary.by_model, summary.saved_tokens) == (2, {"m": 2}, 30)
        assert cache.clear() == 2
        assert cache.summary().answers == 0


def test_cache_show_and_clear_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tmp_path / "absent.toml"))
    with ResponseCache(tmp_path / CACHE_FILE_NAME) as cache:
        _put(cache, "a")

    shown = CliRunner().invoke(app, ["cache", "show"])
    cleared = CliRunner().invoke(app, ["cache", "clear"])
    after = CliRunner().invoke(app, ["cache", "show"])

    assert shown.exit_code == 0, shown.output
    assert f"path: {tmp_path / CACHE_FILE_NAME}" in shown.output
    assert "answers: 1" in shown.output
    assert "removed 1 answer(s)" in cleared.output
    assert "answers: 0" in after.output
