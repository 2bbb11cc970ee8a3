"""What can go wrong at a model endpoint, as faults the OpenAI stub injects on request.

A `FaultPlan` decides, for each chat request, whether it gets a fault and which one:
- scripted, by `FaultRule`: requests whose article holds a marker word get the rule's
  faults in order, one per request, then `then` for good (None: answered normally). A test
  names an article's fate in its text: "Zorvath" gets 401, "Quellmark" 503 three times.
- random: every other request gets, with probability `rate`, one of `kinds` picked
  uniformly, from a generator seeded with `seed`, so a soak run can be repeated.
A prompt once refused as over the context is refused again whenever it comes back, as a
real endpoint's context does not grow between two runs; its halves are new prompts.

What each kind does is fixed here; the stub's handler only applies it. Replies that never
come (`reset`, `hang`) and error statuses replace the answer; the others spoil a valid
answer's content. The endpoint's refusals (401, 403, 404) are not among the random kinds,
because one of them ends a run by design: a soak with them would end at the first.

Faults are counted by kind (`injected`), for the stub's `GET /stats/faults`.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

__all__ = [
    "ANSWER_FAULTS",
    "INVENTED_WORDS",
    "RANDOM_KINDS",
    "ErrorReply",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "error_reply",
    "spoiled_answer",
]


class FaultKind(StrEnum):
    """One way a chat request can go wrong."""

    RATE_LIMIT = "rate_limit"
    """HTTP 429 with `Retry-After: 1` (seconds)."""
    RATE_LIMIT_DATE = "rate_limit_date"
    """HTTP 429 with `Retry-After` as an HTTP date one second ahead."""
    SERVER_ERROR = "server_error"
    """HTTP 503."""
    RESET = "reset"
    """The connection is reset (TCP RST) without an answer."""
    HANG = "hang"
    """No answer for the plan's `hang_seconds`, then the connection is closed."""
    TRUNCATED_JSON = "truncated_json"
    """HTTP 200 whose content is the answer's first half, `finish_reason` "stop"."""
    LENGTH = "length"
    """HTTP 200 cut at the output-token limit: half the answer, `finish_reason` "length"."""
    INVALID = "invalid"
    """HTTP 200, well-formed JSON, every sentence's entry invalid (a stance not allowed)."""
    INVENTED = "invented"
    """HTTP 200, valid, every free field made up (`INVENTED_WORDS`) beside true quotes."""
    INVENTED_QUOTE = "invented_quote"
    """HTTP 200, every entry opening with words the article does not hold."""
    CONTEXT_EXCEEDED = "context_exceeded"
    """HTTP 400 `context_length_exceeded`, as OpenAI words it."""
    UNAUTHORIZED = "unauthorized"
    """HTTP 401 invalid API key."""
    FORBIDDEN = "forbidden"
    """HTTP 403 no access to the model."""
    NOT_FOUND = "not_found"
    """HTTP 404 no such model."""


# Faults that spoil an answer's content rather than replace the answer.
ANSWER_FAULTS = frozenset(
    {
        FaultKind.TRUNCATED_JSON,
        FaultKind.LENGTH,
        FaultKind.INVALID,
        FaultKind.INVENTED,
        FaultKind.INVENTED_QUOTE,
    }
)
_REFUSALS = frozenset({FaultKind.UNAUTHORIZED, FaultKind.FORBIDDEN, FaultKind.NOT_FOUND})
RANDOM_KINDS: tuple[FaultKind, ...] = tuple(kind for kind in FaultKind if kind not in _REFUSALS)

# What an `invented` answer says, so a test can check none of it is shown as fact.
INVENTED_WORDS: Mapping[str, str] = {
    "claimant": "Fire Chief Ana Ruiz",
    "subject": "The president",
    "predicate": "resigned",
    "object": "in Alberta",
}
_INVENTED_QUOTE = "The president resigned in Alberta."


