"""The one module that talks to a model: structured requests with owned retries.

Retries are owned in one place each:
- transport errors (429 honoring Retry-After, 5xx, timeouts, dropped connections) are
  retried here with tenacity, around each single HTTP request, until the article's deadline;
- validation failures are re-asked, at most `max_reasks` times, with instructor's
  handlers for the mode (they prepare the request, validate the answer, write the re-ask);
- the openai SDK's own retries are switched off, so nothing multiplies.
Every HTTP response that comes back, re-asks included, is counted in the usage ledger.
At most `concurrency` requests are in flight at once, whatever asks; the run's budget is
checked before each one is sent. Embedding requests (`/embeddings`, for merging by meaning
with the endpoint's model) go through the same slots, budget check and transport retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from summarizer.config import Settings
from summarizer.errors import ProviderError
from summarizer.runtime.backends import Backend
from summarizer.runtime.usage import UsageMeter
from summarizer.storage.cache import cache_key

_Model = TypeVar("_Model", bound=BaseModel)
_Response = TypeVar("_Response", ChatCompletion, CreateEmbeddingResponse)

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_CONTEXT_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})
_CONTEXT_WORDING = re.compile(
    r"maximum context length|exceeds? (the )?(available )?context (window|size|length)"
    r"|context window of \d+|too many tokens in the prompt",
    re.IGNORECASE,
)
_MAX_TRANSPORT_ATTEMPTS = 6
_MAX_RETRY_AFTER = 120.0


class Truncated(Exception):
    """The model stopped at its output-token limit; never re-asked as a JSON error."""


class ContextExceeded(ProviderError):
    """The endpoint refused the prompt as longer than the model's context (HTTP 400): a
    shorter prompt would be answered, so the caller may split its text instead."""


class Unparseable(Exception):
    """The model's output stayed invalid after every allowed re-ask."""

    def __init__(self, message: str, last_text: str | None) -> None:
        super().__init__(message)
        self.last_text = last_text


