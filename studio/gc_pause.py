"""Pausing Python's cyclic garbage collector around work that allocates many objects and no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Reading a large catalog, or analyzing one, allocates hundreds of thousands of small objects
    that form no reference cycles (rows, model objects, findings). Each collection the allocator
    triggers meanwhile would walk everything allocated so far, so the work would grow faster than
    the schema. Reference counting still frees everything. At the end, one young-generation pass
    over what the work leaves behind runs here, so the work pays for its own objects rather than
    whatever code allocates next."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)