@dataclass(frozen=True)
class FaultRule:
    """Requests whose article holds `marker` get `faults` in order, then `then` for good."""

    marker: str
    faults: tuple[FaultKind, ...] = ()
    then: FaultKind | None = None


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error the stub sends instead of an answer."""

    status: HTTPStatus
    message: str
    error_type: str
    code: str | None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FaultPlan:
    """Which requests get which fault: scripted rules first, then random ones.

    Example:
        FaultPlan(rules=[FaultRule("Zorvath", then=FaultKind.UNAUTHORIZED)])
        FaultPlan(rate=0.1, seed=7)  # 10% of requests, every random kind alike
    """

    rules: Sequence[FaultRule] = ()
    rate: float = 0.0
    seed: int = 0
    kinds: tuple[FaultKind, ...] = RANDOM_KINDS
    hang_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"the fault rate must be within 0 and 1, not {self.rate}")
        if self.rate and not self.kinds:
            raise ValueError("a fault rate needs at least one fault kind")
        if self.hang_seconds < 0:
            raise ValueError(f"hang_seconds must be >= 0, not {self.hang_seconds}")
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._steps: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._too_long: set[str] = set()

    def fault_for(self, article_text: str) -> FaultKind | None:
        """The fault this request gets, if any; counted as injected."""
        with self._lock:
            if article_text in self._too_long:
                fault: FaultKind | None = FaultKind.CONTEXT_EXCEEDED
            else:
                fault = self._scripted(article_text)
                if fault is None and self.rate and self._random.random() < self.rate:
                    fault = self._random.choice(self.kinds)
            if fault is FaultKind.CONTEXT_EXCEEDED:
                self._too_long.add(article_text)
            if fault is not None:
                self._injected[fault] += 1
            return fault

    def _scripted(self, article_text: str) -> FaultKind | None:
        for rule in self.rules:
            if rule.marker in article_text:
                step = self._steps[rule.marker]
                self._steps[rule.marker] += 1
                return rule.faults[step] if step < len(rule.faults) else rule.then
        return None

    def injected(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        with self._lock:
            return dict(sorted(self._injected.items()))

    def reset(self) -> None:
        """Forget the faults injected and start every rule and the generator over."""
        with self._lock:
            self._random = random.Random(self.seed)
            self._steps.clear()
            self._injected.clear()
            self._too_long.clear()


def error_reply(kind: FaultKind) -> ErrorReply | None:
    """The error response this kind replaces the answer with; None for other kinds."""
    if kind is FaultKind.RATE_LIMIT:
        return ErrorReply(
            HTTPStatus.TOO_MANY_REQUESTS,
            "Rate limit reached (stub fault). Please try again in 1s.",
            "requests",
            "rate_limit_exceeded",
            {"Retry-After": "1"},
        )
    if kind is FaultKind.RATE_LIMIT_DATE:
        when = email.utils.formatdate(time.time() + 1, usegmt=True)
        return ErrorReply(
            HTTPStatus.TOO_MANY_REQUESTS,
            f"Rate limit reached (stub fault). Please try again after {when}.",
            "requests",
            "rate_limit_exceeded",
            {"Retry-After": when},
        )
    if kind is FaultKind.SERVER_ERROR:
        return ErrorReply(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "The server is overloaded (stub fault).",
            "server_error",
            None,
        )
    if kind is FaultKind.CONTEXT_EXCEEDED:
        return ErrorReply(
            HTTPStatus.BAD_REQUEST,
            "This model's maximum context length is 512 tokens. However, your messages "
            "resulted in 4096 tokens. Please reduce the length of the messages (stub fault).",
            "invalid_request_error",
            "context_length_exceeded",
        )
    refusals = {
        FaultKind.UNAUTHORIZED: (HTTPStatus.UNAUTHORIZED, "Incorrect API key provided (stub)."),
        FaultKind.FORBIDDEN: (HTTPStatus.FORBIDDEN, "This key has no access to the model (stub)."),
        FaultKind.NOT_FOUND: (HTTPStatus.NOT_FOUND, "The model does not exist (stub)."),
    }
    if kind in refusals:
        status, message = refusals[kind]
        return ErrorReply(status, message, "invalid_request_error", None)
    return None


def spoiled_answer(kind: FaultKind, instance: Any) -> tuple[str, str]:
    """The content and finish reason an answer fault sends in place of `instance`."""
    content = json.dumps(instance, ensure_ascii=False)
    if kind is FaultKind.TRUNCATED_JSON:
        return content[: len(content) // 2], "stop"
    if kind is FaultKind.LENGTH:
        return content[: len(content) // 2], "length"
    entries = [value for value in instance.values() if isinstance(value, dict)]
    for entry in entries:
        if kind is FaultKind.INVALID:
            entry["stance"] = "sure"
        elif kind is FaultKind.INVENTED:
            entry.update(INVENTED_WORDS)
        elif kind is FaultKind.INVENTED_QUOTE:
            entry["opening"] = _INVENTED_QUOTE
    return json.dumps(instance, ensure_ascii=False), "stop"
