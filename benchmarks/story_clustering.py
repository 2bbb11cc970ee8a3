"""Story clustering on real news with gold story labels: B-cubed F1 beside a TF-IDF baseline.

Data (third-party text, read from where it lies, never copied): BASIL dev triplets (the same
event covered by Fox News, the New York Times and HuffPost; gold story per article) and the
ECB+ dev topics (two look-alike events per topic; gold story = topic + sub-topic), with
their publication dates where the set has them (BASIL does, ECB+ does not). Each
set's articles are clustered all together, as one day's pile, by
`summarizer.briefing.stories.cluster_stories` at its default threshold, and by the baseline: plain
TF-IDF vectors, average link, cosine 0.2. Articles are read as the product reads text
(`article_from_text`), their titles kept.

B-cubed is computed here; with `--scorer ../shared/eval/score_coref.py` the reference scorer
is run on the same clusters (written to a temporary file) and its figures are shown beside
ours, which must agree. With `--seeds ../shared/seeds`, the five real articles about one
story are clustered at the same threshold too: they must come out as one story.

A day's pile is often one topic, not a whole corpus: each ECB+ topic (its two look-alike
sub-topics) is also clustered alone, and the mean of its B-cubed F1 is shown for ours and
the baseline (no target; within one topic the topic's own words are in every article).

    python -m benchmarks.story_clustering --basil ../shared/eval/basil_dev.jsonl \
        --ecbplus ../shared/eval/ecbplus_dev.jsonl --scorer ../shared/eval/score_coref.py \
        --seeds ../shared/seeds

Targets: B-cubed F1 >= 0.98 on BASIL dev and >= 0.95 on the ECB+ dev sub-topics, at one
threshold for both. Writes `story_clustering.json` and `.md` to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._report import Figure, table_lines, write_report
from summarizer.briefing.stories import (
    STORY_SIMILARITY,
    average_link,
    cluster_stories,
    tfidf_vectors,
)
from summarizer.inputs.ingest import article_from_text, read_path
from summarizer.models import Article

BASELINE_THRESHOLD = 0.2
TARGETS = {"basil": 0.98, "ecbplus": 0.95}


def load_articles(path: Path) -> tuple[list[Article], list[str], list[str]]:
    """Articles, their doc ids and their gold stories, in file order."""
    articles, doc_ids, gold = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        published = dt.date.fromisoformat(row["date"]) if row.get("date") else None
        articles.append(
            article_from_text(
                row["text"],
                title=row.get("title"),
                published=published,
                fallback_name=row["doc_id"],
            )
        )
        doc_ids.append(row["doc_id"])
        gold.append(str(row["cluster_id"]))
    return articles, doc_ids, gold


def b_cubed_f1(gold: Sequence[str], predicted: Sequence[int]) -> tuple[float, float, float]:
    """(precision, recall, F1) of B-cubed over items labelled by gold and predicted cluster."""
    count = len(gold)
    precision = recall = 0.0
    for i in range(count):
        same_predicted = {j for j in range(count) if predicted[j] == predicted[i]}
        same_gold = {j for j in range(count) if gold[j] == gold[i]}
        both = len(same_predicted & same_gold)
        precision += both / len(same_predicted)
        recall += both / len(same_gold)
    precision, recall = precision / count, recall / count
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def labels(groups: Sequence[Sequence[int]], count: int) -> list[int]:
    label = [0] * count
    for number, members in enumerate(groups):
        for member in members:
            label[member] = number
    return label


def reference_b_cubed(
    scorer: Path, gold_path: Path, doc_ids: Sequence[str], label: Sequence[int]
) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for doc_id, cluster in zip(doc_ids, label, strict=True):
            handle.write(json.dumps({"doc_id": doc_id, "cluster": f"s{cluster}"}) + "\n")
    finished = subprocess.run(
        [sys.executable, str(scorer), "--gold", str(gold_path), "--doc-clusters", handle.name],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(handle.name).unlink()
    result: dict[str, Any] = json.loads(finished.stdout)
    # The reference prints percentages.
    return float(result["doc_clustering"]["b3"]["f1"])


def _per_topic_b_cubed(path: Path, threshold: float) -> dict[str, Any]:
    """Each ECB+ topic clustered alone: the mean B-cubed F1, ours and the baseline's."""
    articles, _, gold = load_articles(path)
    by_topic: dict[str, list[int]] = {}
    for index, story in enumerate(gold):
        by_topic.setdefault(story.split("_")[0], []).append(index)
    ours, baseline = {}, {}
    for topic, members in sorted(by_topic.items()):
        pile = [articles[i] for i in members]
        topic_gold = [gold[i] for i in members]
        ours[topic] = b_cubed_f1(
            topic_gold, labels(cluster_stories(pile, threshold=threshold), len(pile))
        )[2]
        tfidf = tfidf_vectors([a.text for a in pile])
        found = average_link(tfidf @ tfidf.T, BASELINE_THRESHOLD)
        baseline[topic] = b_cubed_f1(topic_gold, labels(found, len(pile)))[2]
    return {
        "ours": sum(ours.values()) / len(ours),
        "baseline": sum(baseline.values()) / len(baseline),
        "by_topic": {"ours": ours, "baseline": baseline},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--basil", type=Path, required=True)
    parser.add_argument("--ecbplus", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, help="the reference scorer, to cross-check")
    parser.add_argument("--seeds", type=Path, help="a folder of articles of one story")
    parser.add_argument("--threshold", type=float, default=STORY_SIMILARITY)
    parser.add_argument("--results-dir", type=Path, default=None)
    options = parser.parse_args(argv)

    figures: list[Figure] = []
    details: dict[str, Any] = {}
    for name, path in (("basil", options.basil), ("ecbplus", options.ecbplus)):
        articles, doc_ids, gold = load_articles(path)
        started = time.perf_counter()
        ours = labels(cluster_stories(articles, threshold=options.threshold), len(gold))
        seconds = time.perf_counter() - started
        tfidf = tfidf_vectors([a.text for a in articles])
        baseline = labels(average_link(tfidf @ tfidf.T, BASELINE_THRESHOLD), len(gold))
        p, r, f1 = b_cubed_f1(gold, ours)
        _, _, baseline_f1 = b_cubed_f1(gold, baseline)
        baseline_name = f"{name}: baseline (TF-IDF, cosine {BASELINE_THRESHOLD})"
        figures += [
            Figure(f"{name}: B-cubed F1", round(f1, 4), target=f">= {TARGETS[name]}",
                   passed=f1 >= TARGETS[name]),
            Figure(baseline_name, round(baseline_f1, 4)),
            Figure(f"{name}: precision / recall", f"{p:.4f} / {r:.4f}"),
            Figure(f"{name}: stories found / gold", f"{len(set(ours))} / {len(set(gold))}"),
            Figure(f"{name}: clustering time", round(seconds, 2), unit="s"),
        ]  # fmt: skip
        details[name] = {"articles": len(articles), "f1": f1, "baseline_f1": baseline_f1}
        if options.scorer:
            reference = reference_b_cubed(options.scorer, path, doc_ids, ours)
            agrees = abs(reference - 100 * f1) < 0.01
            figures.append(
                Figure(f"{name}: reference scorer's B-cubed F1 (%)", round(reference, 2),
                       target="equal to ours", passed=agrees)
            )  # fmt: skip
    per_topic = _per_topic_b_cubed(options.ecbplus, options.threshold)
    details["ecbplus_per_topic"] = per_topic
    figures.append(
        Figure(
            "ecbplus, one topic at a time: mean B-cubed F1 (ours / baseline)",
            f"{per_topic['ours']:.3f} / {per_topic['baseline']:.3f}",
        )
    )
    if options.seeds:
        seed_stories = len(cluster_stories(read_path(options.seeds), threshold=options.threshold))
        details["seeds"] = {"stories": seed_stories}
        figures.append(
            Figure("seeds: stories found", seed_stories, target="1", passed=seed_stories == 1)
        )
    print("\n".join(table_lines(figures)))
    write_report(
        "story_clustering",
        title="Story clustering on BASIL dev and ECB+ dev",
        about="`python -m benchmarks.story_clustering`: every set's articles clustered as "
        "one pile; gold = the article's story (BASIL event, ECB+ topic and sub-topic).",
        parameters={"threshold": options.threshold, "baseline_threshold": BASELINE_THRESHOLD},
        figures=figures,
        details=details,
        **({"directory": options.results_dir} if options.results_dir else {}),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
