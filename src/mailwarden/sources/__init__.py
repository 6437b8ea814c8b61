"""Sources: where log bytes come from.

`files` reads plain and compressed files, rotated sets and standard input; `journal`
runs ``journalctl -o json``; `follow` follows files live for the daemon. Every source
yields `interface.Chunk`s of whole lines and counts what it skipped in a shared
`interface.ReadStats`.
"""

from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats

__all__ = ["MAX_LINE", "Chunk", "ReadStats"]
