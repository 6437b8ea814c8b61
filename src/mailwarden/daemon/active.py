"""The bans the firewall holds, as the daemon knows them, with a fast coverage test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime

from mailwarden.model import BanEntry, IPNetwork


class ActiveBans:
    """network -> BanEntry, plus the prefix lengths in use, so that "is this address
    already inside a ban?" costs a dictionary lookup per length in use (usually one or
    two), not one per possible length."""

    def __init__(self, entries: Iterable[BanEntry] = ()) -> None:
        self._by: dict[IPNetwork, BanEntry] = {}
        self._lengths: dict[int, Counter[int]] = {4: Counter(), 6: Counter()}
        for entry in entries:
            self.put(entry)

    def put(self, entry: BanEntry) -> None:
        network = entry.network
        if network not in self._by:
            self._lengths[network.version][network.prefixlen] += 1
        self._by[network] = entry

    def pop(self, network: IPNetwork) -> BanEntry | None:
        entry = self._by.pop(network, None)
        if entry is not None:
            lengths = self._lengths[network.version]
            lengths[network.prefixlen] -= 1
            if lengths[network.prefixlen] <= 0:
                del lengths[network.prefixlen]
        return entry

    def covering(self, target: IPNetwork, now: datetime) -> IPNetwork | None:
        """The unexpired ban that covers `target` (itself or a wider network)."""
        for length in self._lengths[target.version]:
            if length > target.prefixlen:
                continue
            network = target if length == target.prefixlen else target.supernet(new_prefix=length)
            entry = self._by.get(network)
            if entry is not None and entry.expires > now:
                return network
        return None

    def covering_all(self, target: IPNetwork, now: datetime) -> list[BanEntry]:
        """Every unexpired ban that covers `target` (itself and wider networks)."""
        found: list[BanEntry] = []
        for length in self._lengths[target.version]:
            if length > target.prefixlen:
                continue
            network = target if length == target.prefixlen else target.supernet(new_prefix=length)
            entry = self._by.get(network)
            if entry is not None and entry.expires > now:
                found.append(entry)
        return found

    def get(self, network: IPNetwork) -> BanEntry | None:
        return self._by.get(network)

    def values(self) -> list[BanEntry]:
        return list(self._by.values())

    def __contains__(self, network: object) -> bool:
        return network in self._by

    def __iter__(self) -> Iterator[IPNetwork]:
        return iter(self._by)

    def __len__(self) -> int:
        return len(self._by)
