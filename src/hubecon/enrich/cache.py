"""A cache of the embedded data's enrichment, so each command on it does not redo the lineage walk.

The embedded snapshots never change within an installed version, and
model_facts depend only on them and on hubecon's own code and data files; the
cache key hashes all three, so any change makes a new entry. The cache lives
in the user cache dir and is only an accelerator: a missing, partial or
unreadable entry is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pandas as pd
import platformdirs

from hubecon.enrich.facts import Enriched
from hubecon.enrich.lineage import LineageGraph

PACKAGE = Path(str(files("hubecon")))
TABLES = ("facts", "credit", "edges", "dropped")


def code_and_data_digest() -> str:
    """A hash of every file that decides the enrichment: hubecon's code and its data files."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".csv", ".txt", ".json", ".parquet") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


# Taken when hubecon is imported, so the key describes the code this process runs, even if
# the files change while it runs.
CODE_AND_DATA_DIGEST = code_and_data_digest()


def cache_folder() -> Path:
    root = Path(os.environ.get("HUBECON_CACHE") or platformdirs.user_cache_dir("hubecon"))
    return root / f"embedded-enrichment-{CODE_AND_DATA_DIGEST}"


def as_computed(frame: pd.DataFrame, object_columns: list[str]) -> pd.DataFrame:
    """Columns the enrichment made as Python objects come back so, with None for missing."""
    for column in object_columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def load(folder: Path) -> Enriched | None:
    try:
        object_columns = json.loads((folder / "object_columns.json").read_text())
        tables = {name: as_computed(pd.read_parquet(folder / f"{name}.parquet"), object_columns[name]) for name in TABLES}
    except (OSError, ValueError, KeyError):
        return None
    return Enriched(tables["facts"], LineageGraph(tables["edges"], tables["dropped"]), tables["credit"])


def save(folder: Path, enriched: Enriched) -> None:
    """Write the entry under a temporary name and rename it into place, so a reader never sees half of it."""
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    try:
        staging.mkdir(parents=True)
        tables = {"facts": enriched.facts, "credit": enriched.credit, "edges": enriched.graph.edges, "dropped": enriched.graph.dropped}
        for name, table in tables.items():
            table.to_parquet(staging / f"{name}.parquet", index=False)
        object_columns = {name: [column for column in table.columns if table[column].dtype == object] for name, table in tables.items()}
        (staging / "object_columns.json").write_text(json.dumps(object_columns))
        os.replace(staging, folder)
    except OSError:
        # Another process won the race, or the cache dir is not writable: the cache is optional.
        shutil.rmtree(staging, ignore_errors=True)


def cached(compute: Callable[[], Enriched]) -> Enriched:
    folder = cache_folder()
    if folder.is_dir():
        found = load(folder)
        if found is not None:
            return found
    enriched = compute()
    save(folder, enriched)
    return enriched
