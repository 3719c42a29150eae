"""Holding Python's cyclic garbage collector while many long-lived objects are made.

Importing SQLAlchemy and mapping the schema, or building a page of ten thousand rows, allocate
hundreds of thousands of objects, none of them in a cycle, yet they set off dozens of
collections, and every full one walks every object the process holds (in the GUI: all of Qt's
wrappers and the caches). Objects are still freed by reference counting meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Hold the collector for the block; with *freeze*, then move everything alive out of its
    sight (:func:`gc.freeze`: for objects that live as long as the process, in a process of
    its own). Nested or already disabled: nothing changes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