@dataclass
class Deadline:
    """Seconds left for one article, shared by all its requests and retries."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)


Client = openai.AsyncOpenAI | openai.OpenAI
# Makes the client on first use: a run answered wholly from the cache starts no server.
ClientFactory = Callable[[], Awaitable[Client]]


class StructuredLLM:
    """Sends schema-constrained chat requests to one OpenAI-compatible endpoint.

    The `openai` client is injected: pass an `openai.AsyncOpenAI` (or a sync `openai.OpenAI`,
    whose calls then run in a worker thread), or an async factory that makes it when the
    first request is due. Its SDK-level retries are switched off here. One instance belongs
    to one event loop.

    `backend` says what answers (`Backend.for_run`); by default, an injected client is the
    endpoint at its own base URL, and a factory serves what the settings name.
    """

    def __init__(
        self,
        client: Client | ClientFactory,
        settings: Settings,
        *,
        backend: Backend | None = None,
        check_backend: Callable[[], None] | None = None,
    ) -> None:
        self._client: Client | None = None
        self._factory: ClientFactory | None = None
        if isinstance(client, openai.AsyncOpenAI | openai.OpenAI):
            self._client = client.with_options(max_retries=0)
            self._backend = backend or Backend.for_run(settings, client)
        else:
            self._factory = client
            self._backend = backend or Backend.for_run(settings)
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._connecting = asyncio.Lock()
        # Raises when a local server we started has died, so we fail at once, not retry.
        self._check_backend = check_backend

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def backend(self) -> Backend:
        """What answers: its label, cache identity and price."""
        return self._backend

    async def complete(
        self,
        *,
        messages: list[dict[str, str]],
        response_model: type[_Model],
        meter: UsageMeter,
        deadline: Deadline,
        context: dict[str, Any] | None = None,
    ) -> _Model:
        """Ask for one structured answer.

        instructor's handlers for the mode (through `adapters.instructor_internals`) prepare
        the request, parse and validate the answer and write the re-ask; the attempts are
        counted here. (instructor's own `create` wrapper rebuilds the schema and rescans the
        model on every call, which cost more client time than the HTTP request; see
        docs/performance.md.)

        Raises:
            Truncated: the answer hit the output-token limit.
            Unparseable: the answer stayed invalid after `max_reasks` re-asks.
            ContextExceeded: the prompt is longer than the model's context.
            ProviderError: the endpoint failed for good (or the deadline passed).
            BudgetExceeded: the run's budget was spent before this request was sent.
            DependencyVersionError: instructor is not the release our adapter is written for.
        """
        # Imported at the first request rather than with this module, so that a mismatched
        # instructor fails inside the CLI's error boundary, as one line, not at its import.
        from summarizer.runtime.adapters import instructor_internals

        settings = self._settings
        request = instructor_internals.prepare_request(
            settings.mode,
            response_model,
            {"model": settings.model, "messages": list(messages), **self._sampling()},
        )
        problem: Exception | None = None
        last_response: Any = None
        for attempt in range(settings.max_reasks + 1):
            if attempt:
                meter.reasks += 1
            response = await self._send(
                "/chat/completions", self._reshape_request(request), ChatCompletion, deadline, meter
            )
            try:
                return instructor_internals.parse_answer(
                    settings.mode, response, response_model, context
                )
            except instructor_internals.IncompleteOutput as error:
                raise Truncated(str(error)) from None
            except instructor_internals.INVALID_ANSWER_ERRORS as error:
                problem, last_response = error, response
                request = instructor_internals.reask_request(
                    settings.mode, request, response, error
                )
        assert problem is not None
        raise Unparseable(_describe(problem), _completion_text(last_response))

    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        meter: UsageMeter,
        deadline: Deadline,
    ) -> CreateEmbeddingResponse:
        """One `/embeddings` request for `texts`, as the endpoint answers it.

        Raises:
            ProviderError: the endpoint failed for good (or the deadline passed).
            BudgetExceeded: the run's budget was spent before this request was sent.
        """
        # Floats, not the SDK's default base64: every OpenAI-compatible server writes them.
        body = {"model": model, "input": list(texts), "encoding_format": "float"}
        return await self._send("/embeddings", body, CreateEmbeddingResponse, deadline, meter)

    def answer_key(
        self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any], text: str
    ) -> str:
        """The response cache's address of this endpoint's answer to one request about
        `text`: model, endpoint, prompt, schema and everything else that shapes it."""
        settings = self._settings
        return cache_key(
            model=settings.model,
            endpoint=self._backend.identity,
            messages=messages,
            schema=schema,
            chunk_text=text,
            parameters={
                "mode": settings.mode,
                "max_reasks": settings.max_reasks,
                **self._sampling(),
            },
        )

    def _sampling(self) -> dict[str, Any]:
        settings = self._settings
        return {
            "max_tokens": settings.max_output_tokens,
            "temperature": settings.temperature,
            "seed": settings.seed,
        }

    def _reshape_request(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._settings.mode != "json_object_schema":
            return kwargs
        response_format = kwargs.get("response_format") or {}
        schema = response_format.get("json_schema", {}).get("schema")
        if schema is None:
            return kwargs
        # llama-cpp-python turns a schema under json_object into a grammar; json_schema is a 500.
        return {**kwargs, "response_format": {"type": "json_object", "schema": schema}}

    async def _connected(self) -> Client:
        async with self._connecting:
            if self._client is None:
                assert self._factory is not None
                self._client = (await self._factory()).with_options(max_retries=0)
        return self._client

    async def _send(
        self,
        path: str,
        body: dict[str, Any],
        cast_to: type[_Response],
        deadline: Deadline,
        meter: UsageMeter,
    ) -> _Response:
        async with self._slots:
            meter.budget.check()
            response = await self._send_now(path, body, cast_to, deadline, meter)
            # Counted before the slot frees, so the next request's budget check sees it.
            meter.record(response)
        return response

    async def _send_now(
        self,
        path: str,
        body: dict[str, Any],
        cast_to: type[_Response],
        deadline: Deadline,
        meter: UsageMeter,
    ) -> _Response:
        client = await self._connected()
        post: Callable[..., Awaitable[Any]]
        if isinstance(client, openai.AsyncOpenAI):
            post = client.post
        else:
            sync_post: Callable[..., Any] = client.post

            async def post(*args: Any, **call_kwargs: Any) -> Any:
                return await asyncio.to_thread(sync_post, *args, **call_kwargs)

        if deadline.remaining() <= 0:
            raise ProviderError(
                f"the article's deadline of {deadline.seconds:g} s passed",
                retryable=True,
                hint="raise SUMMARIZER_ARTICLE_DEADLINE",
            )
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_any(stop_after_attempt(_MAX_TRANSPORT_ATTEMPTS), _DeadlinePassed(deadline)),
            wait=_wait_for(deadline),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        meter.retries += 1
                    timeout = max(1.0, min(self._settings.request_timeout, deadline.remaining()))
                    try:
                        # The request is already the endpoint's JSON: posted as it is, since
                        # the SDK's `create` re-walks every message against its param types.
                        response: _Response = await post(
                            path, body=body, cast_to=cast_to, options={"timeout": timeout}
                        )
                        return response
                    except openai.APIConnectionError:
                        if self._check_backend is not None:
                            self._check_backend()
                        raise
        except openai.APIStatusError as error:
            failed = ContextExceeded if _context_exceeded(error) else ProviderError
            raise failed(
                f"{self._backend.label} answered HTTP {error.status_code}: "
                f"{_short(_provider_message(error))}",
                status_code=error.status_code,
                retryable=error.status_code in _TRANSIENT_STATUS,
                hint=_status_hint(error.status_code),
            ) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as error:
            raise ProviderError(
                f"cannot reach {self._backend.label}: {_short(str(error))}",
                retryable=True,
                hint="check --base-url and that the server is running",
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, openai.APIStatusError):
        return error.status_code in _TRANSIENT_STATUS
    return isinstance(error, openai.APIConnectionError | openai.APITimeoutError)


class _DeadlinePassed(stop_base):
    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._deadline.remaining() <= 0


def _wait_for(deadline: Deadline) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(initial=1, max=30)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = _retry_after_seconds(error)
        seconds = retry_after if retry_after is not None else backoff(state)
        return max(0.0, min(seconds, deadline.remaining()))

    return wait


def _retry_after_seconds(error: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date)."""
    if not isinstance(error, openai.APIStatusError):
        return None
    header = error.response.headers.get("retry-after")
    if header is None:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, _MAX_RETRY_AFTER))


