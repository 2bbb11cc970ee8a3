"""Embedded-model benchmark: a real briefing's output tokens/s against the runtime's raw speed.

Two measurements, one after the other in one run, on the same GGUF, the same thread count
and the same machine (never at the same time: they would share the cores):

1. Effective: a real briefing of `--article` through the same llama.cpp server the
   product starts (`EmbeddedServer`, over HTTP, schema grammar on, cache off): completion
   tokens the server reported / wall time of the `abrief` call, less the time the server
   itself reports for reading the prompt (llama.cpp's `prompt eval time` lines in its log).
   Server start-up and prompt reading are not counted; grammar sampling, re-asks, HTTP,
   the server's Python and our own code are. The all-in figure (prompt reading included)
   is shown beside it.
2. Baseline, the runtime's own raw figure: llama-cpp-python reads a prompt as long as the
   briefing's, then decodes as many tokens as the briefing wrote, each the most likely
   next token, no grammar, no sampler chain, no detokenizing: the fastest the runtime can
   write at that context depth, timed by the wall clock like the briefing. (Decoding gets
   slower as the context grows, so a raw figure taken near an empty context, 24.7 tok/s
   here, is not like for like with a 2,000-token briefing.) llama.cpp's own decode count
   is reported too.

Target: effective >= 90% of raw. Needs `cited-briefing[embedded]` and quiet cores: run
nothing else heavy meanwhile (a second process halves both figures).

    python -m benchmarks.embedded_throughput [--article PATH] [--rounds 2]

Each round is one briefing then one raw decode; the figures are means over the rounds.

Prints the figures beside the target and writes `embedded_throughput.json` and `.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import statistics
import time
from pathlib import Path

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer import abrief
from summarizer.config import EMBEDDED_MODEL_NAME, resolve_settings
from summarizer.runtime.embedded_server import EmbeddedServer
from summarizer.runtime.weights import ensure_embedded_weights

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLE = REPO / "examples" / "articles" / "01_ostervale-courier.md"
TARGET_SHARE = 0.90
RAW_PROMPT = "Write a detailed news report about a chemical spill in a river town."


def raw_tokens_per_second(
    weights: Path, threads: int, prompt_tokens: int, tokens: int
) -> dict[str, float]:
    """Unconstrained greedy decode of `tokens` tokens after a `prompt_tokens`-token prompt."""
    import llama_cpp
    import numpy as np

    llm = llama_cpp.Llama(
        model_path=str(weights), n_ctx=4096, n_threads=threads, verbose=False, seed=7
    )
    try:
        filler = llm.tokenize(RAW_PROMPT.encode("utf-8"), add_bos=False)
        prompt = (filler * (prompt_tokens // len(filler) + 1))[:prompt_tokens]
        llm.eval(prompt)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        n_vocab = llm.n_vocab()
        started = time.perf_counter()
        for _ in range(tokens):
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)
            )
            llm.eval([int(np.argmax(logits))])
        wall = time.perf_counter() - started
        perf = llama_cpp.llama_perf_context(llm.ctx)
    finally:
        llm.close()
        del llm
        gc.collect()
    return {
        "prompt_tokens": float(prompt_tokens),
        "decode_tokens": float(tokens),
        "wall_seconds": wall,
        "tokens_per_second": tokens / wall,
        "llama_perf_decode_tokens": float(perf.n_eval),
        "llama_perf_decode_seconds": perf.t_eval_ms / 1000,
        "llama_perf_tokens_per_second": perf.n_eval / (perf.t_eval_ms / 1000),
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
        log_path = server.log_path
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path else ""
    stats = briefing.stats
    prompt_ms, prompt_evaluated = _server_timings(log, _PROMPT_EVAL)
    decode_ms, decoded = _server_timings(log, _DECODE)
    writing = wall - prompt_ms / 1000
    return {
        "prompt_eval_seconds": prompt_ms / 1000,
        "prompt_tokens_evaluated": prompt_evaluated,
        "server_decode_seconds": decode_ms / 1000,
        "server_decode_tokens": decoded,
        "writing_seconds": writing,
        "all_in_tokens_per_second": stats.completion_tokens / wall,
        "completion_tokens": float(stats.completion_tokens),
        "prompt_tokens": float(stats.prompt_tokens),
        "calls": float(stats.llm_calls),
        "reasks": float(stats.reasks),
        "claims": float(sum(len(c.citations) for c in briefing.claims)),
        "wall_seconds": wall,
        "tokens_per_second": stats.completion_tokens / writing,
    }


# llama.cpp's per-request timing lines, as the server writes them to its log.
_PROMPT_EVAL = re.compile(r"prompt eval time =\s*([0-9.]+) ms /\s*([0-9]+) tokens")
_DECODE = re.compile(r"(?<!prompt )eval time =\s*([0-9.]+) ms /\s*([0-9]+) runs")


def _server_timings(log: str, pattern: re.Pattern[str]) -> tuple[float, float]:
    """Milliseconds and tokens summed over every request the server timed."""
    matches = pattern.findall(log)
    if not matches:
        raise SystemExit("the server log has no llama.cpp timing lines: is it verbose?")
    return sum(float(ms) for ms, _ in matches), sum(float(n) for _, n in matches)


def _mean(measurements: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.fmean(m[key] for m in measurements) for key in measurements[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    weights = ensure_embedded_weights()
    rounds: list[tuple[dict[str, float], dict[str, float]]] = []
    # Alternated, so a slow spell of the machine weighs on both sides alike.
    for number in range(1, args.rounds + 1):
        print(f"round {number}: briefing of {args.article} on the embedded server ...", flush=True)
        one_effective = effective_tokens_per_second(weights, args.threads, args.article)
        prompt_tokens = int(one_effective["prompt_tokens"])
        written = int(one_effective["completion_tokens"])
        print(f"round {number}: raw decode, {written} tokens after {prompt_tokens} ...", flush=True)
        one_raw = raw_tokens_per_second(weights, args.threads, prompt_tokens, written)
        rounds.append((one_effective, one_raw))
        print(
            f"round {number}: effective {one_effective['tokens_per_second']:.1f} tok/s, "
            f"raw {one_raw['tokens_per_second']:.1f} tok/s "
            f"({one_effective['tokens_per_second'] / one_raw['tokens_per_second']:.0%})",
            flush=True,
        )
    effective = _mean([e for e, _ in rounds])
    raw = _mean([r for _, r in rounds])

    share = effective["tokens_per_second"] / raw["tokens_per_second"]
    all_in_share = effective["all_in_tokens_per_second"] / raw["tokens_per_second"]
    prompt_speed = effective["prompt_tokens_evaluated"] / effective["prompt_eval_seconds"]
    figures = [
        Figure(
            "raw decode speed at the same depth (no grammar, wall clock)",
            round(raw["tokens_per_second"], 1),
            "tok/s",
        ),
        Figure(
            "raw decode speed, llama.cpp's own count",
            round(raw["llama_perf_tokens_per_second"], 1),
            "tok/s",
        ),
        Figure(
            "effective output speed of a real briefing (prompt reading excluded)",
            round(effective["tokens_per_second"], 1),
            "tok/s",
        ),
        Figure(
            "effective / raw",
            f"{share:.0%}",
            target=f">= {TARGET_SHARE:.0%}",
            passed=share >= TARGET_SHARE,
        ),
        Figure(
            "all-in output speed (prompt reading included)",
            round(effective["all_in_tokens_per_second"], 1),
            "tok/s",
        ),
        Figure("all-in / raw", f"{all_in_share:.0%}"),
        Figure("briefing wall time", round(effective["wall_seconds"], 1), "s"),
        Figure(
            "prompt reading (server's count)",
            f"{effective['prompt_eval_seconds']:.1f} s for "
            f"{effective['prompt_tokens_evaluated']:.0f} tokens "
            f"({prompt_speed:.0f} tok/s)",
        ),
        Figure(
            "server decode (its own count)",
            f"{effective['server_decode_tokens']:.0f} tokens in "
            f"{effective['server_decode_seconds']:.1f} s "
            f"({effective['server_decode_tokens'] / effective['server_decode_seconds']:.1f} tok/s)",
        ),
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
            "threads": args.threads,
            "rounds": args.rounds,
        },
        figures=figures,
        details={
            "raw": raw,
            "effective": effective,
            "rounds": [{"effective": e, "raw": r} for e, r in rounds],
        },
        directory=args.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
