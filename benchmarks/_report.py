"""Benchmark reports: figures beside their targets, printed and saved as JSON and Markdown.

A figure with a target is PASS or FAIL; one without is context (an ideal, a count). A
benchmark always exits 0 once it has measured: a missed target is a finding to read in
the table, not a crash, and the saved report keeps it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.models import AdjudicationUsage

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    """One measured or derived figure, and the target it is held to, if any."""

    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    passed: bool | None = None

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "FAIL"

    @property
    def shown(self) -> str:
        value = f"{self.value:.3f}" if isinstance(self.value, float) else str(self.value)
        return f"{value} {self.unit}".strip()


def environment() -> dict[str, Any]:
    """Where the figures were taken: they are only comparable on the same machine."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(load[0], 2) if load else None,
    }


def _commit() -> str | None:
    """The checked-out commit, marked `-dirty` when the tree has changes; None outside git."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=RESULTS_DIR.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return described.stdout.strip() or None


def adjudication_counts(adjudication: AdjudicationUsage | None) -> str:
    """A run's adjudicated pairs / judged same / failed / requests, or "off"."""
    if adjudication is None:
        return "off"
    counts = (adjudication.pairs, adjudication.same, adjudication.failed)
    return " / ".join(str(n) for n in (*counts, adjudication.usage.calls))


def table_lines(figures: Sequence[Figure]) -> list[str]:
    """The figures as an aligned plain-text table, then one line with the overall result."""
    rows = [("figure", "value", "target", "result")]
    rows += [(f.name, f.shown, f.target, f.verdict) for f in figures]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return [*lines, "", overall(figures)]


def overall(figures: Sequence[Figure]) -> str:
    checked = [f for f in figures if f.passed is not None]
    missed = [f.name for f in checked if not f.passed]
    if not missed:
        return f"RESULT: PASS ({len(checked)} of {len(checked)} targets met)"
    return f"RESULT: FAIL ({len(missed)} of {len(checked)} targets missed: {'; '.join(missed)})"


def write_report(
    name: str,
    *,
    title: str,
    about: str,
    parameters: Mapping[str, Any],
    figures: Sequence[Figure],
    details: Mapping[str, Any] | None = None,
    extra_markdown: Sequence[str] = (),
    directory: Path = RESULTS_DIR,
) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md` into `directory`; return both paths.

    `details` go into the JSON only; `extra_markdown` lines are appended to the Markdown.
    """
    directory.mkdir(parents=True, exist_ok=True)
    where = environment()
    document = {
        "benchmark": name,
        "passed": all(f.passed is not False for f in figures),
        "parameters": dict(parameters),
        "figures": [
            {
                "name": f.name,
                "value": f.value,
                "unit": f.unit,
                "target": f.target or None,
                "result": f.verdict or None,
            }
            for f in figures
        ],
        "details": dict(details or {}),
        "environment": where,
    }
    json_path = directory / f"{name}.json"
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    markdown = [
        f"# {title}",
        "",
        about,
        "",
        "| figure | value | target | result |",
        "|---|---|---|---|",
        *(f"| {f.name} | {f.shown} | {f.target} | {f.verdict} |" for f in figures),
        "",
        overall(figures),
        "",
        "Parameters: " + ", ".join(f"`{key}={value}`" for key, value in parameters.items()),
        "",
        "Measured on: " + ", ".join(f"`{key}={value}`" for key, value in where.items()),
        "",
    ]
    if extra_markdown:
        markdown += [*extra_markdown, ""]
    markdown_path = directory / f"{name}.md"
    markdown_path.write_text("\n".join(markdown), encoding="utf-8")
    return json_path, markdown_path
