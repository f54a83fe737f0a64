"""A cache of the enrichment, so each command does not redo the lineage walk and the card parsing.

model_facts depend only on the snapshots (the merged `models` and `lineage`
are a function of them) and on hubecon's own code and data files; the cache
key hashes each snapshot's id, content hash and time, and the code and data,
so a new snapshot or a new version makes a new entry. The cache lives in the
user cache dir (or HUBECON_CACHE) and is only an accelerator: a missing,
partial or unreadable entry is recomputed. Entries unused for UNUSED_DAYS
are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
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
UNUSED_DAYS = 30


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


def cache_root() -> Path:
    return Path(os.environ.get("HUBECON_CACHE") or platformdirs.user_cache_dir("hubecon"))


def cache_folder(snapshots: list[str]) -> Path:
    """The entry for data made of `snapshots`, each named by its id, content hash and time."""
    data = hashlib.sha256("\n".join(sorted(snapshots)).encode()).hexdigest()[:20]
    return cache_root() / f"enrichment-{CODE_AND_DATA_DIGEST}-{data}"


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


def prune(root: Path) -> None:
    """Drop the entries no command has used for UNUSED_DAYS (a read touches its entry)."""
    oldest_kept = time.time() - UNUSED_DAYS * 86400
    for entry in root.glob("*enrichment-*"):
        try:
            if entry.stat().st_mtime < oldest_kept:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def cached(snapshots: list[str], compute: Callable[[], Enriched]) -> Enriched:
    folder = cache_folder(snapshots)
    if folder.is_dir():
        found = load(folder)
        if found is not None:
            os.utime(folder)
            return found
    enriched = compute()
    save(folder, enriched)
    prune(folder.parent)
    return enriched
