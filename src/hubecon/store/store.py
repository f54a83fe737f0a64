"""The store: per-snapshot Parquet files, derived tables and a DuckDB catalogue, read through one Ibis connection.

Layout of a store folder:

    catalogue.duckdb                          the `snapshots` table (the truth: a
                                              snapshot exists once it is listed here)
    snapshots/taken=YYYY-MM-DD/<snapshot_id>/ observations.parquet, model_records.parquet,
                                              lineage_records.parquet, annotation_records.parquet
    derived/                                  state.json and the derived tables (derived.py)

The taken date is in the path, and every snapshot's files are registered by
name, so a query over a time range reads only the files of the snapshots it
needs (`Store.observations_for`, `Store.keyed_observations`). Adding a snapshot writes its own folder and
replaces the derived tables by their merge with the new snapshot's summary;
older snapshots' files are never opened for writing, nor read.

A snapshot's folder is written under a temporary name and renamed into place,
then listed in the catalogue in one transaction; a crash in between leaves an
unlisted folder that is never read. Derived tables that do not cover exactly
the catalogue's snapshots (a crash after the catalogue's commit) are not
used: the canonical views are then computed from the raw files, and the next
write brings the derived tables up to date. One writer at a time (a lock file).

The tables are Ibis expressions on the store's engine (engine.py): DuckDB by
default, Spark over the same files. The embedded data uses the same tables
held in memory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.errors import HubeconError
from hubecon.store import derived
from hubecon.store.derived import DERIVED_KEYS, DERIVED_TABLES, MODEL_FIELDS  # noqa: F401 (MODEL_FIELDS: part of this module's interface)
from hubecon.store.engine import connect, engine_name, register_arrow, register_parquet, materialise, unique_name
from hubecon.store.schema import OPTIONAL_TABLES, PER_SNAPSHOT_TABLES, SNAPSHOTS, SnapshotBatch

CATALOGUE = "catalogue.duckdb"
# Keyed observations held in the engine at once: a session's commands mostly ask for the same history.
KEPT_KEYED_OBSERVATIONS = 2
DERIVED = "derived"
DERIVED_STATE = "state.json"


class StoreError(HubeconError):
    pass


@dataclass(frozen=True)
class DataDescription:
    """Where a store's data comes from, for the data line of every output."""

    kind: str  # "embedded" or "store"
    location: str


