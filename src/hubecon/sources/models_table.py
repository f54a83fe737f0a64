"""Importer for any table of Hub models as `/api/models` returns them: a listing CSV, a hub-stats Parquet.

Columns are found by name (model_id/modelId/id, downloads, downloadsAllTime,
likes, pipeline_tag, library_name, created_at/createdAt, tags, cardData,
safetensors, gguf, baseModels, …); whatever a file lacks stays unknown. A
bare listing carries 30-day counts only and its lineage comes from the
Hub-computed `base_model:` tags; a hub-stats file adds all-time counts,
parameter counts, `baseModels` and card data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hubecon.errors import InputError
from hubecon.sources.files import file_sha256, integer_values, read_table_file, timestamp_values
from hubecon.sources.hub_fields import (
    EDGE_COLUMNS,
    arrow_values,
    base_model_edges,
    card_licence,
    cards_that_may_hold,
    concat_edges,
    edges_from_card,
    is_arrow,
    licences_from_tags,
    namespaces,
    params_from_gguf,
    params_from_safetensors,
    python_values,
    parse_json_object,
    tag_edges,
    tag_lists,
)
from hubecon.store.schema import SCOPES, SnapshotBatch

HUB_URL = "https://huggingface.co/"
COLUMN_NAMES = {
    "model_id": ("model_id", "modelId", "id", "model", "model_url"),
    "author": ("author",),
    "downloads": ("downloads", "downloads_30d"),
    "downloads_all_time": ("downloadsAllTime", "downloads_all_time"),
    "likes": ("likes",),
    "trending_score": ("trendingScore", "trending_score"),
    "pipeline_tag": ("pipeline_tag", "pipelineTag"),
    "library": ("library_name", "library", "libraryName"),
    "created_at": ("created_at", "createdAt", "created"),
    "last_modified": ("last_modified", "lastModified"),
    "tags": ("tags",),
    "hub_object_id": ("_id", "hub_object_id"),
    "card_data": ("cardData", "card_data"),
    "safetensors": ("safetensors",),
    "gguf": ("gguf",),
    "base_models": ("baseModels", "base_models"),
    "config": ("config",),
}
REQUIRED = ("model_id",)


def find_columns(path: object, frame: pd.DataFrame) -> dict[str, str]:
    found = {}
    for canonical, names in COLUMN_NAMES.items():
        for name in names:
            if name in frame.columns:
                found[canonical] = name
                break
    for canonical in REQUIRED:
        if canonical not in found:
            raise InputError(path, f"no {canonical} column (looked for {', '.join(COLUMN_NAMES[canonical])})", field=canonical)
    if "downloads" not in found and "downloads_all_time" not in found:
        names = COLUMN_NAMES["downloads"] + COLUMN_NAMES["downloads_all_time"]
        raise InputError(path, f"no download counts (looked for {', '.join(names)})", field="downloads")
    return found


def read_models_table(path: Path | str, *, taken_at: pd.Timestamp, scope: str = "sample", source: str | None = None, params: dict | None = None) -> SnapshotBatch:
    """Read one file of Hub models into a snapshot taken at `taken_at` (UTC)."""
    path = Path(path)
    if scope not in SCOPES:
        raise InputError(path, f"scope must be one of {', '.join(SCOPES)}, not '{scope}'", field="scope")
    frame = read_table_file(path, nested_as_arrow=True)
    return models_batch(frame, origin=path, taken_at=taken_at, scope=scope, source=source or path.name, params=params, sha256=file_sha256(path))


def models_batch(frame: pd.DataFrame, *, origin: object, taken_at: pd.Timestamp, scope: str, source: str, params: dict | None, sha256: str) -> SnapshotBatch:
    """Canonical rows from a frame of Hub model rows (as the API names them).

    A row with an empty or repeated model id, or a value of the wrong type in
    a counted or dated field, is rejected and reported (row number, field,
    why); the rest are stored. A missing id or downloads column, or a file
    with no acceptable row, is an error that names `origin`.
    """
    columns = find_columns(origin, frame)
    frame = frame.reset_index(drop=True)
    model_ids = frame[columns["model_id"]].astype("string").str.strip().str.removeprefix(HUB_URL).fillna("")
    problems: list[tuple[pd.Series, str, str]] = [
        (model_ids == "", columns["model_id"], "empty model id"),
        (model_ids.duplicated() & (model_ids != ""), columns["model_id"], "model listed twice (first row kept)"),
    ]
    numbers = {}
    for name, required in (("downloads", True), ("downloads_all_time", False), ("likes", False)):
        if name in columns:
            numbers[name], bad = integer_values(frame, columns[name], required=required)
            problems.append((bad, columns[name], "not a non-negative whole number"))
    stamps = {}
    for name in ("created_at", "last_modified"):
        if name in columns:
            stamps[name], bad = timestamp_values(frame, columns[name])
            problems.append((bad, columns[name], "not a date/time"))
    rejected_rows = []
    for mask, field_name, problem in problems:
        for row in mask.to_numpy().nonzero()[0]:
            rejected_rows.append({"row": int(row) + 1, "field": field_name, "problem": problem, "value": str(frame[field_name].iloc[row])[:200]})
    rejected = pd.DataFrame(rejected_rows, columns=["row", "field", "problem", "value"]).sort_values(["row", "field"], ignore_index=True)
    keep = ~model_ids.index.isin(rejected["row"] - 1)
    if not keep.any():
        first = rejected.iloc[0] if len(rejected) else None
        why = f"; first: row {first['row']}, field '{first['field']}': {first['problem']}" if first is not None else ""
        raise InputError(origin, f"no acceptable rows ({len(frame)} read){why}")

    kept_rows = int(keep.sum())

    def kept(series: pd.Series | None) -> pd.Series:
        if series is None:
            return pd.Series([None] * kept_rows, dtype=object)
        return series if kept_rows == len(frame) else series[keep].reset_index(drop=True)

    def optional(name: str) -> pd.Series | None:
        if name not in columns:
            return None
        column = frame[columns[name]]
        return column.mask(column == "") if pd.api.types.is_string_dtype(column) else column

    ids = kept(model_ids)
    tags = tag_lists(kept(optional("tags")))
    cards = kept(optional("card_data"))
    licences = licences_from_tags(tags).to_pandas()
    base_edges = base_model_edges(kept(optional("base_models")))
    has_edges = np.zeros(kept_rows, dtype=bool)
    has_edges[base_edges["row"].to_numpy(dtype=int)] = True
    found_in_tags = tag_edges(tags, ~has_edges)
    has_edges[found_in_tags["row"].to_numpy(dtype=int)] = True
    # Card data stay text; they are parsed only for the rows whose licence or lineage must come from them.
    may_hold = cards_that_may_hold(cards, {"license": ("VARCHAR",), "base_model": ("VARCHAR", "ARRAY")}, wanted=licences.isna().to_numpy() | ~has_edges)
    licence_from_card = may_hold["license"] & licences.isna().to_numpy()
    edges_from_cards = may_hold["base_model"] & ~has_edges
    card_rows = np.flatnonzero(licence_from_card | edges_from_cards)
    card_licences, card_edges = {}, []
    # Arrow is slow to take no rows from a long text column (it joins the column's chunks first).
    card_values = python_values(cards.iloc[card_rows]) if len(card_rows) else []
    for row, card in zip(card_rows, card_values):
        card = parse_json_object(card)
        if licence_from_card[row]:
            card_licences[row] = card_licence(card)
        if edges_from_cards[row]:
            card_edges += [(row, parent, relation) for parent, relation in edges_from_card(card)]
    licences.iloc[list(card_licences)] = list(card_licences.values())
    edges = concat_edges(
        [
            base_edges.assign(source="hub:baseModels"),
            found_in_tags.assign(source="hub:tags"),
            pd.DataFrame(card_edges, columns=EDGE_COLUMNS).assign(source="card:base_model"),
        ]
    )
    observations = pd.DataFrame(
        {
            "model_id": ids,
            "downloads_30d": kept(numbers.get("downloads")),
            "downloads_all_time": kept(numbers.get("downloads_all_time")),
            "likes": kept(numbers.get("likes")),
            "trending_score": pd.to_numeric(kept(optional("trending_score")), errors="coerce"),
        }
    )
    model_records = pd.DataFrame(
        {
            "model_id": ids,
            "hub_object_id": kept(optional("hub_object_id")),
            "namespace": namespaces(arrow_values(ids)).to_pandas(),
            "created_at": kept(stamps.get("created_at")),
            "last_modified": kept(stamps.get("last_modified")),
            "pipeline_tag": kept(optional("pipeline_tag")),
            "library": kept(optional("library")),
            "license": licences,
            "tags": pd.Series(pd.arrays.ArrowExtensionArray(tags)),
            "params_total": safetensors_params(kept(optional("safetensors"))).combine_first(each_distinct(kept(optional("gguf")), params_from_gguf)).astype("Int64"),
            "gguf": json_texts(kept(optional("gguf"))),
            "config_arch": each_distinct(kept(optional("config")), model_type),
            "card_data": json_texts(cards),
        }
    )
    lineage_records = pd.DataFrame(
        {
            "child_id": ids.iloc[edges["row"].to_numpy(dtype=int)].reset_index(drop=True),
            "parent_id": edges["parent_id"],
            "relation": edges["relation"],
            "source": edges["source"],
        }
    )
    stamp = pd.Timestamp(taken_at)
    return SnapshotBatch(
        taken_at=stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC"),
        source=source,
        scope=scope,
        params=params or {},
        observations=observations,
        model_records=model_records,
        lineage_records=lineage_records,
        sha256=sha256,
        rejected=rejected,
        rows_read=len(frame),
        origin=str(origin),
    )


def each_distinct(values: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """`function` of each value present (a missing value has none); a text column repeats itself
    (configs, GGUF metadata), so each distinct text is parsed once."""
    results = pd.Series(None, index=values.index, dtype=object)
    present = values.notna().to_numpy()
    if isinstance(values.dtype, pd.StringDtype):
        codes, distinct = pd.factorize(values[present])
        results[present] = np.array([function(value) for value in distinct], dtype=object)[codes]
    elif present.any():
        results[present] = python_values(values[present]).map(function).to_numpy(dtype=object)
    return results


def safetensors_params(values: pd.Series) -> pd.Series:
    """The parameter count of a `safetensors` mapping (a Parquet struct is read column-wise); text is not read."""
    column = arrow_values(values) if is_arrow(values) else pa.chunked_array([], pa.null())
    if pa.types.is_struct(column.type) and "total" in {field.name for field in column.type}:
        totals = pc.struct_field(column.combine_chunks(), "total")
        totals = pc.if_else(pc.and_(pc.is_valid(column), pc.greater(totals, 0)), totals, None)
        return totals.cast(pa.int64(), safe=False).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).astype(object)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pd.Series([None] * len(values), dtype=object)
    return each_distinct(values, params_from_safetensors)


def json_texts(values: pd.Series) -> pd.Series:
    """Card data and GGUF metadata as JSON text, whether the source gave text or a parsed object."""
    if isinstance(values.dtype, pd.StringDtype):
        return values
    return each_distinct(values, json_text)


def model_type(config: object) -> str | None:
    """The config's model_type; text without the key is not parsed at all."""
    if isinstance(config, str) and '"model_type"' not in config:
        return None
    value = parse_json_object(config).get("model_type")
    return value if isinstance(value, str) else None


def json_text(value: object) -> str | None:
    """Card data and GGUF metadata as JSON text, whether the source gave text or a parsed object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return None
