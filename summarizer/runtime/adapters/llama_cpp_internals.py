"""llama-cpp-python's internals, as the embedded server patches them and our sampler calls them.

- its JSON-Schema-to-grammar converter's table of escapes for literals and its rule for a
  string's characters (module globals);
- `Llama._init_sampler`, the hook that builds the sampler chain for each generation;
- a sampler chain holding only a grammar (`_internals.LlamaSampler`), asked through the raw
  C API (`llama_sampler_apply` and `llama_sampler_accept` over `llama_token_data_array`s),
  and the logits of the context (`llama_get_logits_ith`);
- `Llama.generate`, `Llama.eval` and `Llama.sample`, wrapped so that tokens that must
  follow (jump-forward decoding) are evaluated in the sampled token's batch and written
  without sampling;
- the server's entry point (`python -m llama_cpp.server`).

Written for llama-cpp-python 0.3.36 (the `embedded` extra pins it); checked when this module
is imported. Only the embedded runtime imports it (the server's own process, and tests), so
`import summarizer` neither loads llama.cpp's native library nor needs the extra.
"""

from __future__ import annotations

import ctypes
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from summarizer.runtime.adapters.versions import LLAMA_CPP_PYTHON

try:
    from llama_cpp import _internals, llama_grammar
    from llama_cpp import llama_cpp as lib
    from llama_cpp.llama import Llama
    from llama_cpp.llama_grammar import LlamaGrammar
except ImportError:
    # Moved in another release: say which release we need, not which name is missing.
    LLAMA_CPP_PYTHON.require()
    raise
LLAMA_CPP_PYTHON.require()

__all__ = [
    "BatchedDecoding",
    "ByteGuess",
    "Drafter",
    "ForcingSampler",
    "GrammarFilter",
    "Llama",
    "LlamaGrammar",
    "Sampler",
    "SamplerRequest",
    "byte_tokens",
    "decode_batch",
    "decode_forced_tokens_in_batches",
    "escape_backslashes_in_grammar_literals",
    "logits_at",
    "no_control_characters_in_grammar_strings",
    "replace_sampler",
    "run_server",
]

# (id, logit, p): llama.cpp's `llama_token_data`, read as a NumPy record.
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
_NEG_INF = float("-inf")
# Where a grammar admits several next bytes: given the bytes found so far and the admitted
# byte values, the one to go on with, or None to stop there (`GrammarFilter.forced_bytes`).
ByteGuess = Callable[[bytes, npt.NDArray[np.intp]], int | None]


def escape_backslashes_in_grammar_literals() -> None:
    """Escape `\\` in the grammar literals made from a JSON Schema, as llama.cpp does
    (0.3.36 escapes only `"`, CR and LF; llama_server.py says why it matters)."""
    llama_grammar.GRAMMAR_LITERAL_ESCAPE_RE = re.compile(r'[\r\n"\\]')
    llama_grammar.GRAMMAR_LITERAL_ESCAPES = {
        **llama_grammar.GRAMMAR_LITERAL_ESCAPES,
        "\\": "\\\\",
    }


def no_control_characters_in_grammar_strings() -> None:
    """Keep raw control characters out of a grammar's JSON strings, as llama.cpp does (0.3.36
    admits any character but `"` and `\\`: a model that writes a line break inside a value
    gives invalid JSON, and the request is asked again)."""
    llama_grammar.PRIMITIVE_RULES["char"] = llama_grammar.BuiltinRule(
        r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] '
        r"[0-9a-fA-F])",
        [],
    )


class Sampler(Protocol):
    """What llama-cpp-python asks of a sampler: the next token at position `idx` of `ctx`."""

    def sample(self, ctx: Any, idx: int = -1) -> int: ...


@dataclass(frozen=True, kw_only=True)
class SamplerRequest:
    """The sampler one generation asks for (what `Llama._init_sampler` is given).

    Attributes:
        llama: The model generating.
        grammar: The grammar the output must follow, if any.
        temperature: The sampling temperature, when the caller set one.
        has_logits_processor: Whether the caller passes its own logits processors.
        repeat_penalty, frequency_penalty, presence_penalty: llama.cpp's penalties.
        n_vocab: The vocabulary's size.
        last_n: How many recent tokens the penalties look at.
    """

    llama: Llama
    grammar: LlamaGrammar | None
    temperature: float | None
    has_logits_processor: bool
    repeat_penalty: float
    frequency_penalty: float
    presence_penalty: float
    n_vocab: int
    last_n: int


