"""Share tables and the new-model cohort (DESIGN.md §3, Share tables and New-model cohort).

share_g = Σ_{m∈g} D(m, W) / Σ_m D(m, W) over the filtered model universe.
Unattributed namespaces form the `_unattributed` row; a table cut to its top N
adds an `_other` row, so every period's rows sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from hubecon.enrich.registry import INDIVIDUALS, OTHER, UNATTRIBUTED, country_label

GROUPINGS = ("country", "type", "developer", "model")
ATTRIBUTIONS = ("uploader", "origin")
COHORTS = ("all", "new")
EXCLUSIONS = ("individuals", "unattributed", "test-repos", "gguf")
SPECIAL_KEYS = (OTHER, UNATTRIBUTED)
FIRST_YEAR_SECONDS = 365 * 86400


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp


def cohort_fraction(created_at: ibis.Column, created_known: ibis.Column, window: Window) -> ibis.Column:
    """The part of a window's downloads that fall in a model's first 365 days, pro rata by days.

    (days of the window after creation and before the first anniversary) ÷
    (days of the window after creation). A model created inside the window
    counts in full; one whose anniversary falls inside counts in part; one
    with an unknown creation date is outside the cohort.
    """
    created = created_at.epoch_seconds()
    start = ibis.greatest(ibis.literal(window.start.timestamp()), created)
    end = ibis.literal(window.end.timestamp())
    after_creation = end - start
    in_first_year = ibis.greatest(ibis.least(end, created + FIRST_YEAR_SECONDS) - start, 0)
    return (
        ibis.cases(
            (~created_known, 0.0),
            (after_creation <= 0, 1.0),
            else_=in_first_year / after_creation,
        )
    ).cast("float64")


def credited_downloads(
    downloads: ibis.Table,
    facts: ibis.Table,
    credit: ibis.Table,
    attribution_table: ibis.Table,
    *,
    attribution: str,
    cohort: str,
    window: Window,
    exclude: tuple[str, ...],
) -> ibis.Table:
    """One row per (model, credited namespace): downloads after cohort weighting, credit splitting and exclusions.

    `downloads` has model_id and downloads (D(m, W)). Columns out: model_id,
    entity_model (the model credited), namespace, developer, country,
    developer_type (null where unattributed), downloads.
    """
    rows = downloads.join(facts, "model_id")
    if cohort == "new":
        rows = rows.mutate(downloads=rows.downloads * cohort_fraction(rows.created_at, rows.created_known, window))
    if "test-repos" in exclude:
        rows = rows.filter(~rows.test_repo)
    if "gguf" in exclude:
        rows = rows.filter(~rows.gguf)
    if attribution == "origin":
        rows = rows.join(credit, "model_id").mutate(
            downloads=ibis._.downloads * ibis._.fraction, entity_model=ibis._.root_id, credited_namespace=ibis._.root_namespace
        )
    else:
        rows = rows.mutate(entity_model=rows.model_id, credited_namespace=rows.namespace)
    rows = rows.select("model_id", "entity_model", namespace="credited_namespace", downloads="downloads")
    rows = rows.left_join(attribution_table, "namespace").drop("namespace_right")
    if "individuals" in exclude:
        rows = rows.filter(rows.developer_type.isnull() | (rows.developer_type != "individual"))
    if "unattributed" in exclude:
        rows = rows.filter(rows.developer_type.notnull())
    return rows


def group_key(rows: ibis.Table, by: str) -> ibis.Column:
    if by == "model":
        return rows.entity_model
    column = {"country": rows.country, "type": rows.developer_type, "developer": rows.developer}[by]
    return column.fill_null(UNATTRIBUTED)


def share_rows(con: ibis.BaseBackend, rows: ibis.Table, *, by: str, top: int | None) -> tuple[pd.DataFrame, dict]:
    """The share table of credited rows grouped by `by`, cut to `top` keys, plus its n."""
    keyed = rows.mutate(key=group_key(rows, by))
    grouped = con.execute(keyed.group_by("key").agg(downloads=keyed.downloads.sum()))
    counts = con.execute(
        rows.filter(rows.downloads > 0).aggregate(
            models=rows.model_id.nunique(),
            developers=rows.developer.fill_null(ibis.literal("namespace:") + rows.namespace).nunique(),
        )
    )
    table = finish_shares(grouped, by=by, top=top)
    return table, {"models": int(counts["models"].iloc[0]), "developers": int(counts["developers"].iloc[0])}


def finish_shares(grouped: pd.DataFrame, *, by: str, top: int | None) -> pd.DataFrame:
    """Order by downloads, fold keys beyond the top N into `_other`, add shares and labels."""
    grouped = grouped[grouped["downloads"] > 0]
    special = grouped[grouped["key"].isin(SPECIAL_KEYS)]
    ranked = grouped[~grouped["key"].isin(SPECIAL_KEYS)].sort_values(["downloads", "key"], ascending=[False, True])
    if top is not None and len(ranked) > top:
        other = pd.DataFrame({"key": [OTHER], "downloads": [ranked["downloads"].iloc[top:].sum()]})
        ranked = pd.concat([ranked.iloc[:top], other], ignore_index=True)
    table = pd.concat([ranked, special], ignore_index=True)
    total = table["downloads"].sum()
    table["share"] = table["downloads"] / total if total > 0 else 0.0
    table["label"] = table["key"].map(lambda key: label_for(by, key))
    table.insert(0, "period", None)
    return table[["period", "key", "label", "downloads", "share"]].reset_index(drop=True)


def label_for(by: str, key: str) -> str:
    if by == "country" or key in SPECIAL_KEYS or key == INDIVIDUALS:
        return country_label(key)
    if by == "type":
        return key.capitalize()
    return key
