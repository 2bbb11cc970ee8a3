"""An article that yields nothing is a failure with its reason, never a source with 0 claims."""

from __future__ import annotations

from tests.test_llm_faults import FakeEndpoint, _answer, _completion
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
