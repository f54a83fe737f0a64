"""Tidy panels for researchers: one row per entity per period (model, developer or country).

Downloads and shares are those of the share tables with the same parameters
(the same credited rows), so a panel's per-period totals equal `share --period`.
"""

from __future__ import annotations

import ibis
import pandas as pd

from hubecon.metrics.concentration import entity_key

PANEL_LEVELS = ("model", "developer", "country")


def panel_rows(con: ibis.BaseBackend, rows: ibis.Table, *, level: str, facts: pd.DataFrame, new_rows: ibis.Table) -> pd.DataFrame:
    """`rows` are credited downloads (all models); `new_rows` the same under the new-model cohort."""
    key = entity_key(rows, level) if level != "country" else rows.country.fill_null("_unattributed")
    keyed = rows.mutate(entity=key)
    group = ["period", "entity"]
    described = {"model": ["namespace", "developer", "country", "developer_type"], "developer": ["country", "developer_type"], "country": []}[level]
    aggregates = {"downloads": keyed.downloads.sum(), "models": keyed.model_id.nunique()}
    aggregates.update({column: keyed[column].arbitrary() for column in described})
    table = con.execute(keyed.group_by(group).agg(**aggregates))
    new_key = entity_key(new_rows, level) if level != "country" else new_rows.country.fill_null("_unattributed")
    new = con.execute(new_rows.mutate(entity=new_key).group_by(group).agg(new_cohort_downloads=ibis._.downloads.sum()))
    table = table.merge(new, on=group, how="left").fillna({"new_cohort_downloads": 0.0})
    table["period"] = table["period"].astype(object).where(table["period"].notna(), None)
    totals = table.groupby("period", dropna=False)["downloads"].transform("sum")
    table["share"] = table["downloads"] / totals
    if level == "model":
        properties = facts[["model_id", "created_at", "created_known", "params_total", "modality", "derivative_kind"]].rename(columns={"model_id": "entity"})
        table = table.merge(properties, on="entity", how="left")
    # The entity breaks ties, so equal downloads come out in one order on every engine and run.
    table = table.sort_values(["period", "downloads", "entity"], ascending=[True, False, True], na_position="first", ignore_index=True)
    return table.rename(columns={"entity": level if level != "model" else "model_id"})
