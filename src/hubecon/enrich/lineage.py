"""Lineage: the cleaned base-model graph and the origin credit it implies (DESIGN.md §3, Attribution).

Credit flows from a model up its parent links and splits equally among a
model's parents at every step; a diamond reunites. A model with no parent
(or whose parent is not in the data) is a root. Self-loops are removed
before a model's parents are counted; edges are taken in sorted
(child, parent) order and one that would close a cycle is dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from hubecon.store.schema import RELATIONS

# When one model names several relations, the one that says most about what the repo is wins.
RELATION_PRIORITY = {"quantized": 0, "adapter": 1, "merge": 2, "finetune": 3}


@dataclass
class LineageGraph:
    edges: pd.DataFrame  # kept edges: child_id, parent_id, relation, source
    dropped: pd.DataFrame  # child_id, parent_id, relation, source, reason ('self-loop' | 'cycle')

    def __post_init__(self) -> None:
        self.parents: dict[str, list[str]] = defaultdict(list)
        self.children: dict[str, list[str]] = defaultdict(list)
        for child, parent in zip(self.edges["child_id"], self.edges["parent_id"]):
            self.parents[child].append(parent)
            self.children[parent].append(child)

    def credit(self, model_ids) -> pd.DataFrame:
        """model_id, root_id, fraction: each model's origin credit, fractions summing to 1 per model."""
        memo: dict[str, dict[str, float]] = {}
        rows = []
        for model_id in model_ids:
            for root, fraction in self._credit_of(model_id, memo).items():
                rows.append((model_id, root, fraction))
        return pd.DataFrame(rows, columns=["model_id", "root_id", "fraction"])

    def _credit_of(self, start: str, memo: dict[str, dict[str, float]]) -> dict[str, float]:
        # Iterative post-order walk: a deep fine-tune chain must not hit Python's recursion limit.
        stack = [start]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            pending = [parent for parent in self.parents.get(node, ()) if parent not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            parents = self.parents.get(node, ())
            if not parents:
                memo[node] = {node: 1.0}
                continue
            share: dict[str, float] = defaultdict(float)
            for parent in parents:
                for root, fraction in memo[parent].items():
                    share[root] += fraction / len(parents)
            memo[node] = dict(share)
        return memo[start]

    def ancestors(self, model_id: str) -> pd.DataFrame:
        """Every edge on the way from a model up to its roots, with its depth (1 = the model's own parents)."""
        return self._walk(model_id, self.parents, upward=True)

    def descendants(self, model_id: str) -> pd.DataFrame:
        return self._walk(model_id, self.children, upward=False)

    def _walk(self, model_id: str, links: dict[str, list[str]], *, upward: bool) -> pd.DataFrame:
        relation = {(c, p): r for c, p, r in zip(self.edges["child_id"], self.edges["parent_id"], self.edges["relation"])}
        rows, frontier, seen = [], [model_id], {model_id}
        depth = 0
        while frontier:
            depth += 1
            following = []
            for node in frontier:
                for other in sorted(links.get(node, ())):
                    child, parent = (node, other) if upward else (other, node)
                    rows.append({"depth": depth, "child_id": child, "parent_id": parent, "relation": relation[(child, parent)]})
                    if other not in seen:
                        seen.add(other)
                        following.append(other)
            frontier = following
        return pd.DataFrame(rows, columns=["depth", "child_id", "parent_id", "relation"])

    def derivative_kind(self) -> pd.Series:
        """model_id -> the relation to its parents ('original' is implied for models absent here)."""
        ranked = self.edges.assign(rank=self.edges["relation"].map(RELATION_PRIORITY))
        best = ranked.sort_values(["child_id", "rank"]).drop_duplicates("child_id")
        return best.set_index("child_id")["relation"]


def build_graph(edges: pd.DataFrame) -> LineageGraph:
    edges = edges[edges["relation"].isin(RELATIONS)]
    ordered = edges.sort_values(["child_id", "parent_id", "relation"]).drop_duplicates(["child_id", "parent_id"])
    self_loops = ordered["child_id"] == ordered["parent_id"]
    dropped = [ordered[self_loops].assign(reason="self-loop")]
    parents: dict[str, set[str]] = defaultdict(set)
    kept_rows, cycle_rows = [], []
    for row in ordered[~self_loops].itertuples(index=False):
        if reaches(parents, start=row.parent_id, target=row.child_id):
            cycle_rows.append(row)
        else:
            parents[row.child_id].add(row.parent_id)
            kept_rows.append(row)
    columns = ["child_id", "parent_id", "relation", "source"]
    kept = pd.DataFrame(kept_rows, columns=ordered.columns)[columns]
    dropped.append(pd.DataFrame(cycle_rows, columns=ordered.columns).assign(reason="cycle"))
    return LineageGraph(kept.reset_index(drop=True), pd.concat(dropped, ignore_index=True)[columns + ["reason"]])


def reaches(parents: dict[str, set[str]], *, start: str, target: str) -> bool:
    """Whether `target` is `start` or one of its ancestors along the edges kept so far."""
    stack, seen = [start], {start}
    while stack:
        node = stack.pop()
        if node == target:
            return True
        for parent in parents.get(node, ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return False
