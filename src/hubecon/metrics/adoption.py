"""Normalised adoption, after ATOM's Relative Adoption Metric (DESIGN.md §3, Normalised adoption).

With a history: a model's cumulative (all-time) downloads at age a ∈ {7, 14,
30, 60, 90, 180, 365} days — read at the snapshot nearest to creation + a
days, within ±3 days (a tie goes to the earlier snapshot) — ÷ the median, at
the same age, of the 10 models of its size bucket with the most downloads at
that age. With one snapshot: all-time downloads per day of age (age = the
snapshot's time − creation, in days, at least 1), ÷ the median of that
figure over the 10 models of its bucket with the highest such figure. Models
with an unknown size or creation date get no value. The reference group is
every model of the bucket in the data the figure is computed on, the model
itself included.
"""

from __future__ import annotations

import ibis
import pandas as pd

from hubecon.store.engine import epoch_seconds

AGES = (7, 14, 30, 60, 90, 180, 365)
TOLERANCE_DAYS = 3
REFERENCE_MODELS = 10
MIN_AGE_DAYS = 1.0


def reference_medians(values: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Per group: the median of `column` over the group's REFERENCE_MODELS highest values, and how many there were."""
    ranked = values.sort_values([*keys, column, "model_id"], ascending=[True] * len(keys) + [False, True])
    top = ranked.groupby(keys, sort=False).head(REFERENCE_MODELS)
    return top.groupby(keys, as_index=False).agg(reference_median=(column, "median"), reference_n=(column, "size"))


def normalise(values: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    medians = reference_medians(values, keys, column)
    merged = values.merge(medians, on=keys, how="left")
    merged["adoption"] = (merged[column] / merged["reference_median"]).where(merged["reference_median"] > 0)
    return merged


def eligible(models: pd.DataFrame) -> pd.Series:
    return models["size_bucket"].notna() & models["created_known"].fillna(False).astype(bool)


def single_snapshot_adoption(models: pd.DataFrame, taken_at: pd.Timestamp) -> pd.DataFrame:
    """models: model_id, size_bucket, created_at, created_known, downloads_all_time (the snapshot's). One row per eligible model."""
    rows = models[eligible(models) & models["downloads_all_time"].notna()].copy()
    created = pd.to_datetime(rows["created_at"], utc=True)
    rows["age_days"] = ((pd.Timestamp(taken_at) - created).dt.total_seconds() / 86400).clip(lower=MIN_AGE_DAYS)
    rows["downloads_all_time"] = rows["downloads_all_time"].astype(float)
    rows["per_day"] = rows["downloads_all_time"] / rows["age_days"]
    return normalise(rows, ["size_bucket"], "per_day")


def counts_at_ages(observations: ibis.Table, snapshots: ibis.Table, created: ibis.Table) -> ibis.Table:
    """Per (model, age in AGES): the all-time count of the snapshot nearest that age within ±TOLERANCE_DAYS (ties: the earlier).

    `observations` are keyed (Store.keyed_observations), `snapshots` hold
    snapshot_key, snapshot_id, taken_at, and `created` the model_key and
    created_at of the eligible models. Ages are more than 2 × TOLERANCE_DAYS
    apart, so a snapshot is near one age at most. Columns: model_key, age,
    snapshot_id, taken_at, age_at, downloads_all_time.
    """
    rows = observations.filter(observations.downloads_all_time.notnull()).join(snapshots, "snapshot_key").join(created, "model_key")
    rows = rows.mutate(age_at=(epoch_seconds(rows.taken_at) - epoch_seconds(rows.created_at)) / 86400)
    rows = rows.mutate(age=ibis.cases(*[((rows.age_at - age).abs() <= TOLERANCE_DAYS, age) for age in AGES], else_=ibis.null("int64")))
    rows = rows.filter(rows.age.notnull())
    nearest_first = ibis.window(group_by=[rows.model_key, rows.age], order_by=[(rows.age_at - rows.age).abs(), rows.taken_at])
    rows = rows.mutate(rank=ibis.row_number().over(nearest_first))
    return rows.filter(rows["rank"] == 0).select("model_key", "age", "snapshot_id", "taken_at", "age_at", "downloads_all_time")


def history_adoption(models: pd.DataFrame, at_ages: pd.DataFrame) -> pd.DataFrame:
    """`at_ages` as counts_at_ages gives them. One row per (eligible model, age with a snapshot within ±3 days)."""
    known = models[eligible(models)][["model_id", "size_bucket", "created_at"]]
    columns = ["model_id", "size_bucket", "created_at", "age", "snapshot_id", "taken_at", "age_at", "downloads_all_time"]
    at_ages = at_ages.merge(known, on="model_id")[columns].sort_values(["age", "model_id"], ignore_index=True)
    at_ages["downloads_all_time"] = at_ages["downloads_all_time"].astype(float)
    return normalise(at_ages, ["age", "size_bucket"], "downloads_all_time")
