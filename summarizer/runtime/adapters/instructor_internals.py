"""instructor's mode handlers, behind the three steps `StructuredLLM` takes with them.

`StructuredLLM.complete` owns its attempts and sends each request itself, so it calls
instructor's handlers for the mode directly (prepare the request, parse and validate the
answer, write the re-ask) rather than instructor's `create` wrapper, which rebuilds the
schema and rescans the model on every call (docs/performance.md). Those handlers, the
registry that holds them and the errors they raise live in instructor's `v2.core`, not in
its public API: written for instructor 1.17.0, checked when this module is imported.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, TypeVar, cast

from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from summarizer.config import StructuredMode
from summarizer.runtime.adapters.versions import INSTRUCTOR

try:
    from instructor import Mode, ResponseSchema
    from instructor.core.exceptions import IncompleteOutputException
    from instructor.v2 import Provider, mode_registry
    from instructor.v2.core.errors import ResponseParsingError
    from instructor.v2.core.registry import ModeHandlers
    from instructor.v2.core.response_model import prepare_response_model
except ImportError:
    # Moved in another release: say which release we need, not which name is missing.
    INSTRUCTOR.require()
    raise
INSTRUCTOR.require()

__all__ = [
    "INVALID_ANSWER_ERRORS",
    "IncompleteOutput",
    "parse_answer",
    "prepare_request",
    "reask_request",
]

_Model = TypeVar("_Model", bound=BaseModel)

# The answer stopped at the output-token limit.
IncompleteOutput = IncompleteOutputException
# What the parsers raise for an answer that came back but does not fit the model: re-asked.
INVALID_ANSWER_ERRORS: tuple[type[Exception], ...] = (
    ValidationError,
    json.JSONDecodeError,
    ResponseParsingError,
)

_MODES: dict[StructuredMode, Mode] = {
    "json_schema": Mode.JSON_SCHEMA,
    # Prepared as JSON_SCHEMA, then reshaped for llama-cpp-python (StructuredLLM).
    "json_object_schema": Mode.JSON_SCHEMA,
    "tools": Mode.TOOLS,
    "json": Mode.JSON,
    "md_json": Mode.MD_JSON,
}


def prepare_request(
    mode: StructuredMode, response_model: type[BaseModel], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The chat request (`kwargs` plus the mode's schema, tools or instructions) that asks
    for an answer in `response_model`'s shape."""
    _, request = _handlers(mode).request_handler(
        response_model=_handler_model(response_model), kwargs=kwargs
    )
    return request


def parse_answer(
    mode: StructuredMode,
    response: ChatCompletion,
    response_model: type[_Model],
    context: dict[str, Any] | None,
) -> _Model:
    """The answer in `response`, validated (strictly, with `context`) as `response_model`.

    Raises:
        IncompleteOutput: the answer stopped at the output-token limit.
        ValidationError, json.JSONDecodeError, ResponseParsingError: the answer does not
            fit (`INVALID_ANSWER_ERRORS`).
    """
    parsed = _handlers(mode).response_parser(
        response=response,
        response_model=_handler_model(response_model),
        validation_context=context,
        strict=True,
        stream=False,
        is_async=True,
    )
    return cast(_Model, parsed)


def reask_request(
    mode: StructuredMode, request: dict[str, Any], response: ChatCompletion, error: Exception
) -> dict[str, Any]:
    """`request` with the invalid answer and what was wrong with it appended, to ask again."""
    return _handlers(mode).reask_handler(kwargs=request, response=response, exception=error)


@lru_cache(maxsize=8)
def _handlers(mode: StructuredMode) -> ModeHandlers:
    handlers: ModeHandlers = mode_registry.get_handlers(Provider.OPENAI, _MODES[mode])
    return handlers


@lru_cache(maxsize=256)
def _handler_model(response_model: type[BaseModel]) -> type[BaseModel]:
    """The model instructor's handlers work with; our chunk models already are one."""
    if issubclass(response_model, ResponseSchema):
        return response_model
    prepared = prepare_response_model(response_model)
    assert prepared is not None
    return prepared
