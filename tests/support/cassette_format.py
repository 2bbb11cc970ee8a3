"""How cassettes are matched, scrubbed and stored.

- Request bodies match as JSON (key order and spacing don't matter; any prompt, schema or
  parameter change does), on method and path; host and port differ between recordings.
- Only a short allow-list of headers is kept, in requests and responses alike, so keys,
  cookies, organisation ids and server noise never reach a cassette.
- JSON bodies are stored parsed, so a reviewer reads them as data, not escaped strings.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

RECORDED_HOST = "http://127.0.0.1:8080"
_KEPT_REQUEST_HEADERS = frozenset({"content-type"})
_KEPT_RESPONSE_HEADERS = frozenset({"content-type"})


def json_body_matcher(first: Any, second: Any) -> None:
    """vcrpy matcher: request bodies are equal as JSON (raises AssertionError if not)."""
    assert _as_json(first.body) == _as_json(second.body), "request bodies differ"


def scrub_request(request: Any) -> Any:
    """Keep only harmless request headers; pin the host so cassettes don't churn.

    Only requests to the model's API (`/v1/...`) belong in a cassette; anything else (the
    tests' local web server with pages and feeds) is let through to the live server.
    """
    if not request.path.startswith("/v1/"):
        return None
    for name in list(request.headers):
        if name.lower() not in _KEPT_REQUEST_HEADERS:
            del request.headers[name]
    path = request.uri.split("/", 3)[3] if request.uri.count("/") >= 3 else ""
    request.uri = f"{RECORDED_HOST}/{path}"
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Keep only harmless response headers."""
    response["headers"] = {
        name: value
        for name, value in response.get("headers", {}).items()
        if name.lower() in _KEPT_RESPONSE_HEADERS
    }
    return response


class ReadableJsonSerializer:
    """vcrpy serializer: YAML with JSON bodies stored as parsed data."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        for interaction in cassette.get("interactions", []):
            for part in (interaction["request"], interaction["response"]):
                body = part.get("body")
                raw = body.get("string") if isinstance(body, dict) else body
                parsed = _as_json(raw)
                if parsed is not None:
                    part["body"] = {"json": parsed}
        text: str = yaml.safe_dump(cassette, sort_keys=False, allow_unicode=True, width=100)
        return text

    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        cassette: dict[str, Any] = yaml.safe_load(text) or {}
        for interaction in cassette.get("interactions", []):
            request, response = interaction["request"], interaction["response"]
            if isinstance(request.get("body"), dict) and "json" in request["body"]:
                request["body"] = json.dumps(request["body"]["json"])
            if isinstance(response.get("body"), dict) and "json" in response["body"]:
                response["body"] = {"string": json.dumps(response["body"]["json"])}
        return cassette


def _as_json(body: Any) -> Any:
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return None
