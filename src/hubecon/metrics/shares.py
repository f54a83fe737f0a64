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
from hubecon.store.engine import epoch_seconds

GROUPINGS = ("country", "type", "developer", "model")
LABELS = ("registry", "study")
ATTRIBUTIONS = ("uploader", "origin")
COHORTS = ("all", "new")
EXCLUSIONS = ("individuals", "unattributed", "test-repos", "gguf")
SPECIAL_KEYS = (OTHER, UNATTRIBUTED)
FIRST_YEAR_SECONDS = 365 * 86400


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp


def cohort_fraction(created_at: ibis.Column, created_known: ibis.Column, window_start: ibis.Column, window_end: ibis.Column) -> ibis.Column:
    """The part of a window's downloads that fall in a model's first 365 days, pro rata by days.

    (days of the window after creation and before the first anniversary) ÷
    (days of the window after creation). A model created inside the window
    counts in full; one whose anniversary falls inside counts in part; one
    with an unknown creation date is outside the cohort. The window is the
    one the count came from: a snapshot's 30 days, or one difference.
    """
    created = epoch_seconds(created_at)
    start = ibis.greatest(epoch_seconds(window_start), created)
    end = epoch_seconds(window_end)
    after_creation = end - start
    in_first_year = ibis.greatest(ibis.least(end, created + FIRST_YEAR_SECONDS) - start, 0)
    return (
        ibis.cases(
            (~created_known, 0.0),
            (after_creation <= 0, 1.0),
            else_=in_first_year / after_creation,
        )
    ).cast("float64")


def first_year_downloads(rows: ibis.Table) -> ibis.Column:
    """The downloads in the new-model cohort: from each count's own window, or as a table summed per period already carries them.

    `rows` holds downloads and either first_year_downloads or the facts'
    created_at, created_known with the window_start, window_end of each count.
    """
    if "first_year_downloads" in rows.columns:
        return rows.first_year_downloads
    return rows.downloads * cohort_fraction(rows.created_at, rows.created_known, rows.window_start, rows.window_end)


def with_facts(downloads: ibis.Table, facts: ibis.Table) -> ibis.Table:
    """Each model's downloads joined to its facts, with the part in the new-model cohort (first_year_downloads)."""
    rows = downloads.join(facts, "model_id")
    return rows.mutate(first_year_downloads=first_year_downloads(rows))


def repo_choices(rows: ibis.Table, *, cohort: str, exclude: tuple[str, ...]) -> ibis.Table:
    """Rows weighted for the cohort, less the excluded kinds of repo (test/CI, GGUF)."""
    if cohort == "new":
        rows = rows.mutate(downloads=rows.first_year_downloads)
    if "test-repos" in exclude:
        rows = rows.filter(~rows.test_repo)
    if "gguf" in exclude:
        rows = rows.filter(~rows.gguf)
    return rows


def model_universe(downloads: ibis.Table, facts: ibis.Table, *, cohort: str, exclude: tuple[str, ...]) -> ibis.Table:
    """Each model's downloads joined to its facts, weighted for the cohort, less the excluded kinds of repo."""
    return repo_choices(with_facts(downloads, facts), cohort=cohort, exclude=exclude)


def credited_universe(downloads: ibis.Table, facts: ibis.Table, credit: ibis.Table, attribution_table: ibis.Table, *, attribution: str) -> ibis.Table:
    """Credited rows before the cohort and the exclusions, with what they need: first_year_downloads, test_repo, gguf.

    One row per (period, model, credited namespace). Columns: period,
    model_id, entity_model (the model credited), namespace, downloads,
    first_year_downloads (the part in the new-model cohort), test_repo,
    gguf, and the registry's developer, country and developer_type (null
    where unattributed).
    """
    rows = with_facts(downloads, facts)
    if attribution == "origin":
        rows = rows.join(credit, "model_id").mutate(
            downloads=ibis._.downloads * ibis._.fraction,
            first_year_downloads=ibis._.first_year_downloads * ibis._.fraction,
            entity_model=ibis._.root_id,
            credited_namespace=ibis._.root_namespace,
        )
    else:
        rows = rows.mutate(entity_model=rows.model_id, credited_namespace=rows.namespace)
    rows = rows.select("period", "model_id", "entity_model", "downloads", "first_year_downloads", "test_repo", "gguf", namespace="credited_namespace")
    return rows.left_join(attribution_table, "namespace").drop("namespace_right")