class Store:
    """Canonical tables (DESIGN.md §2) behind one Ibis connection (DuckDB or Spark)."""

    def __init__(self, con: ibis.BaseBackend, description: DataDescription, manifests: dict[str, dict] | None = None, *, root: Path | None = None,
                 catalogue: pd.DataFrame | None = None, prefix: str = "", derived_registered: bool = False):
        self.con = con
        # Spark's temporary views are per session, shared by every store a process opens: each store's names get a prefix.
        self.prefix = prefix
        self.description = description
        self.manifests = manifests or {}
        self.root = root  # the store folder; None for data held in memory
        self.catalogue = catalogue
        self._subsets: dict[tuple[str, ...], ibis.Table] = {}
        self._keyed: OrderedDict[tuple[str, ...], ibis.Table] = OrderedDict()  # most recently used last
        self._define_canonical_views(derived_registered)

    @property
    def engine(self) -> str:
        return engine_name(self.con)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def in_memory(cls, batches: list[SnapshotBatch], description: DataDescription, manifests: dict[str, dict] | None = None, *, engine: str = "duckdb") -> "Store":
        con = connect(engine)
        prefix = table_prefix(con)
        catalogue = pa.Table.from_pylist([batch.catalogue_row() for batch in batches], schema=SNAPSHOTS)
        register_arrow(con, f"{prefix}snapshots", catalogue)
        for name, schema in PER_SNAPSHOT_TABLES.items():
            register_arrow(con, f"{prefix}raw_{name}", pa.concat_tables([schema.empty_table()] + [batch.tables()[name] for batch in batches]))
        return cls(con, description, manifests, catalogue=catalogue.to_pandas(), prefix=prefix)

    @classmethod
    def open(cls, path: Path | str, *, engine: str = "duckdb") -> "Store":
        """Open an existing store folder read-only; a damaged catalogue or file is a StoreError."""
        root = Path(path)
        catalogue_path = root / CATALOGUE
        if not catalogue_path.exists():
            raise StoreError(f"{root}: not a hubecon store (no {CATALOGUE}); create one with `hubecon import`")
        snapshots = read_catalogue(catalogue_path)
        con = connect(engine)
        prefix = table_prefix(con)
        register_raw_tables(con, root, snapshots, prefix=prefix)
        state = read_derived_state(root)
        current = state is not None and state["snapshots"] == sorted(snapshots["snapshot_id"])
        if current:
            for name in DERIVED_TABLES:
                file = root / DERIVED / state["files"][name]
                check_parquet(file, pa.schema([]))
                register_parquet(con, f"{prefix}{name}", [file])
        return cls(con, DataDescription("store", str(root)), root=root, catalogue=snapshots, prefix=prefix, derived_registered=current)

    # -- reading ------------------------------------------------------------------------------

    def table(self, name: str) -> ibis.Table:
        return self.con.table(self.prefix + name)

    def snapshots(self) -> pd.DataFrame:
        return self.con.execute(self.table("snapshots").order_by("taken_at"))

    def observations_for(self, snapshot_ids) -> ibis.Table:
        """The canonical observations of some snapshots, reading only their files (the whole `observations` reads every snapshot's)."""
        ids = tuple(sorted(set(snapshot_ids)))
        if ids not in self._subsets:
            self._subsets[ids] = derived.canonical(self._raw_observations(ids), self.table("aliases"))
        return self._subsets[ids]

    def _raw_observations(self, ids: tuple[str, ...]) -> ibis.Table:
        """The raw observations of some snapshots, from their files only."""
        if self.root is None:
            raw = self.table("raw_observations")
            return raw.filter(raw.snapshot_id.isin(ids)) if ids else raw.limit(0)
        catalogue = self.catalogue.set_index("snapshot_id")
        unknown = [sid for sid in ids if sid not in catalogue.index]
        if unknown:
            raise StoreError(f"no snapshot {', '.join(unknown)} in {self.root}")
        files = [snapshot_dir(self.root, sid, catalogue.loc[sid, "taken_at"]) / "observations.parquet" for sid in ids]
        return register_parquet(self.con, unique_name("raw_observations"), files, PER_SNAPSHOT_TABLES["observations"]) if files else self.table("raw_observations").limit(0)

    @cached_property
    def model_keys(self) -> ibis.Table:
        """raw_id, model_key, model_id: every observed model id, the canonical id it stands for (renames: DESIGN.md §2)
        and a dense integer key per canonical id, for the joins and group-bys over a history's per-step rows.

        Those hash one 4-byte integer instead of a 30-byte id: at 1M models × 52 snapshots the pairing of
        consecutive snapshots and the sum per (period, model) took 4.4 s on keys against 14 s on ids.
        The keys come from the derived `model_seen`; while the derived tables lag the catalogue, that is
        computed from every snapshot's observation files.
        """
        seen = self.table("model_seen").select(raw_id="model_id")
        canonical = derived.canonical(seen.mutate(model_id=seen.raw_id), self.table("aliases"))
        keyed = canonical.mutate(model_key=ibis.dense_rank().over(order_by="model_id").cast("int32"))
        name = self.prefix + "model_keys"
        self.con.create_view(name, keyed, overwrite=True)
        materialise(self.con, [name])
        return self.table("model_keys")

    @cached_property
    def snapshot_keys(self) -> pd.DataFrame:
        """snapshot_id, snapshot_key: each snapshot's place in the catalogue, oldest first."""
        ordered = self.catalogue.sort_values(["taken_at", "snapshot_id"], kind="stable")["snapshot_id"]
        return pd.DataFrame({"snapshot_id": ordered.to_numpy(), "snapshot_key": range(len(ordered))}).astype({"snapshot_key": "int32"})

    def keyed_observations(self, snapshot_ids) -> ibis.Table:
        """Some snapshots' observations on integer keys, held in the engine: snapshot_key, model_key, downloads_30d,
        downloads_all_time (a renamed model's rows under its canonical key). Reads only those snapshots' files."""
        ids = tuple(sorted(set(snapshot_ids)))
        if ids in self._keyed:
            self._keyed.move_to_end(ids)
            return self._keyed[ids]
        raw = self._raw_observations(ids)
        keys = self.model_keys
        snapshots = ibis.memtable(self.snapshot_keys[self.snapshot_keys["snapshot_id"].isin(ids)])
        keyed = raw.join(keys, raw.model_id == keys.raw_id).join(snapshots, "snapshot_id")
        self._keyed[ids] = keyed.select("snapshot_key", "model_key", "downloads_30d", "downloads_all_time").cache()
        while len(self._keyed) > KEPT_KEYED_OBSERVATIONS:
            self._keyed.popitem(last=False)[1].release()
        return self._keyed[ids]

    @cached_property
    def _canonical_keys(self) -> ibis.Table:
        return self.model_keys.select("model_key", "model_id").distinct()

    def model_keys_of(self, table: ibis.Table) -> ibis.Table:
        """`table` (of canonical model ids) with its model_id column replaced, in place, by the model_key."""
        return self._translated(table, "model_id", "model_key")

    def model_ids_of(self, table: ibis.Table) -> ibis.Table:
        """`table` with its model_key column replaced, in place, by the canonical model_id."""
        return self._translated(table, "model_key", "model_id")

    def _translated(self, table: ibis.Table, have: str, want: str) -> ibis.Table:
        joined = table.join(self._canonical_keys, have)
        return joined.select(*[joined[want] if column == have else joined[column] for column in table.columns])

    def _define_canonical_views(self, derived_registered: bool) -> None:
        """The canonical tables of DESIGN.md §2, from the derived tables (derived.py) and the snapshots' observations.

        A repo that was renamed or transferred (same Hub object id, new name)
        is one model, known by its latest name. A model's field comes from the
        latest snapshot that knows it, so a later sample's parameter counts
        enrich an earlier listing's models. A child's parent edges come from
        the latest snapshot that gives any.
        """
        if not derived_registered:
            # In memory, or derived tables that lag the catalogue: computed from every snapshot's raw files.
            raw = derived.summaries(*(self.table(f"raw_{name}") for name in PER_SNAPSHOT_TABLES), self.table("snapshots"))
            for name, expression in raw.items():
                self.con.create_view(self.prefix + name, expression, overwrite=True)
        views = {"aliases": lambda: derived.model_aliases(self.table("object_names"))}
        views["observations"] = lambda: derived.canonical(self.table("raw_observations"), self.table("aliases"))
        views["models"] = lambda: derived.canonical_models(self.table("model_latest"), self.table("model_seen"), self.table("aliases"))
        views["lineage"] = lambda: derived.canonical_lineage(self.table("lineage_latest"), self.table("aliases"))
        views["annotations"] = lambda: derived.canonical_annotations(self.table("annotations_distinct"), self.table("aliases"))
        for name, expression in views.items():
            self.con.create_view(self.prefix + name, expression(), overwrite=True)
        # Every canonical query joins the aliases. As a view, DuckDB recomputed them per query and, misjudging
        # their size, hashed the whole observations table to join them (4.8 s against 1.4 s at 1M models × 52).
        # Spark recomputes every view per query, so there the other canonical tables (a row per model or fewer)
        # are kept too; DuckDB reads only the columns a query needs from them, and `models` holds every card.
        kept = ["aliases"] if self.engine == "duckdb" else ["aliases", "models", "lineage", "annotations"]
        materialise(self.con, [self.prefix + name for name in kept])


