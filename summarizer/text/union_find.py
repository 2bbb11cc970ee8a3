"""Disjoint sets over 0..n-1: which items have been joined, directly or through others."""

from __future__ import annotations

__all__ = ["UnionFind"]


class UnionFind:
    """Union by joining roots, finding with path halving; groups in first-seen order."""

    def __init__(self, count: int) -> None:
        self._parent = list(range(count))

    def find(self, item: int) -> int:
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        """Join the sets of `first` and `second`; the smaller root stays the root."""
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[max(a, b)] = min(a, b)

    def groups(self) -> list[list[int]]:
        """Every set as a sorted list, ordered by its first item."""
        found: dict[int, list[int]] = {}
        for item in range(len(self._parent)):
            found.setdefault(self.find(item), []).append(item)
        return list(found.values())
