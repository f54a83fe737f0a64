"""model_facts: one row per model with what every metric needs to know about it (DESIGN.md §2, enrich)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hubecon.enrich.lineage import LineageGraph, build_graph
from hubecon.enrich.openness import openness_class, transparency
from hubecon.enrich.properties import (
    active_params_from_name,
    architecture_family,
    created_known,
    has_format_marker,
    is_gguf,
    is_moe,
    is_test_repo,
    licence_family,
    licence_id,
    LOW_PRECISION,
    modality,
    params_from_name,
    quantization_format,
    size_bucket,
    task_io,
    multimodal_generation,
)
from hubecon.sources.hub_fields import namespace_of, params_from_gguf, parse_json_object
from hubecon.store.store import Store


@dataclass
class Enriched:
    facts: pd.DataFrame
    graph: LineageGraph
    credit: pd.DataFrame  # model_id, root_id, root_namespace, fraction


def resolved_params(models: pd.DataFrame, quantized: pd.Series, graph: LineageGraph) -> tuple[pd.Series, pd.Series]:
    """Total parameters and where they came from (DESIGN.md §3, Model properties).

    An original: its safetensors total, else its GGUF total, else its name
    (approximate). A quantized variant (packed int4/int8 tensors undercount):
    the size of the one model it quantizes, else its GGUF total, else its
    name, else its own safetensors total.
    """
    reported = models["params_total"].astype("Float64")
    gguf_total = models["gguf"].map(params_from_gguf).astype("Float64")
    from_name = models["model_id"].map(params_from_name).astype("Float64")
    ids = models["model_id"].tolist()
    own: dict[str, tuple[float | None, str | None]] = {}
    for model_id, total, gguf, named in zip(ids, reported, gguf_total, from_name):
        if not pd.isna(total):
            own[model_id] = (float(total), "gguf" if not pd.isna(gguf) and gguf == total else "safetensors")
        elif not pd.isna(gguf):
            own[model_id] = (float(gguf), "gguf")
        elif not pd.isna(named):
            own[model_id] = (float(named), "name (approximate)")
        else:
            own[model_id] = (None, None)
    is_quantized = dict(zip(ids, quantized.tolist()))
    memo: dict[str, tuple[float | None, str | None]] = {}

    def size_of(model_id: str, seen: frozenset = frozenset()) -> tuple[float | None, str | None]:
        if model_id in memo:
            return memo[model_id]
        value, source = own.get(model_id, (None, None))
        if is_quantized.get(model_id):
            parents = graph.parents.get(model_id, [])
            parent_value = None
            if len(parents) == 1 and parents[0] in own and parents[0] not in seen:
                parent_value, _ = size_of(parents[0], seen | {model_id})
            if parent_value is not None:
                value, source = parent_value, "parent"
            elif source == "safetensors":
                named = params_from_name(model_id)
                if named is not None:
                    value, source = float(named), "name (approximate)"
                else:
                    source = "safetensors (packed, may undercount)"
        memo[model_id] = (value, source)
        return value, source

    resolved = [size_of(model_id) for model_id in ids]
    params = pd.Series([value for value, _ in resolved], index=models.index, dtype="Float64")
    source = pd.Series([source for _, source in resolved], index=models.index, dtype="string")
    return params.round().astype("Int64"), source


def enrich(store: Store) -> Enriched:
    models = store.con.execute(store.table("models")).sort_values("model_id", ignore_index=True)  # deterministic row order
    graph = build_graph(store.con.execute(store.table("lineage")))
    kind = models["model_id"].map(graph.derivative_kind()).astype(object).fillna("original")
    has_parent = models["model_id"].map(lambda model_id: bool(graph.parents.get(model_id)))
    quant_format = pd.Series(
        [quantization_format(m, lib, tags, rel) for m, lib, tags, rel in zip(models["model_id"], models["library"], models["tags"], kind)],
        index=models.index,
        dtype=object,
    )
    marker = models["model_id"].map(has_format_marker)
    # A quantized variant: the quantized relation, or a quantization format and a parent or a format marker in its name.
    quantized_variant = (kind == "quantized") | (quant_format.notna() & (has_parent | marker))
    params, params_source = resolved_params(models, quantized_variant, graph)
    cards = models["card_data"].map(parse_json_object)
    licences = [licence_id(value, card) for value, card in zip(models["license"], cards)]
    io = models["pipeline_tag"].map(task_io)
    active = models["params_active"].astype("Float64").fillna(models["model_id"].map(active_params_from_name).astype("Float64"))
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
            "params_active": active.round().astype("Int64"),
            "size_bucket": params.map(size_bucket).astype(object),
            "inputs": io.map(lambda value: "+".join(value[0]) if value else None),
            "outputs": io.map(lambda value: "+".join(value[1]) if value else None),
            "multimodal_generation": models["pipeline_tag"].map(multimodal_generation).astype("boolean"),
            "quantization_format": quant_format,
            "quantized_variant": quantized_variant.astype(bool),
            "fp_precision_original": quant_format.where(quant_format.isin(LOW_PRECISION) & ~quantized_variant),
            "moe": [is_moe(m, arch, tags) for m, arch, tags in zip(models["model_id"], models["config_arch"], models["tags"])],
            "licence": licences,
            "licence_family": [licence_family(licence) for licence in licences],
            "architecture_family": [architecture_family(arch, tags, lib) for arch, tags, lib in zip(models["config_arch"], models["tags"], models["library"])],
        }
    )
    credit = graph.credit(facts["model_id"])
    credit["root_namespace"] = credit["root_id"].map(namespace_of)
    levels = transparency(models[["model_id", "tags", "card_data"]], graph.parents, credit, facts["quantized_variant"])
    facts = facts.merge(levels, on="model_id", how="left")
    facts["openness"] = openness_class(facts["licence_family"], facts["data_full_stack"])
    return Enriched(facts, graph, credit)
