"""The cyclic garbage collector mostly idle while a large input is read.

    with fewer_collections(): ...

Reading a log makes millions of short-lived objects and keeps a large, long-lived state
(the detector's; explain's verdict facts); with the default thresholds the collector
walks that state again and again (up to a quarter of ``analyze``'s run time at a million
lines, a third of ``explain``'s at 100,000 entries, measured). Nothing on these paths
makes reference cycles per line, so collections are made rare, not impossible, and the
old settings come back after.

What the block made and still holds at its end (the detector's state, the analysis) goes
to the oldest generation as the old settings come back, uncollected: the young
generation had up to 200,000 of them, which the first collection after (700 allocations
later) walked only to find them alive (0.1 s of `analyze` on a million lines, measured,
while the report was being written).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collections rare (objects made before frozen out of them) while the block runs."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.freeze()  # the young too: all of it to the oldest generation, not walked
        gc.set_threshold(*thresholds)
        gc.unfreeze()


__all__ = ["fewer_collections"]
