"""Parsing of the Hub's model fields, shared by every importer of Hub-shaped data.

Card data, tags and ids are untrusted text: they are parsed defensively and
never evaluated. The per-value parsers define what a field means; the
column-wise readers give the same answers for a whole column of Arrow data
at once, handing to the per-value parsers only the values whose shape they
do not read themselves.
"""

from __future__ import annotations

import ast
import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hubecon.store.schema import RELATIONS

EDGE_COLUMNS = ["row", "parent_id", "relation"]
TAG_LISTS = pa.list_(pa.string())


def arrow_values(values: pd.Series) -> pa.ChunkedArray:
    """A column as Arrow data, without a copy where pandas already holds it so."""
    return pa.Table.from_pandas(values.to_frame(name="values"), preserve_index=False).column(0)


def python_values(values: pd.Series) -> pd.Series:
    """A column as Python objects: nested Arrow data as the mappings and arrays pandas gives for a Parquet struct or list."""
    return arrow_values(values).to_pandas() if isinstance(values.dtype, pd.ArrowDtype) else values


def is_arrow(values: pd.Series) -> bool:
    """Whether pandas holds the column as Arrow data (text or nested values read from Parquet), not as Python objects."""
    return isinstance(values.dtype, (pd.StringDtype, pd.ArrowDtype))


def parse_tags(value: object) -> list[str]:
    """Tags as a list, from a list, a comma-joined string or a Python-list literal."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = None
            if isinstance(parsed, list):
                return [str(tag) for tag in parsed]
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    return [str(tag) for tag in value]


def tag_lists(column: pd.Series) -> pa.ListArray:
    """Each row's tags (see `parse_tags`) as a list of strings; a list-of-strings column needs no parsing."""
    values = arrow_values(column) if is_arrow(column) else None
    if values is not None and pa.types.is_list(values.type) and pa.types.is_string(values.type.value_type):
        # parse_tags turns a missing list into [] and a missing tag into str(None).
        lists = pc.if_else(pc.is_null(values), pa.scalar([], TAG_LISTS), values).combine_chunks()
        return pa.ListArray.from_arrays(lists.offsets, lists.values.fill_null("None"))
    return pa.array([parse_tags(value) for value in python_values(column)], TAG_LISTS)


def parse_json_object(value: object) -> dict:
    """A JSON object from text or a mapping; anything else (bad JSON, arrays, null) is {}."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def tagged(tags: pa.ListArray, prefix: str) -> tuple[np.ndarray, pa.Array]:
    """The tags that start with `prefix`, without it, and the row each belongs to (in row and tag order)."""
    flat = pc.list_flatten(tags)
    hits = pc.starts_with(flat, prefix)
    rows = pc.list_parent_indices(tags).filter(hits).to_numpy()
    return rows, pc.utf8_slice_codeunits(flat.filter(hits), len(prefix))


def licences_from_tags(tags: pa.ListArray) -> pa.Array:
    """Each row's first `license:` tag, without the prefix (null where there is none)."""
    rows, licences = tagged(tags, "license:")
    first_rows, first = np.unique(rows, return_index=True)
    found = np.full(len(tags), -1)
    found[first_rows] = first
    return licences.take(pa.array(found, mask=found < 0))


def edges_from_base_models(child_id: str, base_models: object) -> list[tuple[str, str, str]]:
    """Edges from the API's `baseModels` value: {relation, models: [{_id, id}]} (or a bare list of ids)."""
    if base_models is None or (isinstance(base_models, float) and pd.isna(base_models)):
        return []
    if isinstance(base_models, str):
        base_models = parse_json_object(base_models)
    if isinstance(base_models, dict):
        relation = base_models.get("relation") or "finetune"
        models = base_models.get("models")
        if models is None:
            models = []
    else:
        relation, models = "finetune", base_models
    edges = []
    for model in models:
        parent = model.get("id") if isinstance(model, dict) else model
        if isinstance(parent, str) and parent:
            edges.append((child_id, parent, relation if relation in RELATIONS else "finetune"))
    return edges


def base_model_edges(column: pd.Series) -> pd.DataFrame:
    """Edges (row, parent_id, relation) from a `baseModels` column, in row order (see `edges_from_base_models`).

    A struct column (the Parquet form the Hub's dumps use) is read with
    Arrow; any other form (JSON text, mappings) value by value.
    """
    values = arrow_values(column) if is_arrow(column) else pa.chunked_array([], pa.null())
    if pa.types.is_struct(values.type):
        return base_model_edges_from_structs(values.combine_chunks())
    return edges_by_value(python_values(column), np.arange(len(column)))


def base_model_edges_from_structs(values: pa.StructArray) -> pd.DataFrame:
    names = {field.name for field in values.type}
    if "models" not in names:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    relations = pc.struct_field(values, "relation") if "relation" in names else pa.nulls(len(values), pa.string())
    if not pa.types.is_string(relations.type):
        relations = pa.nulls(len(values), pa.string())
    relations = pc.if_else(pc.is_in(relations, pa.array(RELATIONS)), relations, "finetune")
    models = pc.struct_field(values, "models")
    if not pa.types.is_list(models.type):
        return edges_by_value(values.to_pandas(), np.arange(len(values)))
    # A missing baseModels row has no edges, whatever its fields hold.
    rows = pc.list_parent_indices(models)
    elements = pc.list_flatten(models)
    if pa.types.is_struct(elements.type) and "id" in {field.name for field in elements.type}:
        parents = pc.struct_field(elements, "id")
    elif pa.types.is_string(elements.type):
        parents = elements
    else:
        parents = pa.nulls(len(elements), pa.string())
    usable = pc.and_(pc.invert(pc.is_null(values).take(rows)), pc.not_equal(parents, ""))
    usable = pc.fill_null(usable, False)
    rows = rows.filter(usable)
    return pd.DataFrame({"row": rows.to_numpy(), "parent_id": parents.filter(usable).to_pandas(), "relation": relations.take(rows).to_pandas()})


