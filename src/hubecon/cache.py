"""Caches on disk of what a store's snapshots decide, so a command does not redo the work of the one before it.

- The enrichment (enrich/): model facts, the lineage walk, origin credit.
- A history's downloads per period and model (`Hubecon.measured`): at 1M
  models × 52 weekly snapshots its build is about 16 s of every command over
  time, each of which runs in its own process.

Both depend only on the snapshots and on hubecon's own code and data files (a
history also on its period and scope); an entry's key hashes each snapshot's
catalogue row (id, time, source, scope, parameters, size, content hash: the
scope and source decide which snapshots form a history), the code and data,
and those parameters, so a new snapshot or a new version makes a new entry. The caches live in the user
cache dir (or HUBECON_CACHE) and are only accelerators: a missing, partial or
unreadable entry is recomputed. An entry is written under a temporary name and
renamed into place, so a reader never sees half of one. Entries unused for
UNUSED_DAYS are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from typing import TypeVar
from importlib.resources import files
from pathlib import Path

import pandas as pd
import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.enrich.facts import Enriched
from hubecon.enrich.lineage import LineageGraph

PACKAGE = Path(str(files("hubecon")))
KINDS = ("enrichment", "history")
ENRICHMENT_TABLES = ("facts", "credit", "edges", "dropped")
HISTORY_DOWNLOADS, HISTORY_SUMMARY = "downloads.parquet", "summary.json"
HISTORY_COLUMNS = {"period", "model_id", "downloads", "first_year_downloads", "estimated"}
UNUSED_DAYS = 30
T = TypeVar("T")


def code_and_data_digest() -> str:
    """A hash of every file that decides a cached result: hubecon's code and its data files."""
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


def cache_folder(kind: str, snapshots: list[str], *parameters) -> Path:
    """The entry of one kind for data made of `snapshots` (each named by its catalogue row)."""
    key = "\n".join(sorted(snapshots)) + "\n" + json.dumps(parameters)
    return cache_root() / f"{kind}-{CODE_AND_DATA_DIGEST}-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def publish(folder: Path, write: Callable[[Path], None]) -> bool:
    """Make an entry: `write` fills a temporary folder, renamed into place; False if the cache cannot hold it
    (not writable, or another process made it first)."""
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    try:
        staging.mkdir(parents=True)
        write(staging)
        # On disk before the rename, so a power cut cannot leave a listed entry with half a file.
        for file in staging.iterdir():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(staging, folder)
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def discard_damaged(folder: Path) -> None:
    """Remove an entry its reader could not read, so a new one can take its place (entries appear whole, so one
    that is there but unreadable is damaged)."""
    shutil.rmtree(folder, ignore_errors=True)


def touch(folder: Path) -> None:
    """Mark an entry as used (prune keeps it); a read-only cache, or an entry just pruned, is left as it is."""
    try:
        os.utime(folder)
    except OSError:
        pass


def read_entry(folder: Path, load: Callable[[Path], T | None]) -> T | None:
    """An entry read back by `load`, marked as used; None if there is none or it is damaged (then removed)."""
    there = folder.is_dir()
    found = load(folder)
    if found is not None:
        touch(folder)
    elif there:
        discard_damaged(folder)
    return found


# An entry's folder, or the staging folder it is written in; nothing else in the cache folder is ever removed.
ENTRY_NAME = re.compile(rf"\.?(?:{'|'.join(KINDS)})-[0-9a-f]{{20}}-[0-9a-f]{{20}}(?:\.[0-9a-f]{{32}})?")


def prune(root: Path) -> None:
    """Drop the entries no command has used for UNUSED_DAYS (a read touches its entry), and staging folders as old."""
    oldest_kept = time.time() - UNUSED_DAYS * 86400
    try:
        entries = [entry for entry in root.iterdir() if ENTRY_NAME.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.stat().st_mtime < oldest_kept:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


# -- the enrichment ---------------------------------------------------------------------------------------


def as_computed(frame: pd.DataFrame, object_columns: list[str]) -> pd.DataFrame:
    """Columns the enrichment made as Python objects come back so, with None for missing."""
    for column in object_columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def load_enrichment(folder: Path) -> Enriched | None:
    try:
        object_columns = json.loads((folder / "object_columns.json").read_text())
        tables = {name: as_computed(pd.read_parquet(folder / f"{name}.parquet"), object_columns[name]) for name in ENRICHMENT_TABLES}
    except (OSError, ValueError, KeyError):
        return None
    return Enriched(tables["facts"], LineageGraph(tables["edges"], tables["dropped"]), tables["credit"])


def write_enrichment(folder: Path, enriched: Enriched) -> None:
    tables = {"facts": enriched.facts, "credit": enriched.credit, "edges": enriched.graph.edges, "dropped": enriched.graph.dropped}
    for name, table in tables.items():
        table.to_parquet(folder / f"{name}.parquet", index=False)
    object_columns = {name: [column for column in table.columns if table[column].dtype == object] for name, table in tables.items()}
    (folder / "object_columns.json").write_text(json.dumps(object_columns))


def cached_enrichment(snapshots: list[str], compute: Callable[[], Enriched]) -> Enriched:
    folder = cache_folder("enrichment", snapshots)
    found = read_entry(folder, load_enrichment)
    if found is not None:
        return found
    enriched = compute()
    publish(folder, lambda staging: write_enrichment(staging, enriched))
    prune(folder.parent)
    return enriched


# -- histories ----------------------------------------------------------------------------------------------


def load_history(folder: Path) -> tuple[Path, dict] | None:
    """An entry's downloads file and summary; None if either is missing or unreadable (the file's footer is read)."""
    downloads = folder / HISTORY_DOWNLOADS
    try:
        summary = json.loads((folder / HISTORY_SUMMARY).read_text(encoding="utf-8"))
        columns = set(pq.read_schema(downloads).names)
    except (OSError, ValueError, pa.ArrowException):
        return None
    return (downloads, summary) if isinstance(summary, dict) and HISTORY_COLUMNS <= columns else None


def cached_history(snapshots: list[str], parameters: tuple, build: Callable[[Path], dict]) -> tuple[Path, dict] | None:
    """A history's downloads per period and model, as a Parquet file, and its summary (what the envelope says of it).

    Read back, or made by `build(file)`, which writes the file and returns the
    summary; None if the cache cannot hold the entry (the caller then builds
    the history in the session).
    """
    folder = cache_folder("history", snapshots, *parameters)
    found = read_entry(folder, load_history)
    if found is not None:
        return found

    def write(staging: Path) -> None:
        summary = build(staging / HISTORY_DOWNLOADS)
        (staging / HISTORY_SUMMARY).write_text(json.dumps(summary), encoding="utf-8")

    publish(folder, write)
    prune(folder.parent)
    return load_history(folder)
