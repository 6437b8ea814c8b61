"""The explanation as a list of blocks, before it is laid out for a terminal or a pipe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Command:
    """A shell command to paste: shown on a line of its own, indented, never wrapped."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``more`` continues it as :attr:`Item.more` does an item: sentences
    (wrapped) and commands (each on a line of its own, unwrapped)."""

    text: str
    indent: int = 0
    more: tuple[str | Command, ...] = ()


@dataclass(frozen=True)
class Item:
    """A list item: ``marker`` is ``•`` or ``1.``. ``more`` continues it under its
    text: sentences (wrapped) and commands (each on a line of its own, unwrapped)."""

    marker: str
    text: str
    indent: int = 2
    more: tuple[str | Command, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A quoted log entry and what it means."""

    time: str
    line: str
    """The entry as written (client secrets already redacted); shown verbatim."""
    note: str


Block = Heading | Paragraph | Item | Entry

__all__ = ["Block", "Command", "Entry", "Heading", "Item", "Paragraph"]
