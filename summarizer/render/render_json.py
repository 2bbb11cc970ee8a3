"""JSON rendering: the Briefing as data that validates against `schemas/briefing.schema.json`."""

from __future__ import annotations

from summarizer.models import Briefing


def render_json(briefing: Briefing) -> str:
    """The briefing as indented JSON."""
    return briefing.model_dump_json(indent=2) + "\n"
