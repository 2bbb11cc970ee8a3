"""Cross-document event merging on ECB+ dev: the product's merged events against gold.

The articles of the chosen ECB+ topics (third-party text, read from where it lies, never
copied) are briefed as one pile by the product itself (`summarizer.abrief`: extraction on
the configured model, the embedded one by default, through the response cache; then
grounding, stories, merging). Every merged event becomes one line of the reference scorer's
system file, each verified citation with its article, quote and trigger (the event's own
word); every source's story becomes its document cluster. The reference scorer
(`../shared/eval/score_coref.py`, passed by path) aligns citations to gold event mentions
and prints the figures shown here.

    python -m benchmarks.event_merging --ecbplus ../shared/eval/ecbplus_dev.jsonl \
        --scorer ../shared/eval/score_coref.py --topics 23,35

Extraction is slow on the embedded model (about 5 s of 2 cores per sentence); answers are
cached, so a second run with other merge settings takes seconds. `--no-embeddings` merges
by wording alone, for comparison; `--adjudicate` has the model judge the borderline pairs of
merging by meaning (its answers cached too).

Targets: coverage >= 50% of the validated gold event mentions; CoNLL F1 on the aligned
mentions at or above the same-head-lemma baseline on the same mentions; the full view shown
beside the baselines. Writes `event_merging.json` and `.md` to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._product_run import add_run_options, brief_articles
from benchmarks._report import Figure, table_lines, write_report
from summarizer.inputs.ingest import article_from_text
from summarizer.models import Article, Briefing

COVERAGE_TARGET = 50.0


def load_topics(path: Path, topics: set[int]) -> tuple[list[Article], dict[str, str]]:
    """The topics' articles in file order, and each article id's ECB+ doc id."""
    articles: list[Article] = []
    doc_of: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["topic"] not in topics:
            continue
        article = article_from_text(
            row["text"], title=row.get("title"), fallback_name=row["doc_id"]
        )
        articles.append(article)
        doc_of[article.id] = row["doc_id"]
    return articles, doc_of


def system_lines(briefing: Briefing, doc_of: dict[str, str]) -> list[dict[str, Any]]:
    lines = []
    for event in briefing.events:
        citations = [
            {"doc_id": doc_of[c.article_id], "quote": c.quote, "trigger": c.trigger}
            for c in event.citations
            if c.quote is not None
        ]
        if citations:
            lines.append({"event_id": event.id, "label": event.description, "citations": citations})
    return lines


def story_lines(briefing: Briefing, doc_of: dict[str, str]) -> list[dict[str, str]]:
    by_number = {source.number: source for source in briefing.sources}
    lines = []
    for story in briefing.stories:
        for number in story.sources:
            source = by_number[number]
            ids = [source.article_id]
            lines += [{"doc_id": doc_of[i], "cluster": f"story-{story.number}"} for i in ids]
    return lines


def score(
    scorer: Path,
    gold: Path,
    topics: str,
    system: Path | None,
    stories: Path | None,
    baseline: str | None,
) -> dict[str, Any]:
    command = [sys.executable, str(scorer), "--gold", str(gold), "--topics", topics]
    if system is not None:
        command += ["--system", str(system)]
    if stories is not None:
        command += ["--doc-clusters", str(stories)]
    if baseline is not None:
        command += ["--baseline", baseline]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecbplus", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, required=True)
    parser.add_argument("--topics", default="23,35", help="whole topics, comma-separated")
    add_run_options(parser)
    options = parser.parse_args(argv)

    topics = {int(t) for t in options.topics.split(",")}
    articles, doc_of = load_topics(options.ecbplus, topics)
    run = brief_articles(articles, options)
    briefing = run.briefing
    with tempfile.TemporaryDirectory() as scratch:
        system = Path(scratch) / "events.jsonl"
        stories = Path(scratch) / "stories.jsonl"
        system.write_text("".join(json.dumps(x) + "\n" for x in system_lines(briefing, doc_of)))
        stories.write_text("".join(json.dumps(x) + "\n" for x in story_lines(briefing, doc_of)))
        result = score(options.scorer, options.ecbplus, options.topics, system, stories, None)
        lemma = score(options.scorer, options.ecbplus, options.topics, None, None, "lemma_subtopic")
    coverage = float(result["coverage_of_gold_mentions"])
    aligned = float(result["aligned"]["conll_f1"])
    aligned_lemma = float(result["aligned_baselines"]["lemma_subtopic"])
    figures = [
        Figure("coverage of gold event mentions", coverage, unit="%",
               target=f">= {COVERAGE_TARGET:.0f}%", passed=coverage >= COVERAGE_TARGET),
        Figure("aligned CoNLL F1", aligned, target=f">= lemma baseline ({aligned_lemma})",
               passed=aligned >= aligned_lemma),
        Figure("aligned baselines: singleton / lemma / lemma in sub-topic",
               " / ".join(str(result["aligned_baselines"][k])
                          for k in ("singleton", "lemma", "lemma_subtopic"))),
        Figure("full CoNLL F1", float(result["full"]["conll_f1"])),
        Figure("full view baseline: lemma in gold sub-topic", float(lemma["full"]["conll_f1"])),
        Figure("story B-cubed F1 (sub-topics)", float(result["doc_clustering"]["b3"]["f1"])),
        Figure("articles / gold event mentions",
               f"{len(articles)} / {result['n_gold_event_mentions']}"),
        Figure("merged events cited", len(system_lines(briefing, doc_of))),
        *run.figures(),
    ]  # fmt: skip
    print("\n".join(table_lines(figures)))
    write_report(
        "event_merging",
        title=f"Event merging on ECB+ dev, topics {options.topics}",
        about="`python -m benchmarks.event_merging`: the product's merged events scored by "
        "the reference scorer; extraction on the embedded model unless --base-url is given.",
        parameters={"topics": options.topics, **run.parameters()},
        figures=figures,
        details={"scorer": result, "lemma_subtopic_full": lemma["full"]},
        directory=run.report_directory(),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
