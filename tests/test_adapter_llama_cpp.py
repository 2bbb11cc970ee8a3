"""The llama-cpp-python adapter: the internals the embedded runtime patches and calls, for 0.3.36.

Its functions are run against the installed llama-cpp-python (skipped without the
`embedded` extra; the grammar filter also needs the assembled weights, read vocabulary
only). Another version, faked, fails the adapter's import with the one line that says what
to install, and so does starting the embedded server, before any process is started;
`summarizer doctor` reports it as a problem. tests/test_llama_sampling.py runs the whole
sampler on the model.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest

from summarizer.config import Settings
from summarizer.errors import DependencyVersionError
from summarizer.runtime import doctor, embedded_server
from summarizer.runtime.embedded_server import LaunchSpec, llama_cpp_server_command
from summarizer.runtime.weights import verified_embedded_weights
from tests.test_embedded_server import (
    RUNTIME_MODULES,
    pretend_installed,
    pretend_llama_cpp_python,
)

MODULE = "summarizer.runtime.adapters.llama_cpp_internals"
EXPECTED_LINE = (
    "llama-cpp-python 0.3.37 is installed, but summarizer is written for 0.3.36 "
    "(hint: pip install 'llama-cpp-python[server]==0.3.36')"
)
NOT_INSTALLED = "llama-cpp-python (cited-briefing[embedded]) is not installed or does not import"


@pytest.fixture
def adapter() -> ModuleType:
    pytest.importorskip("llama_cpp", reason=NOT_INSTALLED)
    return importlib.import_module(MODULE)


# --- the adapter against the installed release ---------------------------------------


def test_grammar_literals_escape_the_backslash(
    adapter: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_cpp import llama_grammar

    # Put back afterwards: the escapes are the library's module globals.
    for name in ("GRAMMAR_LITERAL_ESCAPE_RE", "GRAMMAR_LITERAL_ESCAPES"):
        monkeypatch.setattr(llama_grammar, name, getattr(llama_grammar, name))
    adapter.escape_backslashes_in_grammar_literals()
    # llama-cpp-python leaves these unannotated.
    converter: Any = llama_grammar.SchemaConverter(  # type: ignore[no-untyped-call]
        prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    schema = {"type": "object", "properties": {"q": {"const": 'a "b" C:\\d'}}, "required": ["q"]}
    converter.visit(converter.resolve_refs(schema, ""), "")
    grammar = str(converter.format_grammar())

    assert "C:\\\\\\\\d" in grammar
    llama_grammar.LlamaGrammar.from_string(grammar, verbose=False)


def test_the_sampler_hook_takes_the_arguments_we_read() -> None:
    llama = pytest.importorskip("llama_cpp.llama", reason=NOT_INSTALLED)

    parameters = inspect.signature(llama.Llama._init_sampler).parameters

    defaults = {name: parameters[name].default for name in parameters if name != "self"}
    assert {"grammar", "temp", "logits_processor"} <= set(defaults)
    assert (
        defaults["repeat_penalty"],
        defaults["frequency_penalty"],
        defaults["presence_penalty"],
    ) == (1.0, 0.0, 0.0)


def test_a_replaced_sampler_is_used_where_chosen_and_put_back(adapter: ModuleType) -> None:
    from llama_cpp.llama import Llama

    stock = Llama._init_sampler
    seen: list[Any] = []
    ours = object()

    def choose(request: Any) -> Any:
        seen.append(request)
        return ours

    restore = adapter.replace_sampler(choose)
    try:
        generating = SimpleNamespace(_n_vocab=7, last_n_tokens_size=64)
        init_sampler: Any = Llama._init_sampler  # called on a stand-in for a Llama
        sampler = init_sampler(generating, temp=0.0, grammar="g", repeat_penalty=1.1)
    finally:
        restore()

    assert sampler is ours
    assert Llama._init_sampler is stock
    (request,) = seen
    assert request == adapter.SamplerRequest(
        llama=generating,
        grammar="g",
        temperature=0.0,
        has_logits_processor=False,
        repeat_penalty=1.1,
        frequency_penalty=0.0,
        presence_penalty=0.0,
        n_vocab=7,
        last_n=64,
    )


@pytest.fixture(scope="module")
def vocabulary() -> Iterator[Any]:
    """The embedded model with its vocabulary only (no weights: well under a second)."""
    pytest.importorskip("llama_cpp", reason=NOT_INSTALLED)
    from llama_cpp import Llama

    weights = verified_embedded_weights()
    if weights is None:
        pytest.skip("the embedded model's weights are not assembled (make briefing does it)")
    model = Llama(model_path=str(weights), vocab_only=True, verbose=False)
    yield model
    model.close()


def test_the_grammar_filter_allows_only_what_the_grammar_does(
    adapter: ModuleType, vocabulary: Any
) -> None:
    grammar = adapter.LlamaGrammar.from_string('root ::= "yes" | "no"', verbose=False)
    (yes,) = vocabulary.tokenize(b"yes", add_bos=False)
    (maybe,) = vocabulary.tokenize(b"maybe", add_bos=False)
    n_vocab = vocabulary.n_vocab()
    grammar_filter = adapter.GrammarFilter(vocabulary, grammar, n_vocab)
    logits = np.zeros(n_vocab, dtype=np.float32)
    logits[maybe], logits[yes] = 5.0, 3.0

    assert grammar_filter.allows(yes, 3.0)
    assert not grammar_filter.allows(maybe, 5.0)
    assert grammar_filter.best_allowed(logits) == yes
    grammar_filter.accept(yes)
    assert not grammar_filter.allows(maybe, 5.0)


def test_forced_bytes_are_the_text_the_grammar_leaves_no_choice_over(
    adapter: ModuleType, vocabulary: Any
) -> None:
    grammar = adapter.LlamaGrammar.from_string(
        'root ::= "{\\"city\\":" " "? "\\"" [a-z]+ "\\"}"', verbose=False
    )
    grammar_filter = adapter.GrammarFilter(vocabulary, grammar, vocabulary.n_vocab())
    tokens_of_bytes = adapter.byte_tokens(vocabulary)

    assert vocabulary.detokenize([int(tokens_of_bytes[ord("{")])]) == b"{"
    assert grammar_filter.forced_bytes(tokens_of_bytes, 100) == b'{"city":'
    assert grammar_filter.forced_bytes(tokens_of_bytes, 3) == b'{"c'
    # A guess goes on through a choice; the grammar itself has not moved.
    assert (
        grammar_filter.forced_bytes(tokens_of_bytes, 100, guess=lambda found, allowed: ord(" "))
        == b'{"city": "'
    )
    (brace,) = vocabulary.tokenize(b"{", add_bos=False)
    grammar_filter.accept(brace)
    assert grammar_filter.forced_bytes(tokens_of_bytes, 100) == b'"city":'


# --- another release -----------------------------------------------------------------


def test_another_release_fails_the_import_with_one_clear_line(
    adapter: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import summarizer.runtime.adapters

    pretend_llama_cpp_python(monkeypatch, "0.3.37")
    monkeypatch.delitem(sys.modules, MODULE)
    monkeypatch.delattr(summarizer.runtime.adapters, "llama_cpp_internals")

    with pytest.raises(DependencyVersionError) as caught:
        importlib.import_module(MODULE)

    assert str(caught.value) == EXPECTED_LINE


def test_another_release_stops_the_embedded_server_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check needs no llama_cpp import: this runs with or without the extra.
    pretend_installed(monkeypatch, *RUNTIME_MODULES)
    pretend_llama_cpp_python(monkeypatch, "0.3.37")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    spec = LaunchSpec(model, "127.0.0.1", 5123, 8192, None, "m")

    with pytest.raises(DependencyVersionError) as caught:
        llama_cpp_server_command(spec)
    with pytest.raises(DependencyVersionError):
        embedded_server.EmbeddedServer(model).start()

    assert str(caught.value) == EXPECTED_LINE


def test_doctor_reports_another_release_as_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "missing_runtime_modules", list)
    pretend_llama_cpp_python(monkeypatch, "0.3.37")
    settings = Settings(
        base_url=None,
        api_key="not-needed",
        model="m",
        mode="json_object_schema",
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data",
    )

    (runtime,) = [c for c in doctor.check_setup(settings) if c.name == "embedded runtime"]

    assert runtime.status == "problem"
    assert (
        runtime.detail
        == "llama-cpp-python 0.3.37 is installed, but summarizer is written for 0.3.36"
    )
    assert runtime.hint == "pip install 'llama-cpp-python[server]==0.3.36'"