def method_rows(universe: ibis.Table, *, cohort: str, exclude: tuple[str, ...]) -> ibis.Table:
    """The credited universe weighted for the cohort, less the excluded kinds of repo and developer."""
    rows = repo_choices(universe, cohort=cohort, exclude=exclude)
    if "individuals" in exclude:
        rows = rows.filter(rows.developer_type.isnull() | (rows.developer_type != "individual"))
    if "unattributed" in exclude:
        rows = rows.filter(rows.developer_type.notnull())
    return rows.drop("first_year_downloads", "test_repo", "gguf")


def credited_downloads(
    downloads: ibis.Table,
    facts: ibis.Table,
    credit: ibis.Table,
    attribution_table: ibis.Table,
    *,
    attribution: str,
    cohort: str,
    exclude: tuple[str, ...],
    with_new_cohort: bool = False,
) -> ibis.Table:
    """One row per (period, model, credited namespace): downloads after cohort weighting, credit splitting and exclusions.

    `downloads` has period (null for a single window), model_id, downloads
    and either the window_start/window_end each count came from or, summed
    per period, first_year_downloads. Columns out:
    period, model_id, entity_model (the model credited), namespace,
    developer, country, developer_type (null where unattributed), downloads,
    and with_new_cohort, new_cohort_downloads: the row's downloads under the
    new-model cohort, so that one pass gives both cohorts.
    """
    universe = credited_universe(downloads, facts, credit, attribution_table, attribution=attribution)
    if with_new_cohort:
        universe = universe.mutate(new_cohort_downloads=universe.first_year_downloads)
    return method_rows(universe, cohort=cohort, exclude=exclude)


def method_cell_sums(con: ibis.BaseBackend, universe: ibis.Table, *, by: str) -> pd.DataFrame:
    """The credited universe summed by key and by every flag the cohort and exclusions read, for many method cells at once.

    Columns: key, individual, unattributed, test_repo, gguf, all (downloads),
    new (downloads in the first-year cohort). cell_shares turns it into one
    cell's share table.
    """
    keyed = universe.mutate(
        key=group_key(universe, by),
        individual=universe.developer_type.fill_null("") == "individual",
        unattributed=universe.developer_type.isnull(),
    )
    return con.execute(
        keyed.group_by("key", "individual", "unattributed", "test_repo", "gguf").agg(
            all=keyed.downloads.sum(), new=keyed.first_year_downloads.sum()
        )
    )


def cell_shares(sums: pd.DataFrame, *, by: str, cohort: str, exclude: tuple[str, ...]) -> pd.DataFrame:
    """One method cell's share table from method_cell_sums: the rows credited_downloads and share_rows would give."""
    kept = pd.Series(True, index=sums.index)
    for flag, excluded in (("test_repo", "test-repos"), ("gguf", "gguf"), ("individual", "individuals"), ("unattributed", "unattributed")):
        if excluded in exclude:
            kept &= ~sums[flag].astype(bool)
    grouped = sums[kept].groupby("key", as_index=False).agg(downloads=(cohort, "sum"))
    return finish_shares(grouped, by=by, top=None)


STUDY_GROUP_FIELDS = {"uploader": "merged_country_groups_single", "origin": "merged_derived_country_groups_single"}
STUDY_USER_GROUP = "User"


