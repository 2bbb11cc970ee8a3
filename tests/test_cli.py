"""The CLI's contract: help everywhere, one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from tests.conftest import SCHEMAS


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env={
            "PATH": "",
            "HOME": "/nonexistent",
            "SUMMARIZER_CONFIG": "/nonexistent/c.toml",
            "SUMMARIZER_ARTICLE_DEADLINE": "2",
        },
        check=False,
    )


COMMANDS = [
    ["brief"],
    ["doctor"],
    ["schema"],
    ["cache", "show"],
    ["cache", "clear"],
    ["store", "show"],
]


@pytest.mark.parametrize("command", [[], *COMMANDS, ["store", "clear"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    if command:
        assert "Example:" in result.output


def test_a_missing_path_is_one_line_and_exit_2() -> None:
    result = _run("brief", "no/such/folder")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_stdin_article_is_one_line_and_exit_2() -> None:
    result = _run("brief", "-", stdin="   \n")
    assert result.returncode == 2
    assert "empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("The mayor said the river rose on Monday.\n", encoding="utf-8")
    result = _run("brief", str(article), "--mode", "telepathy")
    assert result.returncode == 2
    assert "unknown structured-output mode" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["brief", "x.txt", "--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["brief", "x.txt", "--concurency", "3"], "No such option: --concurency"),
        (["brief"], "Missing argument"),
        (["briefing"], "No such command 'briefing'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(arguments: list[str], expected: str) -> None:
    result = _run(*arguments)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith(f"error: {expected}")
    assert "--help')" in result.stderr


def test_an_unreachable_endpoint_fails_the_article_not_the_process(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("The mayor said the river rose on Monday.\n", encoding="utf-8")
    # Port 9 (discard) on loopback refuses connections: a real, local failure.
    result = _run(
        "brief",
        str(article),
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "-q",
        "--format",
        "json",
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no article could be briefed" in result.stderr
    assert "cannot reach" in result.stderr


def test_schema_prints_the_briefing_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.output == (SCHEMAS / "briefing.schema.json").read_text(encoding="utf-8")


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip().startswith("summarizer 0.")
