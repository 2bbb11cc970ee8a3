"""Adjudication: the model decides the borderline pairs of merging by meaning.

Embeddings propose pairs, and what the texts state decides most of them (`paraphrase.py`).
Left open are the borderline pairs: close (cosine at least `CLOSE`), compatible and without
conflict, but neither anchored by a shared distinctive name or number nor at `SAME`; merging
by embeddings alone keeps them apart. With adjudication on (`Settings.adjudicate`), the model
reads the two sentences (`merge.meaning_text`; for events, each with its own word for the
happening) and answers "same" or "different"; "same" joins them.

Each answer goes through the run's response cache, so a second run asks nothing, and its
tokens into a meter of its own against the run's budget. At most `max_adjudications` pairs
are judged in a run, answers from the cache included, so that every run judges the same
pairs and a large pile cannot make thousands of requests; pairs past the cap stay apart.
A pair the model gives no usable answer for stays apart, and so does every pair after the
budget ran out or the endpoint failed for good: each is a warning of the run, once.

Merging is synchronous and runs in a worker thread (`merging_stage.py`); an `Adjudicator` is
called there and hands each question to the run's event loop, as `RemoteEmbedder` does.
The response cache is read and written on the loop's thread, which opened it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from summarizer.briefing.merge import meaning_text
from summarizer.errors import BudgetExceeded, ProviderError, first_line
from summarizer.extraction.prompts import load_prompt
from summarizer.models import AdjudicationUsage, Claim, Event
from summarizer.runtime.llm import Deadline, StructuredLLM, Truncated, Unparseable
from summarizer.runtime.usage import Budget, UsageMeter
from summarizer.storage.cache import ResponseCache

__all__ = ["Adjudicator", "Verdict"]

# What became of one pair: the model's verdict, no usable answer, or no request sent.
_Outcome = Literal["same", "different", "failed", "unasked"]


class Verdict(BaseModel):
    """The model's answer about one pair."""

    verdict: Literal["same", "different"]


class Adjudicator:
    """Asks the model whether two claims state the same fact, or two events report the same
    happening; called from a worker thread while the run's event loop runs.

    Example:
        >>> adjudicator = Adjudicator(llm, cache=cache, budget=budget,  # doctest: +SKIP
        ...     deadline=Deadline(600), loop=asyncio.get_running_loop(), limit=100)
        >>> await asyncio.to_thread(assemble, articles, extractions,  # doctest: +SKIP
        ...     embedder=embedder, adjudicate=adjudicator)
    """

    def __init__(
        self,
        llm: StructuredLLM,
        *,
        cache: ResponseCache | None,
        budget: Budget,
        deadline: Deadline,
        loop: asyncio.AbstractEventLoop,
        limit: int,
    ) -> None:
        self._llm = llm
        self._cache = cache
        self._meter = UsageMeter(budget=budget)
        self._deadline = deadline
        self._loop = loop
        self._limit = limit
        self._stopped: str | None = None
        self._unusable = 0
        self._first_unusable: str | None = None
        self.pairs = 0
        self.same = 0
        self.failed = 0
        self.left_unasked = 0

    def __call__(self, first: Claim | Event, second: Claim | Event) -> bool:
        """Whether the model judges the two items the same; False when it was not asked.

        Never raises for the model's sake: a failed answer, a spent budget or a failing
        endpoint keeps the pair apart (see `warnings`).

        Raises:
            RuntimeError: called on the event loop's own thread (it would wait forever).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("Adjudicator waits for the event loop: call it in a thread")
        if self._stopped is not None or self.pairs >= self._limit:
            self.left_unasked += 1
            return False
        future = asyncio.run_coroutine_threadsafe(self._judge(first, second), self._loop)
        outcome = future.result()
        if outcome == "unasked":
            self.left_unasked += 1
            return False
        self.pairs += 1
        self.failed += outcome == "failed"
        self.same += outcome == "same"
        return outcome == "same"

    def usage(self) -> AdjudicationUsage:
        """What adjudication did and spent in this run."""
        usage = self._meter.snapshot()
        return AdjudicationUsage(
            pairs=self.pairs,
            same=self.same,
            failed=self.failed,
            left_unasked=self.left_unasked,
            usage=usage,
            cost_usd=self._llm.backend.cost_of(usage),
        )

    def warnings(self) -> list[str]:
        """At most one line each: why judging stopped, what failed, what the cap left."""
        lines: list[str] = []
        if self._stopped is not None:
            lines.append(f"adjudication stopped, later pairs kept apart: {self._stopped}")
        if self._first_unusable is not None:
            lines.append(
                f"adjudication: no usable answer for {self._unusable} pair(s), kept apart "
                f"(first: {self._first_unusable})"
            )
        if self._stopped is None and self.left_unasked:
            lines.append(
                f"adjudication: the cap of {self._limit} pair(s) was reached; "
                f"{self.left_unasked} more borderline pair(s) kept apart (max_adjudications)"
            )
        return lines

    async def _judge(self, first: Claim | Event, second: Claim | Event) -> _Outcome:
        messages = _messages(first, second)
        key = self._key(messages)
        return self._cached(key) or await self._ask(messages, key)

    async def _ask(self, messages: list[dict[str, str]], key: str | None) -> _Outcome:
        # One meter per pair: its tokens are what the cache records the answer cost.
        meter = UsageMeter(budget=self._meter.budget)
        try:
            answer = await self._llm.complete(
                messages=messages, response_model=Verdict, meter=meter, deadline=self._deadline
            )
        except BudgetExceeded as error:
            self._stopped = error.message
            return "unasked"
        except ProviderError as error:
            # Failed for good after the retries: the next pair would wait as long again.
            self._stopped = error.one_line()
            return "failed"
        except (Truncated, Unparseable) as error:
            self._unusable += 1
            self._first_unusable = self._first_unusable or first_line(error)
            return "failed"
        finally:
            self._meter.add(meter)
        if self._cache is not None and key is not None:
            self._cache.put(
                key,
                answer.model_dump(mode="json"),
                model=self._llm.settings.model,
                endpoint=self._llm.backend.identity,
                prompt_tokens=meter.prompt_tokens,
                completion_tokens=meter.completion_tokens,
            )
        return answer.verdict

    def _key(self, messages: list[dict[str, str]]) -> str | None:
        if self._cache is None:
            return None
        return self._llm.answer_key(messages, _SCHEMA, messages[-1]["content"])

    def _cached(self, key: str | None) -> _Outcome | None:
        if self._cache is None or key is None:
            return None
        hit = self._cache.get(key)
        if hit is None:
            return None
        try:
            stored = Verdict.model_validate(hit.answer)
        except ValidationError:
            return None
        self._meter.cache_hits += 1
        return stored.verdict


_SCHEMA: dict[str, Any] = Verdict.model_json_schema()


def _messages(first: Claim | Event, second: Claim | Event) -> list[dict[str, str]]:
    """The question about one pair; the sentences (article text) enter through one placeholder.

    The two are put in a fixed order, so that a pair met the other way round is the same
    question, answered from the cache.
    """
    lines = sorted(_line(item) for item in (first, second))
    sentences = f"A: {lines[0]}\nB: {lines[1]}"
    template = "adjudicate_events" if isinstance(first, Event) else "adjudicate_claims"
    return [
        {"role": "system", "content": load_prompt("adjudicate_system").render()},
        {"role": "user", "content": load_prompt(template).render(sentences=sentences)},
    ]


def _line(item: Claim | Event) -> str:
    sentence = " ".join(meaning_text(item).split())
    if isinstance(item, Event) and item.trigger:
        return f"{sentence} [{item.trigger}]"
    return sentence
