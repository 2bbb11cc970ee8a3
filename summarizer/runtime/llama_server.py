"""Run llama-cpp-python's OpenAI-compatible server, with four changes.

Grammar-last greedy sampling (summarizer/runtime/llama_sampling.py) replaces the sampler chain
for grammar-constrained requests at temperature 0: the same tokens, without testing the
whole vocabulary against the grammar on every token.

Jump-forward decoding (summarizer/runtime/jump_forward.py): text the grammar forces is
evaluated in one batch after the sampled token and written without sampling, so greedy
requests get the same text in fewer forward passes. `SUMMARIZER_JUMP_FORWARD=off` in the
server's environment turns it off.

Grammar escaping:
llama-cpp-python 0.3.36 turns a JSON Schema into a GBNF grammar but escapes only `"`,
CR and LF in literals, not the backslash. A constant that contains a double quote
(any sentence with quoted speech, pinned as an entry's `quote`) becomes `\\"` inside the
literal, the grammar fails to parse, and the server process dies. Upstream llama.cpp
escapes the backslash too; this applies the same rule before the server starts.

Strings without control characters: 0.3.36's grammar lets a JSON string hold any character
but `"` and `\\`, so the model could write a line break inside a value (seen: the
examples' first chunk, `"counted": "]}` and a newline), the answer was invalid JSON, and the
request was asked again with the whole answer in its prompt: about 2,400 prompt and 1,500
output tokens more, two minutes of the examples' briefing. Upstream llama.cpp leaves
`\\x00-\\x1f` and `\\x7f` out of a string's characters; so does this.

All four reach into llama-cpp-python through `adapters.llama_cpp_internals`, whose import checks
that the installed release is the one they are written for.

Usage (as `EmbeddedServer` launches it): python -m summarizer.runtime.llama_server --model ...
"""

from __future__ import annotations

import os
from collections.abc import Callable

from summarizer.runtime.adapters.llama_cpp_internals import (
    GrammarFilter,
    Sampler,
    SamplerRequest,
    decode_forced_tokens_in_batches,
    escape_backslashes_in_grammar_literals,
    no_control_characters_in_grammar_strings,
    replace_sampler,
    run_server,
)
from summarizer.runtime.jump_forward import JumpForward, jump_forward_enabled
from summarizer.runtime.llama_sampling import GrammarLastGreedy


def _sample_grammar_last() -> Callable[[], None]:
    """Serve greedy grammar-constrained requests with `GrammarLastGreedy`; returns the undo."""
    return replace_sampler(_grammar_last_greedy)


def _grammar_last_greedy(request: SamplerRequest) -> Sampler | None:
    if request.grammar is None or request.temperature != 0.0 or request.has_logits_processor:
        return None
    return GrammarLastGreedy(
        grammar=GrammarFilter(request.llama, request.grammar, request.n_vocab),
        n_vocab=request.n_vocab,
        last_n=request.last_n,
        repeat=request.repeat_penalty,
        frequency=request.frequency_penalty,
        presence=request.presence_penalty,
    )


def _jump_forward() -> Callable[[], None]:
    """Decode the text greedy grammar requests are forced to write in batches; returns the undo."""
    return decode_forced_tokens_in_batches(JumpForward())


def main() -> None:
    escape_backslashes_in_grammar_literals()
    no_control_characters_in_grammar_strings()
    _sample_grammar_last()
    if jump_forward_enabled(os.environ):
        _jump_forward()
    run_server()


if __name__ == "__main__":
    main()
