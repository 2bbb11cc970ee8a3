"""Run coroutines together and get their results back in the order they were given."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

_T = TypeVar("_T")


async def all_in_order(coroutines: Iterable[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Await all at once; results in input order whatever order they finish in.

    The first failure cancels the rest and is raised as itself, not as an ExceptionGroup,
    so callers catch the errors they know.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
