"""Build the wheel, check what it carries, then install it in a new virtualenv and brief from it.

    python -m tests.support.wheel_check     (CI runs it from .ci/run)

1. `pip wheel . --no-deps` builds the wheel with the backend pyproject.toml names (hatchling);
2. the wheel must carry every prompt (`prompts/*.md`, shipped as `summarizer/prompts/`), every
   file of the HTML report (`summarizer/render/templates/`) and `summarizer/py.typed`, and
   nothing outside the package and its metadata;
3. a new virtualenv gets the wheel with its dependencies and the `testing` extra, from the
   package index pip is configured with;
4. from there, outside the repository so nothing of it is imported, `summarizer --help` runs,
   and `summarizer brief examples/articles` against the stub of the installed package
   (`python -m summarizer.testing.stub`) replaying the end-to-end cassette must write a
   briefing of the five articles with claims, every claim citing a source, all answered by
   the stub.

Installing the dependencies into a new virtualenv takes about a minute on 2 cores, too slow for
the test suite: tests/test_wheel.py runs steps 1 and 2, and CI runs all four here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx2

from summarizer.config import EMBEDDED_MODEL_NAME
from summarizer.inputs.ingest import read_path
from summarizer.models import Briefing
from tests.support.stub_cli import isolated_environment

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "articles"
CASSETTE = REPO / "cassettes" / "test_end_to_end" / "examples_briefing.yaml"
_BANNER = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")
_STEP_TIMEOUT_SECONDS = 600


class WheelCheckFailed(Exception):
    """A step of the check failed; the message says which and why."""


def build_wheel(destination: Path) -> Path:
    """Build the project's wheel into `destination` and return its path.

    Raises:
        WheelCheckFailed: pip failed, or did not write exactly one wheel.
    """
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", destination, REPO],
        what="building the wheel",
        environment=_without_python_path(),
    )
    wheels = sorted(destination.glob("cited_briefing-*.whl"))
    if len(wheels) != 1:
        raise WheelCheckFailed(f"expected one wheel in {destination}, found {wheels}")
    return wheels[0]


def missing_from_wheel(wheel: Path) -> list[str]:
    """What the wheel should carry and does not: prompts, templates, `py.typed`."""
    expected = [f"summarizer/prompts/{path.name}" for path in sorted(REPO.glob("prompts/*.md"))]
    templates = REPO / "summarizer" / "render" / "templates"
    expected += [
        path.relative_to(REPO).as_posix() for path in sorted(templates.iterdir()) if path.is_file()
    ]
    expected.append("summarizer/py.typed")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    return [name for name in expected if name not in names]


def foreign_in_wheel(wheel: Path) -> list[str]:
    """Top-level entries of the wheel other than the package and its metadata."""
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    return sorted(
        top
        for top in tops
        if top != "summarizer" and not re.fullmatch(r"cited_briefing-.*\.dist-info", top)
    )


def install_in_new_virtualenv(wheel: Path, folder: Path) -> Path:
    """A new virtualenv in `folder` with the wheel, its dependencies and the `testing` extra;
    returns its `bin` directory.

    Raises:
        WheelCheckFailed: the virtualenv or the installation failed.
    """
    _run([sys.executable, "-m", "venv", folder], what="creating the virtualenv")
    bin_dir = folder / "bin"
    _run(
        [
            bin_dir / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            f"{wheel}[testing]",
        ],
        what="installing the wheel",
        environment=_without_python_path(),
    )
    return bin_dir


def brief_from_installed(bin_dir: Path, scratch: Path) -> Briefing:
    """`summarizer brief examples/articles` with the installed package against its own
    replay stub, run from `scratch` so nothing is imported from the repository.

    Raises:
        WheelCheckFailed: the package is imported from elsewhere, a command failed, or the
            briefing is not the one the cassette holds.
    """
    environment = isolated_environment(scratch)
    imported = _run(
        [bin_dir / "python", "-c", "import summarizer; print(summarizer.__file__)"],
        what="importing the installed package",
        environment=environment,
        cwd=scratch,
    ).strip()
    if not Path(imported).is_relative_to(bin_dir.parent):
        raise WheelCheckFailed(f"summarizer was imported from {imported}, not the virtualenv")
    usage = _run(
        [bin_dir / "summarizer", "--help"],
        what="summarizer --help",
        environment=environment,
        cwd=scratch,
    )
    if "brief" not in usage:
        raise WheelCheckFailed(f"summarizer --help does not list `brief`:\n{usage}")
    output = scratch / "briefing.json"
    with _installed_stub(bin_dir, environment, scratch) as base_url:
        _run(
            [
                bin_dir / "summarizer",
                "brief",
                EXAMPLES,
                "-o",
                output,
                "--base-url",
                base_url,
                "--model",
                EMBEDDED_MODEL_NAME,
                "--mode",
                "json_object_schema",
            ],
            what="summarizer brief examples/articles against the replay stub",
            environment=environment,
            cwd=scratch,
        )
        with httpx2.Client(base_url=base_url.removesuffix("/v1"), trust_env=False) as client:
            answered = client.get("/stats").json()["answered"]
    briefing = Briefing.model_validate_json(output.read_text(encoding="utf-8"))
    problems = briefing_problems(briefing, answered)
    if problems:
        raise WheelCheckFailed("the briefing from the installed package: " + "; ".join(problems))
    return briefing


def briefing_problems(briefing: Briefing, answered: int) -> list[str]:
    """What is wrong with a briefing of examples/articles replayed from the cassette."""
    problems = []
    articles = len(read_path(EXAMPLES))
    if len(briefing.sources) != articles:
        problems.append(f"{len(briefing.sources)} sources, not {articles}")
    if not briefing.claims:
        problems.append("no claims")
    numbers = {source.number for source in briefing.sources}
    uncited = [
        c.statement for c in briefing.claims if not {x.source for x in c.citations} & numbers
    ]
    if uncited:
        problems.append(f"claims citing no source: {uncited}")
    if answered == 0 or briefing.stats.llm_calls != answered:
        problems.append(f"{briefing.stats.llm_calls} model calls, {answered} answered by the stub")
    return problems


@contextmanager
def _installed_stub(bin_dir: Path, environment: dict[str, str], cwd: Path) -> Iterator[str]:
    """The installed package's stub replaying the cassette; yields its base URL."""
    command = [str(bin_dir / "python"), "-m", "summarizer.testing.stub", "--port", "0"]
    command += ["--latency", "0", "--replay", str(CASSETTE), "--exit-with-stdin"]
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        stdout, lines = process.stdout, list[str]()
        # readline has no timeout; a reader thread lets us give up on a stub that hangs.
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        try:
            match = _BANNER.fullmatch(lines[0].strip()) if lines else None
            if match is None:
                process.kill()
                raise WheelCheckFailed(
                    f"the installed stub did not start: {lines[:1]} {process.stderr.read()}"
                )
            yield match.group(1)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def _run(
    command: Sequence[str | Path],
    *,
    what: str,
    environment: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Run `command`; its stdout, or WheelCheckFailed with its output."""
    try:
        done = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd,
            timeout=_STEP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WheelCheckFailed(f"{what}: no end after {_STEP_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise WheelCheckFailed(
            f"{what}: exit code {done.returncode}\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
        )
    return done.stdout


def _without_python_path() -> dict[str, str]:
    """This environment (pip's settings included) without PYTHONPATH, which would put the
    repository's package ahead of the installed one."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def main() -> int:
    """Run the whole check, printing each step's time; 0 when everything passed."""
    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"wheel check: {message} ({time.perf_counter() - started:.1f} s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="wheel-check-") as folder:
        scratch = Path(folder)
        try:
            wheel = build_wheel(scratch / "dist")
            step(f"built {wheel.name}")
            missing, foreign = missing_from_wheel(wheel), foreign_in_wheel(wheel)
            if missing or foreign:
                raise WheelCheckFailed(f"the wheel lacks {missing}; it carries {foreign} too")
            step("prompts, templates and py.typed are in it")
            bin_dir = install_in_new_virtualenv(wheel, scratch / "venv")
            step("installed in a new virtualenv with its dependencies")
            run_folder = scratch / "run"
            run_folder.mkdir()
            briefing = brief_from_installed(bin_dir, run_folder)
        except WheelCheckFailed as failure:
            print(f"wheel check FAILED: {failure}", file=sys.stderr)
            return 1
        step(
            f"briefed from it: {len(briefing.sources)} sources, {len(briefing.claims)} claims, "
            f"{briefing.stats.llm_calls} model calls answered by the replay stub"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
