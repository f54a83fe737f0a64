"""Intermediaries (re-packagers) and fine-tuners (DESIGN.md §3, Intermediaries).

Every repo of a namespace gets one kind, first match wins: *quantized* (the
facts' quantized variant), *format conversion* (a repo with a parent or a
format marker in its name whose library, tags or name mark a runtime format — ONNX, MLX, OpenVINO, Core ML,
TFLite, CTranslate2, ExecuTorch — without being quantized), *adapter*,
*merge*, *finetune* (the lineage relation), else *original*. A repo is
*of another's model* when its uploader's developer is not among the
developers of the roots its origin credit reaches, or when it is a quantized
variant or format conversion with no parent in the data (a re-packaged copy
whose origin the data does not name is not its uploader's original).

A namespace with ≥ 5 repos of which ≥ 80% (by count) are quantized variants,
format conversions or adapters of another's model is an *intermediary*; one
with ≥ 5 repos of which ≥ 80% are finetunes or merges of another's model is
a *fine-tuner*. Repos are counted over every model in the data.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from hubecon.metrics.cadence import developer_identity

MIN_REPOS = 5
# ≥ 80%, compared in whole numbers: 5·qualifying ≥ 4·repos.
THRESHOLD = (4, 5)
REPACKAGING = ("quantized", "format conversion", "adapter")
FINETUNING = ("finetune", "merge")
KINDS = ("quantized", "format conversion", "adapter", "merge", "finetune", "original")
ROLES = ("intermediary", "fine-tuner")
CONVERSION_LIBRARIES = {"onnx", "transformers.js", "mlx", "openvino", "coreml", "tflite", "ctranslate2", "executorch", "rknn-toolkit2"}
# A runtime format named in the repo's name (the part after the namespace). Matched on the whole id, with
# no "/" after the marker, so that pandas hands it to Arrow's regex engine for the column at once: splitting
# off the names first and matching each in Python took 2.1 s at 1M models.
CONVERSION_MARKER = r"(?i)(?:^|[-_./])(?:onnx|mlx|openvino|ov|coreml|tflite|ct2|ctranslate2|executorch)(?:$|[-_.])[^/]*$"


def runtime_format_tagged(models: ibis.Table) -> ibis.Table:
    """model_id, runtime_tagged: whether a model's library or one of its tags names a runtime format (any case).

    Worked out in the engine: fetching every model's tags to check them took 4.5 s at 1M models.
    """
    models = models.mutate(lowered_tags=models.tags.map(lambda tag: tag.lower()))
    names = sorted(CONVERSION_LIBRARIES)
    tagged = ibis.or_(models.library.lower().isin(names), *[models.lowered_tags.contains(name) for name in names])
    return models.select("model_id", runtime_tagged=tagged.fill_null(False))


def repo_kinds(facts: pd.DataFrame, tagged: pd.DataFrame, parents: dict, third_party: pd.Series, attribution: pd.DataFrame) -> pd.DataFrame:
    """Per model: namespace, kind, quantization format and whether it is built on another developer's model.

    `tagged` is runtime_format_tagged's table, `third_party` the facts' third_party_flags.
    """
    model_ids = facts["model_id"].astype(object)
    no_parent = ~model_ids.map(lambda model_id: bool(parents.get(model_id))).to_numpy(dtype=bool)
    marked = facts["model_id"].astype("string[pyarrow]").str.contains(CONVERSION_MARKER, regex=True).to_numpy(dtype=bool)
    quantized = facts["quantized_variant"].fillna(False).astype(bool).to_numpy()
    runtime_tagged = tagged.set_index("model_id")["runtime_tagged"].reindex(model_ids).fillna(False).to_numpy(dtype=bool)
    # Only repos with a parent or a marker can be conversions.
    conversion = ~quantized & (~no_parent | marked) & (runtime_tagged | marked)
    relation = facts["derivative_kind"].where(facts["derivative_kind"].isin(["adapter", "merge", "finetune"]), "original").astype(object).to_numpy()
    kinds = np.where(quantized, "quantized", np.where(conversion, "format conversion", relation)).astype(object)
    repackaging = quantized | conversion
    return pd.DataFrame(
        {
            "model_id": facts["model_id"].to_numpy(),
            "namespace": facts["namespace"].to_numpy(),
            "developer": developer_identity(facts["namespace"], attribution).to_numpy(),
            "kind": kinds,
            "quantization_format": facts["quantization_format"].to_numpy(),
            # A repackaging with no named parent is presumed to be of another's model.
            "of_another": third_party.to_numpy(dtype=bool) | (repackaging & no_parent),
            "no_parent": no_parent,
        }
    )


def meets_threshold(qualifying: int, repos: int) -> bool:
    return repos >= MIN_REPOS and THRESHOLD[1] * qualifying >= THRESHOLD[0] * repos


def namespace_roles(kinds: pd.DataFrame) -> pd.DataFrame:
    """Per namespace: repos, counts by kind, the qualifying shares and the role (intermediary, fine-tuner or None)."""
    counts = pd.crosstab(kinds["namespace"], kinds["kind"]).reindex(columns=list(KINDS), fill_value=0)
    others = kinds[kinds["of_another"]]
    repackaged = others[others["kind"].isin(REPACKAGING)].groupby("namespace").size()
    finetuned = others[others["kind"].isin(FINETUNING)].groupby("namespace").size()
    table = counts.rename(columns=lambda kind: kind.replace(" ", "_")).reset_index()
    table["repos"] = table["namespace"].map(kinds.groupby("namespace").size()).astype(int)
    table["repackaged_of_others"] = table["namespace"].map(repackaged).fillna(0).astype(int)
    unnamed = others[others["kind"].isin(REPACKAGING) & others["no_parent"]].groupby("namespace").size()
    table["repackaged_origin_unknown"] = table["namespace"].map(unnamed).fillna(0).astype(int)
    table["finetuned_of_others"] = table["namespace"].map(finetuned).fillna(0).astype(int)
    table["repackaged_fraction"] = table["repackaged_of_others"] / table["repos"]
    table["finetuned_fraction"] = table["finetuned_of_others"] / table["repos"]
    roles = []
    for repos, repack, tune in zip(table["repos"], table["repackaged_of_others"], table["finetuned_of_others"]):
        roles.append("intermediary" if meets_threshold(repack, repos) else "fine-tuner" if meets_threshold(tune, repos) else None)
    table["role"] = roles
    formats = kinds[kinds["kind"] == "quantized"].assign(fmt=lambda frame: frame["quantization_format"].fillna("other"))
    # Most repos first; equal counts in format order.
    by_format = formats.groupby(["namespace", "fmt"]).size().rename("repos").reset_index().sort_values(["namespace", "repos"], ascending=[True, False], kind="stable")
    listed = (by_format["fmt"] + " " + by_format["repos"].astype(str)).groupby(by_format["namespace"]).agg(", ".join)
    table["formats"] = table["namespace"].map(listed).fillna("")
    return table


def role_downloads(downloads: ibis.Table, roles: ibis.Table) -> ibis.Table:
    """Per (period, namespace) of every namespace with a role: its downloads and its share of the period's total (uploader attribution)."""
    totals = downloads.group_by("period").agg(total=downloads.downloads.sum())
    joined = downloads.join(roles, "model_id")
    grouped = joined.group_by(["period", "namespace", "role"]).agg(downloads=joined.downloads.sum(), repos_observed=joined.model_id.nunique())
    with_total = grouped.join(totals, grouped.period.identical_to(totals.period)).drop("period_right")
    return with_total.mutate(share=(with_total.downloads / with_total.total).cast("float64"))


