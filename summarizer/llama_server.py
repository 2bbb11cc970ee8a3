"""Run llama-cpp-python's OpenAI-compatible server, with its grammar escaping fixed.

llama-cpp-python 0.3.36 turns a JSON Schema into a GBNF grammar but escapes only `"`,
CR and LF in literals, not the backslash. A constant that contains a double quote
(any sentence with quoted speech, pinned as an entry's `quote`) becomes `\\"` inside the
literal, the grammar fails to parse, and the server process dies. Upstream llama.cpp
escapes the backslash too; this applies the same rule before the server starts.

Usage (as `EmbeddedServer` launches it): python -m summarizer.llama_server --model ...
"""

from __future__ import annotations

import re


def _fix_grammar_literal_escaping() -> None:
    from llama_cpp import llama_grammar

    llama_grammar.GRAMMAR_LITERAL_ESCAPE_RE = re.compile(r'[\r\n"\\]')
    llama_grammar.GRAMMAR_LITERAL_ESCAPES = {
        **llama_grammar.GRAMMAR_LITERAL_ESCAPES,
        "\\": "\\\\",
    }


def main() -> None:
    _fix_grammar_literal_escaping()
    from llama_cpp.server import __main__ as server

    server.main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
