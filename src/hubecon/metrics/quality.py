"""Data-quality checks (DESIGN.md §3): what the figures rest on and where the data misbehaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from hubecon.metrics.windows import step_downloads

if TYPE_CHECKING:
    from hubecon.store.store import Store

SPIKE_FACTOR = 10.0  # a step this many times the model's median step
SPIKE_FLOOR = 1000.0  # and at least this many downloads, so tiny counts don't trip it
FROZEN_STEPS = 2
EXAMPLES = 5
DETAIL_ROWS = 50  # rows of each check's detail table


def check_row(check: str, frame: pd.DataFrame, *, what: str, downloads: float | None = None, id_column: str = "model_id") -> dict:
    ids = frame[id_column].astype(str).unique().tolist() if len(frame) else []
    return {"check": check, "n": int(len(frame)), "downloads": downloads, "examples": ", ".join(ids[:EXAMPLES]), "what": what}


def frozen_counters(steps: ibis.Table) -> ibis.Table:
    """Models that were counting and then show 0 for ≥ 2 consecutive differences (exact steps only): model_key, step (frozen since).

    Flagged once per freeze, at its FROZEN_STEPS-th zero: the step whose
    FROZEN_STEPS - 1 predecessors are zero and the one before those positive.
    Zeros before the first positive are not a freeze.
    """
    exact = steps.filter(~steps.estimated & steps.downloads.notnull())
    in_order = ibis.window(group_by=exact.model_key, order_by=exact.step)
    # The lags are columns before the filter: a filter on them would otherwise be applied before they are computed.
    exact = exact.mutate(**{f"before_{k}": exact.downloads.lag(k).over(in_order) for k in range(1, FROZEN_STEPS + 1)})
    zeros = [exact.downloads == 0] + [exact[f"before_{k}"] == 0 for k in range(1, FROZEN_STEPS)]
    frozen = exact.filter(ibis.and_(*zeros) & (exact[f"before_{FROZEN_STEPS}"] > 0))
    return frozen.select("model_key", "step")


def spikes(steps: ibis.Table) -> ibis.Table:
    """Steps ≥ SPIKE_FACTOR × the model's median positive step (with ≥ 3 of them) and ≥ SPIKE_FLOOR: model_key, step, downloads, median."""
    positive = steps.filter(steps.downloads.notnull() & (steps.downloads > 0))
    per_model = ibis.window(group_by=positive.model_key)
    positive = positive.mutate(median=positive.downloads.median().over(per_model), steps_counted=positive.downloads.count().over(per_model))
    flagged = positive.filter((positive.steps_counted >= 3) & (positive.downloads >= SPIKE_FLOOR) & (positive.downloads > SPIKE_FACTOR * positive.median))
    return flagged.select("model_key", "step", "downloads", "median")


def flagged_steps(steps: ibis.Table) -> ibis.Table:
    """The steps the rollback, missing-model and unobserved-days checks list."""
    flagged = steps.filter(steps.rollback | steps.missing | (steps.unobserved_days > 0))
    return flagged.select("model_key", "step", "rollback", "missing", "unobserved_days")


@dataclass
class HistoryChecks:
    """What the history checks found, from a history's per-step rows (metrics/windows.py step_downloads)."""

    flagged: pd.DataFrame  # flagged_steps
    # frozen_counters (none when the counts are first-year-capped): how many, the first models and the first
    # DETAIL_ROWS rows, by model and step. Only those are fetched: at 1M models × 52 snapshots 0.9M steps froze.
    frozen_n: int
    frozen_examples: list[str]
    frozen: pd.DataFrame
    spiked: pd.DataFrame  # spikes

    @classmethod
    def of(cls, store: Store, observations: ibis.Table, created: ibis.Table, history_steps: pd.DataFrame, *, capped: bool) -> "HistoryChecks":
        """The checks over a history's steps (`observations`, `created`: as step_downloads takes them; `history_steps`:
        cur_id, cur_key, cur_taken_at in time order, as History.steps gives them)."""
        order = history_steps[["cur_id", "cur_key", "cur_taken_at"]].reset_index(drop=True).rename_axis("step").reset_index()
        # Three checks read the steps: built once, and narrow (a step number and the model's key), for there is a
        # row per model and snapshot.
        steps = step_downloads(observations, created, history_steps)
        numbered = steps.join(ibis.memtable(order[["step", "cur_key"]]), "cur_key")
        narrow = numbered.select("model_key", "step", "downloads", "estimated", "rollback", "missing", "unobserved_days")

        def with_model_ids(checks: ibis.Table, order_by: list[str]) -> pd.DataFrame:
            return store.con.execute(store.model_ids_of(checks).order_by(*order_by))

        with narrow.cache() as built:
            flagged = with_model_ids(flagged_steps(built), ["step", "model_id"])
            spiked = with_model_ids(spikes(built), ["model_id", "step"])
            if capped:
                frozen_n, frozen_examples, frozen = 0, [], pd.DataFrame({"model_id": [], "step": []})
            else:
                with frozen_counters(built).cache() as frozen_steps:
                    # Model keys are numbered in model-id order, so ordering by key orders by id.
                    frozen_n = int(store.con.execute(frozen_steps.count()))
                    first_models = frozen_steps.select("model_key").distinct().order_by("model_key").limit(EXAMPLES)
                    frozen_examples = with_model_ids(first_models, ["model_id"])["model_id"].tolist()
                    frozen = with_model_ids(frozen_steps.order_by("model_key", "step").limit(DETAIL_ROWS), ["model_id", "step"])

        def dated(checked: pd.DataFrame, **names: str) -> pd.DataFrame:
            labelled = checked.merge(order.drop(columns="cur_key").rename(columns=names), on="step", how="left", sort=False)
            return labelled.drop(columns="step")

        return cls(
            flagged=dated(flagged)[["model_id", "cur_id", "cur_taken_at", "rollback", "missing", "unobserved_days"]],
            frozen_n=frozen_n,
            frozen_examples=frozen_examples,
            frozen=dated(frozen, cur_taken_at="frozen_since")[["model_id", "frozen_since"]],
            spiked=dated(spiked)[["model_id", "cur_id", "downloads", "median"]],
        )


