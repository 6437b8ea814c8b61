"""What a reading made and still holds when it ends (the detector's state, the analysis)
is not walked by the garbage collector after it: it goes to the oldest generation as the
old settings come back (mailwarden.gcpause). Left young, the first collection after the
reading walked up to 200,000 live objects only to find them alive (0.1 s of `analyze` on
a million lines, while the report was being written)."""

from __future__ import annotations

import gc

from mailwarden.gcpause import fewer_collections


def test_what_the_reading_keeps_is_old_after_it() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        kept = [[n] for n in range(50_000)]
    # No collection has to walk them: the young generation starts empty, and they are in
    # the oldest generation (which a collection of the young ones never walks).
    young_count = gc.get_count()[0]
    old = {id(item) for item in gc.get_objects(generation=2)}
    assert young_count < 100
    assert all(id(item) in old for item in kept)
    # The collector's settings are back, nothing is left frozen.
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
