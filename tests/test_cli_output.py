"""Where `summarizer brief` writes, and in which format: -o FILE, -o -, --format, suffixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer import Briefing
from summarizer.cli import OutputFormat, _format_for, main
from summarizer.testing.stub import StubServer
from tests.support.stub_cli import brief_as_process, brief_in_process

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

ARTICLE = "The harbour board asked the council for help. Local farmers welcomed the plan."


@pytest.mark.parametrize(
    ("output", "chosen", "expected"),
    [
        (None, None, OutputFormat.md),
        (Path("briefing.json"), None, OutputFormat.json),
        (Path("briefing.JSON"), None, OutputFormat.json),
        (Path("briefing.md"), None, OutputFormat.md),
        (Path("briefing.markdown"), None, OutputFormat.md),
        (Path("briefing.txt"), None, OutputFormat.md),
        (Path("briefing"), None, OutputFormat.md),
        (Path("briefing.md"), OutputFormat.json, OutputFormat.json),
        (None, OutputFormat.json, OutputFormat.json),
    ],
)
def test_the_format_is_format_else_the_suffix_of_o_else_markdown(
    output: Path | None, chosen: OutputFormat | None, expected: OutputFormat
) -> None:
    assert _format_for(output, chosen) is expected


def _article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE + "\n", encoding="utf-8")
    return path


def test_o_dash_writes_markdown_to_stdout_and_no_file_named_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    article = _article(tmp_path)

    with StubServer(latency=0) as stub:
        result = brief_in_process(stub, str(article), "-o", "-")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Briefing\n")
    assert not (tmp_path / "-").exists()
    assert result.stderr.splitlines()[-1].startswith("done: ")
    assert " -> " not in result.stderr


def test_o_dash_with_format_json_writes_json_to_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    article = _article(tmp_path)

    with StubServer(latency=0) as stub:
        result = brief_in_process(stub, str(article), "-o", "-", "--format", "json", "-q")

    assert result.exit_code == 0, result.output
    Briefing.model_validate(json.loads(result.stdout))
    assert result.stderr == ""
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(("name", "is_json"), [("b.JSON", True), ("b.markdown", False)])
def test_o_infers_the_format_from_the_suffix(tmp_path: Path, name: str, is_json: bool) -> None:
    article = _article(tmp_path)
    output = tmp_path / name

    with StubServer(latency=0) as stub:
        result = brief_in_process(stub, str(article), "-o", str(output))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = output.read_text(encoding="utf-8")
    if is_json:
        Briefing.model_validate_json(text)
    else:
        assert text.startswith("# Briefing\n")
    assert result.stderr.splitlines()[-1].endswith(f" -> {output}")


@pytest.mark.parametrize(
    ("target", "expected"),
    [("missing/briefing.md", "there is no folder"), (".", "is a folder")],
)
def test_an_o_that_cannot_be_written_fails_before_any_request(
    tmp_path: Path, target: str, expected: str
) -> None:
    article = _article(tmp_path)

    with StubServer(latency=0) as stub:
        result = brief_as_process(tmp_path, stub, str(article), "-o", str(tmp_path / target))
        served = stub.stats()

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: -o ")
    assert expected in result.stderr
    assert served["requests"] == 0


def test_a_failed_write_leaves_the_previous_file_and_records_no_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUMMARIZER_DATA_DIR", str(tmp_path / "data"))
    output = tmp_path / "briefing.json"
    output.write_text('{"previous": true}', encoding="utf-8")

    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("summarizer.cli.os.replace", disk_full)
    with StubServer(latency=0) as stub:
        failed = brief_in_process(stub, str(_article(tmp_path)), "-o", str(output))
        after_failure = output.read_text(encoding="utf-8")
        monkeypatch.undo()
        monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("SUMMARIZER_DATA_DIR", str(tmp_path / "data"))
        again = brief_in_process(stub, str(_article(tmp_path)), "--new-only", "-o", str(output))

    assert failed.exit_code == 1
    assert "No space left on device" in str(failed.exception)
    assert after_failure == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    # The article was not recorded as briefed: the next --new-only run briefs it.
    assert again.exit_code == 0, again.output
    assert json.loads(output.read_text(encoding="utf-8"))["sources"]


def test_ctrl_c_says_what_was_kept_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: object, **__: object) -> Briefing:
        raise KeyboardInterrupt

    monkeypatch.setattr("summarizer.cli.run_brief", interrupted)
    monkeypatch.setattr("sys.argv", ["summarizer", "brief", "examples/articles", "-q"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 130
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("interrupted: no briefing written;")
    assert "same command goes on from there" in line
