"""Table entries found by the E.164 digits a number starts with: one dict lookup per prefix length
in use, however long the table grows, instead of a scan of every entry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

Entry = TypeVar("Entry")


class PrefixIndex(Generic[Entry]):
    """Entries by prefix; a number is matched by its longest listed prefix ("1246" Barbados
    before "246" Diego Garcia). The first entry given for a prefix wins."""

    def __init__(self, entries: Iterable[tuple[str, Entry]]) -> None:
        self._by_prefix: dict[str, Entry] = {}
        for prefix, entry in entries:
            self._by_prefix.setdefault(prefix, entry)
        self._lengths = tuple(sorted({len(prefix) for prefix in self._by_prefix}, reverse=True))

    def longest(self, e164_digits: str) -> Entry | None:
        for length in self._lengths:
            entry = self._by_prefix.get(e164_digits[:length])
            if entry is not None:
                return entry
        return None

    def all(self, e164_digits: str) -> list[Entry]:
        """The entry of every listed prefix of the number, longest first."""
        found = []
        previous = None
        for length in self._lengths:
            prefix = e164_digits[:length]
            # A number shorter than several lengths would otherwise be looked up more than once.
            if prefix != previous and (entry := self._by_prefix.get(prefix)) is not None:
                found.append(entry)
            previous = prefix
        return found