def snapshots_in_window(snapshots: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> list[str]:
    """The snapshots a window [start, end] needs (DESIGN.md §3, Downloads in a window): from the last one taken at or
    before its start (else the first) to the last one taken at or before its end.

    `snapshots` are one history's (snapshot_id, taken_at); None leaves a side open.
    """
    ordered = snapshots.sort_values("taken_at")
    taken = ordered["taken_at"]
    first = taken.iloc[0] if len(ordered) else None
    if start is not None and (taken <= start).any():
        first = taken[taken <= start].iloc[-1]
    keep = pd.Series(True, index=ordered.index) if first is None else taken >= first
    if end is not None:
        keep &= taken <= end
    return list(ordered.loc[keep, "snapshot_id"])


def table_prefix(con: ibis.BaseBackend) -> str:
    return "" if engine_name(con) == "duckdb" else unique_name("store") + "_"


def register_raw_tables(con: ibis.BaseBackend, root: Path, snapshots: pd.DataFrame, only: set[str] | None = None, prefix: str = "") -> None:
    """`snapshots` and raw_<table> over the listed snapshots' files (all, or the ids in `only`)."""
    listed = snapshots if only is None else snapshots[snapshots["snapshot_id"].isin(only)]
    register_arrow(con, f"{prefix}snapshots", pa.Table.from_pandas(listed[SNAPSHOTS.names], preserve_index=False).cast(SNAPSHOTS))
    for name, schema in PER_SNAPSHOT_TABLES.items():
        files = [snapshot_dir(root, row.snapshot_id, row.taken_at) / f"{name}.parquet" for row in listed.itertuples()]
        if name in OPTIONAL_TABLES:
            files = [file for file in files if file.exists()]
        for file in files:
            check_parquet(file, schema)
        if files:
            register_parquet(con, f"{prefix}raw_{name}", files, schema)
        else:
            register_arrow(con, f"{prefix}raw_{name}", schema.empty_table())


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
    """Store imported snapshots under the store's lock, then update the derived tables once; for each, whether it was new.

    Nothing stored before changes.
    """
    with writer_lock(Path(root)):
        stored = [store_snapshot(Path(root), batch, derived_tables=False) for batch in batches]
        update_derived(Path(root))
        return stored


def store_snapshot(root: Path, batch: SnapshotBatch, derived_tables: bool = True) -> bool:
    """Store one snapshot (the caller holds the writer lock); False, changing nothing, if its content is already stored.

    Sets `batch.snapshot_id` either way. With `derived_tables` the derived
    tables are brought up to date afterwards (add_snapshots does it once for
    all its batches).
    """
    catalogue_path = root / CATALOGUE
    existing = read_catalogue(catalogue_path) if catalogue_path.exists() else SNAPSHOTS.empty_table().to_pandas()
    # A snapshot is its content at its moment: the same bytes dated differently (a counter
    # that stood still between two monthly files) are two snapshots.
    same = existing[(existing["sha256"] == batch.sha256) & (existing["taken_at"] == batch.taken_at)]
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
    if derived_tables:
        update_derived(root)
    return True


# -- derived tables ---------------------------------------------------------------------------------------


def read_derived_state(root: Path) -> dict | None:
    """What the derived tables cover (snapshot ids) and their files; None if there are none or the state is unreadable."""
    path = root / DERIVED / DERIVED_STATE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or set(state.get("files", {})) != set(DERIVED_TABLES):
        return None
    if not all((root / DERIVED / file).exists() for file in state["files"].values()):
        return None
    return state


def compute_derived(root: Path, *, from_scratch: bool = False) -> tuple[list[str], dict[str, pa.Table] | None]:
    """The derived tables for the catalogue's snapshots: None when the stored ones already cover them.

    Incrementally, the stored derived tables are merged with the summary of
    the snapshots they lack, reading only those snapshots' files; from
    scratch (no usable derived tables, or `from_scratch`), every snapshot's.
    """
    catalogue = read_catalogue(root / CATALOGUE)
    ids = sorted(catalogue["snapshot_id"])
    state = None if from_scratch else read_derived_state(root)
    if state is not None and state["snapshots"] == ids:
        return ids, None
    con = connect("duckdb")
    if state is None or not set(state["snapshots"]) <= set(ids):
        register_raw_tables(con, root, catalogue)
        tables = derived.summaries(*(con.table(f"raw_{name}") for name in PER_SNAPSHOT_TABLES), con.table("snapshots"))
    else:
        register_raw_tables(con, root, catalogue, only=set(ids) - set(state["snapshots"]))
        fresh = derived.summaries(*(con.table(f"raw_{name}") for name in PER_SNAPSHOT_TABLES), con.table("snapshots"))
        old = {name: register_parquet(con, f"old_{name}", [root / DERIVED / state["files"][name]]) for name in DERIVED_TABLES}
        tables = derived.merged(old, fresh)
    out = {}
    for name, expression in tables.items():
        table = con.to_pyarrow(expression)
        out[name] = table.sort_by([(key, "ascending") for key in DERIVED_KEYS[name]])
    return ids, out


def update_derived(root: Path, *, from_scratch: bool = False) -> bool:
    """Bring STORE/derived/ up to date with the catalogue (the caller holds the writer lock); whether anything was written.

    New files get names of their own; state.json, swapped in last, is what
    makes them current; files it no longer names are then removed.
    """
    ids, tables = compute_derived(root, from_scratch=from_scratch)
    if tables is None:
        return False
    folder = root / DERIVED
    folder.mkdir(exist_ok=True)
    tag = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    files = {name: f"{name}-{tag}.parquet" for name in DERIVED_TABLES}
    for name, table in tables.items():
        write_parquet_atomically(table, folder / files[name])
    state = folder / DERIVED_STATE
    temporary = folder / f".{DERIVED_STATE}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(json.dumps({"snapshots": ids, "files": files}, indent=1), encoding="utf-8")
    os.replace(temporary, state)
    for leftover in folder.iterdir():
        if leftover.name != DERIVED_STATE and leftover.name not in files.values():
            leftover.unlink()
    return True


def read_derived(root: Path) -> dict[str, pa.Table]:
    """The stored derived tables (for checks: they must equal `compute_derived(root, from_scratch=True)`)."""
    state = read_derived_state(root)
    if state is None:
        raise StoreError(f"{root}: no derived tables")
    return {name: pq.read_table(root / DERIVED / state["files"][name]) for name in DERIVED_TABLES}
