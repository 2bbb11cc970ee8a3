"""What a forward pass of the embedded model costs by batch size: the bound on jump-forward.

Jump-forward decoding (summarizer/runtime/jump_forward.py) evaluates the text a grammar
forces in one batch instead of one token per pass. What that saves depends on how the
runtime's cost grows with the batch: on a GPU or a wide CPU a batch of 8 costs about what
one token does; on 2 cores the matrix products are bound by arithmetic, not by reading the
weights, and a batch costs nearly its tokens' worth.

The GGUF the product serves is loaded by llama-cpp-python itself (no server, no grammar, no
sampler), a 400-token context is read, then batches of 1 to 8, 16, 24, 32, 64 and 256 tokens
are evaluated after it (jump-forward's batches on the examples are mostly 4-7 and 20-28
tokens: a sampled token with the keys after it, or with a pinned opening), each `--repeats`
times from the same position, timed to llama.cpp's synchronisation; the fastest repeat
counts. Each batch is timed twice: with logits at its last position only (what jump-forward
asks for: forced tokens are written, not sampled) and at every position (what a sampler
checking each token would need: a row of logits is a product with the whole output matrix,
151,936 x 1,536).

    python -m benchmarks.batch_cost [--threads N] [--repeats 3] [--results-dir DIR]

Needs `cited-briefing[embedded]` and quiet cores. Writes `batch_cost.json` and `.md`.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer.runtime.weights import ensure_embedded_weights

CONTEXT_TOKENS = 400
BATCH_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 16, 24, 32, 64, 256)
# The team's own example prose, repeated to fill the context and the batches.
_TEXT = (
    "A storage tank ruptured at the Brannock Chemical Works in Ostervale early on Monday "
    "morning. Mayor Teresa Halvorsen said 1,200 residents were evacuated on Monday. "
)


def measure(threads: int, repeats: int) -> dict[str, Any]:
    from summarizer.runtime.adapters.llama_cpp_internals import Llama, decode_batch

    llama = Llama(
        model_path=str(ensure_embedded_weights()),
        n_ctx=CONTEXT_TOKENS + max(BATCH_SIZES) + 8,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    tokens = llama.tokenize((_TEXT * 40).encode(), add_bos=False)
    assert len(tokens) >= CONTEXT_TOKENS + max(BATCH_SIZES)

    def evaluate(batch: list[int], n_past: int, *, logits_everywhere: bool = False) -> float:
        started = time.perf_counter()
        decode_batch(llama, batch, n_past, logits_everywhere=logits_everywhere)
        return time.perf_counter() - started

    context_seconds = min(evaluate(tokens[:CONTEXT_TOKENS], 0) for _ in range(2))
    by_size: dict[int, float] = {}
    everywhere: dict[int, float] = {}
    for size in BATCH_SIZES:
        batch = tokens[CONTEXT_TOKENS : CONTEXT_TOKENS + size]
        by_size[size] = min(evaluate(batch, CONTEXT_TOKENS) for _ in range(repeats))
        everywhere[size] = min(
            evaluate(batch, CONTEXT_TOKENS, logits_everywhere=True) for _ in range(repeats)
        )
    llama.close()
    return {
        "context_seconds": context_seconds,
        "batch_seconds": by_size,
        "batch_seconds_logits_everywhere": everywhere,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    measured = measure(args.threads, args.repeats)
    one = measured["batch_seconds"][1]
    figures = [
        Figure(
            f"reading a {CONTEXT_TOKENS}-token context",
            f"{measured['context_seconds']:.2f} s "
            f"({CONTEXT_TOKENS / measured['context_seconds']:.0f} tok/s)",
        )
    ]
    for size, seconds in measured["batch_seconds"].items():
        everywhere = measured["batch_seconds_logits_everywhere"][size]
        figures.append(
            Figure(
                f"batch of {size}",
                f"{seconds * 1000:.0f} ms: {seconds * 1000 / size:.1f} ms per token, "
                f"{seconds / one:.1f} one-token passes; logits at every position "
                f"{everywhere * 1000:.0f} ms ({everywhere / seconds - 1:+.0%})",
            )
        )
    print("\n".join(table_lines(figures)))
    write_report(
        "batch_cost",
        title="Embedded model: a forward pass's cost by batch size",
        about=__doc__.split("\n\n")[1].replace("\n", " "),
        parameters={"threads": args.threads, "repeats": args.repeats},
        figures=figures,
        details=measured,
        directory=args.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
