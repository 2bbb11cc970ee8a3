"""The version check every adapter runs when it is imported (summarizer/runtime/adapters/)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from summarizer.errors import ConfigError, DependencyVersionError
from summarizer.runtime.adapters.versions import INSTRUCTOR, LLAMA_CPP_PYTHON, TYPER, Release


@pytest.mark.parametrize(
    ("release", "found", "matches"),
    [
        (Release("instructor", "1.17.0"), "1.17.0", True),
        (Release("instructor", "1.17.0"), "1.17.1", False),
        (Release("instructor", "1.17.0"), "1.17", False),
        # A custom build's local label (a CUDA wheel) is the same release, as pip's == reads it.
        (Release("llama-cpp-python", "0.3.36"), "0.3.36+cu121", True),
        (Release("typer", "0.29.*"), "0.29", True),
        (Release("typer", "0.29.*"), "0.29.0", True),
        (Release("typer", "0.29.*"), "0.29.2", True),
        (Release("typer", "0.29.*"), "0.30.0", False),
        (Release("typer", "0.29.*"), "0.290.0", False),
    ],
)
def test_a_release_matches_as_pip_pins_it(release: Release, found: str, matches: bool) -> None:
    assert release.matches(found) is matches


def test_the_installed_versions_are_the_ones_the_adapters_are_written_for() -> None:
    # What the test environment installs from pyproject.toml; llama-cpp-python is optional.
    assert INSTRUCTOR.problem() is None
    assert TYPER.problem() is None
    if LLAMA_CPP_PYTHON.installed() is not None:
        assert LLAMA_CPP_PYTHON.problem() is None


def test_another_version_is_one_line_naming_library_versions_and_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda _name: "0.3.40")

    with pytest.raises(DependencyVersionError) as caught:
        LLAMA_CPP_PYTHON.require()

    error = caught.value
    assert isinstance(error, ConfigError)  # the CLI's exit code 2: the user's setup to fix
    assert (error.distribution, error.found, error.expected) == (
        "llama-cpp-python",
        "0.3.40",
        "0.3.36",
    )
    assert (
        str(error)
        == error.one_line()
        == (
            "llama-cpp-python 0.3.40 is installed, but summarizer is written for 0.3.36 "
            "(hint: pip install 'llama-cpp-python[server]==0.3.36')"
        )
    )


def test_a_library_not_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)

    problem = TYPER.problem()

    assert problem is not None
    assert problem.found is None
    assert str(problem) == (
        "typer is not installed, but summarizer is written for 0.29.* "
        "(hint: pip install 'typer==0.29.*')"
    )


def test_importing_summarizer_imports_no_adapter_and_no_llama_cpp() -> None:
    # Each is imported where it is first needed: instructor's at the first request, typer's
    # when the CLI runs, llama-cpp-python's in the embedded server's own process.
    probe = (
        "import sys, summarizer, summarizer.cli, summarizer.runtime.doctor, "
        "summarizer.runtime.embedded_server; "
        "print(sorted(m for m in sys.modules if m.endswith('_internals') or m == 'llama_cpp'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"
