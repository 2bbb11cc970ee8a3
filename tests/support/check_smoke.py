"""Check a real briefing: claims exist and every shown quote is verbatim at its offsets.

Usage: python -m tests.support.check_smoke BRIEFING.json ARTICLE_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarizer.inputs.ingest import read_path
from summarizer.models import Briefing


def main(briefing_path: str, article_path: str) -> int:
    briefing = Briefing.model_validate_json(Path(briefing_path).read_text(encoding="utf-8"))
    (article,) = read_path(Path(article_path))
    shown = [
        citation
        for claim in briefing.claims
        for citation in claim.citations
        if citation.quote is not None
    ]
    for citation in shown:
        if article.text[citation.start : citation.end] != citation.quote:
            print(f"quote not verbatim at its offsets: {citation.quote!r}")
            return 1
    print(
        f"smoke: {len(briefing.claims)} claims, {len(briefing.events)} events, "
        f"{len(shown)} verified quotes, {briefing.stats.completion_tokens} output tokens, "
        f"{briefing.stats.wall_seconds:.1f} s"
    )
    return 0 if briefing.claims and shown else 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
