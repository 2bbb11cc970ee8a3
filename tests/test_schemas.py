"""Generated artefacts stay in step with the code."""

from __future__ import annotations

import json

import jsonschema

from summarizer.render.schemas import schema_documents
from tests.conftest import SCHEMAS


def test_schema_files_match_the_models() -> None:
    for name, text in schema_documents().items():
        path = SCHEMAS / name
        assert path.exists(), f"{path} missing: run `summarizer schema --write schemas`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} drifted from the models: run `summarizer schema --write schemas`"
        )


def test_no_stray_schema_files() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(schema_documents())


def test_schemas_are_valid_json_schema() -> None:
    for text in schema_documents().values():
        jsonschema.Draft202012Validator.check_schema(json.loads(text))
