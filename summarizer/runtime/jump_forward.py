"""Jump-forward decoding: text the grammar forces is evaluated in one batch, not token by token.

Under a schema's grammar much of an answer has no alternative: every key, quote mark, brace
and comma, and each entry's pinned sentence (about 22 tokens per claim). Decoded one
forward pass each they cost what free choices cost; in one batch, less per token (SGLang's
compressed finite-state machines, LMSYS 2024, do the same for JSON). On 2 cores a short
batch is far from prompt speed, though: 8 tokens cost about 7 one-token passes, 64 about 25
(docs/performance.md), so what a run saves grows with its length.

After each sampled token, the grammar is probed byte by byte (a copy of it; 256 one-byte
tokens per step, asked in one call) for as long as it admits exactly one next byte. That
text is tokenized once and appended: the sampler returns its tokens at their positions
(`GrammarLastGreedy.force`) and the model is asked only at the batch's last position, where
it has a choice again. The forced text is the text one-at-a-time decoding writes there; its
tokens need not be the ones the model would have picked (the tokenizer writes `":"` as one
token where the model may write `":` and `"`), and a batch's logits are not bit for bit
those of one token at a time, so free values that follow may differ (measured in
docs/performance.md). Grammars are compact JSON (`compact_json_in_grammars`), so no space is
left to guess.

Each generation writes one line to the server's log (`JUMP_FORWARD_LOG_PREFIX`), which the
benchmark reads. `SUMMARIZER_JUMP_FORWARD=off` in the server's environment turns it off.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from summarizer.runtime.adapters.llama_cpp_internals import (
    BatchedDecoding,
    Drafter,
    Llama,
    byte_tokens,
)
from summarizer.runtime.embedded_server import JUMP_FORWARD_ENV
from summarizer.runtime.llama_sampling import GrammarLastGreedy

JUMP_FORWARD_LOG_PREFIX = "jump-forward:"
# Longest forced text looked up at once; a pinned sentence is rarely longer. The rest, if
# any, is forced after the next sampled token.
MAX_FORCED_BYTES = 1024
_OFF = frozenset({"0", "off", "false", "no"})


def jump_forward_enabled(environment: Mapping[str, str]) -> bool:
    """Whether `environment` leaves jump-forward decoding on (the default)."""
    return environment.get(JUMP_FORWARD_ENV, "on").strip().lower() not in _OFF


class ForcedRuns:
    """Forces the grammar's forced text after each token (a `Drafter`)."""

    def __init__(self, llama: Llama, tokens_of_bytes: npt.NDArray[np.int32]) -> None:
        self._llama = llama
        self._tokens_of_bytes = tokens_of_bytes

    def draft(self, sampler: Any, context: npt.NDArray[np.intc], room: int) -> list[int]:
        if not isinstance(sampler, GrammarLastGreedy) or not len(context) or room < 1:
            return []
        forced = _whole_characters(sampler.forced_bytes(self._tokens_of_bytes, MAX_FORCED_BYTES))
        if not forced:
            return []
        tokens = self._llama.tokenize(forced, add_bos=False, special=False)
        # A run cut at `room` is forced as far as it goes; the rest comes after the next token.
        forced_tokens = [int(token) for token in tokens[:room]]
        sampler.force(forced_tokens)
        return forced_tokens

    def done(self, decoding: BatchedDecoding) -> None:
        print(log_line(decoding), file=sys.stderr, flush=True)


def log_line(decoding: BatchedDecoding) -> str:
    """The server log's line for one generation (`parse_log_line` reads it back)."""
    return (
        f"{JUMP_FORWARD_LOG_PREFIX} tokens={decoding.tokens} accepted={decoding.accepted} "
        f"proposed={decoding.proposed} batches={decoding.batches}"
    )


def parse_log_line(line: str) -> BatchedDecoding | None:
    """The counts of a `log_line`, or None for any other line."""
    if not line.startswith(JUMP_FORWARD_LOG_PREFIX):
        return None
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return BatchedDecoding(**{name: int(value) for name, value in fields.items()})


class JumpForward:
    """Chooses the drafter of each generation: forced runs for greedy grammar requests."""

    def __init__(self) -> None:
        self._tokens_of_bytes: dict[int, npt.NDArray[np.int32]] = {}

    def __call__(self, llama: Llama, options: dict[str, Any]) -> Drafter | None:
        if options.get("grammar") is None or options.get("temp") != 0.0:
            return None
        key = id(llama)
        if key not in self._tokens_of_bytes:
            self._tokens_of_bytes[key] = byte_tokens(llama)
        return ForcedRuns(llama, self._tokens_of_bytes[key])


def _whole_characters(forced: bytes) -> bytes:
    """`forced` without a trailing incomplete UTF-8 character (tokenized as one later)."""
    end = len(forced)
    for back in range(1, min(4, end) + 1):
        byte = forced[end - back]
        if byte & 0xC0 == 0x80:
            continue
        if byte & 0x80:
            needed = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4
            return forced if back >= needed else forced[: end - back]
        return forced
    return forced
