"""The embedded server's grammar fix: quoted speech pinned as a constant must still parse.

Needs the embedded runtime (`summarizer[embedded]`); CI runs it after installing it.
"""

from __future__ import annotations

import pytest

llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")

from summarizer.drafts import response_model_for  # noqa: E402
from summarizer.llama_server import _fix_grammar_literal_escaping  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402


def test_sentences_with_quotes_and_backslashes_give_a_valid_grammar() -> None:
    _fix_grammar_literal_escaping()
    text = '"We are deeply sorry," the spokesperson said. A path C:\\temp was named on Monday.'
    schema = response_model_for(split_sentences(text)).model_json_schema()
    converter = llama_grammar.SchemaConverter(
        prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    converter.visit(converter.resolve_refs(schema, ""), "")
    grammar = converter.format_grammar()

    assert '\\\\\\"We are deeply sorry,\\\\\\"' in grammar
    llama_grammar.LlamaGrammar.from_string(grammar, verbose=False)