def role_totals(downloads: ibis.Table, roles: ibis.Table) -> ibis.Table:
    """Per (period, role): downloads and share of the period's total; namespaces with no role are `none`."""
    joined = downloads.left_join(roles, "model_id")
    keyed = joined.mutate(role=joined.role.fill_null("none"))
    totals = downloads.group_by("period").agg(total=downloads.downloads.sum())
    grouped = keyed.group_by(["period", "role"]).agg(downloads=keyed.downloads.sum(), namespaces=keyed.namespace.nunique())
    with_total = grouped.join(totals, grouped.period.identical_to(totals.period)).drop("period_right")
    return with_total.mutate(share=(with_total.downloads / with_total.total).cast("float64"))


def origins_carried(credited: ibis.Table, uploaders: ibis.Table) -> ibis.Table:
    """Per (period, origin country): origin-credited downloads and how much of them reaches users through intermediaries.

    `credited` is origin-attributed (country = the root's developer's
    country); `uploaders` maps model_id to its uploader's role and country.
    Through intermediaries of the same country, of another country (INTL
    counts as another), or of no known country (individual accounts,
    unattributed namespaces).
    """
    rows = credited.join(uploaders, "model_id")
    origin = rows.country.fill_null("_unattributed")
    via = rows.role == "intermediary"
    same = via & rows.uploader_country.notnull() & (rows.uploader_country == origin) & (rows.uploader_country != "USER")
    unknown = via & (rows.uploader_country.isnull() | (rows.uploader_country == "USER"))
    keyed = rows.mutate(origin_country=origin)
    grouped = keyed.group_by(["period", "origin_country"]).agg(
        origin_downloads=keyed.downloads.sum(),
        via_intermediaries=keyed.downloads.sum(where=via),
        via_same_country=keyed.downloads.sum(where=same),
        via_unknown_country=keyed.downloads.sum(where=unknown),
    )
    filled = grouped.mutate(
        via_intermediaries=grouped.via_intermediaries.fill_null(0.0),
        via_same_country=grouped.via_same_country.fill_null(0.0),
        via_unknown_country=grouped.via_unknown_country.fill_null(0.0),
    )
    filled = filled.mutate(via_other_country=filled.via_intermediaries - filled.via_same_country - filled.via_unknown_country)
    return filled.mutate(
        share_via_intermediaries=ibis.cases((filled.origin_downloads > 0, filled.via_intermediaries / filled.origin_downloads), else_=0.0),
        share_via_other_country=ibis.cases((filled.origin_downloads > 0, filled.via_other_country / filled.origin_downloads), else_=0.0),
    )
