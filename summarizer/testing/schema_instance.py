"""A small valid instance of a JSON Schema, built from the schema alone, for the OpenAI stub.

It covers what pydantic generates for our response models: local `$ref`s, `const`,
`enum`, `anyOf`/`oneOf` with null, objects with required properties, and strings with a
`pattern` or `format`. Deliberately not a general JSON Schema generator: no
`if`/`then`, `not`, `dependentRequired`, string lengths or `multipleOf`; optional
properties are left out, because the stub's answers should be the smallest valid ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["UnsupportedSchema", "instance_for_schema"]

_MAX_DEPTH = 64
_STRING_BY_FORMAT = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "stub@example.com",
    "uri": "https://example.com/stub",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
# Tried in order against a string's `pattern`; dates come early for our ISO-date fields.
_PATTERN_CANDIDATES = ("stub", "2024-01-01", "2024-01", "2024", "1", "A", "a", "")


class UnsupportedSchema(ValueError):
    """No instance of this schema can be built (the stub answers HTTP 400)."""


def instance_for_schema(schema: Mapping[str, Any]) -> Any:
    """A small valid instance of a JSON Schema, built from the schema alone.

    `$ref` resolves within the schema (`#/$defs/...`); `const` gives the constant, `enum`
    its first value, `anyOf`/`oneOf` the first non-null branch; objects get their required
    properties only; strings are "stub" unless a `format` or `pattern` asks otherwise
    (a pattern "stub" misses gives null where null is allowed, else the first of a few
    candidates such as "2024-01-01" that matches); numbers are 1 within any
    `minimum`/`maximum`; booleans false; arrays hold `minItems` items.

    Raises:
        UnsupportedSchema: the schema has an unknown type, an unresolvable `$ref`, a
            pattern no candidate matches, or nests deeper than 64 levels.
    """
    return _instance(schema, root=schema, nullable=False, depth=0)


def _instance(
    schema: Mapping[str, Any], *, root: Mapping[str, Any], nullable: bool, depth: int
) -> Any:
    if depth > _MAX_DEPTH:
        raise UnsupportedSchema(f"schema nests deeper than {_MAX_DEPTH} levels")
    deeper = depth + 1
    if "$ref" in schema:
        target = _resolve(root, schema["$ref"])
        return _instance(target, root=root, nullable=nullable, depth=deeper)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        if not schema["enum"]:
            raise UnsupportedSchema("empty enum")
        return schema["enum"][0]
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            branches = schema[keyword]
            usable = [branch for branch in branches if branch.get("type") != "null"]
            if not usable:
                return None
            allows_null = nullable or len(usable) < len(branches)
            return _instance(usable[0], root=root, nullable=allows_null, depth=deeper)
    if "allOf" in schema:
        parts = [
            _instance(part, root=root, nullable=False, depth=deeper) for part in schema["allOf"]
        ]
        if parts and all(isinstance(part, dict) for part in parts):
            return {key: value for part in parts for key, value in part.items()}
        return parts[0] if parts else "stub"
    return _typed_instance(schema, root=root, nullable=nullable, depth=deeper)


def _typed_instance(
    schema: Mapping[str, Any], *, root: Mapping[str, Any], nullable: bool, depth: int
) -> Any:
    declared = schema.get("type")
    if isinstance(declared, list):
        kinds = [kind for kind in declared if kind != "null"]
        if not kinds:
            return None
        nullable = nullable or len(kinds) < len(declared)
        kind = kinds[0]
    elif declared is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    else:
        kind = declared
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: _instance(properties.get(name, {}), root=root, nullable=False, depth=depth)
            for name in schema.get("required", [])
        }
    if kind == "array":
        item = schema.get("items", {})
        count = schema.get("minItems", 0)
        return [_instance(item, root=root, nullable=False, depth=depth) for _ in range(count)]
    if kind == "string":
        return _string_instance(schema, nullable=nullable)
    if kind in ("number", "integer"):
        value = min(max(1, schema.get("minimum", 1)), schema.get("maximum", math.inf))
        return math.ceil(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise UnsupportedSchema(f"unknown type {kind!r}")


def _string_instance(schema: Mapping[str, Any], *, nullable: bool) -> str | None:
    pattern = schema.get("pattern")
    if pattern is None:
        return _STRING_BY_FORMAT.get(schema.get("format", ""), "stub")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise UnsupportedSchema(f"pattern {pattern!r} is not a Python regex: {error}") from None
    # JSON Schema patterns are unanchored, hence search rather than fullmatch.
    if compiled.search("stub"):
        return "stub"
    if nullable:
        return None
    for candidate in _PATTERN_CANDIDATES:
        if compiled.search(candidate):
            return candidate
    raise UnsupportedSchema(f"no stub string matches pattern {pattern!r}")


def _resolve(root: Mapping[str, Any], reference: str) -> Mapping[str, Any]:
    if not reference.startswith("#/"):
        raise UnsupportedSchema(f"only local references are supported, not {reference!r}")
    target: Any = root
    for token in reference[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or key not in target:
            raise UnsupportedSchema(f"unresolvable reference {reference!r}")
        target = target[key]
    if not isinstance(target, Mapping):
        raise UnsupportedSchema(f"reference {reference!r} is not a schema")
    return target