def quality_report(
    *, facts: pd.DataFrame, downloads: pd.DataFrame, dropped_edges: pd.DataFrame, missing_parents: pd.DataFrame, history: HistoryChecks | None, capped: bool
) -> tuple[pd.DataFrame, dict]:
    """The checks as rows (check, n, downloads, examples, what) and their detail tables.

    `downloads` is the chosen snapshot's model_id, downloads; `history` what
    the history checks found (None with fewer than two comparable snapshots).
    """
    with_downloads = facts.merge(downloads, on="model_id", how="inner").sort_values("downloads", ascending=False)
    placeholder = with_downloads[~with_downloads["created_known"]]
    test_repos = with_downloads[with_downloads["test_repo"]]
    rows = [
        check_row("unknown creation date", placeholder, what="missing or the Hub's 2022-03-02T23:29:0x placeholder: outside the new-model cohort and every analysis by creation date", downloads=float(placeholder["downloads"].sum())),
        check_row("test/CI-traffic repos", test_repos, what="match data/test_repos.txt; --exclude test-repos removes them", downloads=float(test_repos["downloads"].sum())),
        check_row("lineage self-loops", dropped_edges[dropped_edges["reason"] == "self-loop"], what="edges from a model to itself, removed", id_column="child_id"),
        check_row("lineage cycle edges dropped", dropped_edges[dropped_edges["reason"] == "cycle"], what="edges that would close a cycle, dropped in sorted (child, parent) order", id_column="child_id"),
        check_row("parents missing from the data", missing_parents, what="the origin walk ends at the parent, credited to its namespace", id_column="parent_id"),
    ]
    details = {
        "unknown_creation_date": placeholder[["model_id", "downloads"]].sort_values("downloads", ascending=False).head(DETAIL_ROWS),
        "test_repos": test_repos[["model_id", "downloads"]].sort_values("downloads", ascending=False).head(DETAIL_ROWS),
        "dropped_edges": dropped_edges,
        "missing_parents": missing_parents.head(DETAIL_ROWS),
    }
    if history is None:
        for check in ("rollbacks", "frozen counters", "missing models", "unobserved days", "sudden spikes"):
            rows.append({"check": check, "n": None, "downloads": None, "examples": "", "what": "needs a history: two or more snapshots of one scope"})
        return pd.DataFrame(rows), details
    flagged = history.flagged
    rollbacks = flagged[flagged["rollback"]]
    missing = flagged[flagged["missing"]]
    gaps = flagged[flagged["unobserved_days"] > 0]
    frozen, spiked = history.frozen, history.spiked
    rows += [
        check_row("rollbacks", rollbacks, what="all-time count fell between snapshots: clipped to 0"),
        {
            "check": "frozen counters",
            "n": history.frozen_n,
            "downloads": None,
            "examples": ", ".join(history.frozen_examples),
            "what": "counting, then 0 for ≥ 2 consecutive differences" if not capped else "not checked: first-year-capped counts stop growing by design",
        },
        check_row("missing models", missing, what="existed at the earlier snapshot but absent from one of the pair: excluded, never 0"),
        {
            "check": "unobserved days",
            "n": int(len(gaps)),
            "downloads": float(gaps["unobserved_days"].sum()) if len(gaps) else 0.0,
            "examples": ", ".join(gaps["cur_id"].astype(str).unique()[:EXAMPLES]),
            "what": "30-day counts more than 30 days apart: the days between are unobserved (downloads column: the total of unobserved model-days)",
        },
        check_row("sudden spikes", spiked, what=f"a step ≥ {SPIKE_FACTOR:g}× the model's median step and ≥ {SPIKE_FLOOR:,.0f} downloads"),
    ]
    details.update(
        rollbacks=rollbacks[["model_id", "cur_id"]].head(DETAIL_ROWS),
        frozen_counters=frozen,
        missing_models=missing[["model_id", "cur_id"]].head(DETAIL_ROWS),
        unobserved_days=gaps[["model_id", "cur_id", "unobserved_days"]].head(DETAIL_ROWS),
        sudden_spikes=spiked.head(DETAIL_ROWS),
    )
    return pd.DataFrame(rows), details
