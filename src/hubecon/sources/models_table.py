"""Importer for any table of Hub models as `/api/models` returns them: a listing CSV, a hub-stats Parquet.

Columns are found by name (model_id/modelId/id, downloads, downloadsAllTime,
likes, pipeline_tag, library_name, created_at/createdAt, tags, cardData,
safetensors, gguf, baseModels, …); whatever a file lacks stays unknown. A
bare listing carries 30-day counts only and its lineage comes from the
Hub-computed `base_model:` tags; a hub-stats file adds all-time counts,
parameter counts, `baseModels` and card data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hubecon.errors import InputError
from hubecon.sources.files import file_sha256, integer_column, read_table_file, timestamp_column
from hubecon.sources.hub_fields import (
    license_from_tags,
    lineage_edges,
    namespace_of,
    params_from_gguf,
    params_from_safetensors,
    parse_json_object,
    parse_tags,
)
from hubecon.store.schema import SCOPES, SnapshotBatch

COLUMN_NAMES = {
    "model_id": ("model_id", "modelId", "id", "model"),
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
REQUIRED = ("model_id", "downloads")


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
    return found


def read_models_table(path: Path | str, *, taken_at: pd.Timestamp, scope: str = "sample", source: str | None = None, params: dict | None = None) -> SnapshotBatch:
    """Read one file of Hub models into a snapshot taken at `taken_at` (UTC)."""
    path = Path(path)
    if scope not in SCOPES:
        raise InputError(path, f"scope must be one of {', '.join(SCOPES)}, not '{scope}'", field="scope")
    frame = read_table_file(path)
    return models_batch(frame, origin=path, taken_at=taken_at, scope=scope, source=source or path.name, params=params, sha256=file_sha256(path))


def models_batch(frame: pd.DataFrame, *, origin: object, taken_at: pd.Timestamp, scope: str, source: str, params: dict | None, sha256: str) -> SnapshotBatch:
    """Canonical rows from a frame of Hub model rows (as the API names them); errors name `origin`."""
    path = origin
    columns = find_columns(path, frame)
    model_ids = frame[columns["model_id"]].astype(str).str.strip()
    empty = model_ids == ""
    if empty.any():
        raise InputError(path, "empty model id", row=int(empty.to_numpy().nonzero()[0][0]) + 1, field=columns["model_id"])
    duplicated = model_ids.duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        raise InputError(path, f"model '{model_ids.iloc[row]}' listed twice", row=row + 1, field=columns["model_id"])

    def optional(name: str) -> pd.Series:
        if name not in columns:
            return pd.Series([None] * len(frame), index=frame.index, dtype=object)
        column = frame[columns[name]]
        return column.where(column != "", None).astype(object) if pd.api.types.is_string_dtype(column) else column

    tags = optional("tags").map(parse_tags)
    cards = optional("card_data").map(parse_json_object)
    configs = optional("config").map(parse_json_object)
    params_total = optional("safetensors").map(params_from_safetensors).combine_first(optional("gguf").map(params_from_gguf))
    observations = pd.DataFrame(
        {
            "model_id": model_ids,
            "downloads_30d": integer_column(path, frame, columns["downloads"], required=True),
            "downloads_all_time": integer_column(path, frame, columns["downloads_all_time"], required=False) if "downloads_all_time" in columns else None,
            "likes": integer_column(path, frame, columns["likes"], required=False) if "likes" in columns else None,
            "trending_score": pd.to_numeric(optional("trending_score"), errors="coerce"),
        }
    )
    model_records = pd.DataFrame(
        {
            "model_id": model_ids,
            "hub_object_id": optional("hub_object_id"),
            "namespace": model_ids.map(namespace_of),
            "created_at": timestamp_column(path, frame, columns["created_at"]) if "created_at" in columns else None,
            "last_modified": timestamp_column(path, frame, columns["last_modified"]) if "last_modified" in columns else None,
            "pipeline_tag": optional("pipeline_tag"),
            "library": optional("library"),
            "license": [license_from_tags(t) or (c.get("license") if isinstance(c.get("license"), str) else None) for t, c in zip(tags, cards)],
            "tags": tags,
            "params_total": params_total.astype("Int64"),
            "gguf": optional("gguf").map(lambda v: v if isinstance(v, str) else None),
            "config_arch": configs.map(lambda c: c.get("model_type") if isinstance(c.get("model_type"), str) else None),
            "card_data": optional("card_data").map(lambda v: v if isinstance(v, str) else None),
        }
    )
    base_models = optional("base_models")
    edges = [
        edge
        for model_id, model_tags, card, base in zip(model_ids, tags, cards, base_models)
        for edge in lineage_edges(model_id, base_models=base, tags=model_tags, card=card)
    ]
    stamp = pd.Timestamp(taken_at)
    return SnapshotBatch(
        taken_at=stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC"),
        source=source,
        scope=scope,
        params=params or {},
        observations=observations,
        model_records=model_records,
        lineage_records=pd.DataFrame(edges, columns=["child_id", "parent_id", "relation", "source"]),
        sha256=sha256,
    )
