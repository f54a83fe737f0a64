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
from pathlib import Path

import pandas as pd

from hubecon.errors import InputError
from hubecon.sources.files import file_sha256, integer_values, read_table_file, timestamp_values
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
    frame = read_table_file(path)
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

    def kept(series: pd.Series | None) -> pd.Series:
        if series is None:
            return pd.Series([None] * int(keep.sum()), dtype=object)
        return series[keep].reset_index(drop=True)

    def optional(name: str) -> pd.Series | None:
        if name not in columns:
            return None
        column = frame[columns[name]]
        return column.where(column != "", None).astype(object) if pd.api.types.is_string_dtype(column) else column

    ids = kept(model_ids).astype(object)
    tags = kept(optional("tags")).map(parse_tags)
    # Card data stay text; they are parsed only for the rows whose licence or lineage must come from them.
    cards = kept(optional("card_data"))
    config_arch = kept(optional("config")).map(model_type)
    params_total = kept(optional("safetensors")).map(params_from_safetensors).combine_first(kept(optional("gguf")).map(params_from_gguf))
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
            "namespace": ids.map(namespace_of),
            "created_at": kept(stamps.get("created_at")),
            "last_modified": kept(stamps.get("last_modified")),
            "pipeline_tag": kept(optional("pipeline_tag")),
            "library": kept(optional("library")),
            "license": [license_from_tags(t) or card_licence(c) for t, c in zip(tags, cards)],
            "tags": tags,
            "params_total": params_total.astype("Int64"),
            "gguf": kept(optional("gguf")).map(json_text),
            "config_arch": config_arch,
            "card_data": kept(optional("card_data")).map(json_text),
        }
    )
    edges = [
        edge
        for model_id, model_tags, card, base in zip(ids, tags, cards, kept(optional("base_models")))
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
        rejected=rejected,
        rows_read=len(frame),
        origin=str(origin),
    )


def card_licence(card: object) -> str | None:
    licence = parse_json_object(card).get("license")
    return licence if isinstance(licence, str) else None


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
