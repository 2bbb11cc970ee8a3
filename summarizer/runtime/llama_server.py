"""Run llama-cpp-python's OpenAI-compatible server, with two fixes.

Grammar-last greedy sampling (summarizer/runtime/llama_sampling.py) replaces the sampler chain
for grammar-constrained requests at temperature 0: the same tokens, without testing the
whole vocabulary against the grammar on every token.

Grammar escaping:
llama-cpp-python 0.3.36 turns a JSON Schema into a GBNF grammar but escapes only `"`,
CR and LF in literals, not the backslash. A constant that contains a double quote
(any sentence with quoted speech, pinned as an entry's `quote`) becomes `\\"` inside the
literal, the grammar fails to parse, and the server process dies. Upstream llama.cpp
escapes the backslash too; this applies the same rule before the server starts.

Usage (as `EmbeddedServer` launches it): python -m summarizer.runtime.llama_server --model ...
"""

from __future__ import annotations

import re
from typing import Any


def _fix_grammar_literal_escaping() -> None:
    from llama_cpp import llama_grammar

    llama_grammar.GRAMMAR_LITERAL_ESCAPE_RE = re.compile(r'[\r\n"\\]')
    llama_grammar.GRAMMAR_LITERAL_ESCAPES = {
        **llama_grammar.GRAMMAR_LITERAL_ESCAPES,
        "\\": "\\\\",
    }


def _sample_grammar_last() -> None:
    """Serve greedy grammar-constrained requests with `GrammarLastGreedy`."""
    from llama_cpp import _internals
    from llama_cpp import llama_cpp as lib
    from llama_cpp.llama import Llama

    from summarizer.runtime.llama_sampling import GrammarLastGreedy

    stock = Llama._init_sampler

    def init_sampler(self: Llama, **options: Any) -> Any:
        grammar = options.get("grammar")
        if grammar is None or options.get("temp") != 0.0 or options.get("logits_processor"):
            return stock(self, **options)
        chain = _internals.LlamaSampler()  # type: ignore[no-untyped-call]
        chain.add_grammar(self._model, grammar)
        return GrammarLastGreedy(
            llama_cpp=lib,
            grammar_chain=chain,
            n_vocab=self._n_vocab,
            last_n=self.last_n_tokens_size,
            repeat=options.get("repeat_penalty", 1.0),
            frequency=options.get("frequency_penalty", 0.0),
            presence=options.get("presence_penalty", 0.0),
        )

    Llama._init_sampler = init_sampler  # type: ignore[method-assign,assignment]


def main() -> None:
    _fix_grammar_literal_escaping()
    _sample_grammar_last()
    from llama_cpp.server import __main__ as server

    server.main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
