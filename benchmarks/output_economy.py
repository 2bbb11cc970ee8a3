"""Output economy: prompt overhead and output tokens per claim, before and after.

Both sides are real runs of the embedded model over the five example articles, as
recorded in the end-to-end cassette: the baseline is the cassette as committed at
`--baseline` (the extraction shape before issue 3: the model wrote each sentence back as
its quote, the figure's value, qualifier and as-of date, certainty and polarity apart, and
was re-asked whenever it pointed at a figure loosely), the other is the cassette in the
working tree. Token counts are the server's own (`usage`); the article's own tokens are
counted with the model's tokenizer (needs `cited-briefing[embedded]`).

- prompt overhead: prompt tokens sent beyond the article text (system prompt, template,
  sentence numbering, and whole conversations re-sent by re-asks);
- output tokens per claim: every completion token, re-asks included, / claims extracted;
- what the answers are made of: each field's tokens (its key and punctuation included) over
  the last answer of every chunk, written as the model writes JSON (`{"s1": {"key": ...`),
  so roughly what it decoded.

    python -m benchmarks.output_economy [--baseline a9c31db]

A baseline other than the default writes `output_economy_<baseline>.json` and `.md`.

Prints both columns and the change, and writes `output_economy.json` and `.md`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks._report import RESULTS_DIR, Figure, table_lines, write_report
from summarizer.testing.cassettes import chat_exchanges

REPO = Path(__file__).resolve().parent.parent
CASSETTE = Path("cassettes/test_end_to_end/examples_briefing.yaml")
BASELINE_COMMIT = "a9c31db"
_NUMBERED = re.compile(r"^\[s\d+\] (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Economy:
    requests: int
    reasks: int
    prompt_tokens: int
    article_tokens: int
    completion_tokens: int
    claims: int
    tokens_by_field: dict[str, int]

    @property
    def prompt_overhead(self) -> int:
        return self.prompt_tokens - self.article_tokens

    @property
    def output_per_claim(self) -> float:
        return self.completion_tokens / max(1, self.claims)


def measure(cassette_text: str, count_tokens: Any) -> Economy:
    """Economy of one recorded run: every interaction, re-asks included."""
    exchanges = chat_exchanges(cassette_text, name=str(CASSETTE))
    prompt = completion = article = reasks = 0
    last_answer_by_chunk: dict[str, dict[str, Any]] = {}
    for exchange in exchanges:
        request, response = exchange.request, exchange.response
        prompt += response["usage"]["prompt_tokens"]
        completion += response["usage"]["completion_tokens"]
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        if len(request["messages"]) > 2:
            reasks += 1
        else:
            article += count_tokens("\n".join(_NUMBERED.findall(user)))
        # A chunk's claims are the entries of its last answer (after any re-ask).
        last_answer_by_chunk[user] = _entries(response)
    answers = list(last_answer_by_chunk.values())
    claims = sum(len(entries) for entries in answers)
    by_field: dict[str, int] = {}
    for entries in answers:
        for key, entry in entries.items():
            by_field["the entries' own keys and braces"] = by_field.get(
                "the entries' own keys and braces", 0
            ) + count_tokens(f', "{key}": {{}}')
            for field, value in entry.items():
                written = json.dumps(value, ensure_ascii=False)
                by_field[field] = by_field.get(field, 0) + count_tokens(f', "{field}": {written}')
    return Economy(len(exchanges), reasks, prompt, article, completion, claims, by_field)


def _entries(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        answer = json.loads(response["choices"][0]["message"]["content"])
    except (json.JSONDecodeError, KeyError, IndexError):
        return {}
    return {key: value for key, value in answer.items() if isinstance(value, dict)}


def _tokenizer() -> Any:
    import llama_cpp

    from summarizer.runtime.weights import ensure_embedded_weights

    vocab = llama_cpp.Llama(
        model_path=str(ensure_embedded_weights()), vocab_only=True, verbose=False
    )
    return lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE_COMMIT, help="commit of the baseline")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    baseline_text = subprocess.run(
        ["git", "show", f"{args.baseline}:{CASSETTE}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    count_tokens = _tokenizer()
    before = measure(baseline_text, count_tokens)
    after = measure((REPO / CASSETTE).read_text(encoding="utf-8"), count_tokens)

    def change(old: float, new: float) -> str:
        return f"{old:,.1f} -> {new:,.1f} ({(new - old) / old:+.0%})"

    figures = [
        Figure(
            "requests (re-asks)",
            f"{before.requests} ({before.reasks}) -> {after.requests} ({after.reasks})",
        ),
        Figure(
            "claims extracted",
            f"{before.claims} -> {after.claims}",
            target="not fewer",
            passed=after.claims >= before.claims,
        ),
        Figure("prompt tokens", change(before.prompt_tokens, after.prompt_tokens)),
        Figure(
            "article tokens (in those prompts)", change(before.article_tokens, after.article_tokens)
        ),
        Figure(
            "prompt overhead (tokens beyond the article)",
            change(before.prompt_overhead, after.prompt_overhead),
            target="lower",
            passed=after.prompt_overhead < before.prompt_overhead,
        ),
        Figure(
            "prompt overhead per article token",
            f"{before.prompt_overhead / before.article_tokens:.2f} -> "
            f"{after.prompt_overhead / after.article_tokens:.2f}",
        ),
        Figure("completion tokens", change(before.completion_tokens, after.completion_tokens)),
        Figure(
            "output tokens per claim",
            change(before.output_per_claim, after.output_per_claim),
            target="lower",
            passed=after.output_per_claim < before.output_per_claim,
        ),
    ]
    every_before = sum(before.tokens_by_field.values())
    every_after = sum(after.tokens_by_field.values())
    for field in sorted(
        before.tokens_by_field.keys() | after.tokens_by_field.keys(),
        key=lambda f: -max(before.tokens_by_field.get(f, 0), after.tokens_by_field.get(f, 0)),
    ):
        old, new = before.tokens_by_field.get(field, 0), after.tokens_by_field.get(field, 0)
        figures.append(
            Figure(
                f"answer tokens in `{field}`",
                f"{old:,} ({old / every_before:.0%}) -> {new:,} ({new / every_after:.0%})",
            )
        )
    print("\n".join(table_lines(figures)))
    write_report(
        "output_economy" if args.baseline == BASELINE_COMMIT else f"output_economy_{args.baseline}",
        title="Output economy: prompt overhead and output tokens per claim",
        about=(
            "The five example articles on the embedded model, as recorded in the end-to-end "
            f"cassette at {args.baseline} (baseline) and in this tree (after). Token counts are "
            "the server's; article tokens use the model's tokenizer."
        ),
        parameters={"baseline": args.baseline, "cassette": str(CASSETTE)},
        figures=figures,
        details={"before": asdict(before), "after": asdict(after)},
        directory=args.results_dir,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
