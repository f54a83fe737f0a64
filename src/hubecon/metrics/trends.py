"""How the models change, per period (DESIGN.md §3, Model properties and Trends).

Periods are creation cohorts (year or quarter of a model's creation) on a
single snapshot, with the snapshot's 30-day downloads; or observation windows
on a history, with each window's downloads. Per period: the download-weighted
mean size (the headline "average size"), unweighted mean and median; size-
bucket, modality, multimodal-generation, quantization (by format and by
maker), FP8/FP4-original, MoE, licence-family and architecture shares, each
by downloads and by model count. Then, per metric, the first→last multiplier
with its test (metrics/significance.py) and a Mann–Kendall trend test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from hubecon.enrich.properties import LICENCE_FAMILY_ORDER, SIZE_BUCKET_ORDER
from hubecon.metrics.significance import (
    BOOTSTRAP_RESAMPLES,
    bootstrap_ratio,
    bootstrap_shift,
    chi_square,
    mann_kendall,
    mann_whitney,
    resample_counts,
)

CREATION_COHORT, OBSERVATION_WINDOW = "creation cohort", "observation window"
COHORT_PERIODS = ("year", "quarter")
WINDOW_PERIODS = ("week", "month", "quarter", "year")
UNKNOWN_CREATION = "unknown creation date"
SIZE_METRICS = {
    "mean_size_weighted": ("downloads", "download-weighted mean size (the headline average size)"),
    "mean_size": ("models", "unweighted mean size"),
    "median_size": ("models", "median size"),
}
NOT_QUANTIZED = "not quantized"


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    headline: tuple[str, ...] = ()
    order: tuple[str, ...] = ()


TREND_METRICS = (
    Metric("size_bucket", "size bucket (share of models of known size)", (), tuple(SIZE_BUCKET_ORDER)),
    Metric("modality", "modality from pipeline_tag (unknown = no pipeline_tag)"),
    Metric("multimodal_generation", "multimodal generation (output image/video/audio/3D, or several input modalities; models with a known task)", ("multimodal generation",)),
    Metric("quantized", "quantized variants (share of all models)", ("quantized variant",)),
    Metric("quantization_format", "quantized variants by format (share of all models)"),
    Metric("quantized_by", "quantized variants by maker: third-party (uploader's developer ≠ origin developer) or self-made"),
    Metric("fp_precision_original", "originals with FP8/FP4 weights (a precision choice, not a quantized variant)"),
    Metric("moe", "mixture-of-experts", ("MoE",)),
    Metric("licence_family", "licence family", (), tuple(LICENCE_FAMILY_ORDER)),
    Metric("architecture_family", "architecture family"),
)
OPENNESS_METRICS = (
    Metric("openness", "open source (OSI licence and full-stack training data disclosed & available) vs open weights", ("open source", "open weights")),
    Metric("data_own", "training-data transparency of the model's own training step", (), ("disclosed & available", "disclosed, not available", "undisclosed")),
    Metric(
        "data_full_stack",
        "training-data transparency of the full stack (lower of own and root's)",
        ("disclosed & available",),
        ("disclosed & available", "disclosed, not available", "undisclosed"),
    ),
    Metric("licence_family", "licence restrictions by licence family", (), tuple(LICENCE_FAMILY_ORDER)),
)


def property_categories(facts: pd.DataFrame) -> pd.DataFrame:
    """The category each model falls in for every metric (missing = not counted for that metric).

    Text columns backed by Arrow: as Python objects, a million models' twelve
    categories took 0.9 GiB and 1.4 s more to hand to the engine.
    """
    quantized = facts["quantized_variant"].astype(bool)
    known_task = facts["multimodal_generation"].notna()
    columns = {
        "model_id": facts["model_id"],
        "size_bucket": facts["size_bucket"],
        "modality": facts["modality"],
        "multimodal_generation": np.where(known_task, np.where(facts["multimodal_generation"].fillna(False).astype(bool), "multimodal generation", "other"), None),
        "quantized": np.where(quantized, "quantized variant", NOT_QUANTIZED),
        "quantization_format": np.where(quantized, facts["quantization_format"].fillna("other"), NOT_QUANTIZED),
    }
    if "third_party" in facts:
        columns["quantized_by"] = np.where(quantized, np.where(facts["third_party"].astype(bool), "third-party", "self-made"), NOT_QUANTIZED)
    columns["fp_precision_original"] = np.where(facts["fp_precision_original"].notna(), facts["fp_precision_original"].astype(str) + " original", "other")
    columns["moe"] = np.where(facts["moe"].astype(bool), "MoE", "dense")
    for column in ("licence_family", "architecture_family", "openness", "data_own", "data_full_stack"):
        if column in facts:
            columns[column] = facts[column]
    return pd.DataFrame({name: pd.array(values, dtype="str") for name, values in columns.items()}, index=facts.index)


def cohort_periods(created_at: pd.Series, created_known: pd.Series, period: str) -> pd.DataFrame:
    """Creation-cohort label, start and end (exclusive: the next period's start) per model; unknown dates give None."""
    created = pd.to_datetime(created_at, utc=True)
    freq = "Y" if period == "year" else "Q"
    stamps = created.dt.tz_convert(None).dt.to_period(freq)
    labels = stamps.astype(str).where(created_known, None)
    if period == "quarter":
        labels = labels.str.replace(r"^(\d{4})Q(\d)$", r"\1-Q\2", regex=True)
    start = stamps.dt.start_time.dt.tz_localize("UTC").where(created_known)
    end = (stamps + 1).dt.start_time.dt.tz_localize("UTC").where(created_known)
    return pd.DataFrame({"period": labels, "period_start": start, "period_end": end})


def share_rows(con: ibis.BaseBackend, units: ibis.Table, categories: pd.DataFrame, metrics: tuple[Metric, ...]) -> pd.DataFrame:
    """Per period × metric × category: the download-weighted and count share, with n and downloads.

    `units`: one row per (period, model) with period, period_start, period_end,
    model_id, developer, downloads. A category absent from a period where the
    metric has models is a row with share 0.
    """
    names = [metric.name for metric in metrics if metric.name in categories]
    table = units.select(*PERIOD_COLUMNS, "model_id", "downloads").join(ibis.memtable(categories[["model_id", *names]]), "model_id")
    # One grouping by every metric's category at once; each metric's sums are then added up from those
    # combinations, which are far fewer than the models (a grouping per metric took 4.9 s at 1M models × 52).
    # A model is one row per period and has one category per metric, so counting rows counts models and
    # a metric's totals are its categories' sums.
    combinations = con.execute(table.group_by(*PERIOD_COLUMNS, *names).agg(downloads=table.downloads.sum(), models=table.count()))
    grouped = pd.concat(
        [
            combinations[combinations[name].notna()]
            .groupby([*PERIOD_COLUMNS, name], as_index=False, dropna=False, sort=False)
            .agg(downloads=("downloads", "sum"), models=("models", "sum"))
            .rename(columns={name: "category"})
            .assign(metric=name)
            for name in names
        ],
        ignore_index=True,
    )
    totals = grouped.groupby([*PERIOD_COLUMNS, "metric"], as_index=False, dropna=False).agg(total_downloads=("downloads", "sum"), n=("models", "sum"))
    grid = totals.merge(grouped[["metric", "category"]].drop_duplicates(), on="metric")
    full = grid.merge(grouped.drop(columns=["period_start", "period_end"]), on=["period", "metric", "category"], how="left").fillna({"downloads": 0.0, "models": 0})
    rows = []
    for weighting, numerator, denominator in (("downloads", "downloads", "total_downloads"), ("models", "models", "n")):
        part = full.assign(weighting=weighting)
        part["value"] = np.where(part[denominator] > 0, part[numerator] / part[denominator].where(part[denominator] > 0, 1), np.nan)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["unit"] = "share"
    order = {metric.name: (index, {category: rank for rank, category in enumerate(metric.order)}) for index, metric in enumerate(metrics)}
    out["_metric_rank"] = out["metric"].map(lambda name: order[name][0])
    out["_category_rank"] = [order[m][1].get(c, len(order[m][1])) for m, c in zip(out["metric"], out["category"])]
    out["_weighting_rank"] = out["weighting"].map({"downloads": 0, "models": 1})
    out = out.sort_values(["_metric_rank", "period_start", "period", "_weighting_rank", "_category_rank", "downloads", "category"], ascending=[True, True, True, True, True, False, True])
    return out.drop(columns=[column for column in out if column.startswith("_")])


def size_rows(con: ibis.BaseBackend, units: ibis.Table, sizes: pd.DataFrame) -> pd.DataFrame:
    """Per period: download-weighted mean, unweighted mean and median size in billions of parameters, over models of known size."""
    known = sizes.dropna(subset=["params_total"])
    table = units.join(ibis.memtable(pd.DataFrame({"model_id": known["model_id"], "size_b": known["params_total"].astype(float) / 1e9})), "model_id")
    stats = con.execute(
        table.group_by(*PERIOD_COLUMNS).agg(
            total_downloads=table.downloads.sum(),
            weighted=(table.downloads * table.size_b).sum(),
            mean_size=table.size_b.mean(),
            median_size=table.size_b.median(),
            n=table.count(),
        )
    )
    stats["mean_size_weighted"] = np.where(stats["total_downloads"] > 0, stats["weighted"] / stats["total_downloads"].where(stats["total_downloads"] > 0, 1), np.nan)
    rows = []
    for metric, (weighting, _) in SIZE_METRICS.items():
        rows.append(stats.assign(metric=metric, category=None, weighting=weighting, value=stats[metric], models=stats["n"], downloads=stats["total_downloads"]))
    out = pd.concat(rows, ignore_index=True)
    out["unit"] = "B parameters"
    return out.sort_values(["metric", "period_start", "period"], key=lambda column: column.map({m: i for i, m in enumerate(SIZE_METRICS)}) if column.name == "metric" else column)


PERIOD_COLUMNS = ("period", "period_start", "period_end")
ROW_COLUMNS = ["period", "period_start", "period_end", "period_kind", "metric", "category", "weighting", "value", "unit", "models", "n", "downloads", "total_downloads"]


def period_table(con: ibis.BaseBackend, units: ibis.Table, facts: pd.DataFrame, categories: pd.DataFrame, metrics: tuple[Metric, ...], *, period_kind: str, sizes: bool) -> pd.DataFrame:
    """The tidy long table of every metric per period (see module docstring); `categories` is property_categories(facts)."""
    parts = []
    if sizes:
        parts.append(size_rows(con, units, facts[["model_id", "params_total"]]))
    parts.append(share_rows(con, units, categories, metrics))
    rows = pd.concat(parts, ignore_index=True)
    rows["period_kind"] = period_kind
    rows["models"] = rows["models"].astype(int)
    rows["n"] = rows["n"].astype(int)
    return rows[ROW_COLUMNS].reset_index(drop=True)


def period_order(rows: pd.DataFrame) -> list[str]:
    bounds = rows[["period", "period_start"]].drop_duplicates("period").sort_values(["period_start", "period"])
    return bounds["period"].tolist()


def developer_sums(developers: pd.Series, downloads: np.ndarray, values: Iterable[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """Per developer (sorted): Σ downloads and Σ downloads × value for each (name, value array) (NaN values count in neither).

    One row per unit, given as arrays: summed by developer code with bincount,
    since a frame of a million units × every category is slow to build and group.
    The values may come one at a time (a generator), so only one is held at once.
    """
    codes, names = pd.factorize(developers, sort=True)
    named = codes >= 0
    # A unit without a figure adds nothing, as pandas' sums skip NaN.
    codes, downloads = codes[named], np.nan_to_num(downloads[named], nan=0.0)
    sums = {}
    for column, value in values:
        value = value[named]
        known = ~np.isnan(value)
        sums[f"den:{column}"] = np.bincount(codes, weights=np.where(known, downloads, 0.0), minlength=len(names))
        sums[f"num:{column}"] = np.bincount(codes, weights=downloads * np.where(known, value, 0.0), minlength=len(names))
    return pd.DataFrame(sums, index=pd.Index(names, name="developer"))


def shift_tests(
    con: ibis.BaseBackend, rows: pd.DataFrame, units: ibis.Table, facts: pd.DataFrame, categories: pd.DataFrame, metrics: tuple[Metric, ...], *, seed: int, resamples: int = BOOTSTRAP_RESAMPLES
) -> pd.DataFrame:
    """First→last multiplier per (metric, category, weighting), with its test and a Mann–Kendall trend test.

    By models: Mann–Whitney U on sizes, chi-square on counts for shares. By
    downloads: a bootstrap over developers (resampled within each period,
    seeded per period from `seed`). Every series: Mann–Kendall over the
    periods where the metric has models. Only the periods a test compares
    are fetched from the engine, model by model. `categories` is
    property_categories(facts).
    """
    if rows.empty:
        return pd.DataFrame()
    order = period_order(rows)
    rank = {period: index for index, period in enumerate(order)}
    categories = categories.set_index("model_id")
    categories = categories[[column for column in categories.columns if column in set(rows["metric"])]]
    all_categories = {column: categories[column].dropna().unique().tolist() for column in categories.columns}
    sizes = facts.set_index("model_id")["params_total"].astype("Float64")
    # Per model, in facts' order: each period's developer table picks its units' rows by position.
    model_positions = pd.Index(categories.index)
    size_values = sizes.reindex(model_positions).astype(float).to_numpy() / 1e9
    category_codes = {column: pd.Categorical(categories[column], categories=all_categories[column]).codes for column in categories.columns}
    headline = {(metric.name, category) for metric in metrics for category in metric.headline} | {("mean_size_weighted", None)}
    boot_cache: dict[str, np.ndarray] = {}

    def counts_for(period: str, developers: int) -> np.ndarray:
        if period not in boot_cache:
            boot_cache[period] = resample_counts(developers, np.random.default_rng([seed, rank[period]]), resamples)
        return boot_cache[period]

    period_units: dict[str, pd.DataFrame] = {}
    dev_tables: dict[str, pd.DataFrame] = {}

    def units_of(period: str) -> pd.DataFrame:
        if period not in period_units:
            # In model order, so the sums (and with them the tests) do not depend on the engine's row order.
            part = units.filter(units.period == period).select("model_id", "developer", "downloads").order_by("model_id")
            period_units[period] = con.execute(part)
        return period_units[period]

    def developer_table(period: str) -> pd.DataFrame:
        if period not in dev_tables:
            part = units_of(period)
            at = model_positions.get_indexer(part["model_id"])
            known = at >= 0

            def values():
                yield "size", np.where(known, size_values[np.maximum(at, 0)], np.nan)  # billions, as the rows
                for column, codes in category_codes.items():
                    code = np.where(known, codes[np.maximum(at, 0)], -1)
                    for number, category in enumerate(all_categories[column]):
                        yield f"{column}={category}", np.where(code < 0, np.nan, (code == number).astype(float))

            dev_tables[period] = developer_sums(part["developer"], part["downloads"].to_numpy(dtype=float), values())
        return dev_tables[period]

    results = []
    for (metric, category, weighting), series in rows.groupby(["metric", "category", "weighting"], dropna=False, sort=False):
        series = series[series["n"] > 0].assign(_rank=lambda frame: frame["period"].map(rank)).sort_values("_rank")
        if series.empty:
            continue
        first, last = series.iloc[0], series.iloc[-1]
        category = None if pd.isna(category) else category
        multiplier = float(last["value"] / first["value"]) if first["value"] and not pd.isna(first["value"]) and first["value"] > 0 else None
        key = "size" if metric in SIZE_METRICS else f"{metric}={category}"
        if len(series) < 2:
            test = {"test": None, "statistic": None, "p_value": None, "n_first": int(first["n"]), "n_last": int(last["n"]), "significant": None, "note": "one period only"}
        elif weighting == "models" and metric in SIZE_METRICS:
            test = mann_whitney(
                sizes.reindex(units_of(first["period"])["model_id"]).dropna().astype(float) / 1e9,
                sizes.reindex(units_of(last["period"])["model_id"]).dropna().astype(float) / 1e9,
            )
        elif weighting == "models":
            test = chi_square(int(first["models"]), int(first["n"]), int(last["models"]), int(last["n"]))
        else:
            tables = [developer_table(first["period"]), developer_table(last["period"])]
            resampled = []
            for period, table in zip((first["period"], last["period"]), tables):
                if f"num:{key}" in table:
                    resampled.append(bootstrap_ratio(counts_for(period, len(table)), table[f"num:{key}"].to_numpy(), table[f"den:{key}"].to_numpy()))
                else:
                    resampled.append(np.zeros(resamples))
            developers = [int((table[f"den:{key}"] > 0).sum()) if f"den:{key}" in table else 0 for table in tables]
            test = bootstrap_shift(resampled[0], resampled[1], float(first["value"]), float(last["value"]), developers[0], developers[1])
            test["note"] = f"{test['note']}; units: developers".lstrip("; ")
        trend = mann_kendall(series["value"].tolist())
        results.append(
            {
                "metric": metric,
                "category": category,
                "weighting": weighting,
                "headline": (metric, category) in headline,
                "first_period": first["period"],
                "last_period": last["period"],
                "first": float(first["value"]),
                "last": float(last["value"]),
                "multiplier": multiplier,
                "test": test["test"],
                "statistic": test["statistic"],
                "p_value": test["p_value"],
                "ci_low": test.get("ci_low"),
                "ci_high": test.get("ci_high"),
                "n_first": test["n_first"],
                "n_last": test["n_last"],
                "significant": test["significant"],
                "trend_test": trend["test"],
                "trend_statistic": trend["statistic"],
                "trend_tau": trend["tau"],
                "trend_p_value": trend["p_value"],
                "trend_periods": trend["periods"],
                "trend_significant": trend["significant"],
                "note": "; ".join(note for note in (test["note"], trend["note"], "" if multiplier is not None else "first period's value is 0: no multiplier") if note),
            }
        )
    return pd.DataFrame(results)


def unknown_creation_row(units_unknown: pd.DataFrame) -> pd.DataFrame:
    """The row of models with an unknown or placeholder creation date: n and downloads, outside every trend and test."""
    return pd.DataFrame(
        [
            {
                "period": UNKNOWN_CREATION,
                "period_start": pd.NaT,
                "period_end": pd.NaT,
                "period_kind": CREATION_COHORT,
                "metric": "excluded",
                "category": UNKNOWN_CREATION,
                "weighting": None,
                "value": None,
                "unit": "models",
                "models": int(units_unknown["model_id"].nunique()),
                "n": int(units_unknown["model_id"].nunique()),
                "downloads": float(units_unknown["downloads"].sum()),
                "total_downloads": float(units_unknown["downloads"].sum()),
            }
        ]
    )


def model_weights(credited: pd.DataFrame) -> pd.DataFrame:
    """Per model from credited rows (downloads = kept credit fraction): the kept weight and the developer unit.

    The developer unit for the bootstrap is the credited developer with the
    largest fraction (ties: alphabetical); a namespace missing from the
    registry counts as its own developer.
    """
    credited = credited.assign(developer=credited["developer"].fillna("namespace:" + credited["namespace"]))
    credited = credited.sort_values(["model_id", "downloads", "developer"], ascending=[True, False, True])
    weights = credited.groupby("model_id", as_index=False).agg(weight=("downloads", "sum"), developer=("developer", "first"))
    return weights[weights["weight"] > 0]


def cohort_units(facts: pd.DataFrame, downloads: pd.DataFrame, weights: pd.DataFrame, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(units with a known creation date, units without) for creation cohorts on one snapshot."""
    frame = downloads.merge(weights, on="model_id").merge(facts[["model_id", "created_at", "created_known"]], on="model_id")
    frame["downloads"] = frame["downloads"].astype(float) * frame["weight"]
    frame = pd.concat([frame.reset_index(drop=True), cohort_periods(frame["created_at"], frame["created_known"], period).reset_index(drop=True)], axis=1)
    known = frame["created_known"].astype(bool)
    columns = ["period", "period_start", "period_end", "model_id", "developer", "downloads"]
    return frame.loc[known, columns].reset_index(drop=True), frame.loc[~known, columns].reset_index(drop=True)


def window_units(period_downloads: ibis.Table, weights: pd.DataFrame, bounds: pd.DataFrame) -> ibis.Table:
    """Units for observation windows, in the engine: each window's downloads per model (one row per period and model) × kept weight.

    `bounds`: period, period_start, period_end of each window.
    """
    bounds = bounds.assign(period_start=pd.to_datetime(bounds["period_start"], utc=True), period_end=pd.to_datetime(bounds["period_end"], utc=True))
    rows = period_downloads.join(ibis.memtable(weights[["model_id", "weight", "developer"]]), "model_id").join(ibis.memtable(bounds[list(PERIOD_COLUMNS)]), "period")
    return rows.select(*PERIOD_COLUMNS, "model_id", "developer", downloads=rows.downloads.cast("float64") * rows.weight)


@dataclass
class PropertyPeriods:
    rows: pd.DataFrame
    multipliers: pd.DataFrame
    n: dict
    periods: list[str]


def model_weights_from(
    con: ibis.BaseBackend, model_ids: pd.Series, facts: ibis.Table, credit: ibis.Table, attribution_table: ibis.Table, *, attribution: str, exclude: tuple[str, ...]
) -> pd.DataFrame:
    """Per model of `model_ids`: the weight its downloads keep after attribution and exclusions, and its developer unit.

    The same rules as the share tables (metrics/shares.py credited_downloads),
    applied to a unit download per model; `facts`, `credit` and
    `attribution_table` are the session's engine tables they read.
    """
    from hubecon.metrics.shares import credited_downloads

    unit = pd.DataFrame({"model_id": model_ids.to_numpy(), "downloads": 1.0, "window_start": pd.Timestamp(0, tz="UTC"), "window_end": pd.Timestamp(0, tz="UTC")})
    unit.insert(1, "period", pd.Series(None, index=unit.index, dtype="string"))
    credited = credited_downloads(ibis.memtable(unit), facts, credit, attribution_table, attribution=attribution, cohort="all", exclude=exclude)
    return model_weights(con.execute(credited.select("model_id", "namespace", "developer", "downloads")))


def property_periods(
    con: ibis.BaseBackend,
    facts: pd.DataFrame,
    units: ibis.Table,
    metrics: tuple[Metric, ...],
    *,
    period_kind: str,
    sizes: bool,
    seed: int,
    unknown: pd.DataFrame | None = None,
) -> PropertyPeriods:
    """The period table and the first→last shifts with their tests, for one set of metrics.

    `units`: one row per (period, model) with period, period_start,
    period_end, model_id, developer, downloads, in the engine.
    """
    units = units.filter(units.downloads.notnull())
    categories = property_categories(facts)
    rows = period_table(con, units, facts, categories, metrics, period_kind=period_kind, sizes=sizes)
    multipliers = shift_tests(con, rows, units, facts, categories, metrics, seed=seed)
    periods = period_order(rows) if len(rows) else []
    if unknown is not None and len(unknown):
        rows = pd.concat([rows, unknown_creation_row(unknown)[ROW_COLUMNS]], ignore_index=True)
    counted = con.execute(units.aggregate(models=units.model_id.nunique(), developers=units.developer.nunique())).iloc[0]
    n = {
        "models": int(counted["models"]),
        "developers": int(counted["developers"]),
        "periods": len(periods),
        "unknown_creation_date_models": int(unknown["model_id"].nunique()) if unknown is not None else 0,
    }
    return PropertyPeriods(rows, multipliers, n, periods)
