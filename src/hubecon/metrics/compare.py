"""Comparing two listings as cross-sections (DESIGN.md §3, Comparing two listings).

Each snapshot is cut to its top N models by 30-day downloads (ties broken by
model id) and every figure is computed on each cut separately; no per-model
differences are taken between them. Every change carries DESIGN.md's test,
with models or developers as units: bootstrap over developers for
download-weighted shares and means, Mann–Whitney U for size distributions,
chi-square on model counts for category shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hubecon.metrics.concentration import TOP_K, gini, hhi, top_share
from hubecon.metrics.significance import bootstrap_ratio, bootstrap_shift, chi_square, mann_whitney, resample_counts

SIDES = ("then", "now")
NOT_TESTED = {"test": None, "statistic": None, "p_value": None, "significant": None, "note": ""}


def top_cut(observations: pd.DataFrame, top: int) -> pd.DataFrame:
    """A snapshot's top N models by 30-day downloads; ties go to the smaller model id."""
    ordered = observations.sort_values(["downloads_30d", "model_id"], ascending=[False, True], kind="stable")
    return ordered.head(top)[["model_id", "downloads_30d"]].rename(columns={"downloads_30d": "downloads"}).reset_index(drop=True)


def direction(then: float | None, now: float | None) -> str:
    if then is None or now is None or pd.isna(then) or pd.isna(now):
        return ""
    return "up" if now > then else "down" if now < then else "same"


def row(section: str, metric: str, key: str, label: str, then, now, test: dict, n_then: int, n_now: int) -> dict:
    change = None if then is None or now is None or pd.isna(then) or pd.isna(now) else float(now) - float(then)
    return {
        "section": section,
        "metric": metric,
        "key": key,
        "label": label,
        "then": None if then is None or pd.isna(then) else float(then),
        "now": None if now is None or pd.isna(now) else float(now),
        "change": change,
        "direction": direction(then, now),
        "test": test.get("test"),
        "statistic": test.get("statistic"),
        "p_value": test.get("p_value"),
        "significant": test.get("significant"),
        "note": test.get("note", ""),
        "n_then": n_then,
        "n_now": n_now,
    }


class Comparison:
    """The units of both cuts, and the tests of a change between them, from one recorded seed."""

    def __init__(self, credited: pd.DataFrame, seed: int, resamples: int = 1000):
        # credited: side, model_id, unit (developer), key columns…, downloads — one row per credited part
        self.credited = credited
        self.rng = np.random.default_rng(seed)
        self.resamples = resamples

    def share_shift(self, column: str, key: str) -> tuple[float | None, float | None, dict, int, int]:
        """A key's download-weighted share on each side, and the bootstrap test of its change (developers resampled)."""
        estimates, draws, units = {}, {}, {}
        for side in SIDES:
            rows = self.credited[self.credited["side"] == side]
            per_unit = rows.assign(hit=np.where(rows[column] == key, rows["downloads"], 0.0)).groupby("unit")[["hit", "downloads"]].sum()
            units[side] = len(per_unit)
            total = per_unit["downloads"].sum()
            estimates[side] = float(per_unit["hit"].sum() / total) if total else None
            counts = resample_counts(len(per_unit), self.rng, self.resamples) if len(per_unit) else np.zeros((self.resamples, 0))
            draws[side] = bootstrap_ratio(counts, per_unit["hit"].to_numpy(), per_unit["downloads"].to_numpy())
        if estimates["then"] is None or estimates["now"] is None:
            return estimates["then"], estimates["now"], dict(NOT_TESTED, note="a side has no downloads"), units["then"], units["now"]
        test = bootstrap_shift(draws["then"], draws["now"], estimates["then"], estimates["now"], units["then"], units["now"])
        return estimates["then"], estimates["now"], test, units["then"], units["now"]


def share_rows(section: str, tables: dict[str, pd.DataFrame], comparison: Comparison, column: str) -> list[dict]:
    """Side-by-side share rows for every key either side shows, each with its bootstrap test."""
    then, now = (tables[side].set_index("key") for side in SIDES)
    keys = list(dict.fromkeys(list(now.index) + list(then.index)))
    rows = []
    for key in keys:
        label = now["label"].get(key, then["label"].get(key, key))
        if key.startswith("_"):
            test = dict(NOT_TESTED, note="a residual row: not tested")
            n_then, n_now = 0, 0
        else:
            _, _, test, n_then, n_now = comparison.share_shift(column, key)
        # A key a side does not show had no downloads there: its share is 0, not unknown.
        rows.append(row(section, "share", key, label, then["share"].get(key, 0.0), now["share"].get(key, 0.0), test, n_then, n_now))
    return rows


