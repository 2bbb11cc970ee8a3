"""Jump-forward decoding: text the grammar forces is evaluated in one batch, not token by token.

Under a schema's grammar much of an answer has no alternative: every key, quote mark, brace
and comma, and each entry's pinned opening (the sentence's first words). Decoded one
forward pass each they cost what free choices cost; in one batch, less per token (SGLang's
compressed finite-state machines, LMSYS 2024, do the same for JSON). On 2 cores a short
batch is far from prompt speed, though (docs/performance.md).

After each sampled token, the grammar is probed byte by byte (a copy of it; 256 one-byte
tokens per step, asked in one call) for as long as it admits exactly one next byte. That
text, tokenized once, is evaluated in the same batch as the sampled token and written as
it is (`adapters.llama_cpp_internals`): only the batch's last position gets logits, for the
next free choice. The text is the grammar's, so it is what one token at a time would
write. Its tokens could split it otherwise than the model would: when the sampler checked
every forced token, 3% were not its pick, nearly all a bracket the model writes together
with the choice after it (` [{"`, ` []`), so a run that stops before such a choice leaves
its last token to the model. Where the grammar leaves a space open after `:` or `,`, the
run goes on with the space the model writes there; JSON reads the same either way. A
batch's logits are not bit for bit those of one token at a time, either, so a near tie in
free text may go the other way (docs/performance.md).

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
# Longest forced text looked up at once; a run of keys and an opening is rarely longer. The rest, if
# any, is drafted after the next sampled token.
MAX_FORCED_BYTES = 1024
# JSON from a schema's grammar allows an optional space around every `:`, `,` and bracket;
# the model writes one after `:` and `,` only (`{"key": "value", "next": [...]}`), so a run
# goes on through each such choice as the model makes it (whitespace: the entries are the
# same either way).
_SPACE = ord(" ")
_SPACED = (b":", b",")
# The bytes of JSON's structure between values.
_PUNCTUATION = frozenset(b' {}[],:"')
_OFF = frozenset({"0", "off", "false", "no"})


def jump_forward_enabled(environment: Mapping[str, str]) -> bool:
    """Whether `environment` leaves jump-forward decoding on (the default)."""
    return environment.get(JUMP_FORWARD_ENV, "on").strip().lower() not in _OFF


class ForcedRuns:
    """Drafts the grammar's forced text after each token (a `Drafter`)."""

    def __init__(self, llama: Llama, tokens_of_bytes: npt.NDArray[np.int32]) -> None:
        self._llama = llama
        self._tokens_of_bytes = tokens_of_bytes

    def draft(self, sampler: Any, context: npt.NDArray[np.intc], room: int) -> list[int]:
        if not isinstance(sampler, GrammarLastGreedy) or not len(context):
            return []
        written = self._llama.detokenize([int(context[-1])])
        stopped_at: list[npt.NDArray[np.intp]] = []

        def spaced_as_the_model_writes(found: bytes, allowed: npt.NDArray[np.intp]) -> int | None:
            if len(allowed) == 2 and _SPACE in allowed:
                if (written + found)[-1:] in _SPACED:
                    return _SPACE
                return int(allowed[0] if allowed[1] == _SPACE else allowed[1])
            stopped_at.append(allowed)
            return None

        forced = _whole_characters(
            sampler.forced_bytes(
                self._tokens_of_bytes, MAX_FORCED_BYTES, guess=spaced_as_the_model_writes
            )
        )
        if not forced:
            return []
        tokens = [
            int(token) for token in self._llama.tokenize(forced, add_bos=False, special=False)
        ]
        if stopped_at and _PUNCTUATION.issuperset(int(byte) for byte in stopped_at[-1]):
            # Before a choice of brackets the model writes one token over both sides (` [{"`,
            # ` []`, `"},`): its last forced token is left for the model to write.
            tokens = tokens[:-1]
        return tokens[:room]

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
