# The two quickstart commands (see README): `make briefing` and `make test`.
# Each creates .venv on first use; nothing is installed outside the repository.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: briefing test smoke wheel-check schemas record lint bench bench-embedded bench-eval

## A Markdown briefing of examples/articles with the embedded model (no key needed).
briefing: $(VENV)/.embedded
	$(BIN)/summarizer brief examples/articles -o briefing.md

## The test suite, offline, replaying recorded cassettes.
test: $(VENV)/.test
	$(BIN)/python -m pytest

## One real end-to-end run of the embedded model on one short example article (CI).
smoke: $(VENV)/.embedded
	$(BIN)/summarizer brief examples/articles/01_ostervale-courier.md -o smoke.json
	$(BIN)/python -m tests.support.check_smoke smoke.json examples/articles/01_ostervale-courier.md

## The wheel as a user gets it: built, installed with its dependencies into a new virtualenv,
## and briefing examples/articles there against its own replay stub (about a minute; CI).
wheel-check: $(VENV)/.test
	$(BIN)/python -m tests.support.wheel_check

## Regenerate schemas/*.json from the models.
schemas: $(VENV)/.test
	$(BIN)/summarizer schema --write schemas

## Re-record the end-to-end cassettes from the embedded model (slow: minutes).
record: $(VENV)/.embedded $(VENV)/.test
	rm -rf cassettes/test_end_to_end cassettes/test_inputs_end_to_end cassettes/test_merge_by_meaning
	$(BIN)/python -m pytest tests/test_end_to_end.py tests/test_inputs_end_to_end.py tests/test_merge_by_meaning.py --record-mode=once

## Benchmarks against their baselines, no model needed (results in benchmarks/results/).
bench: $(VENV)/.test
	$(BIN)/python -m benchmarks.concurrency
	$(BIN)/python -m benchmarks.warm_rerun
	$(BIN)/python -m benchmarks.merge_scaling
	$(BIN)/python -m benchmarks.soak

SEEDS ?= ../shared/seeds
## Benchmarks that need the embedded model (slow; run on quiet cores).
bench-embedded: $(VENV)/.embedded $(VENV)/.test
	$(BIN)/python -m benchmarks.output_economy
	$(BIN)/python -m benchmarks.embedded_throughput
	$(BIN)/python -m benchmarks.batch_cost
	$(BIN)/python -m benchmarks.jump_forward --seeds $(SEEDS)

## Merging measured on real news with gold labels (third-party data, read where it lies).
EVAL ?= ../shared/eval
bench-eval: $(VENV)/.embedded $(VENV)/.test
	$(BIN)/python -m benchmarks.story_clustering --basil $(EVAL)/basil_dev.jsonl --ecbplus $(EVAL)/ecbplus_dev.jsonl --scorer $(EVAL)/score_coref.py
	$(BIN)/python -m benchmarks.event_merging --ecbplus $(EVAL)/ecbplus_dev.jsonl --scorer $(EVAL)/score_coref.py --topics 23

lint: $(VENV)/.dev
	$(BIN)/ruff check summarizer tests benchmarks && $(BIN)/ruff format --check summarizer tests benchmarks
	$(BIN)/mypy

# The virtualenv's own pip, not upgraded: what a user who runs `pip install` gets must work
# (every import the package makes is declared, so any pip resolves a working install).
$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

# llama.cpp's AMX kernels crash on the Q4_K_M model in prompt processing on CPUs that have
# AMX (ggml-org/llama.cpp#20824, seen here on a Xeon with amx_int8): on x86-64 the runtime
# is built for AVX2 instead of -march=native. No pip cache, so a wheel built otherwise before
# is never reused.
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
endif
LLAMA_CPP_PYTHON := $(shell sed -n 's/.*"\(llama-cpp-python\[server\]==[^"]*\)".*/\1/p' pyproject.toml)

$(VENV)/.embedded: pyproject.toml $(VENV)/.created
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir '$(LLAMA_CPP_PYTHON)'
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	$(BIN)/summarizer models fetch
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/summarizer models fetch
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@
