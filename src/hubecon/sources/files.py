"""Reading input files: checksums, tables, and typed columns with errors that name row and field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from hubecon.errors import InputError


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table_file(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(path, "no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except InputError:
        raise
    except Exception as exc:  # any parser failure is a bad file, said in one line
        raise InputError(path, f"cannot be read as {'Parquet' if path.suffix.lower() == '.parquet' else 'CSV'} ({type(exc).__name__}: {exc})") from None


def integer_values(frame: pd.DataFrame, column: str, *, required: bool) -> tuple[pd.Series, pd.Series]:
    """Non-negative whole numbers, and a mask of the rows whose value is not one."""
    text = frame[column].astype("string").str.strip().replace("", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = (numbers.isna() & text.notna()) | (numbers < 0).fillna(False) | (numbers % 1 != 0).fillna(False)
    if required:
        bad |= numbers.isna()
    return numbers.where(~bad).astype("Int64"), bad


def timestamp_values(frame: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps, and a mask of the rows whose value is not a date/time."""
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        return (raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")), pd.Series(False, index=raw.index)
    text = raw.astype("string").str.strip().replace("", pd.NA)
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="mixed")
    return parsed, parsed.isna() & text.notna()
