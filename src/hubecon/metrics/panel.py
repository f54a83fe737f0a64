"""Tidy panels for researchers: one row per entity per period (model, developer or country).

Downloads and shares are those of the share tables with the same parameters
(the same credited rows), so a panel's per-period totals equal `share --period`.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from hubecon.metrics.concentration import entity_key

PANEL_LEVELS = ("model", "developer", "country")


MODEL_PROPERTIES = ["created_at", "created_known", "params_total", "modality", "derivative_kind"]


def panel_rows(con: ibis.BaseBackend, rows: ibis.Table, *, level: str, facts: pd.DataFrame, new_rows: ibis.Table) -> pd.DataFrame:
    """`rows` are credited downloads (all models); `new_rows` the same under the new-model cohort.

    The whole panel is built and ordered in the engine: at the model level it
    has a row per model and period (10M at 1M models over a year of months).
    """

    def keyed(table: ibis.Table) -> ibis.Table:
        return table.mutate(entity=entity_key(table, level) if level != "country" else table.country.fill_null("_unattributed"))

    rows, new_rows = keyed(rows), keyed(new_rows)
    group = ["period", "entity"]
    described = {"model": ["namespace", "developer", "country", "developer_type"], "developer": ["country", "developer_type"], "country": []}[level]
    table = rows.group_by(group).agg(
        downloads=rows.downloads.sum(), models=rows.model_id.nunique(), **{column: rows[column].arbitrary() for column in described}
    )
    new = new_rows.group_by(group).agg(new_cohort_downloads=new_rows.downloads.sum())
    # A single snapshot's window has a null period: the pairing must match nulls, which `=` never does.
    joined = table.left_join(new, [table.period.identical_to(new.period), table.entity == new.entity])
    table = joined.select(*[table[column] for column in table.columns], new_cohort_downloads=new.new_cohort_downloads.fill_null(0.0))
    table = table.mutate(share=table.downloads / table.downloads.sum().over(group_by="period"))
    if level == "model":
        properties = ibis.memtable(facts[["model_id", *MODEL_PROPERTIES]])
        table = table.left_join(properties, table.entity == properties.model_id).drop("model_id")
    # The entity breaks ties, so equal downloads come out in one order on every engine and run.
    table = table.order_by([ibis.asc("period", nulls_first=True), ibis.desc("downloads", nulls_first=True), ibis.asc("entity", nulls_first=True)])
    panel = con.execute(table)
    if level == "model":
        for column in MODEL_PROPERTIES:
            dtype = facts[column].dtype
            if dtype == bool and panel[column].isna().any():
                # A credited root outside the data has no facts: its flag is missing, not False.
                panel[column] = panel[column].astype(object).where(panel[column].notna(), np.nan)
            else:
                panel[column] = panel[column].astype(dtype)
    panel["period"] = panel["period"].astype(object).where(panel["period"].notna(), None)
    return panel.rename(columns={"entity": level if level != "model" else "model_id"})
