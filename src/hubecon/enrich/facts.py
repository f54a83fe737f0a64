"""model_facts: one row per model with what every metric needs to know about it (DESIGN.md §2, enrich)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hubecon.enrich.lineage import LineageGraph, build_graph
from hubecon.enrich.properties import created_known, is_gguf, is_test_repo, modality, params_from_name
from hubecon.sources.hub_fields import namespace_of
from hubecon.store.store import Store


@dataclass
class Enriched:
    facts: pd.DataFrame
    graph: LineageGraph
    credit: pd.DataFrame  # model_id, root_id, root_namespace, fraction


def resolved_params(models: pd.DataFrame, kind: pd.Series, graph: LineageGraph) -> tuple[pd.Series, pd.Series]:
    """Total parameters and where they came from: reported (safetensors/GGUF), the quantized parent, or the name.

    Packed int4/int8 tensors undercount a quantized variant, so it takes its parent's count.
    """
    reported = models["params_total"].astype("Float64")
    by_id = dict(zip(models["model_id"], reported))
    params = reported.copy()
    source = pd.Series(pd.NA, index=models.index, dtype="string").mask(reported.notna(), "reported")
    for index, (model_id, relation) in enumerate(zip(models["model_id"], kind)):
        if relation != "quantized":
            continue
        parents = graph.parents.get(model_id, [])
        parent_params = by_id.get(parents[0]) if len(parents) == 1 else None
        if parent_params is not None and not pd.isna(parent_params):
            params.iloc[index], source.iloc[index] = parent_params, "parent"
    from_name = models["model_id"].map(params_from_name).astype("Float64")
    use_name = params.isna() & from_name.notna()
    params, source = params.mask(use_name, from_name), source.mask(use_name, "name (approximate)")
    return params.round().astype("Int64"), source


def enrich(store: Store) -> Enriched:
    models = store.con.execute(store.table("models"))
    graph = build_graph(store.con.execute(store.table("lineage")))
    kind = models["model_id"].map(graph.derivative_kind()).fillna("original")
    params, params_source = resolved_params(models, kind, graph)
    facts = pd.DataFrame(
        {
            "model_id": models["model_id"],
            "namespace": models["namespace"].fillna(models["model_id"].map(namespace_of)),
            "created_at": models["created_at"],
            "created_known": created_known(models["created_at"]),
            "modality": models["pipeline_tag"].map(modality),
            "pipeline_tag": models["pipeline_tag"],
            "params_total": params,
            "params_source": params_source,
            "derivative_kind": kind,
            "gguf": [is_gguf(library, tags) for library, tags in zip(models["library"], models["tags"])],
            "test_repo": is_test_repo(models["model_id"]),
        }
    )
    credit = graph.credit(facts["model_id"])
    credit["root_namespace"] = credit["root_id"].map(namespace_of)
    return Enriched(facts, graph, credit)
