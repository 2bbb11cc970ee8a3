"""An article that yields nothing is a failure with its reason, never a source with 0 claims;
an endpoint that refuses part-way keeps what finished."""

from __future__ import annotations

import pytest

from summarizer.errors import ProviderError
from tests.test_llm_faults import FakeEndpoint, _answer, _completion, _settings, _status
from tests.test_progress_events import FIRE, FLOOD, _run


def test_an_article_whose_every_answer_is_invalid_fails_with_the_reason() -> None:
    invalid = _answer(FLOOD)
    for entry in invalid.values():
        entry["stance"] = "sure"  # not a stance the schema allows
    endpoint = FakeEndpoint(
        [_completion(invalid), _completion(invalid), _completion(_answer(FIRE))]
    )

    briefing, _ = _run(endpoint, [FLOOD, FIRE])

    assert len(briefing.sources) == 1  # the fire; the flood is not a silent empty source
    [failure] = briefing.stats.failures
    assert failure.message.startswith("no usable answer (")
    assert "still invalid after re-asks" in failure.message


def test_text_without_a_sentence_fails_without_asking_the_model() -> None:
    endpoint = FakeEndpoint([_completion(_answer(FIRE))])

    briefing, _ = _run(endpoint, ["Breaking news.", FIRE])

    assert len(briefing.sources) == 1
    [failure] = briefing.stats.failures
    assert failure.message == "no sentence to read (none of three or more words)"
    assert len(endpoint.requests) == 1  # only the fire's


def test_text_that_is_not_prose_is_refused_as_input_in_one_line() -> None:
    endpoint = FakeEndpoint([_completion(_answer(FIRE))])

    briefing, _ = _run(endpoint, ["\x01\x02 \x03\x04 ### ++ 12 34", FIRE])

    assert len(briefing.sources) == 1
    [failure] = briefing.stats.failures
    assert "not an article's text (no letters)" in failure.message
    assert len(endpoint.requests) == 1


QUAKE = "The agency said 40 houses cracked on Friday. The tremor lasted ten seconds."


def test_a_refusal_part_way_keeps_the_articles_that_finished() -> None:
    # One request at a time (the default here): the flood is briefed, the fire is refused,
    # and the quake is never asked about once the key was refused.
    refused = _status(401, message="invalid api key")
    endpoint = FakeEndpoint([_completion(_answer(FLOOD)), refused])

    briefing, _ = _run(endpoint, [FLOOD, FIRE, QUAKE])

    assert len(briefing.sources) == 1
    assert briefing.stats.refused_by_endpoint is not None
    assert "invalid api key" in briefing.stats.refused_by_endpoint
    fire, quake = briefing.stats.failures
    assert "invalid api key" in fire.message
    assert quake.message.startswith("not briefed: ")
    assert len(endpoint.requests) == 2


def test_a_refusal_before_anything_was_briefed_is_the_runs_error() -> None:
    endpoint = FakeEndpoint([_status(401, message="invalid api key")])

    with pytest.raises(ProviderError, match="invalid api key"):
        _run(endpoint, [FLOOD, FIRE])
    assert len(endpoint.requests) == 1


def test_an_article_over_the_size_cap_is_a_failure_naming_the_flag_and_is_never_sent() -> None:
    endpoint = FakeEndpoint([_completion(_answer(FIRE))])
    long_text = "The river rose quickly again. " * 40  # 1,200 characters

    briefing, _ = _run(endpoint, [long_text, FIRE], _settings(max_article_chars=1000))

    assert len(briefing.sources) == 1
    [failure] = briefing.stats.failures
    assert failure.message.startswith("1,199 characters, over the cap of 1,000 per article")
    assert "--max-article-chars" in failure.message
    assert len(endpoint.requests) == 1  # only the fire's
