"""Importer for the reference study's released data (mmpr/open_model_evolution_data).

`all_downloads_with_annotations.parquet` holds one row per model per weekly
snapshot (`time`) with the cumulative `downloadsAllTime`: each distinct
`time` becomes one snapshot. Its `merged_derived_from` becomes lineage edges
marked as the study's ("Unsure"/"No" are no edge), and its labels go to
`annotations` (source `study`) beside ours, never replacing them.
`one_year_rolling.parquet` (same keys) counts only downloads up to a model's
first anniversary: it is stored as its own series, flagged as first-year
capped so a counter that stops growing there is not taken for a frozen one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from hubecon.errors import InputError
from hubecon.sources.files import file_sha256, read_table_file
from hubecon.sources.models_table import models_batch
from hubecon.store.schema import SnapshotBatch

REQUIRED = ("model", "time", "downloadsAllTime")
LABEL_FIELDS = (
    "org_type",
    "org_model",
    "org_country",
    "org_country_single",
    "derived_author",
    "derived_org_country_single",
    "merged_country_groups_single",
    "merged_derived_country_groups_single",
    "merged_modality",
    "merged_languages",
)
NO_PARENT = {"", "unsure", "no", "none", "nan"}
STUDY_SOURCE = "study"


def as_list(value: object) -> list[str]:
    """A list-typed cell as strings (Parquet lists arrive as arrays; some rows hold a bare string)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def label_text(value: object) -> str | None:
    items = as_list(value)
    return "; ".join(items) if items else None


def read_study(path: Path | str, *, capped_first_year: bool | None = None) -> list[SnapshotBatch]:
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        raise InputError(path, "the study's files are Parquet (all_downloads_with_annotations.parquet, one_year_rolling.parquet)")
    frame = read_table_file(path)
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise InputError(path, f"not the study's file: no {', '.join(missing)} column", field=missing[0])
    capped = capped_first_year if capped_first_year is not None else "one_year" in path.name
    times = pd.to_datetime(frame["time"], utc=True, errors="coerce")
    if times.isna().any():
        row = int(times.isna().to_numpy().nonzero()[0][0])
        raise InputError(path, f"'{frame['time'].iloc[row]}' is not a date/time", row=row + 1, field="time")
    frame = frame.assign(time=times).sort_values(["time", "model"], kind="stable")
    digest = file_sha256(path)
    selection = "study one-year-rolling (downloads counted up to each model's first anniversary)" if capped else "study weekly snapshots"
    params = {"selection": selection, "capped_first_year": capped}
    batches = []
    last_time = frame["time"].max()
    for moment, rows in frame.groupby("time", sort=True):
        batch = models_batch(
            rows.drop(columns=["downloads"], errors="ignore"),
            origin=path,
            taken_at=moment,
            scope="filtered",
            source=f"study:{path.name}",
            params=params,
            sha256=hashlib.sha256(f"{digest}:{moment.isoformat()}".encode()).hexdigest(),
        )
        batch.lineage_records = batch.lineage_records.iloc[0:0]
        if moment == last_time and not capped:
            batch.lineage_records = study_edges(rows)
            batch.annotation_records = study_labels(rows)
        batches.append(batch)
    return batches


def study_edges(rows: pd.DataFrame) -> pd.DataFrame:
    """Edges from `merged_derived_from`; the study names no relation, so one parent is a fine-tune, several a merge."""
    if "merged_derived_from" not in rows.columns:
        return pd.DataFrame(columns=["child_id", "parent_id", "relation", "source"])
    edges = []
    for child, value in zip(rows["model"], rows["merged_derived_from"]):
        parents = [parent.strip() for parent in as_list(value) if parent.strip().lower() not in NO_PARENT and parent.strip() != child]
        relation = "merge" if len(parents) > 1 else "finetune"
        edges.extend({"child_id": child, "parent_id": parent, "relation": relation, "source": "study:merged_derived_from"} for parent in parents)
    return pd.DataFrame(edges, columns=["child_id", "parent_id", "relation", "source"])


def study_labels(rows: pd.DataFrame) -> pd.DataFrame:
    labels = []
    for field_name in LABEL_FIELDS:
        if field_name not in rows.columns:
            continue
        for model_id, value in zip(rows["model"], rows[field_name]):
            text = label_text(value)
            if text is not None:
                labels.append({"model_id": model_id, "source": STUDY_SOURCE, "field": field_name, "value": text})
    return pd.DataFrame(labels, columns=["model_id", "source", "field", "value"])
