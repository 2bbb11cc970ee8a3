"""The briefing of a folder of real articles about one story: is it deduplicated, and are
its disputes each in one ledger slot?

The articles (third-party text, read from where they lie, never copied) are briefed by the
product itself (`summarizer.abrief`: extraction on the configured model, the embedded one by
default, through the response cache, so a second run takes seconds). Printed: how many
merged claims remain and how many cite two or more sources, every ledger slot with its
figures, and for each expected dispute whether one slot holds all of its figures.

    python -m benchmarks.seeds_briefing --seeds ../shared/seeds

The expected disputes are those of the five seed articles (../shared/SEEDS.md): troops
(1,500 / 3,000 / 10,000 / 12,000 / 10,900-12,000 / 100,000), ammunition (8 million rounds
vs about a million) and casualties (1,100 vs over 3,000). `--no-embeddings` merges by
wording alone, for comparison; `--adjudicate` has the model judge the borderline pairs of
merging by meaning. Writes `seeds_briefing.json` and `.md` to benchmarks/results/.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._product_run import add_run_options, brief_articles
from benchmarks._report import Figure, table_lines, write_report
from summarizer.inputs.ingest import read_path
from summarizer.models import Disagreement, Quantity
from summarizer.render.render_markdown import render_markdown

# Each dispute's figures: a number, or (low, high) for a range.
Figure_ = float | tuple[float, float]
DISPUTES: dict[str, tuple[Figure_, ...]] = {
    "troops": (1_500, 3_000, 10_000, 12_000, (10_900, 12_000), 100_000),
    "ammunition": (8_000_000, 1_000_000),
    "casualties": (1_100, 3_000),
}


def figures_of(quantity: Quantity) -> set[Figure_]:
    found: set[Figure_] = set()
    if quantity.value is not None:
        found.add(quantity.value)
    if quantity.low is not None and quantity.high is not None:
        found.add((quantity.low, quantity.high))
    elif quantity.low is not None:
        found.add(quantity.low)
    return found


def slot_figures(slot: Disagreement) -> set[Figure_]:
    """The figures of a slot whose entries cite a verified quote."""
    return {
        figure
        for entry in slot.entries
        if entry.citation.quote is not None and entry.citation.status == "verified"
        for figure in figures_of(entry.quantity)
    }


def best_slot(
    slots: Sequence[Disagreement], expected: tuple[Figure_, ...]
) -> tuple[Disagreement | None, set[Figure_]]:
    """The slot holding most of the expected figures, and which of them it holds."""
    best: tuple[Disagreement | None, set[Figure_]] = (None, set())
    for slot in slots:
        held = slot_figures(slot) & set(expected)
        if len(held) > len(best[1]):
            best = (slot, held)
    return best


def _show(figure: Figure_) -> str:
    if isinstance(figure, tuple):
        return f"{figure[0]:,.0f}-{figure[1]:,.0f}"
    return f"{figure:,.0f}"


def slot_line(slot: Disagreement) -> str:
    """The slot's name and each entry's figures with its source number (figures only: the
    articles' own words stay out of the results)."""
    entries = ", ".join(
        (
            "/".join(_show(f) for f in sorted(figures_of(e.quantity), key=str))
            or e.quantity.qualifier
        )
        + f" [{e.source}]"
        for e in slot.entries
    )
    return f"story {slot.story} · {slot.slot}: {entries}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, required=True, help="a folder of articles")
    add_run_options(parser)
    options = parser.parse_args(argv)

    articles = read_path(options.seeds)
    run = brief_articles(articles, options)
    briefing = run.briefing

    claims = briefing.claims
    cited_twice = [c for c in claims if len({x.source for x in c.citations}) >= 2]
    events_cited_twice = [e for e in briefing.events if len({x.source for x in e.citations}) >= 2]
    words_in = sum(len(a.text.split()) for a in articles)
    words_out = len(render_markdown(briefing).split())
    words_full = len(render_markdown(briefing, full=True).split())
    figures = [
        Figure("articles / words", f"{len(articles)} / {words_in}"),
        Figure("claim citations", sum(len(c.citations) for c in claims)),
        Figure("merged claims", len(claims)),
        Figure("merged claims citing 2+ sources", len(cited_twice)),
        Figure("merged events / citing 2+ sources",
               f"{len(briefing.events)} / {len(events_cited_twice)}"),
        Figure("stories", len(briefing.stories)),
        Figure("ledger slots", len(briefing.disagreements)),
        Figure("Markdown words (default)", words_out),
        Figure("Markdown words (--full)", words_full),
        Figure("key points", len(briefing.key_points)),
    ]  # fmt: skip
    disputes: dict[str, Any] = {}
    for name, expected in DISPUTES.items():
        slot, held = best_slot(briefing.disagreements, expected)
        missing = [f for f in expected if f not in held]
        disputes[name] = {
            "slot": slot.slot if slot else None,
            "held": [_show(f) for f in expected if f in held],
            "missing": [_show(f) for f in missing],
        }
        figures.append(
            Figure(
                f"dispute '{name}' in one slot",
                f"{slot.slot if slot else '-'}: {len(held)} of {len(expected)}"
                + (f" (missing {', '.join(_show(f) for f in missing)})" if missing else ""),
                target="all figures, one slot",
                passed=not missing,
            )
        )
    figures += run.figures()
    slots = [slot_line(slot) for slot in briefing.disagreements]
    print("\n".join(table_lines(figures)))
    print("\nLedger slots:\n" + "\n".join(f"- {line}" for line in slots))
    write_report(
        "seeds_briefing",
        title="The briefing of the five seed articles",
        about="`python -m benchmarks.seeds_briefing --seeds ../shared/seeds`: merged claims, "
        "2+ source counts and the disagreement ledger of the product's own briefing.",
        parameters=run.parameters(),
        figures=figures,
        details={"disputes": disputes, "slots": slots},
        extra_markdown=["", "Ledger slots:", "", *(f"- {line}" for line in slots)],
        directory=run.report_directory(),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
