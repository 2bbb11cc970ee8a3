"""JSON Schemas of the typed objects, for consumers that validate our JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from summarizer.models import Article, ArticleExtraction, Briefing

# File name -> model; `summarizer schema --write schemas/` writes these.
SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "article.schema.json": Article,
    "article_extraction.schema.json": ArticleExtraction,
    "briefing.schema.json": Briefing,
}


def schema_documents() -> dict[str, str]:
    """Each schema file's name and its exact text (stable key order, trailing newline)."""
    return {
        name: json.dumps(model.model_json_schema(mode="serialization"), indent=2, sort_keys=True)
        + "\n"
        for name, model in SCHEMA_MODELS.items()
    }


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
