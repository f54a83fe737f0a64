"""Chart definitions, once (Altair → Vega-Lite): inline in report.html, PNG/SVG figures, and the dashboard.

Each function takes a result table as the matching command returns it and
gives a Vega-Lite spec (a dict) with the data inline. Bar and point charts
draw one mark per data row; line charts one path per series.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 560
SHARE_FORMAT = ".1%"


def _records(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Plain columns for the spec: labels as text, numbers as floats (no pandas extension types)."""
    out = frame[columns].copy()
    for column in columns:
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(float)
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), None).map(lambda value: None if value is None else str(value))
    return out


def share_bars(table: pd.DataFrame, title: str) -> dict:
    """One horizontal bar per row of a single-window share table, in the table's order."""
    data = _records(table, ["label", "key", "share", "downloads"])
    chart = (
        alt.Chart(data, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title="share of downloads"),
            y=alt.Y("label:N", sort=list(data["label"]), title=None),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("share:Q", format=SHARE_FORMAT), alt.Tooltip("downloads:Q", format=",.0f")],
        )
    )
    return chart.to_dict()


def share_lines(table: pd.DataFrame, title: str) -> dict:
    """One line per key across periods of a share-over-time table."""
    data = _records(table, ["period", "label", "share"])
    chart = (
        alt.Chart(data, title=title, width=WIDTH)
        .mark_line(point=False)
        .encode(
            x=alt.X("period:O", title="period", sort=list(dict.fromkeys(data["period"]))),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of downloads"),
            color=alt.Color("label:N", title=None),
            tooltip=[alt.Tooltip("period:O"), alt.Tooltip("label:N"), alt.Tooltip("share:Q", format=SHARE_FORMAT)],
        )
    )
    return chart.to_dict()


def sensitivity_ranges(table: pd.DataFrame, title: str) -> dict:
    """Per country the range of its share over the method grid (a rule) and the default (a point)."""
    data = _records(table, ["label", "min_share", "max_share", "default_share"])
    base = alt.Chart(data, title=title, width=WIDTH).encode(y=alt.Y("label:N", sort=list(data["label"]), title=None))
    rules = base.mark_rule(strokeWidth=3, opacity=0.5).encode(
        x=alt.X("min_share:Q", axis=alt.Axis(format="%"), title="share of downloads across method cells"), x2="max_share:Q"
    )
    points = base.mark_point(filled=True, size=60).encode(
        x="default_share:Q",
        tooltip=[
            alt.Tooltip("label:N"),
            alt.Tooltip("default_share:Q", format=SHARE_FORMAT),
            alt.Tooltip("min_share:Q", format=SHARE_FORMAT),
            alt.Tooltip("max_share:Q", format=SHARE_FORMAT),
        ],
    )
    return alt.layer(rules, points).to_dict()


def metric_points(table: pd.DataFrame, *, x: str, y: str, title: str, y_title: str) -> dict:
    """One point per row: a figure per category or period (e.g. HHI per level)."""
    data = _records(table, [x, y])
    chart = alt.Chart(data, title=title, width=WIDTH).mark_point(filled=True, size=70).encode(
        x=alt.X(f"{x}:N", title=None, sort=list(dict.fromkeys(data[x]))), y=alt.Y(f"{y}:Q", title=y_title), tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q", format=",.3f")]
    )
    return chart.to_dict()
