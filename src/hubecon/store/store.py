"""The store: per-snapshot Parquet files plus a DuckDB catalogue, read through one Ibis connection.

Layout of a store folder:

    catalogue.duckdb                          the `snapshots` table (the truth: a
                                              snapshot exists once it is listed here)
    snapshots/taken=YYYY-MM-DD/<snapshot_id>/ observations.parquet, model_records.parquet,
                                              lineage_records.parquet

The taken date is in the path so a time-range query can skip whole folders.
A snapshot's folder is written under a temporary name and renamed into place,
then listed in the catalogue in one transaction; a crash in between leaves an
unlisted folder that is never read. One writer at a time (a lock file).

The embedded data uses the same tables in an in-memory DuckDB database.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.errors import HubeconError
from hubecon.store.schema import OPTIONAL_TABLES, PER_SNAPSHOT_TABLES, SNAPSHOTS, SnapshotBatch

CATALOGUE = "catalogue.duckdb"
MODEL_FIELDS = [
    "hub_object_id",
    "namespace",
    "created_at",
    "last_modified",
    "pipeline_tag",
    "library",
    "license",
    "tags",
    "params_total",
    "params_active",
    "gguf",
    "config_arch",
    "card_data",
]


class StoreError(HubeconError):
    pass


@dataclass(frozen=True)
class DataDescription:
    """Where a store's data comes from, for the data line of every output."""

    kind: str  # "embedded" or "store"
    location: str


