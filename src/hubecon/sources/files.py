"""Reading input files: checksums, tables, and typed columns with errors that name row and field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.errors import InputError

# Reading a Parquet file in row batches keeps each buffer small: filling a
# whole row group's worth of a large text column (card data) at once is
# several times slower, for the buffer keeps being regrown.
PARQUET_BATCH_ROWS = 65_536


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table_file(path: Path, *, nested_as_arrow: bool = False) -> pd.DataFrame:
    """A CSV file (all text) or a Parquet file as a frame.

    A Parquet file's list and struct columns become Python objects, or stay
    Arrow data with `nested_as_arrow` (for readers that process them column-wise).
    """
    if not path.exists():
        raise InputError(path, "no such file")
    try:
        if path.suffix.lower() == ".parquet":
            parquet = pq.ParquetFile(path)
            table = pa.Table.from_batches(parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS), schema=parquet.schema_arrow)
            return table.to_pandas(types_mapper=arrow_nested_types if nested_as_arrow else None)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except InputError:
        raise
    except Exception as exc:  # any parser failure is a bad file, said in one line
        raise InputError(path, f"cannot be read as {'Parquet' if path.suffix.lower() == '.parquet' else 'CSV'} ({type(exc).__name__}: {exc})") from None


def arrow_nested_types(data_type: pa.DataType) -> pd.ArrowDtype | None:
    return pd.ArrowDtype(data_type) if pa.types.is_nested(data_type) else None


def integer_values(frame: pd.DataFrame, column: str, *, required: bool) -> tuple[pd.Series, pd.Series]:
    """Non-negative whole numbers, and a mask of the rows whose value is not one."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        # Numbers need no parsing; as nullable values they are judged like parsed text.
        numbers = raw.astype("Float64" if pd.api.types.is_float_dtype(raw) else "Int64")
        unparsed = pd.Series(False, index=raw.index)
    else:
        text = raw.astype("string").str.strip().replace("", pd.NA)
        numbers = pd.to_numeric(text, errors="coerce")
        unparsed = numbers.isna() & text.notna()
    bad = unparsed | (numbers < 0).fillna(False) | (numbers % 1 != 0).fillna(False)
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
