"""Grammar-last greedy sampling writes exactly what llama-cpp-python's own chain writes, and
jump-forward decoding writes the same entries as decoding one token at a time.

Runs the embedded model on the same chunk request (a real chunk schema, turned into a
grammar by llama-cpp-python as the server does): with the stock sampler chain, with
`GrammarLastGreedy`, and with `GrammarLastGreedy` and jump-forward decoding. Needs the
embedded runtime and weights (`cited-briefing[embedded]`); CI runs it after `make smoke`
has installed them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

llama_module = pytest.importorskip("llama_cpp.llama")

from summarizer.extraction.drafts import response_model_for  # noqa: E402
from summarizer.extraction.extract import build_messages  # noqa: E402
from summarizer.inputs.ingest import article_from_text  # noqa: E402
from summarizer.runtime.adapters.llama_cpp_internals import (  # noqa: E402
    GrammarFilter,
    escape_backslashes_in_grammar_literals,
    no_control_characters_in_grammar_strings,
)
from summarizer.runtime.jump_forward import parse_log_line  # noqa: E402
from summarizer.runtime.llama_server import _jump_forward, _sample_grammar_last  # noqa: E402
from summarizer.runtime.weights import ensure_embedded_weights  # noqa: E402
from summarizer.text.sentences import split_sentences  # noqa: E402

# The project's own example prose (examples/articles/02), with a figure and a quote.
ARTICLE = (
    "Brannock Chemical Works gave its first estimate of the size of Monday's spill on "
    "Tuesday. Company spokesperson Daniel Pryce said about 20 tonnes of hydrochloric acid "
    'leaked from the tank. "We are deeply sorry for the loss of our two colleagues," '
    "Daniel Pryce said."
)


@pytest.fixture(scope="module")
def llama() -> Iterator[Any]:
    escape_backslashes_in_grammar_literals()
    no_control_characters_in_grammar_strings()
    model = llama_module.Llama(
        model_path=str(ensure_embedded_weights()), n_ctx=4096, n_threads=2, verbose=False
    )
    yield model
    model.close()


def _answer(llama: Any) -> str:
    # From an empty context: when the prompt is still cached, llama-cpp-python evaluates its
    # last token again on its own, and those logits differ in the last bits from the batched
    # ones, enough to part greedy answers at a near tie (seen: the stock chain run twice on
    # one Llama wrote two different answers). The samplers are compared, not the batches.
    llama.reset()
    article = article_from_text(ARTICLE, published=dt.date(2026, 3, 3))
    sentences = split_sentences(article.text)
    schema = response_model_for(sentences).model_json_schema()
    messages = build_messages(article, sentences)
    result = llama.create_chat_completion(
        messages=messages,
        response_format={"type": "json_object", "schema": schema},
        temperature=0.0,
        max_tokens=400,
    )
    content: str = result["choices"][0]["message"]["content"]
    return content


def test_grammar_last_sampling_writes_the_same_answer(llama: Any) -> None:
    stock = _answer(llama)
    restore = _sample_grammar_last()
    try:
        grammar_last = _answer(llama)
        used = type(llama._sampler).__name__
    finally:
        restore()

    assert used == "GrammarLastGreedy"
    assert grammar_last == stock
    assert '"opening": "Company spokesperson Daniel Pryce said' in stock


def test_jump_forward_writes_the_same_entries(
    llama: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    restore_sampler = _sample_grammar_last()
    try:
        one_at_a_time = json.loads(_answer(llama))
        restore_jump_forward = _jump_forward()
        try:
            jumping = json.loads(_answer(llama))
        finally:
            restore_jump_forward()
    finally:
        restore_sampler()

    logged = [parse_log_line(line) for line in capsys.readouterr().err.splitlines()]
    decodings = [decoding for decoding in logged if decoding is not None]
    assert len(decodings) == 1
    # The keys, the punctuation and the pinned openings: most of the answer.
    assert decodings[0].accepted > decodings[0].tokens / 2
    # Forced text is the grammar's either way, but a batch's logits are not bit for bit
    # those of one token at a time (llama.cpp's CPU kernels; measured up to 0.6 apart), and
    # forced tokens may split the text otherwise than the model would, so a near tie in free
    # text may go the other way (seen on this chunk when whole sentences were pinned:
    # "counted" of s3, one value). What the grammar fixes is asserted: the same entries,
    # with the same fields, each opening the same sentence. The free values are reported.
    assert jumping.keys() == one_at_a_time.keys()
    fields = [(key, field) for key, entry in one_at_a_time.items() for field in entry]
    assert fields == [(key, field) for key, entry in jumping.items() for field in entry]
    openings = [e["opening"] for e in one_at_a_time.values()]
    assert [e["opening"] for e in jumping.values()] == openings
    differing = [
        (key, field) for key, field in fields if jumping[key][field] != one_at_a_time[key][field]
    ]
    print(f"free values that differ with jump-forward: {differing}")


def test_a_json_string_admits_no_line_break(llama: Any) -> None:
    grammar = llama_module.LlamaGrammar.from_json_schema(
        json.dumps({"type": "object", "properties": {"v": {"type": "string"}}, "required": ["v"]}),
        verbose=False,
    )
    allowed = GrammarFilter(llama, grammar, llama.n_vocab())
    for token in llama.tokenize(b'{"v": "a', add_bos=False, special=False):
        assert allowed.allows(token, 0.0)
        allowed.accept(token)

    (line_break,) = llama.tokenize(b"\n", add_bos=False, special=False)
    (tab,) = llama.tokenize(b"\t", add_bos=False, special=False)
    (letter,) = llama.tokenize(b"b", add_bos=False, special=False)
    assert not allowed.allows(line_break, 0.0)
    assert not allowed.allows(tab, 0.0)
    assert allowed.allows(letter, 0.0)
