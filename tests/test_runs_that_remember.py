"""Runs that remember, through the CLI: --new-only, --previous, --no-remember, store commands.

The model is the OpenAI stub (summarizer/testing/stub.py), whose placeholder answers fit
sentences without figures, dates or times; the article store is this test's own
(conftest sets SUMMARIZER_DATA_DIR), a real SQLite file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from summarizer import Briefing
from summarizer.cli import app
from summarizer.testing.stub import StubServer
from tests.support.stub_cli import brief_as_process, brief_in_process

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

FIRST = "The harbour board asked the council for help. Local farmers welcomed the plan."
# One story with FIRST: claims of different stories never merge.
SECOND = (
    "The harbour board plan was rejected by the council. "
    "Residents said they had not been consulted on the harbour plan."
)


def _brief(stub: StubServer, *arguments: str) -> Result:
    return brief_in_process(stub, *arguments, "--no-cache")


def _articles(folder: Path, *texts: str) -> Path:
    folder.mkdir(exist_ok=True)
    for number, text in enumerate(texts, start=1):
        (folder / f"{number:02d}.txt").write_text(f"Title: Article {number}\n\n{text}\n")
    return folder


def test_new_only_briefs_what_is_new_and_then_says_nothing_is(tmp_path: Path) -> None:
    folder = _articles(tmp_path / "articles", FIRST)
    with StubServer(latency=0) as stub:
        first = _brief(stub, str(folder), "--new-only", "-o", str(tmp_path / "1.json"))
        _articles(folder, FIRST, SECOND)
        second = _brief(stub, str(folder), "--new-only", "-o", str(tmp_path / "2.json"))
        third = _brief(stub, str(folder), "--new-only", "-o", str(tmp_path / "3.json"))
        served = stub.stats()

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    briefing = Briefing.model_validate_json((tmp_path / "2.json").read_text())
    assert [source.title for source in briefing.sources] == ["Article 2"]
    assert briefing.stats.seen_before == [str(folder / "01.txt")]
    assert "new only: 1 article(s) briefed before, left out" in second.stderr
    assert third.exit_code == 0, third.output
    assert "nothing new: all 2 article(s) were briefed before; no briefing written" in (
        third.stderr
    )
    assert not (tmp_path / "3.json").exists()
    assert served["answered"] == 2


def test_previous_marks_what_is_new_since_an_earlier_briefing(tmp_path: Path) -> None:
    folder = _articles(tmp_path / "articles", FIRST)
    with StubServer(latency=0) as stub:
        _brief(stub, str(folder), "-o", str(tmp_path / "yesterday.json"))
        _articles(folder, FIRST, SECOND)
        result = _brief(
            stub,
            str(folder),
            "--previous",
            str(tmp_path / "yesterday.json"),
            "-o",
            str(tmp_path / "today.md"),
        )

    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "today.md").read_text()
    # The stub answers every sentence alike, so its claims merge into one, seen before;
    # how claims are matched and marked is tested in test_novelty.py.
    assert re.search(r"Since the briefing of .*: 0 new, 0 changed, 1 unchanged", markdown)


def test_a_previous_file_that_is_no_briefing_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = _articles(tmp_path / "articles", FIRST)
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    with StubServer(latency=0) as stub:
        result = brief_as_process(
            tmp_path, stub, str(folder), "--previous", str(tmp_path / "notes.json")
        )
        served = stub.stats()

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'notes.json'}: not a summarizer briefing")
    assert result.stderr.count("\n") == 1, result.stderr
    assert served["answered"] == 0


def test_new_only_without_remembering_is_refused(tmp_path: Path) -> None:
    folder = _articles(tmp_path / "articles", FIRST)
    with StubServer(latency=0) as stub:
        result = brief_as_process(tmp_path, stub, str(folder), "--new-only", "--no-remember")

    assert result.returncode == 2
    assert result.stderr.startswith("error: new-only needs the article store"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_store_show_and_clear(tmp_path: Path) -> None:
    folder = _articles(tmp_path / "articles", FIRST, SECOND)
    with StubServer(latency=0) as stub:
        _brief(stub, str(folder), "-o", str(tmp_path / "b.json"))

    shown = CliRunner().invoke(app, ["store", "show"])
    cleared = CliRunner().invoke(app, ["store", "clear"])
    after = CliRunner().invoke(app, ["store", "show"])

    assert "articles briefed: 2" in shown.output
    assert "forgot 2 article(s)" in cleared.output
    assert "articles briefed: 0" in after.output
