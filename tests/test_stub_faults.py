"""The OpenAI stub's injected faults (summarizer/testing/faults.py): each kind as it is
served on the wire, scripted by marker, at random from a seed, and counted."""

from __future__ import annotations

import http.client
import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from summarizer.extraction.drafts import response_model_for
from summarizer.testing.faults import (
    ANSWER_FAULTS,
    INVENTED_WORDS,
    FaultKind,
    FaultPlan,
    FaultRule,
)
from summarizer.testing.stub import StubServer, stub_process
from summarizer.text.sentences import split_sentences

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

CHUNK = "The Velmar council said the river is clean. Officials disagreed with the council."
STATUS = {
    FaultKind.RATE_LIMIT: 429,
    FaultKind.RATE_LIMIT_DATE: 429,
    FaultKind.SERVER_ERROR: 503,
    FaultKind.CONTEXT_EXCEEDED: 400,
    FaultKind.UNAUTHORIZED: 401,
    FaultKind.FORBIDDEN: 403,
    FaultKind.NOT_FOUND: 404,
}


def _body(text: str = CHUNK) -> bytes:
    schema = response_model_for(split_sentences(text)).model_json_schema()
    return json.dumps(
        {
            "model": "any",
            "messages": [
                {"role": "system", "content": "Extract the facts."},
                {"role": "user", "content": text},
            ],
            "response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
        }
    ).encode()


def _post(base_url: str, text: str = CHUNK) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed body) of one chat request on a connection of its own."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
    try:
        connection.request(
            "POST",
            f"{address.path}/chat/completions",
            body=_body(text),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, dict(response.headers), json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("kind", sorted(STATUS))
def test_an_error_fault_answers_its_status_in_openai_shape(kind: FaultKind) -> None:
    plan = FaultPlan(rules=[FaultRule("Velmar", then=kind)])
    with StubServer(latency=0, faults=plan) as stub:
        status, headers, body = _post(stub.base_url)

    assert status == STATUS[kind]
    assert body["error"]["message"]
    if status == 429:
        assert headers["Retry-After"]
    if kind is FaultKind.CONTEXT_EXCEEDED:
        assert body["error"]["code"] == "context_length_exceeded"


@pytest.mark.parametrize("kind", [FaultKind.RESET, FaultKind.HANG])
def test_a_dropped_request_gets_no_answer(kind: FaultKind) -> None:
    plan = FaultPlan(rules=[FaultRule("Velmar", then=kind)], hang_seconds=0.1)
    with (
        StubServer(latency=0, faults=plan) as stub,
        pytest.raises((ConnectionError, http.client.HTTPException)),
    ):
        _post(stub.base_url)


@pytest.mark.parametrize("kind", sorted(ANSWER_FAULTS))
def test_an_answer_fault_spoils_the_answer(kind: FaultKind) -> None:
    model = response_model_for(split_sentences(CHUNK))
    plan = FaultPlan(rules=[FaultRule("Velmar", (kind,))])
    with StubServer(latency=0, faults=plan) as stub:
        _, _, spoiled = _post(stub.base_url)
        _, _, healthy = _post(stub.base_url)

    [choice] = spoiled["choices"]
    content = choice["message"]["content"]
    assert choice["finish_reason"] == ("length" if kind is FaultKind.LENGTH else "stop")
    if kind is FaultKind.INVENTED:
        facts = model.model_validate_json(content).model_dump()
        assert facts["s1"]["claimant"] == INVENTED_WORDS["claimant"]
    else:
        with pytest.raises(ValueError):
            model.model_validate_json(content)
    # The rule's one fault is spent: the next request is answered well.
    model.model_validate_json(healthy["choices"][0]["message"]["content"])


def test_random_faults_repeat_with_their_seed_and_are_counted() -> None:
    def run() -> tuple[list[int], dict[str, int]]:
        plan = FaultPlan(rate=0.5, seed=3, kinds=(FaultKind.SERVER_ERROR, FaultKind.UNAUTHORIZED))
        with StubServer(latency=0, faults=plan) as stub:
            statuses = [_post(stub.base_url)[0] for _ in range(20)]
            return statuses, stub.fault_stats()["injected"]

    statuses, injected = run()

    assert run() == (statuses, injected)
    assert 0 < statuses.count(200) < 20
    assert injected == {
        "server_error": statuses.count(503),
        "unauthorized": statuses.count(401),
    }


def test_the_stub_process_injects_random_faults_and_counts_requests_by_tag() -> None:
    with stub_process(
        latency=0,
        fault_rate=1.0,
        fault_kinds=[FaultKind.SERVER_ERROR],
        tag_pattern=r"Velmar|Ostby",
    ) as base_url:
        statuses = [_post(base_url, text)[0] for text in (CHUNK, CHUNK, "Ostby is quiet today.")]
        root = base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/stats/faults", timeout=5) as response:
            tally = json.loads(response.read())

    assert statuses == [503, 503, 503]
    assert tally == {
        "injected": {"server_error": 3},
        "requests_by_tag": {"Ostby": 1, "Velmar": 2},
        "answered_by_tag": {},
    }


def test_a_prompt_refused_as_too_long_is_refused_again_and_its_halves_are_not() -> None:
    plan = FaultPlan(rules=[FaultRule("Velmar", (FaultKind.CONTEXT_EXCEEDED,))])
    with StubServer(latency=0, faults=plan, tag_pattern="Velmar|Ostby") as stub:
        statuses = [_post(stub.base_url, text)[0] for text in (CHUNK, CHUNK, "Velmar sleeps.")]
        tally = stub.fault_stats()

    assert statuses == [400, 400, 200]
    assert tally == {
        "injected": {"context_exceeded": 2},
        "requests_by_tag": {"Velmar": 3},
        "answered_by_tag": {"Velmar": 1},
    }
