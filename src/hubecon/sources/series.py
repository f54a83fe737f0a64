"""Importer for a download series: a folder of dated CSV files, each listing some models' counts.

Like the public kb-labb and nctu6 huggingface_stats series: `model_url` (a full Hub URL or an id),
`downloads` (30-day), optionally `downloadsAllTime`, and the date in a `date`
column or the file name (2024-06-13_hf.csv). Each file is one snapshot of
scope `series`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hubecon.errors import InputError
from hubecon.sources.files import file_sha256, read_table_file
from hubecon.sources.hub_stats import date_from_file_name
from hubecon.sources.models_table import models_batch
from hubecon.store.schema import SnapshotBatch


def series_date(path: Path, frame: pd.DataFrame) -> pd.Timestamp:
    if "date" in frame.columns:
        dates = frame["date"].astype("string").str.strip().replace("", pd.NA).dropna().unique()
        if len(dates) > 1:
            raise InputError(path, f"the date column holds {len(dates)} different dates; one file is one snapshot", field="date")
        if len(dates) == 1:
            try:
                return pd.Timestamp(dates[0], tz="UTC")
            except ValueError:
                raise InputError(path, f"'{dates[0]}' is not a date", row=1, field="date") from None
    found = date_from_file_name(path)
    if found is None:
        raise InputError(path, "no date: neither a date column nor a date in the file name", field="date")
    return found


def read_series(folder: Path | str) -> list[SnapshotBatch]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "not a folder of dated CSV files")
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise InputError(folder, "holds no .csv files")
    batches = []
    for path in files:
        frame = read_table_file(path)
        batches.append(
            models_batch(
                frame,
                origin=path,
                taken_at=series_date(path, frame),
                scope="series",
                source=f"series:{folder.name}/{path.name}",
                params={"series": folder.name},
                sha256=file_sha256(path),
            )
        )
    return batches
