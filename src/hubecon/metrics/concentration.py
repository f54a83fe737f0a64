"""Concentration of downloads over entities (DESIGN.md §3, Concentration) and bootstrap intervals for shares.

Over entities with shares s_i renormalised to sum to 1: HHI = 10,000·Σ s_i²;
Gini of the distribution over entities with ≥ 1 download (with n); top-k
share for k = 1, 5, 10, 100. Entities: at model level every model; at
developer level every developer, an unattributed namespace counting as its
own developer and each personal account as one; at country level the
countries and INTL, with the share left out (USER, unattributed) reported beside.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from hubecon.enrich.registry import INDIVIDUALS
from hubecon.metrics.significance import BOOTSTRAP_RESAMPLES

LEVELS = ("model", "developer", "country")
TOP_K = (1, 5, 10, 100)


def entity_key(rows: ibis.Table, level: str) -> ibis.Column:
    if level == "model":
        return rows.entity_model
    if level == "developer":
        return rows.developer.fill_null(ibis.literal("namespace:") + rows.namespace)
    return rows.country


def hhi(values: np.ndarray) -> float:
    shares = values / values.sum()
    return float(10_000 * np.sum(shares**2))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of positive values: 0 when all equal, approaching 1 when one holds everything."""
    ordered = np.sort(values)
    n = len(ordered)
    ranks = np.arange(1, n + 1)
    return float(2 * np.sum(ranks * ordered) / (n * ordered.sum()) - (n + 1) / n)


def top_share(values: np.ndarray, k: int) -> float:
    return float(np.sort(values)[::-1][:k].sum() / values.sum())


def concentration_rows(con: ibis.BaseBackend, rows: ibis.Table, *, level: str) -> pd.DataFrame:
    """One row per period: n, HHI, Gini, top-k shares; at country level the share left out beside."""
    keyed = rows.mutate(entity=entity_key(rows, level))
    totals = con.execute(keyed.group_by(["period", "entity"]).agg(downloads=keyed.downloads.sum()))
    out = []
    for period, group in totals.groupby("period", dropna=False, sort=True):
        everything = group["downloads"].sum()
        counted = group[group["entity"].notna() & (group["entity"] != INDIVIDUALS)] if level == "country" else group
        values = counted["downloads"].to_numpy(dtype=float)
        values = values[values > 0]
        with_a_download = values[values >= 1]
        row = {"period": None if pd.isna(period) else period, "level": level, "n": int(len(with_a_download))}
        if len(with_a_download):
            row.update(hhi=hhi(values), gini=gini(with_a_download), **{f"top{k}": top_share(values, k) for k in TOP_K})
        else:
            row.update(hhi=None, gini=None, **{f"top{k}": None for k in TOP_K})
        if level == "country":
            row["left_out_share"] = float(1 - counted["downloads"].sum() / everything) if everything else None
        out.append(row)
    return pd.DataFrame(out)


def bootstrap_intervals(units: pd.DataFrame, *, seed: int, resamples: int = BOOTSTRAP_RESAMPLES) -> pd.DataFrame:
    """95% percentile intervals for shares, resampling developers (DESIGN.md §3, Trends).

    `units` has period, unit (a developer), key (the row it falls in) and
    downloads. Resamples are drawn here, in numpy, from the recorded seed, so
    every engine gives the same intervals.
    """
    rng = np.random.default_rng(seed)
    out = []
    for period, group in units.groupby("period", dropna=False, sort=True):
        matrix = group.pivot_table(index="unit", columns="key", values="downloads", aggfunc="sum", fill_value=0.0)
        n_units = len(matrix)
        draws = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=resamples)
        sums = draws @ matrix.to_numpy()
        totals = sums.sum(axis=1, keepdims=True)
        shares = np.divide(sums, totals, out=np.zeros_like(sums), where=totals > 0)
        low, high = np.percentile(shares, [2.5, 97.5], axis=0)
        for key, lo, hi in zip(matrix.columns, low, high):
            out.append({"period": None if pd.isna(period) else period, "key": key, "ci_low": float(lo), "ci_high": float(hi)})
    return pd.DataFrame(out, columns=["period", "key", "ci_low", "ci_high"])
