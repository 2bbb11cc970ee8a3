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
   OpenAI stub replaying the recorded cassette (so no model time), with embeddings and with
   `--no-embeddings`, alternated `--rounds` times; the median difference, per run and per
   article.

    python -m benchmarks.embedding_speed [--sentences 512] [--rounds 3] [--reference DIR]

Writes `embedding_speed.json` and `.md` to benchmarks/results/. No targets: these are the
figures the docs quote.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from benchmarks.openai_stub import stub_process
from benchmarks.warm_rerun import CASSETTE, EXAMPLES, run_environment, timed_process
from summarizer.config import EMBEDDED_MODEL_NAME
from summarizer.embeddings import LocalEmbedder
from summarizer.ingest import read_path
from summarizer.sentences import split_sentences

REPO = Path(__file__).resolve().parent.parent


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
    vectors = np.zeros(0)
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


def extra_wall_time(rounds: int) -> tuple[list[float], list[float]]:
    with_embeddings: list[float] = []
    without: list[float] = []
    with tempfile.TemporaryDirectory(prefix="embedding-speed-") as scratch:
        folder = Path(scratch)
        environment = run_environment(folder / "cache", folder / "no-config.toml")
        with stub_process(latency=0, replay=CASSETTE) as base_url:
            backend = ["--base-url", base_url, "--model", EMBEDDED_MODEL_NAME]
            backend += ["--mode", "json_object_schema", "--no-remember", "-q"]
            command = [sys.executable, "-m", "summarizer", "brief", str(EXAMPLES)]
            # The first run fills the cache; every timed run then answers from it.
            timed_process([*command, "-o", str(folder / "warm.json"), *backend], environment)
            for _ in range(rounds):
                for flag, times in (
                    ("--embeddings", with_embeddings),
                    ("--no-embeddings", without),
                ):
                    out = ["-o", str(folder / "b.json")]
                    times.append(timed_process([*command, *out, *backend, flag], environment))
    return with_embeddings, without


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
    with_embeddings, without = extra_wall_time(options.rounds)
    extra = statistics.median(a - b for a, b in zip(with_embeddings, without, strict=True))
    articles = len(read_path(EXAMPLES))
    figures += [
        Figure("brief examples (warm cache), with embeddings", round(min(with_embeddings), 2), "s"),
        Figure("brief examples (warm cache), --no-embeddings", round(min(without), 2), "s"),
        Figure("extra wall time per run (median of rounds)", round(extra, 2), "s"),
        Figure("extra wall time per article", round(extra / articles, 2), "s"),
    ]  # fmt: skip
    print("\n".join(table_lines(figures)))
    write_report(
        "embedding_speed",
        title="Embedding speed",
        about="`python -m benchmarks.embedding_speed`: the local sentence-embedding model's "
        "throughput on the team's own sentences, and the wall time merging by meaning adds "
        "to a warm-cache run over examples/articles.",
        parameters={"sentences": options.sentences, "rounds": options.rounds},
        figures=figures,
        details={"with_embeddings": with_embeddings, "without": without},
        directory=options.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
