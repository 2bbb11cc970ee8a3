"""The merge stage runs with Python's cyclic garbage collector paused.

Merging allocates hundreds of thousands of small objects (tuples, lists, models) that die
by reference counting alone: on the 10k pile of `benchmarks/merge_scaling.py` the stage
leaves no cycle behind (`gc.collect()` right after it finds nothing). Yet every few
thousand allocations trigger a collection, and the full ones walk every object the
process holds, the articles' extractions included: about a fifth of the stage's time,
none of it freeing anything. So the stage pauses the collector and restores it as it
found it; a caller that keeps it off keeps it off. Unlike `gc.freeze()` (which
`summarizer brief` applies to what its imports built), nothing outlives the call.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cycle_collection_paused"]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (or decorated function), then restore it.

    Global to the process, like the collector itself: another thread's allocations are not
    collected meanwhile either; reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
