"""The instructor adapter: instructor's mode handlers as three calls, for instructor 1.17.0.

Its functions are run against the installed instructor; another version, faked, fails its
import with the one line that says what to install, and so does a run (as one line from
the CLI). (`import summarizer` imports no adapter: tests/test_adapter_versions.py.)
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError, field_validator

import summarizer.runtime.adapters
from summarizer.config import STRUCTURED_MODES, Settings
from summarizer.errors import DependencyVersionError
from summarizer.runtime.adapters import instructor_internals
from summarizer.runtime.llm import Deadline, StructuredLLM
from summarizer.runtime.usage import UsageMeter

MODULE = "summarizer.runtime.adapters.instructor_internals"
MESSAGES = [{"role": "user", "content": "Where did the spill happen?"}]
EXPECTED_LINE = (
    "instructor 1.18.0 is installed, but summarizer is written for 1.17.0 "
    "(hint: pip install 'instructor==1.17.0')"
)


class Place(BaseModel):
    city: str

    @field_validator("city")
    @classmethod
    def _named_in_the_article(cls, city: str) -> str:
        if city != "Ostervale":
            raise ValueError("not a city the article names")
        return city


def _completion(content: str, finish_reason: str = "stop") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": content},
                }
            ],
        }
    )


def _request(mode: Any) -> dict[str, Any]:
    return instructor_internals.prepare_request(mode, Place, {"model": "m", "messages": MESSAGES})


@pytest.mark.parametrize("mode", STRUCTURED_MODES)
def test_every_mode_prepares_a_request_that_carries_the_model(mode: Any) -> None:
    request = _request(mode)

    assert request["model"] == "m"
    assert request["messages"][-1] == MESSAGES[-1] or mode == "md_json"
    assert "city" in json.dumps(request)


def test_an_answer_is_parsed_and_validated() -> None:
    answer = instructor_internals.parse_answer(
        "json_schema", _completion('{"city": "Ostervale"}'), Place, None
    )

    assert answer.city == "Ostervale"


def test_an_invalid_answer_is_an_invalid_answer_error_and_its_reask_says_why() -> None:
    request = _request("json_schema")
    wrong = _completion('{"city": "Paris"}')
    with pytest.raises(instructor_internals.INVALID_ANSWER_ERRORS) as caught:
        instructor_internals.parse_answer("json_schema", wrong, Place, None)

    reask = instructor_internals.reask_request("json_schema", request, wrong, caught.value)

    assert isinstance(caught.value, ValidationError)
    assert reask["messages"][: len(MESSAGES)] == MESSAGES
    assert "not a city the article names" in json.dumps(reask["messages"][len(MESSAGES) :])


def test_an_answer_cut_at_the_token_limit_is_incomplete_output() -> None:
    with pytest.raises(instructor_internals.IncompleteOutput):
        instructor_internals.parse_answer(
            "json_schema", _completion('{"city": "Oste', finish_reason="length"), Place, None
        )


def _another_instructor(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "1.18.0" if name == "instructor" else real(name),
    )
    # Imported afresh, as by a process that had not imported it yet.
    monkeypatch.delitem(sys.modules, MODULE)
    monkeypatch.delattr(summarizer.runtime.adapters, "instructor_internals")


def test_another_instructor_fails_the_import_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _another_instructor(monkeypatch)

    with pytest.raises(DependencyVersionError) as caught:
        importlib.import_module(MODULE)

    assert str(caught.value) == EXPECTED_LINE


def test_another_instructor_fails_the_first_request_before_it_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _another_instructor(monkeypatch)

    async def no_client() -> Any:
        raise AssertionError("nothing should be sent")

    settings = Settings(
        base_url="http://127.0.0.1:9/v1", api_key="x", model="m", mode="json_schema"
    )
    llm = StructuredLLM(no_client, settings)
    request = llm.complete(
        messages=MESSAGES, response_model=Place, meter=UsageMeter(), deadline=Deadline(5.0)
    )
    with pytest.raises(DependencyVersionError, match=r"instructor 1\.18\.0 is installed"):
        asyncio.run(request)


# The CLI, run as a user runs it, with `importlib.metadata` answering 1.18.0 for instructor.
_ENDPOINT = ("--base-url", "http://127.0.0.1:9/v1", "--model", "m", "-q", "--no-cache")
_FAKED_RUN = """
import importlib.metadata, runpy, sys
real = importlib.metadata.version
importlib.metadata.version = lambda name: "1.18.0" if name == "instructor" else real(name)
sys.argv = ["summarizer", *sys.argv[1:]]
runpy.run_module("summarizer", run_name="__main__")
"""


def test_the_cli_reports_another_instructor_as_one_line_and_exit_2(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("The mayor said the river rose on Monday.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _FAKED_RUN, "brief", str(article), *_ENDPOINT],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "HOME": str(tmp_path), "SUMMARIZER_CONFIG": "/nonexistent/c.toml"},
        check=False,
    )

    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: {EXPECTED_LINE}\n"