def replace_sampler(choose: Callable[[SamplerRequest], Sampler | None]) -> Callable[[], None]:
    """Let `choose` supply the sampler of every generation; where it returns None,
    llama-cpp-python builds its own chain as before.

    Returns:
        A function that puts llama-cpp-python's own hook back.
    """
    stock = Llama._init_sampler

    def init_sampler(self: Llama, **options: Any) -> Any:
        request = SamplerRequest(
            llama=self,
            grammar=options.get("grammar"),
            temperature=options.get("temp"),
            has_logits_processor=bool(options.get("logits_processor")),
            repeat_penalty=options.get("repeat_penalty", 1.0),
            frequency_penalty=options.get("frequency_penalty", 0.0),
            presence_penalty=options.get("presence_penalty", 0.0),
            n_vocab=self._n_vocab,
            last_n=self.last_n_tokens_size,
        )
        sampler = choose(request)
        return stock(self, **options) if sampler is None else sampler

    Llama._init_sampler = init_sampler  # type: ignore[method-assign,assignment]

    def restore() -> None:
        Llama._init_sampler = stock  # type: ignore[method-assign]

    return restore


def logits_at(ctx: Any, idx: int, n_vocab: int) -> npt.NDArray[np.float32]:
    """The logits at position `idx` of the context a sampler is given, as a view (no copy)."""
    pointer = lib.llama_get_logits_ith(ctx.ctx, idx)
    return np.ctypeslib.as_array(pointer, shape=(n_vocab,))


class GrammarFilter:
    """A llama.cpp sampler chain that holds only a grammar: which tokens may come next.

    The grammar only sets a rejected token's logit to -inf; it neither sorts nor drops
    candidates.
    """

    def __init__(self, llama: Llama, grammar: LlamaGrammar, n_vocab: int) -> None:
        # Kept alive as long as we are: it owns the C sampler.
        self._chain = _internals.LlamaSampler()  # type: ignore[no-untyped-call]
        self._chain.add_grammar(llama._model, grammar)
        self._n_vocab = n_vocab
        # One candidate, reused for every token (the common case: the best token is allowed).
        self._one = (lib.llama_token_data * 1)()
        self._one_array = lib.llama_token_data_array(
            data=ctypes.cast(self._one, lib.llama_token_data_p),
            size=1,
            selected=-1,
            sorted=False,
        )

    def allows(self, token: int, logit: float) -> bool:
        """Whether the grammar accepts `token` next."""
        # ctypes stores a Python int in the field; the bindings declare it as `c_int32`.
        self._one[0].id = token  # type: ignore[assignment]
        self._one[0].logit = logit
        self._one[0].p = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        self._one_array.sorted = False
        lib.llama_sampler_apply(self._chain.sampler, ctypes.byref(self._one_array))
        return bool(self._one[0].logit != _NEG_INF)

    def best_allowed(self, logits: npt.NDArray[np.float32]) -> int:
        """The token with the highest logit among those the grammar accepts next (the
        lowest id on a tie)."""
        candidates = (lib.llama_token_data * self._n_vocab)()
        view = np.ctypeslib.as_array(candidates).view(_TOKEN_DATA)
        view["id"] = np.arange(self._n_vocab, dtype=np.int32)
        view["logit"] = logits
        view["p"] = 0.0
        array = lib.llama_token_data_array(
            data=ctypes.cast(candidates, lib.llama_token_data_p),
            size=self._n_vocab,
            selected=-1,
            sorted=False,
        )
        lib.llama_sampler_apply(self._chain.sampler, ctypes.byref(array))
        return int(view["id"][int(np.argmax(view["logit"]))])

    def accept(self, token: int) -> None:
        """Advance the grammar past `token`."""
        lib.llama_sampler_accept(self._chain.sampler, token)

    def forced_bytes(
        self,
        tokens_of_bytes: npt.NDArray[np.int32],
        limit: int,
        *,
        guess: ByteGuess | None = None,
    ) -> bytes:
        """The bytes the grammar admits next as the only choice, one after the other, up to
        `limit` (empty where the next byte is a choice); the grammar itself is not advanced.

        Args:
            tokens_of_bytes: The token of each byte value (`byte_tokens`).
            limit: The most bytes to look ahead.
            guess: Where the grammar admits several bytes, given the bytes found so far and
                the admitted byte values, the one to go on with, or None to stop there.
        """
        count = len(tokens_of_bytes)
        candidates = (lib.llama_token_data * count)()
        view = np.ctypeslib.as_array(candidates).view(_TOKEN_DATA)
        array = lib.llama_token_data_array(
            data=ctypes.cast(candidates, lib.llama_token_data_p),
            size=count,
            selected=-1,
            sorted=False,
        )
        probe = lib.llama_sampler_clone(self._chain.sampler)
        forced = bytearray()
        try:
            while len(forced) < limit:
                view["id"] = tokens_of_bytes
                view["logit"] = 0.0
                view["p"] = 0.0
                array.size = count
                array.selected = -1
                array.sorted = False
                lib.llama_sampler_apply(probe, ctypes.byref(array))
                allowed = np.flatnonzero(view["logit"] != _NEG_INF)
                if len(allowed) == 1:
                    chosen: int | None = int(allowed[0])
                else:
                    chosen = guess(bytes(forced), allowed) if guess and len(allowed) else None
                # Accepting a byte the grammar rejects aborts the process (llama.cpp).
                if chosen is None or chosen not in allowed:
                    break
                lib.llama_sampler_accept(probe, int(tokens_of_bytes[chosen]))
                forced.append(chosen)
        finally:
            lib.llama_sampler_free(probe)
        return bytes(forced)


