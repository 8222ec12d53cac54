"""Working with a million values at once: pausing the cyclic garbage collector.

Parsing, loading, building documents and replaying FIFO each allocate an object or more per row
and free almost nothing until they return. Python's cyclic collector is triggered by allocations,
so on a million-row settlement it would walk the growing heap again and again looking for
cycles that these steps never make (a load from SQLite spent more than half its time there).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off, then put it back as it was.

    On the way out everything the collector tracks is moved to its oldest generation (``freeze``
    then ``unfreeze``, which splices lists and costs nothing per object), so the young-generation
    collections that follow do not walk the block's million new objects either; full collections
    still see them. Reference counting frees memory as usual throughout.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
