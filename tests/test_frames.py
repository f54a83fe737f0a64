"""Column helpers that stand in for slow pandas operations must give pandas' answers."""

import pandas as pd

from hubecon.frames import among


def test_among_matches_isin_and_puts_a_missing_value_in_no_pool():
    values = pd.Series(["lab/a", None, "lab/b", "lab/c", "lab/a"])
    assert among(values, {"lab/a", "lab/c"}).tolist() == [True, False, False, True, True]
    assert among(values, pd.Series(["lab/b", None])).tolist() == [False, False, True, False, False]
    assert among(values, []).tolist() == [False] * 5
    assert among(pd.Series([], dtype="str"), {"lab/a"}).tolist() == []
