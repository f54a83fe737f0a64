"""Data-quality checks (DESIGN.md §3): what the figures rest on and where the data misbehaves."""

from __future__ import annotations

import pandas as pd

SPIKE_FACTOR = 10.0  # a step this many times the model's median step
SPIKE_FLOOR = 1000.0  # and at least this many downloads, so tiny counts don't trip it
FROZEN_STEPS = 2
EXAMPLES = 5


def check_row(check: str, frame: pd.DataFrame, *, what: str, downloads: float | None = None, id_column: str = "model_id") -> dict:
    ids = frame[id_column].astype(str).unique().tolist() if len(frame) else []
    return {"check": check, "n": int(len(frame)), "downloads": downloads, "examples": ", ".join(ids[:EXAMPLES]), "what": what}


def frozen_counters(steps: pd.DataFrame) -> pd.DataFrame:
    """Models that were counting and then show 0 for ≥ 2 consecutive differences (exact steps only)."""
    exact = steps[~steps["estimated"] & steps["downloads"].notna()].sort_values(["model_id", "cur_taken_at"], kind="stable")
    counting = exact["downloads"] > 0
    # Each positive step opens a run; the zeros after it are counted within the run, and a run reaching
    # FROZEN_STEPS zeros flags the model once, at that step. Zeros before the first positive are not a freeze.
    run = counting.groupby(exact["model_id"], sort=False).cumsum()
    zero_after_count = ~counting & (run > 0)
    zeros = zero_after_count.groupby([exact["model_id"], run], sort=False).cumsum()
    frozen = exact[zero_after_count & (zeros == FROZEN_STEPS)]
    return pd.DataFrame({"model_id": frozen["model_id"].to_numpy(), "frozen_since": frozen["cur_taken_at"].to_numpy()}, columns=["model_id", "frozen_since"])


def spikes(steps: pd.DataFrame) -> pd.DataFrame:
    exact = steps[steps["downloads"].notna() & (steps["downloads"] > 0)]
    if exact.empty:
        return pd.DataFrame(columns=["model_id", "cur_id", "downloads", "median"])
    median = exact.groupby("model_id")["downloads"].transform("median")
    counts = exact.groupby("model_id")["downloads"].transform("size")
    flagged = exact[(counts >= 3) & (exact["downloads"] >= SPIKE_FLOOR) & (exact["downloads"] > SPIKE_FACTOR * median)]
    return flagged.assign(median=median[flagged.index])[["model_id", "cur_id", "downloads", "median"]]


def quality_report(
    *, facts: pd.DataFrame, downloads: pd.DataFrame, dropped_edges: pd.DataFrame, missing_parents: pd.DataFrame, steps: pd.DataFrame | None, capped: bool
) -> tuple[pd.DataFrame, dict]:
    """The checks as rows (check, n, downloads, examples, what) and their detail tables.

    `downloads` is the chosen snapshot's model_id, downloads; `steps` the
    history's per-step rows (None with fewer than two comparable snapshots).
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
        "unknown_creation_date": placeholder[["model_id", "downloads"]].sort_values("downloads", ascending=False).head(50),
        "test_repos": test_repos[["model_id", "downloads"]].sort_values("downloads", ascending=False).head(50),
        "dropped_edges": dropped_edges,
        "missing_parents": missing_parents.head(50),
    }
    if steps is None:
        for check in ("rollbacks", "frozen counters", "missing models", "unobserved days", "sudden spikes"):
            rows.append({"check": check, "n": None, "downloads": None, "examples": "", "what": "needs a history: two or more snapshots of one scope"})
        return pd.DataFrame(rows), details
    rollbacks = steps[steps["rollback"]]
    missing = steps[steps["missing"]]
    gaps = steps[steps["unobserved_days"] > 0]
    frozen = frozen_counters(steps) if not capped else pd.DataFrame(columns=["model_id", "frozen_since"])
    spiked = spikes(steps)
    rows += [
        check_row("rollbacks", rollbacks, what="all-time count fell between snapshots: clipped to 0"),
        check_row(
            "frozen counters",
            frozen,
            what="counting, then 0 for ≥ 2 consecutive differences" if not capped else "not checked: first-year-capped counts stop growing by design",
        ),
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
        rollbacks=rollbacks[["model_id", "cur_id"]].head(50),
        frozen_counters=frozen.head(50),
        missing_models=missing[["model_id", "cur_id"]].head(50),
        unobserved_days=gaps[["model_id", "cur_id", "unobserved_days"]].head(50),
        sudden_spikes=spiked.head(50),
    )
    return pd.DataFrame(rows), details