def concat_edges(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Edge frames as one, in row order (a row's own edges keep their order)."""
    return pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def edges_by_value(values: pd.Series, rows: np.ndarray) -> pd.DataFrame:
    edges = [(row, parent, relation) for row, value in zip(rows, values) for _, parent, relation in edges_from_base_models("", value)]
    return pd.DataFrame(edges, columns=EDGE_COLUMNS)


def tag_edges(tags: pa.ListArray, wanted: np.ndarray) -> pd.DataFrame:
    """Edges (row, parent_id, relation) from the Hub-computed `base_model:<relation>:<id>` tags of the `wanted` rows.

    A bare `base_model:<id>` tag is used only when no tag names a relation for
    that parent; its relation is then taken to be `finetune`, the Hub's default.
    """
    rows, rests = tagged(tags, "base_model:")
    chosen = wanted[rows]
    rows, rests = rows[chosen], rests.filter(pa.array(chosen))
    parts = pc.split_pattern(rests, ":", max_splits=1)
    heads = pc.list_element(parts, 0)
    tails = pc.binary_join(pc.list_slice(parts, 1, 2), "")
    typed = pc.and_(pc.is_in(heads, pa.array(RELATIONS)), pc.not_equal(tails, "")).to_numpy(zero_copy_only=False)
    candidates = pd.DataFrame(
        {
            "row": rows,
            "parent_id": np.where(typed, tails.to_numpy(zero_copy_only=False), rests.to_numpy(zero_copy_only=False)),
            "relation": np.where(typed, heads.to_numpy(zero_copy_only=False), "finetune"),
            "bare": ~typed,
            "position": np.arange(len(rows)),
        }
    )
    candidates = candidates[candidates["parent_id"] != ""]
    # A parent keeps its first relation-naming tag; a bare tag counts only when none names it.
    candidates = candidates.sort_values(["row", "bare", "position"], kind="stable").drop_duplicates(["row", "parent_id"])
    return candidates[EDGE_COLUMNS].reset_index(drop=True)


def edges_from_card(card: dict) -> list[tuple[str, str]]:
    """Parents and relation from the model card's `base_model` (str or list) and `base_model_relation`."""
    base = card.get("base_model")
    parents = [base] if isinstance(base, str) else base if isinstance(base, list) else []
    relation = card.get("base_model_relation")
    relation = relation if relation in RELATIONS else ("merge" if len(parents) > 1 else "finetune")
    return [(parent, relation) for parent in parents if isinstance(parent, str) and parent.strip()]


def card_licence(card: dict) -> str | None:
    licence = card.get("license")
    return licence if isinstance(licence, str) else None


def cards_that_may_hold(column: pd.Series, keys: dict[str, tuple[str, ...]], *, wanted: np.ndarray) -> dict[str, np.ndarray]:
    """For each key, a mask of the `wanted` rows whose card may give it a value of one of the JSON types named.

    Card data are large, so DuckDB's JSON reader rules out the cards that
    cannot (the key is absent or of another type); only the rest are parsed
    in Python. Text DuckDB refuses, and cards that are not text, are kept.
    """
    present = wanted & column.notna().to_numpy()
    if not isinstance(column.dtype, pd.StringDtype):
        return {key: present for key in keys}
    cards = arrow_values(column)
    paths = ", ".join(f"'$.{key}'" for key in keys)
    connection = duckdb.connect()
    connection.register("cards", pa.table({"row": pa.array(np.arange(len(cards))), "text": cards, "wanted": present}))
    found = connection.sql(f"SELECT row, try(json_type(text, [{paths}])) AS types FROM cards WHERE wanted ORDER BY row").to_arrow_table()
    connection.close()
    rows = found["row"].to_numpy()
    unread = pc.is_null(found["types"]).to_numpy(zero_copy_only=False)
    masks = {}
    for index, (key, types) in enumerate(keys.items()):
        of_type = pc.fill_null(pc.is_in(pc.list_element(found["types"], index), pa.array(types)), False).to_numpy(zero_copy_only=False)
        masks[key] = np.zeros(len(cards), dtype=bool)
        masks[key][rows] = unread | of_type
    return masks


def params_from_safetensors(value: object) -> int | None:
    if isinstance(value, dict):
        total = value.get("total")
        if total is not None and not pd.isna(total) and total > 0:
            return int(total)
    return None


def params_from_gguf(value: object) -> int | None:
    total = parse_json_object(value).get("total")
    if isinstance(total, (int, float)) and total > 0:
        return int(total)
    return None


def namespace_of(model_id: str) -> str:
    return model_id.split("/", 1)[0] if "/" in model_id else model_id


def namespaces(model_ids: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each id's namespace (see `namespace_of`)."""
    return pc.list_element(pc.split_pattern(model_ids, "/", max_splits=1), 0)
