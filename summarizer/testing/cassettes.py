"""The recorded chat exchanges of a test cassette (`cassettes/*/*.yaml`), as the stub replays them.

A cassette is vcrpy's YAML: a list of `interactions`, each a `request` and a `response`.
The tests store JSON bodies parsed, under `json` (tests/support/cassette_format.py);
bodies stored as strings, vcrpy's own way, are read as well. Only `POST
.../chat/completions` exchanges whose request and response bodies are JSON are taken.
Reading needs PyYAML (`pip install 'cited-briefing[testing]'`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from summarizer.errors import ConfigError

__all__ = ["ChatExchange", "chat_exchanges", "read_chat_exchanges"]


@dataclass(frozen=True)
class ChatExchange:
    """One recorded chat-completion request and the answer it got."""

    request: Any
    """The request body, parsed."""
    status: int
    response: dict[str, Any]
    """The response body, parsed."""
    content_type: str

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens in the response's usage (0 when it reports none)."""
        return int((self.response.get("usage") or {}).get("prompt_tokens") or 0)

    @property
    def completion_tokens(self) -> int:
        """Completion tokens in the response's usage (0 when it reports none)."""
        return int((self.response.get("usage") or {}).get("completion_tokens") or 0)


def read_chat_exchanges(path: Path) -> list[ChatExchange]:
    """The chat exchanges of the cassette at `path`, in recorded order.

    Raises:
        ValueError: the file cannot be read, is not a cassette, or holds no chat exchange.
        ConfigError: PyYAML is not installed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read cassette {path}: {error}") from error
    return chat_exchanges(text, name=str(path))


def chat_exchanges(text: str, *, name: str = "the cassette") -> list[ChatExchange]:
    """The chat exchanges of a cassette's text, in recorded order; `name` is for messages.

    Raises:
        ValueError: the text is not a cassette, or holds no chat exchange.
        ConfigError: PyYAML is not installed.
    """
    try:
        import yaml
    except ModuleNotFoundError:
        raise ConfigError(
            "reading a cassette needs PyYAML", hint="pip install 'cited-briefing[testing]'"
        ) from None
    try:
        cassette = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"cannot read cassette {name}: {error}") from error
    interactions = cassette.get("interactions") if isinstance(cassette, dict) else None
    if not isinstance(interactions, list):
        raise ValueError(f"{name} is not a cassette: no list of interactions")
    exchanges: list[ChatExchange] = []
    for interaction in interactions:
        request, response = interaction.get("request", {}), interaction.get("response", {})
        uri_path = urlsplit(str(request.get("uri", ""))).path.rstrip("/")
        if request.get("method") != "POST" or not uri_path.endswith("/chat/completions"):
            continue
        request_body, response_body = _json_body(request), _json_body(response)
        if request_body is None or not isinstance(response_body, dict):
            continue
        exchanges.append(
            ChatExchange(
                request=request_body,
                status=int(response.get("status", {}).get("code", HTTPStatus.OK)),
                response=response_body,
                content_type=_header(response, "content-type") or "application/json",
            )
        )
    if not exchanges:
        raise ValueError(f"{name} holds no chat-completion exchange with JSON bodies")
    return exchanges


def _json_body(part: Mapping[str, Any]) -> Any:
    """A request's or response's body as parsed JSON, however the cassette stored it."""
    body = part.get("body")
    if isinstance(body, dict) and "json" in body:
        return copy.deepcopy(body["json"])
    raw = body.get("string") if isinstance(body, dict) else body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None


def _header(part: Mapping[str, Any], name: str) -> str | None:
    for key, value in (part.get("headers") or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None
