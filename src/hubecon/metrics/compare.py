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

from hubecon.enrich.registry import INDIVIDUALS, OTHER, UNATTRIBUTED
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


def share_rows(section: str, tables: dict[str, pd.DataFrame], comparison: Comparison, column: str, top: int | None = None) -> list[dict]:
    """Side-by-side share rows, each with its bootstrap test.

    `tables` are each side's full share tables. With `top`, the keys shown
    are those in either side's top N, each with its own share on both sides
    (a developer in only one top N still has its real share on the other);
    the rest form `_other` on each side.
    """
    full = {side: tables[side].set_index("key") for side in SIDES}
    ranked = {side: [key for key in full[side].index if not key.startswith("_")] for side in SIDES}
    shown = list(dict.fromkeys(ranked["now"][:top] + ranked["then"][:top])) if top else list(dict.fromkeys(ranked["now"] + ranked["then"]))
    rows = []
    for key in shown:
        label = full["now"]["label"].get(key, full["then"]["label"].get(key, key))
        _, _, test, n_then, n_now = comparison.share_shift(column, key)
        # A key a side lacks had no downloads there: its share is 0, not unknown.
        rows.append(row(section, "share", key, label, full["then"]["share"].get(key, 0.0), full["now"]["share"].get(key, 0.0), test, n_then, n_now))
    residual = dict(NOT_TESTED, note="a residual row: not tested")
    folded = {side: [key for key in ranked[side] if key not in shown] for side in SIDES}
    if any(folded.values()):
        other = {side: float(full[side]["share"].reindex(folded[side]).sum()) for side in SIDES}
        rows.append(row(section, "share", OTHER, "Other", other["then"], other["now"], residual, 0, 0))
    if any(UNATTRIBUTED in full[side].index for side in SIDES):
        label = "Unattributed namespaces"
        rows.append(row(section, "share", UNATTRIBUTED, label, full["then"]["share"].get(UNATTRIBUTED, 0.0), full["now"]["share"].get(UNATTRIBUTED, 0.0), residual, 0, 0))
    return rows


def concentration_units(credited: pd.DataFrame, level: str) -> dict[str, pd.DataFrame]:
    """Per side: entity, unit, downloads — models are their own units; developers are the units of developers and countries."""
    entity = {"model": "entity_model", "developer": "unit", "country": "country"}[level]
    unit = "entity_model" if level == "model" else "unit"
    counted = credited[credited["country"].notna() & (credited["country"] != INDIVIDUALS)] if level == "country" else credited
    return {
        side: pd.DataFrame({"entity": rows[entity], "unit": rows[unit], "downloads": rows["downloads"]})
        for side, rows in ((side, counted[counted["side"] == side]) for side in SIDES)
    }


def left_out_row(credited: pd.DataFrame) -> dict:
    """The share left out of country-level concentration (USER and unattributed), reported beside it."""
    counted = credited["country"].notna() & (credited["country"] != INDIVIDUALS)
    left_out = {side: float(1 - credited.loc[counted & (credited["side"] == side), "downloads"].sum() / credited.loc[credited["side"] == side, "downloads"].sum()) for side in SIDES}
    return row("concentration", "left out of country level", "left_out", "share left out of country level (USER, unattributed)", left_out["then"], left_out["now"], dict(NOT_TESTED, note="reported beside"), 0, 0)


def concentration_rows(level: str, units: dict[str, pd.DataFrame], seed: int, resamples: int = 1000) -> list[dict]:
    """HHI, Gini and top-k on each side; the change tested by resampling models or developers (never countries).

    `units` per side: entity, unit, downloads. At model and developer level
    the entity is its own unit; at country level developers are resampled
    and each resample's country totals recomputed.
    """
    rng = np.random.default_rng(seed)
    metrics = {"hhi": hhi, "gini": lambda v: gini(v[v >= 1]), **{f"top{k}": (lambda k: lambda v: top_share(v, k))(k) for k in TOP_K}}
    values, resampled = {}, {}
    for side in SIDES:
        frame = units[side]
        totals = frame.groupby("entity")["downloads"].sum()
        values[side] = totals[totals > 0].to_numpy(dtype=float)
        per_unit = frame.pivot_table(index="unit", columns="entity", values="downloads", aggfunc="sum", fill_value=0.0)
        counts = resample_counts(len(per_unit), rng, resamples)
        if level == "country":
            resampled[side] = counts @ per_unit.to_numpy()
        else:
            resampled[side] = counts * per_unit.to_numpy().sum(axis=1)
    unit_word = "developers" if level in ("developer", "country") else "models"
    out = []
    for name, function in metrics.items():
        estimates, draws = {}, {}
        for side in SIDES:
            estimates[side] = function(values[side]) if len(values[side]) else None
            draws[side] = np.array([function(draw[draw > 0]) if (draw > 0).any() else np.nan for draw in resampled[side]])
        if estimates["then"] is None or estimates["now"] is None:
            test = dict(NOT_TESTED, note="a side has no entities")
        else:
            units_then, units_now = (len(units[side]["unit"].unique()) for side in SIDES)
            test = bootstrap_shift(draws["then"], draws["now"], estimates["then"], estimates["now"], units_then, units_now)
            test["test"] = f"bootstrap ({unit_word} resampled)"
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
    distribution_test = mann_whitney(sized["then"]["params_total"].astype(float), sized["now"]["params_total"].astype(float))
    mean = {side: float(frame["params_total"].astype(float).mean()) if len(frame) else None for side, frame in sized.items()}
    rows.append(row("models", "mean size", "params", "unweighted mean parameters (models)", mean["then"], mean["now"], distribution_test, len(sized["then"]), len(sized["now"])))
    median = {side: float(frame["params_total"].astype(float).median()) if len(frame) else None for side, frame in sized.items()}
    test = distribution_test
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
