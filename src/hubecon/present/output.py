"""One output layer for every command: the JSON envelope (DESIGN.md §4) and table/json/csv/md rendering.

A result is a DataFrame whose `attrs["envelope"]` holds everything but the
rows: command, params, data, n and command-specific fields.
"""

from __future__ import annotations

import io
import json
import math
from datetime import date, datetime

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

FORMATS = ("table", "json", "csv", "md")


def result(rows: pd.DataFrame, *, command: str, params: dict, data: dict, n: dict | None = None, **extra) -> pd.DataFrame:
    rows = rows.reset_index(drop=True)
    rows.attrs["envelope"] = {"command": command, "params": params, "data": data, "n": n or {}, **extra}
    return rows


def plain(value):
    """A JSON-safe copy of a value: timestamps as ISO 8601 UTC, NaN and NA as null."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, pd.DataFrame):
        return [plain(record) for record in value.to_dict(orient="records")]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def to_json(frame: pd.DataFrame) -> str:
    envelope = dict(frame.attrs.get("envelope", {}))
    document = {key: envelope.pop(key, None) for key in ("command", "params", "data", "n")}
    document["rows"] = frame
    document.update(envelope)
    return json.dumps(plain(document), indent=2, ensure_ascii=False)


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def cell_text(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 1 else f"{value:,.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def to_markdown(frame: pd.DataFrame, title: str | None = None) -> str:
    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")

    lines = [f"**{escaped(title)}**", ""] if title else []
    lines.append("| " + " | ".join(escaped(str(column)) for column in frame.columns) + " |")
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(escaped(cell_text(value)) for value in row) + " |")
    return "\n".join(lines) + "\n"


def rich_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    """A Rich table; every cell is escaped, since ids, names and card text are untrusted."""
    table = Table(title=escape(title) if title else None, title_justify="left")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
        table.add_column(escape(str(column)), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(cell_text(value)) for value in row))
    return table


def data_line(data: dict) -> str:
    """The first line of every report and headline table: what the data is."""
    parts = [f"Data: {data.get('source')}"]
    parts += [f"{label}{data[key]}" for key, label in (("scope", "scope "), ("as_of", "as of "), ("measure", "measure: ")) if data.get(key) is not None]
    if data.get("synthetic"):
        parts.append("SYNTHETIC data")
    if data.get("note"):
        parts.append(data["note"])
    return " · ".join(parts)


def render(frame: pd.DataFrame, fmt: str, console: Console, title: str | None = None) -> None:
    """Print a result in one of FORMATS; table and md lead with the data line."""
    envelope = frame.attrs.get("envelope", {})
    if fmt == "json":
        console.file.write(to_json(frame) + "\n")
    elif fmt == "csv":
        console.file.write(to_csv(frame))
    elif fmt == "md":
        if envelope.get("data", {}).get("source"):
            console.file.write(data_line(envelope["data"]) + "\n\n")
        console.file.write(to_markdown(frame, title))
    else:
        if envelope.get("data", {}).get("source"):
            console.print(escape(data_line(envelope["data"])), soft_wrap=True)
        console.print(rich_table(frame, title))