def byte_tokens(llama: Llama) -> npt.NDArray[np.int32]:
    """The token that is exactly byte b, at index b, for every byte value (a byte-level
    vocabulary such as Qwen's has one for each).

    Raises:
        ValueError: The vocabulary lacks a token for some byte.
    """
    found: dict[int, int] = {}
    piece = ctypes.create_string_buffer(8)
    for token in range(llama.n_vocab()):
        length = lib.llama_token_to_piece(llama._model.vocab, token, piece, len(piece), 0, False)
        if length == 1 and piece.raw[0] not in found:
            found[piece.raw[0]] = token
            if len(found) == 256:
                break
    if len(found) != 256:
        raise ValueError(f"the vocabulary has single-byte tokens for {len(found)} bytes, not 256")
    return np.array([found[value] for value in range(256)], dtype=np.int32)


@dataclass(kw_only=True)
class BatchedDecoding:
    """How one generation's output tokens were decoded.

    Attributes:
        tokens: Output tokens the generation produced.
        proposed: Forced tokens evaluated in a batch after a sampled token.
        accepted: Forced tokens taken as written, without sampling: decoded in a batch,
            without a forward pass of their own (all proposed ones, unless the generation
            stopped within a batch).
        batches: Forward passes over a sampled token and forced tokens after it.
    """

    tokens: int = 0
    proposed: int = 0
    accepted: int = 0
    batches: int = 0

    @property
    def one_at_a_time(self) -> int:
        """Output tokens that each cost a forward pass."""
        return self.tokens - self.accepted


class ForcingSampler(Sampler, Protocol):
    """A sampler that can be advanced past a token it did not choose."""

    def accept(self, token: int) -> None: ...


class Drafter(Protocol):
    """Gives, after each sampled token, the tokens that must follow it."""

    def draft(self, sampler: Any, tokens: npt.NDArray[np.intc], room: int) -> list[int]:
        """At most `room` tokens that must follow `tokens` (the prompt and the output so
        far, every one of which `sampler` has taken)."""
        ...

    def done(self, decoding: BatchedDecoding) -> None:
        """Told how the generation was decoded, when it ends."""
        ...


