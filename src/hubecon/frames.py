"""Row and column operations the metrics share: some that pandas does slowly on a million rows, some in the engine."""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def among(values: pd.Series, pool: Iterable[str]) -> np.ndarray:
    """Whether each string of `values` is in `pool`, as a boolean array (a missing value is in no pool).

    pandas 3's `Series.isin` on strings builds an Arrow scalar in Python for
    every pool value (1.8 s for a pool of 500k ids); Arrow's `is_in` does not.
    """
    pool = pool if isinstance(pool, pd.Series) else list(pool)
    found = pc.is_in(pa.array(values, type=pa.string(), from_pandas=True), value_set=pa.array(pool, type=pa.string(), from_pandas=True), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def first_rows(table: ibis.Table, n: int, *, group_by: list[str], order_by: list) -> ibis.Table:
    """The first `n` rows of each group of `table` in `order_by`, picked in the engine (so only those are fetched)."""
    return table.filter(ibis.row_number().over(group_by=group_by, order_by=order_by) < n)
