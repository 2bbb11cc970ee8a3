"""Jump-forward decoding's parts that need no model: its switch, its log line, the forced
text cut at a whole character, and what is drafted where the grammar stops forcing (a
scripted grammar and tokenizer). tests/test_llama_sampling.py runs it on the model,
tests/test_adapter_llama_cpp.py probes a grammar for forced text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

pytest.importorskip("llama_cpp")

from summarizer.runtime.adapters.llama_cpp_internals import BatchedDecoding, ByteGuess
from summarizer.runtime.jump_forward import (
    ForcedRuns,
    _whole_characters,
    jump_forward_enabled,
    log_line,
    parse_log_line,
)
from summarizer.runtime.llama_sampling import GrammarLastGreedy

_LETTERS = frozenset(range(ord("a"), ord("z") + 1))


class _Tokenizer:
    """Words with their leading space, and punctuation runs, as tokens; `[{"` is one."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def tokenize(self, text: bytes, **_: Any) -> list[int]:
        pieces = re.findall(rb' ?\[\{"| ?[A-Za-z]+| ?[^A-Za-z ]+| ', text)
        assert b"".join(pieces) == text
        return [self._id(piece) for piece in pieces]

    def detokenize(self, tokens: Sequence[int]) -> bytes:
        return b"".join(self._pieces[token] for token in tokens)

    def _id(self, piece: bytes) -> int:
        if piece not in self._pieces:
            self._pieces.append(piece)
        return self._pieces.index(piece)


class _ScriptedGrammar:
    """Forces `text` byte by byte, offering a space before the bytes at `spaces_at`, then
    offers `choices`."""

    def __init__(self, text: bytes, choices: frozenset[int], spaces_at: Sequence[int] = ()) -> None:
        self._text = text
        self._choices = choices
        self._spaces_at = set(spaces_at)

    def forced_bytes(
        self,
        tokens_of_bytes: npt.NDArray[np.int32],
        limit: int,
        *,
        guess: ByteGuess | None = None,
    ) -> bytes:
        assert guess is not None
        found = bytearray()
        for index, byte in enumerate(self._text):
            if index in self._spaces_at:
                assert guess(bytes(found), np.array(sorted({32, byte}))) == 32
                found.append(32)
            found.append(byte)
        guess(bytes(found), np.array(sorted(self._choices)))
        return bytes(found)


def _drafted(written: bytes, grammar: _ScriptedGrammar) -> bytes:
    tokenizer = _Tokenizer()
    sampler = GrammarLastGreedy(
        grammar=grammar,  # type: ignore[arg-type]
        n_vocab=1,
        last_n=0,
        repeat=1.0,
        frequency=0.0,
        presence=0.0,
    )
    context = np.array(tokenizer.tokenize(written), dtype=np.intc)
    runs = ForcedRuns(tokenizer, np.zeros(256, dtype=np.int32))  # type: ignore[arg-type]
    return tokenizer.detokenize(runs.draft(sampler, context, room=100))


def test_forced_text_before_a_free_string_is_drafted_whole() -> None:
    grammar = _ScriptedGrammar(b'","claimant":"', _LETTERS | {ord('"')}, spaces_at=[2, 13])

    assert _drafted(b'"opening": "Mayor said', grammar) == b'", "claimant": "'


def test_the_last_forced_token_before_a_bracket_is_left_to_the_model() -> None:
    # The model writes ` [{"` or ` []` as one token; a drafted ` [` would split it.
    grammar = _ScriptedGrammar(b'","events":[', frozenset(b" {]"), spaces_at=[2, 11])

    assert _drafted(b'"stance": "asserted', grammar) == b'", "events":'


def test_jump_forward_is_on_unless_turned_off() -> None:
    assert jump_forward_enabled({})
    assert jump_forward_enabled({"SUMMARIZER_JUMP_FORWARD": "on"})
    for off in ("off", "0", "false", "NO", " off "):
        assert not jump_forward_enabled({"SUMMARIZER_JUMP_FORWARD": off})


def test_the_log_line_reads_back() -> None:
    decoding = BatchedDecoding(tokens=300, accepted=200, proposed=220, batches=30)

    assert parse_log_line(log_line(decoding)) == decoding
    assert decoding.one_at_a_time == 100
    assert parse_log_line("llama_perf_context_print: eval time = 1 ms") is None


def test_forced_text_ends_on_a_whole_character() -> None:
    assert _whole_characters(b"") == b""
    assert _whole_characters(b"caf\xc3\xa9") == b"caf\xc3\xa9"
    assert _whole_characters(b"caf\xc3") == b"caf"
    assert _whole_characters(b"\xe2\x80") == b""
    assert _whole_characters(b"a\xe2\x80\x99") == b"a\xe2\x80\x99"
