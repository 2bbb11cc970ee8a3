"""The embedded server's grammar fix: a constant holding quotes and backslashes must parse.

Our chunk schemas no longer pin sentences as constants, but any enum or constant with
quoted speech or a backslash used to kill the server; the fix stays, and so does its test.

Needs the embedded runtime (`cited-briefing[embedded]`); CI runs it after installing it.
"""

from __future__ import annotations

import pytest

llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")

from summarizer.extraction.drafts import response_model_for  # noqa: E402
from summarizer.runtime.adapters.llama_cpp_internals import (  # noqa: E402
    escape_backslashes_in_grammar_literals,
)
from summarizer.text.sentences import split_sentences  # noqa: E402

QUOTED = '"We are deeply sorry," the spokesperson said. A path C:\\temp was named on Monday.'


def _grammar(schema: dict[str, object]) -> str:
    escape_backslashes_in_grammar_literals()
    converter = llama_grammar.SchemaConverter(
        prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    converter.visit(converter.resolve_refs(schema, ""), "")
    return str(converter.format_grammar())


def test_a_constant_with_quotes_and_backslashes_gives_a_valid_grammar() -> None:
    grammar = _grammar(
        {"type": "object", "properties": {"q": {"const": QUOTED}}, "required": ["q"]}
    )

    assert '\\\\\\"We are deeply sorry,\\\\\\"' in grammar
    llama_grammar.LlamaGrammar.from_string(grammar, verbose=False)


def test_chunk_schemas_give_a_valid_grammar() -> None:
    schema = response_model_for(split_sentences(QUOTED + " Officials said 300 homes flooded."))
    grammar = _grammar(schema.model_json_schema())

    llama_grammar.LlamaGrammar.from_string(grammar, verbose=False)
