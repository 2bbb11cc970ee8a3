"""llama-cpp-python's internals, as the embedded server patches them and our sampler calls them.

- its JSON-Schema-to-grammar converter's table of escapes for literals (module globals);
- `Llama._init_sampler`, the hook that builds the sampler chain for each generation;
- a sampler chain holding only a grammar (`_internals.LlamaSampler`), asked through the raw
  C API (`llama_sampler_apply` and `llama_sampler_accept` over `llama_token_data_array`s),
  and the logits of the context (`llama_get_logits_ith`);
- the server's entry point (`python -m llama_cpp.server`).

Written for llama-cpp-python 0.3.36 (the `embedded` extra pins it); checked when this module
is imported. Only the embedded runtime imports it (the server's own process, and tests), so
`import summarizer` neither loads llama.cpp's native library nor needs the extra.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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
    "GrammarFilter",
    "LlamaGrammar",
    "Sampler",
    "SamplerRequest",
    "escape_backslashes_in_grammar_literals",
    "logits_at",
    "replace_sampler",
    "run_server",
]

# (id, logit, p): llama.cpp's `llama_token_data`, read as a NumPy record.
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
_NEG_INF = float("-inf")


def escape_backslashes_in_grammar_literals() -> None:
    """Escape `\\` in the grammar literals made from a JSON Schema, as llama.cpp does
    (0.3.36 escapes only `"`, CR and LF; llama_server.py says why it matters)."""
    llama_grammar.GRAMMAR_LITERAL_ESCAPE_RE = re.compile(r'[\r\n"\\]')
    llama_grammar.GRAMMAR_LITERAL_ESCAPES = {
        **llama_grammar.GRAMMAR_LITERAL_ESCAPES,
        "\\": "\\\\",
    }


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


def run_server() -> None:
    """Run llama-cpp-python's OpenAI-compatible server on this process's command line."""
    from llama_cpp.server import __main__ as server

    server.main()  # type: ignore[no-untyped-call]
