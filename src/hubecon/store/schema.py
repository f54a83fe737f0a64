"""The store's canonical tables (DESIGN.md §2) and the batch an importer hands to the store.

An import produces one snapshot: its catalogue row plus three per-snapshot
tables (observations, model_records, lineage_records). The store derives the
canonical `models` and `lineage` tables from the records of all snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

SCOPES = ("full", "filtered", "sample", "series")
RELATIONS = ("finetune", "quantized", "adapter", "merge")

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

SNAPSHOTS = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("taken_at", UTC_TIMESTAMP),
        ("source", pa.string()),
        ("scope", pa.string()),
        ("params", pa.string()),
        ("n_models", pa.int64()),
        ("sha256", pa.string()),
    ]
)

OBSERVATIONS = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("model_id", pa.string()),
        ("downloads_30d", pa.int64()),
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("trending_score", pa.float64()),
    ]
)

MODEL_RECORDS = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("model_id", pa.string()),
        ("hub_object_id", pa.string()),
        ("namespace", pa.string()),
        ("created_at", UTC_TIMESTAMP),
        ("last_modified", UTC_TIMESTAMP),
        ("pipeline_tag", pa.string()),
        ("library", pa.string()),
        ("license", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("params_total", pa.int64()),
        ("params_active", pa.int64()),
        ("gguf", pa.string()),
        ("config_arch", pa.string()),
        ("card_data", pa.string()),
    ]
)

LINEAGE_RECORDS = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("child_id", pa.string()),
        ("parent_id", pa.string()),
        ("relation", pa.string()),
        ("source", pa.string()),
    ]
)

ANNOTATION_RECORDS = pa.schema(
    [
        ("snapshot_id", pa.string()),
        ("model_id", pa.string()),
        ("source", pa.string()),
        ("field", pa.string()),
        ("value", pa.string()),
    ]
)

PER_SNAPSHOT_TABLES = {
    "observations": OBSERVATIONS,
    "model_records": MODEL_RECORDS,
    "lineage_records": LINEAGE_RECORDS,
    "annotation_records": ANNOTATION_RECORDS,
}
# Stores written before annotations existed simply have none.
OPTIONAL_TABLES = {"annotation_records"}


def conform(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Cast a frame to a canonical schema (missing columns become nulls)."""
    columns = {}
    for column in schema:
        values = frame[column.name] if column.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        columns[column.name] = pa.array(values, type=column.type, from_pandas=True)
    return pa.table(columns, schema=schema)


@dataclass
class SnapshotBatch:
    """One imported snapshot, in canonical rows, before it is stored."""

    taken_at: pd.Timestamp
    source: str
    scope: str
    params: dict
    observations: pd.DataFrame
    model_records: pd.DataFrame
    lineage_records: pd.DataFrame
    sha256: str
    snapshot_id: str = field(default="")
    annotation_records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["model_id", "source", "field", "value"]))
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "field", "problem"]))
    rows_read: int = 0
    origin: str = ""  # the file the rows came from, for error messages

    def catalogue_row(self) -> dict:
        return {
            "snapshot_id": self.snapshot_id,
            "taken_at": self.taken_at,
            "source": self.source,
            "scope": self.scope,
            "params": json.dumps(self.params, sort_keys=True),
            "n_models": int(self.observations["model_id"].nunique()),
            "sha256": self.sha256,
        }

    def tables(self) -> dict[str, pa.Table]:
        """The per-snapshot tables in canonical form, each row stamped with the snapshot id."""
        out = {}
        for name, schema in PER_SNAPSHOT_TABLES.items():
            frame = getattr(self, name).copy()
            frame["snapshot_id"] = self.snapshot_id
            out[name] = conform(frame, schema)
        return out
