"""Score a briefing of examples/articles against the hand-written gold file.

Usage: python -m tests.support.gold_check BRIEFING.json   (prints the report)

A gold claim or event is found when one merged item mentions all its keywords (in its
statement or in a verified quote) and cites one of its gold sources. A gold disagreement
is found when one ledger slot holds every gold figure, each cited from its gold source.
A gold claim is among the key points when one key point's line, or a quote of the claim,
event or disputed figures it stands for, mentions all its keywords and cites a gold source.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.briefing.key_points import key_point_citations
from summarizer.models import Briefing, Citation

GOLD = Path(__file__).resolve().parents[2] / "examples" / "gold.json"


@dataclass(frozen=True)
class GoldReport:
    claims_found: list[str]
    claims_missed: list[str]
    events_found: list[str]
    events_missed: list[str]
    disagreements_found: list[str]
    disagreements_missed: list[str]
    key_points_found: list[str]

    def lines(self) -> list[str]:
        def share(found: list[str], missed: list[str]) -> str:
            return f"{len(found)}/{len(found) + len(missed)}"

        return [
            f"claims found: {share(self.claims_found, self.claims_missed)}",
            *(f"  missed claim: {text}" for text in self.claims_missed),
            f"events found: {share(self.events_found, self.events_missed)}",
            *(f"  missed event: {text}" for text in self.events_missed),
            f"disagreements found: {share(self.disagreements_found, self.disagreements_missed)}",
            *(f"  missed disagreement: {text}" for text in self.disagreements_missed),
            f"gold claims among the key points: {len(self.key_points_found)}"
            f"/{len(self.claims_found) + len(self.claims_missed)}",
        ]


def score(briefing: Briefing, gold: dict[str, Any] | None = None) -> GoldReport:
    gold = gold or json.loads(GOLD.read_text(encoding="utf-8"))
    file_of = {s.number: Path(s.path or "").name for s in briefing.sources}

    def cited_files(citations: list[Citation]) -> set[str]:
        return {file_of[c.source] for c in citations}

    def text_of(statement: str, citations: list[Citation]) -> str:
        quotes = " ".join(c.quote for c in citations if c.quote)
        return f"{statement} {quotes}".lower()

    def found(item: dict[str, Any], candidates: list[tuple[str, list[Citation]]]) -> bool:
        return any(
            all(word in text_of(statement, citations) for word in item["keywords"])
            and cited_files(citations) & set(item["sources"])
            for statement, citations in candidates
        )

    claims = [(c.statement, c.citations) for c in briefing.claims]
    events = [(e.description, e.citations) for e in briefing.events]
    claims_found = [c["statement"] for c in gold["claims"] if found(c, claims)]
    events_found = [e["description"] for e in gold["events"] if found(e, events)]

    def slot_found(expected: dict[str, Any]) -> bool:
        for slot in briefing.disagreements:
            cited = {(file_of[e.source], e.quantity.value) for e in slot.entries}
            if all((g["source"], float(g["value"])) in cited for g in expected["entries"]):
                return True
        return False

    disagreements_found = [d["slot"] for d in gold["disagreements"] if slot_found(d)]
    points = _key_point_texts(briefing)
    key_points_found = [c["statement"] for c in gold["claims"] if found(c, points)]
    return GoldReport(
        claims_found=claims_found,
        claims_missed=[
            c["statement"] for c in gold["claims"] if c["statement"] not in claims_found
        ],
        events_found=events_found,
        events_missed=[
            e["description"] for e in gold["events"] if e["description"] not in events_found
        ],
        disagreements_found=disagreements_found,
        disagreements_missed=[
            d["slot"] for d in gold["disagreements"] if d["slot"] not in disagreements_found
        ],
        key_points_found=key_points_found,
    )


def _key_point_texts(briefing: Briefing) -> list[tuple[str, list[Citation]]]:
    """Each key point's line with the citations of what it stands for."""
    return [
        (point.line.text, citations)
        for point, citations in zip(briefing.key_points, key_point_citations(briefing), strict=True)
    ]


if __name__ == "__main__":
    report = score(Briefing.model_validate_json(Path(sys.argv[1]).read_text(encoding="utf-8")))
    print("\n".join(report.lines()))