def _provider_message(error: openai.APIStatusError) -> str:
    """What the provider said, not the SDK's "Error code: 503 - {'error': {...}}"."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str) and message.strip():
            return message
    if isinstance(body, str) and body.strip():
        return body
    return error.response.reason_phrase or "no message"


def _context_exceeded(error: openai.APIStatusError) -> bool:
    """Whether a 400 says the prompt does not fit the model's context, in the words of
    OpenAI and llama-cpp-python (`context_length_exceeded`), llama.cpp's server
    (`exceed_context_size_error`) or vLLM ("maximum context length")."""
    if error.status_code != 400:
        return False
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error", body)
    if isinstance(inner, dict) and {inner.get("code"), inner.get("type")} & _CONTEXT_CODES:
        return True
    return _CONTEXT_WORDING.search(_provider_message(error)) is not None


def _status_hint(status_code: int) -> str | None:
    return {
        401: "check --api-key / OPENAI_API_KEY",
        403: "the key may lack access to this model",
        404: "check --base-url (usually ends in /v1) and --model",
    }.get(status_code)


def _describe(cause: Exception) -> str:
    """An invalid answer's problems in one line (instructor's text is XML-ish)."""
    if isinstance(cause, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in cause.errors()[:3]
        )
        return f"{cause.error_count()} validation error(s): {problems}"
    return str(cause)


def _completion_text(completion: Any) -> str | None:
    try:
        content = completion.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