def decode_forced_tokens_in_batches(
    drafter_for: Callable[[Llama, dict[str, Any]], Drafter | None],
) -> Callable[[], None]:
    """Evaluate the tokens a drafter says must follow in the same batch as the sampled
    token, and write them without sampling.

    llama-cpp-python's `generate` runs a draft model's tokens in the sampled token's batch
    and samples at each of their positions, which needs every position's logits. Tokens
    that must follow need no sampling: they are taken as drafted and the sampler is only
    advanced past them (`ForcingSampler.accept`), so a batch gets logits at its last
    position only, as a prompt does. A row of logits is a product with the 151,936 x 1,536
    output weights, about a fifth of a short batch's time (docs/performance.md).

    Args:
        drafter_for: Given the model and `generate`'s keyword arguments, the drafter of
            that generation, or None to generate as llama-cpp-python does.

    Returns:
        A function that puts llama-cpp-python's own `generate`, `eval` and `sample` back.
    """
    stock_generate = Llama.generate
    stock_eval = Llama.eval
    stock_sample = Llama.sample
    forcing: dict[int, _Forced] = {}

    def generate(self: Llama, tokens: Any, **options: Any) -> Any:
        drafter = None if self.draft_model is not None else drafter_for(self, options)
        if drafter is None:
            return (yield from stock_generate(self, tokens, **options))
        forced = _Forced(self, drafter)
        self.draft_model = forced  # type: ignore[assignment]
        forcing[id(self)] = forced
        stream = stock_generate(self, tokens, **options)
        try:
            sent: Any = None
            while True:
                token = stream.send(sent)
                forced.decoding.tokens += 1
                sent = yield token
        except StopIteration:
            return None
        finally:
            stream.close()
            self.draft_model = None
            forcing.pop(id(self), None)
            drafter.done(forced.decoding)

    def eval(self: Llama, tokens: Any) -> None:
        forced = forcing.get(id(self))
        # Drafted tokens wait in the queue from the draft until `sample` writes them.
        if forced is not None and forced.queue:
            forced.decoding.batches += 1
        stock_eval(self, tokens)

    def sample(self: Llama, **options: Any) -> int:
        forced = forcing.get(id(self))
        if forced is None or not forced.queue:
            token: int = stock_sample(self, **options)
            return token
        token = forced.queue.popleft()
        forced.sampler.accept(token)
        forced.decoding.accepted += 1
        return token

    Llama.generate = generate  # type: ignore[method-assign,assignment]
    Llama.eval = eval  # type: ignore[method-assign]
    Llama.sample = sample  # type: ignore[method-assign,assignment]

    def restore() -> None:
        Llama.generate = stock_generate  # type: ignore[method-assign]
        Llama.eval = stock_eval  # type: ignore[method-assign]
        Llama.sample = stock_sample  # type: ignore[method-assign]

    return restore


class _Forced:
    """Stands in for a draft model (`generate` calls it with the tokens so far) and holds
    the drafted tokens until `sample` writes them."""

    def __init__(self, llama: Llama, drafter: Drafter) -> None:
        self._llama = llama
        self._drafter = drafter
        self.decoding = BatchedDecoding()
        self.queue: deque[int] = deque()

    @property
    def sampler(self) -> ForcingSampler:
        # The one `generate` set up; a drafter drafts only for samplers that accept tokens.
        sampler: Any = self._llama._sampler
        return cast(ForcingSampler, sampler)

    def __call__(self, input_ids: npt.NDArray[np.intc]) -> npt.NDArray[np.intc]:
        llama = self._llama
        # The batch is these tokens and the sampled token before it: one llama.cpp batch.
        room = min(llama.n_batch, llama._n_ctx - len(input_ids)) - 1
        drafted = self._drafter.draft(llama._sampler, input_ids, room) if room > 0 else []
        self.queue = deque(drafted)
        self.decoding.proposed += len(drafted)
        return np.array(drafted, dtype=np.intc)


def decode_batch(llama: Llama, tokens: list[int], n_past: int, *, logits_everywhere: bool) -> None:
    """Evaluate `tokens` as one batch after the first `n_past` tokens of the context (the
    rest dropped), with logits at every position or at the last only; returns when llama.cpp
    is done (for timing)."""
    llama._ctx.kv_cache_seq_rm(-1, n_past, -1)
    llama._batch.set_batch(batch=tokens, n_past=n_past, logits_all=logits_everywhere)
    llama._ctx.decode(llama._batch)
    lib.llama_synchronize(llama.ctx)
    llama.n_tokens = n_past + len(tokens)


def run_server() -> None:
    """Run llama-cpp-python's OpenAI-compatible server on this process's command line."""
    from llama_cpp.server import __main__ as server

    server.main()  # type: ignore[no-untyped-call]
