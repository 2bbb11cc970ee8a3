"""Jump-forward decoding's parts that need no model: its switch, its log line, and the
forced text cut at a whole character. tests/test_llama_sampling.py runs it on the model,
tests/test_adapter_llama_cpp.py probes a grammar for forced text."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp")

from summarizer.runtime.adapters.llama_cpp_internals import BatchedDecoding
from summarizer.runtime.jump_forward import (
    _whole_characters,
    jump_forward_enabled,
    log_line,
    parse_log_line,
)


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
