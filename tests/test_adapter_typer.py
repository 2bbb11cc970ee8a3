"""The typer adapter: the usage errors of typer's vendored click, for typer 0.29.x.

Its functions are run against the installed typer (tests/test_cli.py runs the usage errors
through the CLI itself); another version, faked, fails its import with the one line that
says what to install, and the CLI reports it as that one line and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

import summarizer.runtime.adapters
from summarizer.cli import app
from summarizer.errors import DependencyVersionError
from summarizer.runtime.adapters import typer_internals

MODULE = "summarizer.runtime.adapters.typer_internals"
EXPECTED_LINE = (
    "typer 0.30.0 is installed, but summarizer is written for 0.29.* "
    "(hint: pip install 'typer==0.29.*')"
)


def _usage_error(arguments: list[str]) -> BaseException:
    result = CliRunner().invoke(app, arguments, standalone_mode=False)
    assert result.exception is not None
    return result.exception


def test_an_unknown_option_is_a_usage_error_with_its_command_and_exit_code() -> None:
    error = _usage_error(["brief", "x.txt", "--concurency", "3"])

    assert isinstance(error, typer_internals.UsageError)
    message = typer_internals.usage_message(error)
    assert message.startswith("No such option: --concurency")
    assert message.endswith("(see 'summarizer brief --help')")
    assert typer_internals.usage_exit_code(error) == 2


def test_a_usage_error_without_a_command_is_its_message_alone() -> None:
    error = typer_internals.UsageError("bad   input\nhere")

    assert typer_internals.usage_message(error) == "bad input here"


def test_typers_own_bad_parameter_is_one_of_them() -> None:
    # What our commands' callbacks raise for a bad value reaches the same handler.
    assert issubclass(typer.BadParameter, typer_internals.UsageError)


def test_another_typer_fails_the_import_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "0.30.0" if name == "typer" else real(name)
    )
    monkeypatch.delitem(sys.modules, MODULE)
    monkeypatch.delattr(summarizer.runtime.adapters, "typer_internals")

    with pytest.raises(DependencyVersionError) as caught:
        importlib.import_module(MODULE)

    assert str(caught.value) == EXPECTED_LINE


# The CLI, run as a user runs it, with `importlib.metadata` answering 0.30.0 for typer.
_FAKED_RUN = """
import importlib.metadata, runpy, sys
real = importlib.metadata.version
importlib.metadata.version = lambda name: "0.30.0" if name == "typer" else real(name)
sys.argv = ["summarizer", *sys.argv[1:]]
runpy.run_module("summarizer", run_name="__main__")
"""


def test_the_cli_reports_another_typer_as_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FAKED_RUN, "schema"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "HOME": "/nonexistent", "SUMMARIZER_CONFIG": "/nonexistent/c.toml"},
        check=False,
    )

    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: {EXPECTED_LINE}\n"
    assert result.stdout == ""
