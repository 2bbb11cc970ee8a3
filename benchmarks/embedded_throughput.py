"""Embedded-model benchmark: a real briefing's output tokens/s against the runtime's raw speed.

Two measurements, one after the other in one run, on the same GGUF, the same thread count
and the same machine (never at the same time: they would share the cores):

1. Baseline, the runtime's own raw figure: llama-cpp-python generates `--raw-tokens`
   tokens unconstrained (no grammar) after a short prompt; the decode speed is llama.cpp's
   own count (`llama_perf_context`: tokens evaluated / time evaluating them).
2. Effective: a real briefing of `--article` through the same llama.cpp server the
   product starts (`EmbeddedServer`, over HTTP, schema grammar on, cache off): completion
   tokens the server reported / wall time of the `abrief` call. Server start-up is not
   counted; prompt processing, grammar sampling, re-asks, HTTP and our own code are.

Target: effective >= 90% of raw. Needs `summarizer[embedded]` and quiet cores: run
nothing else heavy meanwhile (a second process halves both figures).

    python -m benchmarks.embedded_throughput [--article PATH] [--raw-tokens 256]

Prints the figures beside the target and writes `embedded_throughput.json` and `.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from pathlib import Path

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer import abrief
from summarizer.config import EMBEDDED_MODEL_NAME, resolve_settings
from summarizer.embedded_server import EmbeddedServer
from summarizer.weights import ensure_embedded_weights

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLE = REPO / "examples" / "articles" / "01_ostervale-courier.md"
TARGET_SHARE = 0.90
RAW_PROMPT = "Write a detailed news report about a chemical spill in a river town."


def raw_tokens_per_second(weights: Path, threads: int, tokens: int) -> dict[str, float]:
    """Unconstrained decode speed as llama.cpp itself counts it."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(weights), n_ctx=2048, n_threads=threads, verbose=False, seed=7
    )
    try:
        llm.create_chat_completion(  # warm-up: first-call allocations are not decode speed
            messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
        )
        llama_cpp.llama_perf_context_reset(llm.ctx)
        started = time.perf_counter()
        llm.create_completion(RAW_PROMPT, max_tokens=tokens, temperature=0.0)
        wall = time.perf_counter() - started
        perf = llama_cpp.llama_perf_context(llm.ctx)
    finally:
        llm.close()
        del llm
        gc.collect()
    return {
        "decode_tokens": float(perf.n_eval),
        "decode_seconds": perf.t_eval_ms / 1000,
        "tokens_per_second": perf.n_eval / (perf.t_eval_ms / 1000),
        "prompt_tokens": float(perf.n_p_eval),
        "wall_seconds": wall,
    }


def effective_tokens_per_second(weights: Path, threads: int, article: Path) -> dict[str, float]:
    """A real briefing over HTTP: completion tokens / wall time of the run."""
    with EmbeddedServer(weights, model_alias=EMBEDDED_MODEL_NAME, n_threads=threads) as server:
        settings = resolve_settings(
            base_url=server.base_url,
            model=EMBEDDED_MODEL_NAME,
            mode="json_object_schema",
            cache=False,
            concurrency=1,
        )
        started = time.perf_counter()
        briefing = asyncio.run(abrief([article], settings=settings))
        wall = time.perf_counter() - started
    stats = briefing.stats
    return {
        "completion_tokens": float(stats.completion_tokens),
        "prompt_tokens": float(stats.prompt_tokens),
        "calls": float(stats.llm_calls),
        "reasks": float(stats.reasks),
        "claims": float(sum(len(c.citations) for c in briefing.claims)),
        "wall_seconds": wall,
        "tokens_per_second": stats.completion_tokens / wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--raw-tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    weights = ensure_embedded_weights()
    print(f"raw decode: {args.raw_tokens} tokens, {args.threads} threads ...", flush=True)
    raw = raw_tokens_per_second(weights, args.threads, args.raw_tokens)
    print(f"briefing of {args.article} on the embedded server ...", flush=True)
    effective = effective_tokens_per_second(weights, args.threads, args.article)

    share = effective["tokens_per_second"] / raw["tokens_per_second"]
    figures = [
        Figure(
            "raw decode speed (llama.cpp, no grammar)", round(raw["tokens_per_second"], 1), "tok/s"
        ),
        Figure(
            "effective output speed of a real briefing",
            round(effective["tokens_per_second"], 1),
            "tok/s",
        ),
        Figure(
            "effective / raw",
            f"{share:.0%}",
            target=f">= {TARGET_SHARE:.0%}",
            passed=share >= TARGET_SHARE,
        ),
        Figure("briefing wall time", round(effective["wall_seconds"], 1), "s"),
        Figure("briefing completion tokens", int(effective["completion_tokens"])),
        Figure("briefing prompt tokens", int(effective["prompt_tokens"])),
        Figure("briefing calls (re-asks)", f"{effective['calls']:.0f} ({effective['reasks']:.0f})"),
        Figure(
            "output tokens per claim",
            round(effective["completion_tokens"] / max(1.0, effective["claims"]), 1),
        ),
    ]
    print("\n".join(table_lines(figures)))
    write_report(
        "embedded_throughput",
        title="Embedded model: effective vs raw output speed",
        about=__doc__.split("\n\n")[1].replace("\n", " "),
        parameters={
            "article": str(
                args.article.relative_to(REPO)
                if args.article.is_relative_to(REPO)
                else args.article
            ),
            "raw_tokens": args.raw_tokens,
            "threads": args.threads,
        },
        figures=figures,
        details={"raw": raw, "effective": effective},
        directory=args.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
