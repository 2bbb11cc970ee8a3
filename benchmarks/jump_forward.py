"""Jump-forward decoding: the embedded briefing's wall time and forward passes, off and on.

Each corpus (the five example articles, and the seeds when `--seeds` names their folder;
third-party text, read where it lies) is briefed by the product itself on the embedded
server, response cache off, once with jump-forward decoding off and once on
(`EmbeddedServer(jump_forward=...)`), never at the same time, the order alternating round
by round so that a slow spell of the machine weighs on both sides alike. Counted per run:

- wall time of the briefing (server start-up not included), and llama.cpp's `prompt eval`
  time (it counts every batch of more than one token: the prompts and the forced batches);
- output tokens (the server's `usage`), split into those decoded one at a time (one forward
  pass each) and those decoded in forced batches (proposed by jump-forward and taken by the
  sampler: the server log's `jump-forward:` lines); batches and proposed tokens;
- output tokens per second of the whole briefing;
- tokens decoded one at a time per prompt token (target <= 0.6);
- claims extracted, and which differ between the two runs; on the examples, the gold check;
- articles that failed (and why, in the JSON): a run that lost articles wrote fewer tokens.

    python -m benchmarks.jump_forward [--articles examples/articles] [--seeds ../shared/seeds]
        [--rounds 1] [--threads N] [--results-dir DIR]

Needs `cited-briefing[embedded]` and quiet cores. Writes `jump_forward.json` and `.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer import abrief
from summarizer.config import EMBEDDED_MODEL_NAME, resolve_settings
from summarizer.inputs.ingest import read_path
from summarizer.models import Briefing
from summarizer.runtime.embedded_server import EmbeddedServer
from summarizer.runtime.weights import ensure_embedded_weights

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "articles"
TARGET_ONE_AT_A_TIME_PER_PROMPT_TOKEN = 0.6
TARGET_EXAMPLES_SECONDS = 120.0

# llama.cpp's prompt timing line and our sampler's per-generation line, in the server log.
_PROMPT_EVAL = re.compile(r"prompt eval time =\s*([0-9.]+) ms /\s*([0-9]+) tokens")
_JUMP_FORWARD = re.compile(
    r"jump-forward: tokens=(\d+) accepted=(\d+) proposed=(\d+) batches=(\d+)"
)  # as runtime/jump_forward.py's log_line writes it (not imported: it loads llama.cpp)


def brief_once(articles: Path, *, jump_forward: bool, threads: int) -> dict[str, Any]:
    """One briefing of `articles` on a fresh embedded server, cache off."""
    weights = ensure_embedded_weights()
    with EmbeddedServer(
        weights, model_alias=EMBEDDED_MODEL_NAME, n_threads=threads, jump_forward=jump_forward
    ) as server:
        settings = resolve_settings(
            base_url=server.base_url,
            model=EMBEDDED_MODEL_NAME,
            mode="json_object_schema",
            cache=False,
            remember=False,
        )
        started = time.perf_counter()
        briefing = asyncio.run(abrief(read_path(articles), settings=settings))
        wall = time.perf_counter() - started
        log_path = server.log_path
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path else ""
    prompt_eval = _PROMPT_EVAL.findall(log)
    jumps = [tuple(int(n) for n in found) for found in _JUMP_FORWARD.findall(log)]
    stats = briefing.stats
    accepted = sum(j[1] for j in jumps)
    prompt_seconds = sum(float(ms) for ms, _ in prompt_eval) / 1000
    return {
        "jump_forward": jump_forward,
        "wall_seconds": wall,
        "prompt_eval_seconds": prompt_seconds,
        "prompt_tokens_evaluated": sum(int(n) for _, n in prompt_eval),
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "in_forced_batches": accepted,
        "one_at_a_time": stats.completion_tokens - accepted,
        "proposed": sum(j[2] for j in jumps),
        "batches": sum(j[3] for j in jumps),
        "generations_logged": len(jumps),
        "calls": stats.llm_calls,
        "reasks": stats.reasks,
        "output_tokens_per_second": stats.completion_tokens / wall,
        # An article that failed (its deadline, say) is fewer tokens, not a faster run.
        "failed_articles": len(stats.failures),
        "failures": [f"{failure.source}: {failure.message}" for failure in stats.failures],
        "briefing": briefing,
    }


def claim_keys(briefing: Briefing) -> set[tuple[Any, ...]]:
    """What each merged claim says, with its quotes: equal when the extraction was."""
    return {
        (
            claim.statement,
            claim.subject,
            claim.predicate,
            claim.object,
            claim.certainty,
            claim.polarity,
            tuple(sorted((c.source, c.claimant or "", c.quote or "") for c in claim.citations)),
        )
        for claim in briefing.claims
    }


def _said(key: tuple[Any, ...]) -> str:
    return " | ".join(map(str, key[:6]))


def gold_line(briefing: Briefing) -> str:
    from tests.support.gold_check import score

    report = score(briefing)
    return "; ".join(report.lines())


def _mean(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.fmean(float(run[key]) for run in runs)


def corpus_figures(name: str, runs: list[dict[str, Any]], *, gold: bool) -> list[Figure]:
    off = [run for run in runs if not run["jump_forward"]]
    on = [run for run in runs if run["jump_forward"]]

    def row(
        label: str,
        key: str,
        unit: str = "",
        digits: int = 1,
        target: str = "",
        passed: bool | None = None,
    ) -> Figure:
        before, after = _mean(off, key), _mean(on, key)
        change = f" ({(after - before) / before:+.0%})" if before else ""
        return Figure(
            f"{name}: {label}",
            f"{before:,.{digits}f} -> {after:,.{digits}f}{change}",
            unit,
            target,
            passed,
        )

    one_per_prompt = [
        _mean(side, "one_at_a_time") / _mean(side, "prompt_tokens") for side in (off, on)
    ]
    same = [
        claim_keys(a["briefing"]) == claim_keys(b["briefing"]) for a, b in zip(off, on, strict=True)
    ]
    differing = [
        len(claim_keys(a["briefing"]) ^ claim_keys(b["briefing"]))
        for a, b in zip(off, on, strict=True)
    ]
    wall_on = _mean(on, "wall_seconds")
    figures = [
        row(
            "wall time",
            "wall_seconds",
            "s",
            target=f"< {TARGET_EXAMPLES_SECONDS:.0f} s with jump-forward" if gold else "",
            passed=wall_on < TARGET_EXAMPLES_SECONDS if gold else None,
        ),
        row("llama.cpp 'prompt eval': prompts and forced batches", "prompt_eval_seconds", "s"),
        row("prompt tokens", "prompt_tokens", digits=0),
        row("output tokens", "completion_tokens", digits=0),
        row("output tokens decoded one at a time", "one_at_a_time", digits=0),
        row("output tokens decoded in forced batches", "in_forced_batches", digits=0),
        row("tokens proposed", "proposed", digits=0),
        row("forced batches", "batches", digits=0),
        row("output tokens per second, all in", "output_tokens_per_second", "tok/s"),
        Figure(
            f"{name}: one-at-a-time tokens per prompt token",
            f"{one_per_prompt[0]:.2f} -> {one_per_prompt[1]:.2f}",
            target=f"<= {TARGET_ONE_AT_A_TIME_PER_PROMPT_TOKEN}",
            passed=one_per_prompt[1] <= TARGET_ONE_AT_A_TIME_PER_PROMPT_TOKEN,
        ),
        row("merged claims", "claims", digits=0),
        row("articles that failed", "failed_articles", digits=0),
        Figure(
            f"{name}: merged claims the same off and on",
            ", ".join(
                "yes" if equal else f"no ({count} differ)"
                for equal, count in zip(same, differing, strict=True)
            ),
            target="the same",
            passed=all(same),
        ),
    ]  # fmt: skip
    if gold:
        for side, label in ((off, "off"), (on, "on")):
            figures.append(
                Figure(f"{name}: gold check, jump-forward {label}", gold_line(side[-1]["briefing"]))
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=EXAMPLES)
    parser.add_argument("--seeds", type=Path, default=None, help="the seeds' folder")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    corpora = [("examples", args.articles)]
    if args.seeds is not None:
        if args.seeds.is_dir():
            corpora.append(("seeds", args.seeds))
        else:
            print(f"no seeds at {args.seeds}: the examples only")
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    for name, folder in corpora:
        runs: list[dict[str, Any]] = []
        for number in range(1, args.rounds + 1):
            # Alternated, so a slow spell of the machine weighs on both sides alike.
            order = (False, True) if number % 2 else (True, False)
            for jump_forward in order:
                label = "on" if jump_forward else "off"
                print(f"{name}, round {number}: jump-forward {label} ...", flush=True)
                run = brief_once(folder, jump_forward=jump_forward, threads=args.threads)
                run["claims"] = len(run["briefing"].claims)
                print(
                    f"  {run['wall_seconds']:.1f} s, {run['completion_tokens']} output tokens, "
                    f"{run['one_at_a_time']} one at a time, {run['in_forced_batches']} in batches",
                    flush=True,
                )
                runs.append(run)
        figures += corpus_figures(name, runs, gold=folder == EXAMPLES)
        # Claims of the seeds are third-party text: only their counts are kept.
        details[name] = [
            {k: v for k, v in run.items() if k != "briefing"}
            | ({"claims_said": sorted(map(_said, claim_keys(run["briefing"])))} if own else {})
            for run in runs
            for own in [folder == EXAMPLES]
        ]
    print("\n".join(table_lines(figures)))
    write_report(
        "jump_forward",
        title="Jump-forward decoding: the embedded briefing off -> on",
        about=__doc__.split("\n\n")[1].replace("\n", " "),
        parameters={
            "corpora": [name for name, _ in corpora],
            "threads": args.threads,
            "rounds": args.rounds,
        },
        figures=figures,
        details=details,
        directory=args.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
