"""Importer for the public hub-stats dataset's `models.parquet` (a daily dump of `/api/models`)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hubecon.errors import InputError
from hubecon.sources.models_table import read_models_table
from hubecon.store.schema import SnapshotBatch

DATE_IN_NAME = re.compile(r"(20\d\d)-?([01]\d)-?([0-3]\d)")


def date_from_file_name(path: Path) -> pd.Timestamp | None:
    """The snapshot date hub-stats revisions carry in their names (models-20251023-<sha>.parquet)."""
    match = DATE_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return pd.Timestamp(f"{match[1]}-{match[2]}-{match[3]}", tz="UTC")
    except ValueError:
        return None


def read_hub_stats(path: Path | str, *, taken_at: pd.Timestamp | None = None, scope: str = "full", source: str | None = None) -> SnapshotBatch:
    path = Path(path)
    taken_at = taken_at if taken_at is not None else date_from_file_name(path)
    if taken_at is None:
        raise InputError(path, "no date in the file name: give the snapshot's date with --taken-at", field="taken_at")
    return read_models_table(path, taken_at=taken_at, scope=scope, source=source or f"hub-stats:{path.name}")
