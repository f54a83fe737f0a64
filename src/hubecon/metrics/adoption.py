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

from hubecon.frames import first_rows
from hubecon.store.engine import epoch_seconds

AGES = (7, 14, 30, 60, 90, 180, 365)
TOLERANCE_DAYS = 3
REFERENCE_MODELS = 10
MIN_AGE_DAYS = 1.0


def reference_rows(values: ibis.Table, keys: list[str], column: str) -> ibis.Table:
    """Each group's REFERENCE_MODELS highest values of `column` (ties: the lower model id)."""
    return first_rows(values, REFERENCE_MODELS, group_by=keys, order_by=[ibis.desc(column), ibis.asc("model_id")])


def reference_table(top: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Per group, from its reference_rows: the median of `column`, how many models, and which (highest first)."""
    ranked = top.sort_values([*keys, column, "model_id"], ascending=[True] * len(keys) + [False, True])
    return ranked.groupby(keys, as_index=False).agg(median=(column, "median"), n=(column, "size"), models=("model_id", list))


def scored(values: ibis.Table, reference: pd.DataFrame, keys: list[str], column: str) -> ibis.Table:
    """`values` with their group's reference_median and reference_n, and adoption = `column` ÷ that median (none where it is 0)."""
    schema = {**{key: values.schema()[key] for key in keys}, "reference_median": "float64", "reference_n": "int64"}
    medians = ibis.memtable(reference[[*keys, "median", "n"]].rename(columns={"median": "reference_median", "n": "reference_n"}), schema=schema)
    rows = values.left_join(medians, keys).drop(*[f"{key}_right" for key in keys])
    return rows.mutate(adoption=ibis.cases((rows.reference_median > 0, rows[column] / rows.reference_median), else_=ibis.null("float64")))


def adopted(con: ibis.BaseBackend, values: ibis.Table, keys: list[str], column: str, *, model_id: str | None = None, top: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """From `values` (model_id, the `keys`, `column`): the rows asked for with reference_median, reference_n and adoption
    (one model's, by `keys`; or the `top` N by adoption per group of all `keys` but the last, ties: the lower model id),
    the reference table (reference_table) and how many models `values` holds."""
    reference = reference_table(con.execute(reference_rows(values, keys, column)), keys, column)
    rows = scored(values, reference, keys, column)
    if model_id is not None:
        wanted = con.execute(rows.filter(rows.model_id == model_id)).sort_values(keys, ignore_index=True)
    else:
        wanted = con.execute(first_rows(rows.filter(rows.adoption.notnull()), top, group_by=keys[:-1], order_by=[ibis.desc("adoption"), ibis.asc("model_id")]))
        wanted = wanted.sort_values([*keys[:-1], "adoption", "model_id"], ascending=[True] * (len(keys) - 1) + [False, True], ignore_index=True)
    return wanted, reference, int(con.execute(values.model_id.nunique()))


def eligible(models: pd.DataFrame) -> pd.Series:
    return models["size_bucket"].notna() & models["created_known"].fillna(False).astype(bool)


def single_snapshot_values(models: pd.DataFrame, taken_at: pd.Timestamp) -> pd.DataFrame:
    """models: model_id, size_bucket, created_at, created_known, downloads_all_time (the snapshot's).

    One row per eligible model: model_id, size_bucket, age_days, downloads_all_time, per_day.
    """
    rows = models[eligible(models) & models["downloads_all_time"].notna()].copy()
    created = pd.to_datetime(rows["created_at"], utc=True)
    rows["age_days"] = ((pd.Timestamp(taken_at) - created).dt.total_seconds() / 86400).clip(lower=MIN_AGE_DAYS)
    rows["downloads_all_time"] = rows["downloads_all_time"].astype(float)
    rows["per_day"] = rows["downloads_all_time"] / rows["age_days"]
    return rows[["model_id", "size_bucket", "age_days", "downloads_all_time", "per_day"]]


def counts_at_ages(observations: ibis.Table, snapshots: ibis.Table, created: ibis.Table) -> ibis.Table:
    """Per (model, age in AGES): the all-time count of the snapshot nearest that age within ±TOLERANCE_DAYS (ties: the earlier).

    `observations` are keyed (Store.keyed_observations), `snapshots` hold
    snapshot_key, snapshot_id, taken_at, and `created` the model_key,
    created_at and size_bucket of the eligible models. Ages are more than
    2 × TOLERANCE_DAYS apart, so a snapshot is near one age at most. Columns:
    model_key, size_bucket, age, snapshot_id, taken_at, age_at,
    downloads_all_time (as a float).
    """
    rows = observations.filter(observations.downloads_all_time.notnull()).join(snapshots, "snapshot_key").join(created, "model_key")
    rows = rows.mutate(age_at=(epoch_seconds(rows.taken_at) - epoch_seconds(rows.created_at)) / 86400)
    rows = rows.mutate(age=ibis.cases(*[((rows.age_at - age).abs() <= TOLERANCE_DAYS, age) for age in AGES], else_=ibis.null("int64")))
    rows = rows.filter(rows.age.notnull())
    nearest_first = ibis.window(group_by=[rows.model_key, rows.age], order_by=[(rows.age_at - rows.age).abs(), rows.taken_at])
    rows = rows.mutate(rank=ibis.row_number().over(nearest_first))
    nearest = rows.filter(rows["rank"] == 0)
    return nearest.select("model_key", "size_bucket", "age", "snapshot_id", "taken_at", "age_at", downloads_all_time=nearest.downloads_all_time.cast("float64"))