def concentration_rows(level: str, values: dict[str, np.ndarray], seed: int, resamples: int = 1000) -> list[dict]:
    """HHI, Gini and top-k on each side; the change tested by resampling the entities of each side."""
    rng = np.random.default_rng(seed)
    metrics = {"hhi": hhi, "gini": lambda v: gini(v[v >= 1]), **{f"top{k}": (lambda k: lambda v: top_share(v, k))(k) for k in TOP_K}}
    out = []
    for name, function in metrics.items():
        estimates, draws = {}, {}
        for side in SIDES:
            side_values = values[side]
            estimates[side] = function(side_values) if len(side_values) else None
            counts = resample_counts(len(side_values), rng, resamples)
            draws[side] = np.array([function(np.repeat(side_values, draw.astype(int))) for draw in counts]) if len(side_values) else np.array([])
        if estimates["then"] is None or estimates["now"] is None:
            test = dict(NOT_TESTED, note="a side has no entities")
        else:
            test = bootstrap_shift(draws["then"], draws["now"], estimates["then"], estimates["now"], len(values["then"]), len(values["now"]))
            test["test"] = f"bootstrap ({level}s resampled)"
        out.append(row("concentration", f"{level} {name}", name, f"{name} at {level} level", estimates["then"], estimates["now"], test, len(values["then"]), len(values["now"])))
    return out


def property_rows(facts_then: pd.DataFrame, facts_now: pd.DataFrame, comparison: Comparison) -> list[dict]:
    """Size, size buckets, modality, multimodal generation, quantized variants, MoE and openness on each side."""
    rows = []
    sides = {"then": facts_then, "now": facts_now}
    sized = {side: frame[frame["params_total"].notna()] for side, frame in sides.items()}
    weighted = {side: float(np.average(frame["params_total"].astype(float), weights=frame["downloads"])) if frame["downloads"].sum() else None for side, frame in sized.items()}
    mean_test = size_mean_test(sized, comparison)
    rows.append(row("models", "download-weighted mean size", "params", "download-weighted mean parameters", weighted["then"], weighted["now"], mean_test, len(sized["then"]), len(sized["now"])))
    median = {side: float(frame["params_total"].astype(float).median()) if len(frame) else None for side, frame in sized.items()}
    test = mann_whitney(sized["then"]["params_total"].astype(float), sized["now"]["params_total"].astype(float))
    rows.append(row("models", "median size", "params", "median parameters (models)", median["then"], median["now"], test, len(sized["then"]), len(sized["now"])))
    for column, metric in (("size_bucket", "size bucket"), ("modality", "modality")):
        categories = sorted(set(sides["then"][column].dropna()) | set(sides["now"][column].dropna()))
        for category in categories:
            rows.append(category_row(sides, metric, column, category))
    for column, metric in (
        ("multimodal_generation", "multimodal generation"),
        ("quantized_variant", "quantized variants"),
        ("moe", "mixture-of-experts"),
    ):
        rows.append(category_row(sides, metric, column, True, label=metric))
    for category in ("open source", "open weights"):
        rows.append(category_row(sides, "openness", "openness", category))
    return rows


def category_row(sides: dict[str, pd.DataFrame], metric: str, column: str, category, label: str | None = None) -> dict:
    """A category's download-weighted share on each side; chi-square on model counts for its change."""
    shares, hits, sizes = {}, {}, {}
    for side, frame in sides.items():
        known = frame[frame[column].notna()]
        inside = known[known[column] == category]
        total = known["downloads"].sum()
        shares[side] = float(inside["downloads"].sum() / total) if total else None
        hits[side], sizes[side] = len(inside), len(known)
    test = chi_square(hits["then"], sizes["then"], hits["now"], sizes["now"])
    return row("models", metric, str(category), label or str(category), shares["then"], shares["now"], test, sizes["then"], sizes["now"])


def size_mean_test(sized: dict[str, pd.DataFrame], comparison: Comparison) -> dict:
    """Bootstrap over developers of the download-weighted mean size."""
    estimates, draws, units = {}, {}, {}
    for side, frame in sized.items():
        per_unit = frame.assign(weighted=frame["params_total"].astype(float) * frame["downloads"]).groupby("unit")[["weighted", "downloads"]].sum()
        units[side] = len(per_unit)
        total = per_unit["downloads"].sum()
        estimates[side] = float(per_unit["weighted"].sum() / total) if total else None
        counts = resample_counts(len(per_unit), comparison.rng, comparison.resamples) if len(per_unit) else np.zeros((comparison.resamples, 0))
        draws[side] = bootstrap_ratio(counts, per_unit["weighted"].to_numpy(), per_unit["downloads"].to_numpy())
    if estimates["then"] is None or estimates["now"] is None:
        return dict(NOT_TESTED, note="a side has no sized models")
    return bootstrap_shift(draws["then"], draws["now"], estimates["then"], estimates["now"], units["then"], units["now"])


def namespace_moves(cuts: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Namespaces in the now cut but not the then cut (entered), and the reverse (left), by downloads."""
    by_namespace = {
        side: cut.assign(namespace=cut["model_id"].str.split("/").str[0]).groupby("namespace").agg(downloads=("downloads", "sum"), models=("model_id", "size"))
        for side, cut in cuts.items()
    }
    entered = by_namespace["now"].loc[lambda frame: ~frame.index.isin(by_namespace["then"].index)]
    left = by_namespace["then"].loc[lambda frame: ~frame.index.isin(by_namespace["now"].index)]
    order = {"by": "downloads", "ascending": False}
    return entered.sort_values(**order).reset_index(), left.sort_values(**order).reset_index()