class Store:
    """Canonical tables (DESIGN.md §2) behind one Ibis DuckDB connection."""

    def __init__(self, con: ibis.BaseBackend, description: DataDescription, manifests: dict[str, dict] | None = None):
        self.con = con
        self.description = description
        self.manifests = manifests or {}
        self._define_canonical_views()

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def in_memory(cls, batches: list[SnapshotBatch], description: DataDescription, manifests: dict[str, dict] | None = None) -> "Store":
        con = ibis.duckdb.connect()
        raw = con.con
        catalogue = pa.Table.from_pylist([batch.catalogue_row() for batch in batches], schema=SNAPSHOTS)
        raw.register("snapshots_arrow", catalogue)
        raw.execute("CREATE TABLE snapshots AS SELECT * FROM snapshots_arrow")
        raw.unregister("snapshots_arrow")
        for name, schema in PER_SNAPSHOT_TABLES.items():
            table = pa.concat_tables([schema.empty_table()] + [batch.tables()[name] for batch in batches])
            raw.register(f"{name}_arrow", table)
            raw.execute(f"CREATE TABLE raw_{name} AS SELECT * FROM {name}_arrow")
            raw.unregister(f"{name}_arrow")
        return cls(con, description, manifests)

    @classmethod
    def open(cls, path: Path | str) -> "Store":
        """Open an existing store folder read-only; a damaged catalogue or file is a StoreError."""
        root = Path(path)
        catalogue_path = root / CATALOGUE
        if not catalogue_path.exists():
            raise StoreError(f"{root}: not a hubecon store (no {CATALOGUE}); create one with `hubecon import`")
        snapshots = read_catalogue(catalogue_path)
        con = ibis.duckdb.connect()
        raw = con.con
        raw.register("snapshots_frame", snapshots)
        raw.execute("CREATE TABLE snapshots AS SELECT * FROM snapshots_frame")
        raw.unregister("snapshots_frame")
        for name, schema in PER_SNAPSHOT_TABLES.items():
            files = [snapshot_dir(root, row.snapshot_id, row.taken_at) / f"{name}.parquet" for row in snapshots.itertuples()]
            if name in OPTIONAL_TABLES:
                files = [file for file in files if file.exists()]
            for file in files:
                check_parquet(file, schema)
            if files:
                listed = ", ".join("'" + str(file).replace("'", "''") + "'" for file in files)
                raw.execute(f"CREATE VIEW raw_{name} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
            else:
                raw.register(f"{name}_empty", schema.empty_table())
                raw.execute(f"CREATE TABLE raw_{name} AS SELECT * FROM {name}_empty")
        return cls(con, DataDescription("store", str(root)))

    # -- reading ------------------------------------------------------------------------------

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def snapshots(self) -> pd.DataFrame:
        return self.con.execute(self.table("snapshots").order_by("taken_at"))

    def _define_canonical_views(self) -> None:
        """The canonical tables of DESIGN.md §2, derived from every snapshot's records.

        A repo that was renamed or transferred (same Hub object id, new name)
        is one model, known by its latest name. A model's field comes from the
        latest snapshot that knows it, so a later sample's parameter counts
        enrich an earlier listing's models. A child's parent edges come from
        the latest snapshot that gives any.
        """
        snapshots = self.table("snapshots").select("snapshot_id", "taken_at")
        records = self.table("raw_model_records").join(snapshots, "snapshot_id")
        aliases = model_aliases(records)

        def canonical(table: ibis.Table, column: str = "model_id") -> ibis.Table:
            joined = table.left_join(aliases, table[column] == aliases.alias)
            return joined.mutate(**{column: joined.canonical_id.fill_null(joined[column])}).drop("alias", "canonical_id")

        self.con.create_view("observations", canonical(self.table("raw_observations")), overwrite=True)
        records = canonical(records)
        seen = self.table("observations").join(snapshots, "snapshot_id").group_by("model_id").agg(
            first_seen=ibis._.taken_at.min(), last_seen=ibis._.taken_at.max()
        )
        latest = {field: records[field].argmax(records.taken_at, where=records[field].notnull()) for field in MODEL_FIELDS}
        models = records.group_by("model_id").agg(**latest).join(seen, "model_id", how="left").drop("model_id_right")
        self.con.create_view("models", models, overwrite=True)

        edges = canonical(canonical(self.table("raw_lineage_records"), "child_id"), "parent_id").join(snapshots, "snapshot_id")
        newest = edges.group_by("child_id").agg(newest=edges.taken_at.max())
        lineage = (
            edges.join(newest, [edges.child_id == newest.child_id, edges.taken_at == newest.newest])
            .select("child_id", "parent_id", "relation", "source")
            .distinct()
        )
        self.con.create_view("lineage", lineage, overwrite=True)
        annotations = canonical(self.table("raw_annotation_records")).select("model_id", "source", "field", "value").distinct()
        self.con.create_view("annotations", annotations, overwrite=True)


def model_aliases(records: ibis.Table) -> ibis.Table:
    """alias -> canonical_id: every name a Hub object id has carried, mapped to its latest name.

    A name that has belonged to more than one object (deleted and re-created)
    is left alone rather than guessed.
    """
    known = records.filter(records.hub_object_id.notnull())
    latest = known.group_by("hub_object_id").agg(canonical_id=known.model_id.argmax(known.taken_at))
    pairs = known.select("model_id", "hub_object_id").distinct()
    unambiguous = pairs.group_by("model_id").agg(objects=pairs.hub_object_id.nunique()).filter(ibis._.objects == 1)
    mapped = pairs.join(unambiguous, "model_id").join(latest, "hub_object_id")
    return mapped.filter(mapped.model_id != mapped.canonical_id).select(alias="model_id", canonical_id="canonical_id")


CREATE_CATALOGUE = (
    "CREATE TABLE IF NOT EXISTS snapshots (snapshot_id VARCHAR PRIMARY KEY, taken_at TIMESTAMPTZ, "
    "source VARCHAR, scope VARCHAR, params VARCHAR, n_models BIGINT, sha256 VARCHAR)"
)


def snapshot_dir(root: Path, snapshot_id: str, taken_at: pd.Timestamp) -> Path:
    return root / "snapshots" / f"taken={pd.Timestamp(taken_at):%Y-%m-%d}" / snapshot_id


def read_catalogue(path: Path) -> pd.DataFrame:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("SET TimeZone = 'UTC'")
            frame = con.execute("SELECT * FROM snapshots ORDER BY taken_at").fetchdf()
    except duckdb.Error as exc:
        raise StoreError(f"{path}: the store's catalogue is damaged or not a DuckDB file ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    missing = set(SNAPSHOTS.names) - set(frame.columns)
    if missing:
        raise StoreError(f"{path}: the catalogue's snapshots table lacks {', '.join(sorted(missing))}")
    return pa.Table.from_pandas(frame[SNAPSHOTS.names], preserve_index=False).cast(SNAPSHOTS).to_pandas()


def check_parquet(path: Path, schema: pa.Schema) -> None:
    if not path.exists():
        raise StoreError(f"{path}: listed in the store's catalogue but missing")
    try:
        found = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise StoreError(f"{path}: damaged Parquet file ({str(exc).splitlines()[0]})") from None
    missing = set(schema.names) - set(found.names)
    if missing:
        raise StoreError(f"{path}: lacks column(s) {', '.join(sorted(missing))}")


@contextmanager
def writer_lock(root: Path):
    """Hold the store's lock for one writer; a second writer is refused at once, not queued."""
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / ".lock", "w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{root}: another hubecon process is writing this store; try again when it has finished") from None
        yield
    finally:
        handle.close()


def new_snapshot_id(existing: set[str], batch: SnapshotBatch) -> str:
    kind = re.sub(r"[^a-z0-9]+", "-", batch.source.split(":", 1)[0].lower()).strip("-") or "snapshot"
    base = f"{kind}-{batch.taken_at:%Y-%m-%d}"
    candidate, n = base, 1
    while candidate in existing:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def write_parquet_atomically(table: pa.Table, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def add_snapshots(root: Path | str, batches: list[SnapshotBatch]) -> list[bool]:
    """Store imported snapshots under the store's lock; for each, whether it was new. Nothing stored before changes."""
    with writer_lock(Path(root)):
        return [store_snapshot(Path(root), batch) for batch in batches]


def store_snapshot(root: Path, batch: SnapshotBatch) -> bool:
    """Store one snapshot (the caller holds the writer lock); False, changing nothing, if its content is already stored.

    Sets `batch.snapshot_id` either way.
    """
    catalogue_path = root / CATALOGUE
    existing = read_catalogue(catalogue_path) if catalogue_path.exists() else SNAPSHOTS.empty_table().to_pandas()
    same = existing[existing["sha256"] == batch.sha256]
    if len(same):
        batch.snapshot_id = same["snapshot_id"].iloc[0]
        return False
    batch.snapshot_id = new_snapshot_id(set(existing["snapshot_id"]), batch)
    final = snapshot_dir(root, batch.snapshot_id, batch.taken_at)
    if final.exists():
        # A folder the catalogue does not list is what a crash between rename and commit leaves.
        shutil.rmtree(final)
    staging = final.parent / f".{batch.snapshot_id}.{uuid.uuid4().hex}.tmp"
    staging.mkdir(parents=True)
    try:
        for name, table in batch.tables().items():
            write_parquet_atomically(table, staging / f"{name}.parquet")
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if not any(final.parent.iterdir()):
            final.parent.rmdir()
        raise
    row = pa.Table.from_pylist([batch.catalogue_row()], schema=SNAPSHOTS)
    with duckdb.connect(str(catalogue_path)) as con:
        con.execute("BEGIN")
        con.execute(CREATE_CATALOGUE)
        con.register("new_row", row)
        con.execute("INSERT INTO snapshots SELECT * FROM new_row")
        con.execute("COMMIT")
    return True
