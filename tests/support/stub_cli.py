"""`summarizer brief` against the local OpenAI stub (summarizer/testing/stub.py), as the
tests run it: in this process through typer's runner, or as a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

import summarizer
from summarizer.cli import app
from summarizer.runtime.weights import default_models_dir
from summarizer.testing.stub import STUB_MODEL, StubServer


def stub_options(stub: StubServer) -> list[str]:
    return ["--base-url", stub.base_url, "--model", STUB_MODEL, "--mode", "json_schema"]


def brief_in_process(stub: StubServer, *arguments: str) -> Result:
    return CliRunner().invoke(app, ["brief", *arguments, *stub_options(stub)])


def brief_command(stub: StubServer, *arguments: str) -> list[str]:
    """The installed entry point, to run as a process of its own."""
    return [sys.executable, "-m", "summarizer", "brief", *arguments, *stub_options(stub)]


def isolated_environment(tmp_path: Path) -> dict[str, str]:
    """Nothing from the caller's environment: no settings, no proxy for loopback traffic,
    a cache and an article store of the test's own; only the fetched local models are
    shared (`make test` fetches them before the tests run)."""
    return {
        "PATH": "",
        "HOME": str(tmp_path / "home"),
        "SUMMARIZER_CONFIG": str(tmp_path / "absent.toml"),
        "SUMMARIZER_CACHE_DIR": str(tmp_path / "cache"),
        "SUMMARIZER_DATA_DIR": str(tmp_path / "data"),
        "SUMMARIZER_MODELS_DIR": os.environ.get("SUMMARIZER_MODELS_DIR")
        or str(default_models_dir()),
    }


def same_code() -> dict[str, str]:
    """PYTHONPATH for a child that imports the package from where this process did, so a
    second checkout (a git worktree) runs its own code, not the editable install's."""
    return {"PYTHONPATH": str(Path(summarizer.__file__).resolve().parents[1])}


def brief_as_process(
    tmp_path: Path,
    stub: StubServer,
    *arguments: str,
    environment: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The installed entry point in a process of its own, in an isolated environment
    (plus `environment`): exit codes and stderr as users see them."""
    return subprocess.run(
        brief_command(stub, *arguments),
        capture_output=True,
        text=True,
        timeout=60,
        env={**isolated_environment(tmp_path), **same_code(), **(environment or {})},
        check=False,
    )