def study_labelled_downloads(
    downloads: ibis.Table, facts: ibis.Table, annotations: ibis.Table, *, attribution: str, cohort: str, exclude: tuple[str, ...]
) -> ibis.Table:
    """Like credited_downloads, with the study's own labels as the keys (DESIGN.md §3, `--labels study`).

    Country keys are its country groups (USA, China, International / Online,
    User, …): the uploader's group, or under `origin` its single derived
    group; the type key is its org_type. A model it did not label is
    unattributed.
    """
    rows = model_universe(downloads, facts, cohort=cohort, exclude=exclude)
    study = annotations.filter(annotations.source == "study")
    group = study.filter(study.field == STUDY_GROUP_FIELDS[attribution]).select(group_model="model_id", country="value")
    kind = study.filter(study.field == "org_type").select(kind_model="model_id", developer_type="value")
    rows = rows.left_join(group, rows.model_id == group.group_model).left_join(kind, ibis._.model_id == kind.kind_model)
    rows = rows.select(
        "period",
        "model_id",
        entity_model="model_id",
        namespace="namespace",
        developer=ibis.null("string"),
        country="country",
        developer_type=ibis.cases((rows.country.notnull(), rows.developer_type.fill_null("unknown")), else_=ibis.null("string")),
        downloads="downloads",
    )
    if "individuals" in exclude:
        rows = rows.filter(rows.country.isnull() | (rows.country != STUDY_USER_GROUP))
    if "unattributed" in exclude:
        rows = rows.filter(rows.country.notnull())
    return rows


def group_key(rows: ibis.Table, by: str) -> ibis.Column:
    if by == "model":
        return rows.entity_model
    column = {"country": rows.country, "type": rows.developer_type, "developer": rows.developer}[by]
    return column.fill_null(UNATTRIBUTED)


def share_rows(con: ibis.BaseBackend, rows: ibis.Table, *, by: str, top: int | None) -> tuple[pd.DataFrame, dict]:
    """The share table of credited rows grouped by period and `by`, each period cut to `top` keys, plus its n."""
    keyed = rows.mutate(key=group_key(rows, by))
    grouped = con.execute(keyed.group_by(["period", "key"]).agg(downloads=keyed.downloads.sum()))
    counts = con.execute(
        rows.filter(rows.downloads > 0).aggregate(
            models=rows.model_id.nunique(),
            developers=rows.developer.fill_null(ibis.literal("namespace:") + rows.namespace).nunique(),
        )
    )
    periods = [finish_shares(group, by=by, top=top).assign(period=period) for period, group in grouped.groupby("period", dropna=False, sort=True)]
    columns = ["period", "key", "label", "downloads", "share"]
    table = pd.concat(periods, ignore_index=True)[columns] if periods else pd.DataFrame(columns=columns)
    table["period"] = table["period"].astype(object).where(table["period"].notna(), None)
    return table, {"models": int(counts["models"].iloc[0]), "developers": int(counts["developers"].iloc[0])}


def finish_shares(grouped: pd.DataFrame, *, by: str, top: int | None) -> pd.DataFrame:
    """Order by downloads, fold keys beyond the top N into `_other`, add shares and labels."""
    grouped = grouped[grouped["downloads"] > 0]
    special = grouped[grouped["key"].isin(SPECIAL_KEYS)]
    ranked = grouped[~grouped["key"].isin(SPECIAL_KEYS)].sort_values(["downloads", "key"], ascending=[False, True])
    if top is not None and len(ranked) > top:
        other = pd.DataFrame({"key": [OTHER], "downloads": [ranked["downloads"].iloc[top:].sum()]})
        ranked = pd.concat([ranked.iloc[:top], other], ignore_index=True)
    table = pd.concat([ranked[["key", "downloads"]], special[["key", "downloads"]]], ignore_index=True)
    total = table["downloads"].sum()
    table["share"] = table["downloads"] / total if total > 0 else 0.0
    table["label"] = table["key"].map(lambda key: label_for(by, key))
    return table.reset_index(drop=True)


def label_for(by: str, key: str) -> str:
    if by == "country" or key in SPECIAL_KEYS or key == INDIVIDUALS:
        return country_label(key)
    if by == "type":
        return key.capitalize()
    return key
