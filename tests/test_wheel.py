"""The wheel carries what an installed summarizer reads: the prompts, the HTML report's
templates and `py.typed`, and nothing but the package.

Building it takes seconds (pip fetches the build backend from the index it is configured
with); installing it with its dependencies into a new virtualenv and briefing from there
takes about a minute, so that part is `python -m tests.support.wheel_check`, run by CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.wheel_check import build_wheel, foreign_in_wheel, missing_from_wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


def test_the_wheel_carries_the_prompts_the_templates_and_py_typed(wheel: Path) -> None:
    assert missing_from_wheel(wheel) == []


def test_the_wheel_carries_nothing_but_the_package(wheel: Path) -> None:
    assert foreign_in_wheel(wheel) == []
