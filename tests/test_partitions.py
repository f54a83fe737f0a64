"""The partitioned store (DESIGN.md §2): a time range reads only its snapshots' files; adding a snapshot touches no older file
and updates the derived tables incrementally, to exactly what a rebuild from scratch gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import hubecon
import hubecon.store.store as store_module
from hubecon.metrics.windows import period_downloads
from hubecon.sources.synth import REGISTRY_FILE, SynthSpec, batches, write_synthetic_hub
from hubecon.store.derived import DERIVED_TABLES
from hubecon.store.store import Store, add_snapshots, compute_derived, read_derived, snapshot_dir

# Every 14 days from 2025-01-06: Jan 6, Jan 20, Feb 3, Feb 17, Mar 3, Mar 17, Mar 31, Apr 14, Apr 28.
PRUNING_SPEC = SynthSpec(models=200, snapshots=9, seed=11, start="2025-01-06", interval_days=14)
MARCH = ["synthetic-2025-02-17", "synthetic-2025-03-03", "synthetic-2025-03-17", "synthetic-2025-03-31"]


@pytest.fixture(scope="module")
def monthly_store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("monthly") / "store"
    write_synthetic_hub(root, PRUNING_SPEC)
    return root


def files_opened(con, run) -> set[str]:
    """The files DuckDB opens while `run()` executes, from its file-system log."""
    raw = con.con
    raw.execute("CALL enable_logging('FileSystem')")
    raw.execute("CALL truncate_duckdb_logs()")
    run()
    opened = raw.execute("SELECT DISTINCT path FROM duckdb_logs_parsed('FileSystem') WHERE op = 'OPEN'").fetchall()
    raw.execute("CALL disable_logging()")
    return {path for (path,) in opened}


def observation_files(root: Path, ids: list[str]) -> set[str]:
    catalogue = Store.open(root).snapshots().set_index("snapshot_id")
    return {str(snapshot_dir(root, sid, catalogue.loc[sid, "taken_at"]) / "observations.parquet") for sid in ids}


def snapshot_files_in(opened: set[str]) -> set[str]:
    return {path for path in opened if "/snapshots/" in path}


def test_a_one_month_query_reads_only_that_months_snapshot_files(monthly_store):
    session = hubecon.open(monthly_store, registry=monthly_store / REGISTRY_FILE)
    session.enriched  # model facts come from the derived tables, read once
    result = {}
    opened = files_opened(session.store.con, lambda: result.setdefault("table", session.share(since="2025-03-01", until="2025-03-31", by="developer")))
    # March's snapshots, and the last one taken before March 1 (where the window's difference starts): nothing else.
    assert snapshot_files_in(opened) == observation_files(monthly_store, MARCH)
    assert not any("model_records" in path or "lineage_records" in path for path in opened)
    # The pruned read gives what the whole history gives.
    every_snapshot = session.store.keyed_observations(session._catalogue["snapshot_id"])
    whole = period_downloads(every_snapshot, session._keyed_facts, session._catalogue, since="2025-03-01", until="2025-03-31")
    pruned = session.measured(since="2025-03-01", until="2025-03-31").downloads
    by_model = lambda table: session.store.con.execute(table.select("model_id", "downloads")).sort_values("model_id", ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(by_model(pruned), by_model(session.store.model_ids_of(whole.steps)))
    assert result["table"]["share"].sum() == pytest.approx(1.0)


def test_a_single_snapshot_query_reads_only_that_snapshots_file(monthly_store):
    session = hubecon.open(monthly_store, registry=monthly_store / REGISTRY_FILE)
    session.enriched
    opened = files_opened(session.store.con, lambda: session.share(snapshot="synthetic-2025-03-17"))
    assert snapshot_files_in(opened) == observation_files(monthly_store, ["synthetic-2025-03-17"])


def test_monthly_periods_of_a_quarter_read_only_the_quarters_files(monthly_store):
    session = hubecon.open(monthly_store, registry=monthly_store / REGISTRY_FILE)
    session.enriched
    opened = files_opened(session.store.con, lambda: session.concentration(period="month", since="2025-02-01", until="2025-03-31"))
    expected = ["synthetic-2025-01-20", "synthetic-2025-02-03", "synthetic-2025-02-17", "synthetic-2025-03-03", "synthetic-2025-03-17", "synthetic-2025-03-31"]
    assert snapshot_files_in(opened) == observation_files(monthly_store, expected)


# -- adding a snapshot -------------------------------------------------------------------------------------


def tree_hashes(root: Path, under: str = "snapshots") -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((root / under).rglob("*")) if path.is_file()}


def renamed(batch, record: pd.Series, new_id: str):
    """The same snapshot with one model transferred to a new name (same Hub object id), as the Hub shows a renamed repo."""
    batch.observations["model_id"] = batch.observations["model_id"].replace(record["model_id"], new_id)
    moved = record.copy()
    moved["model_id"], moved["namespace"] = new_id, new_id.split("/")[0]
    others = batch.model_records[batch.model_records["model_id"] != record["model_id"]]
    batch.model_records = pd.concat([others, moved.to_frame().T], ignore_index=True)
    batch.sha256 = hashlib.sha256((batch.sha256 + new_id).encode()).hexdigest()
    return batch


def canonical_tables(root: Path) -> dict[str, pd.DataFrame]:
    store = Store.open(root)
    out = {}
    for name in ("observations", "models", "lineage", "annotations"):
        frame = store.con.execute(store.table(name))
        frame["tags"] = frame["tags"].map(lambda tags: None if tags is None else list(tags)) if "tags" in frame else None
        frame = frame.drop(columns=[column for column in frame.columns if frame[column] is None])
        out[name] = frame.sort_values(list(frame.columns.drop("tags", errors="ignore")), ignore_index=True)
    return out


def test_adding_a_snapshot_leaves_older_files_byte_identical_and_derived_tables_equal_a_rebuild(tmp_path, monkeypatch):
    spec = SynthSpec(models=250, snapshots=6, seed=5)
    _, generated = batches(spec)
    snapshots = list(generated)
    # The newest snapshot also renames a model that earlier snapshots know under its old name.
    record = snapshots[0].model_records.iloc[3]
    old_id = record["model_id"]
    snapshots[5] = renamed(snapshots[5], record, "synth-renamed/" + old_id.split("/")[1])
    incremental = tmp_path / "incremental"
    # Stored one at a time, out of order: the snapshot of 2025-01-27 comes last.
    order = [0, 1, 2, 4, 5, 3]
    for position in order[:-1]:
        add_snapshots(incremental, [snapshots[position]])
    before = tree_hashes(incremental)
    before_times = {path: (incremental / path).stat().st_mtime_ns for path in before}

    # The update reads the derived tables and the new snapshot's files only.
    real_connect = store_module.connect
    connections = []

    def logging_connect(engine="duckdb"):
        con = real_connect(engine)
        con.con.execute("CALL enable_logging('FileSystem')")
        connections.append(con)
        return con

    monkeypatch.setattr(store_module, "connect", logging_connect)
    add_snapshots(incremental, [snapshots[order[-1]]])
    monkeypatch.setattr(store_module, "connect", real_connect)
    read = {path for con in connections for (path,) in con.con.execute("SELECT DISTINCT path FROM duckdb_logs_parsed('FileSystem') WHERE op = 'OPEN'").fetchall()}
    new_folder = str(snapshot_dir(incremental, "synthetic-2025-01-27", pd.Timestamp("2025-01-27", tz="UTC")))
    assert read, "the update must have read files"
    assert {path for path in read if "/snapshots/" in path and not path.startswith(new_folder)} == set()

    after = tree_hashes(incremental)
    assert {path: after[path] for path in before} == before
    assert {path: (incremental / path).stat().st_mtime_ns for path in before} == before_times
    assert set(after) - set(before) == {path for path in after if path.startswith("snapshots/taken=2025-01-27/")}

    # Derived tables: incremental == rebuilt from scratch from every snapshot's files == a store written in one go.
    stored = read_derived(incremental)
    _, rebuilt = compute_derived(incremental, from_scratch=True)
    at_once = tmp_path / "at-once"
    add_snapshots(at_once, snapshots)
    for name in DERIVED_TABLES:
        assert stored[name].num_rows > 0 or name == "annotations_distinct"
        assert stored[name].equals(rebuilt[name]), name
        assert stored[name].equals(read_derived(at_once)[name]), name
    # And so are the canonical tables every metric reads, the rename included.
    mine, theirs = canonical_tables(incremental), canonical_tables(at_once)
    for name in mine:
        pd.testing.assert_frame_equal(mine[name], theirs[name])
    models = mine["models"].set_index("model_id")
    assert "synth-renamed/" + old_id.split("/")[1] in models.index and old_id not in models.index
    assert old_id not in set(mine["observations"]["model_id"])


def test_derived_tables_that_lag_the_catalogue_are_not_used_and_the_next_write_catches_up(tmp_path):
    spec = SynthSpec(models=120, snapshots=4, seed=9)
    _, generated = batches(spec)
    snapshots = list(generated)
    root = tmp_path / "store"
    add_snapshots(root, snapshots[:2])
    # A crash after the catalogue's commit, before the derived tables' update.
    with store_module.writer_lock(root):
        store_module.store_snapshot(root, snapshots[2], derived_tables=False)
    assert read_derived(root) and store_module.read_derived_state(root)["snapshots"] != sorted(Store.open(root).snapshots()["snapshot_id"])
    lagging = canonical_tables(root)
    assert store_module.update_derived(root)
    fresh = canonical_tables(root)
    for name in lagging:
        pd.testing.assert_frame_equal(lagging[name], fresh[name])
    add_snapshots(root, snapshots[3:])
    _, rebuilt = compute_derived(root, from_scratch=True)
    assert all(read_derived(root)[name].equals(rebuilt[name]) for name in DERIVED_TABLES)
    assert not store_module.update_derived(root), "an up-to-date store is left alone"
    assert isinstance(rebuilt["model_latest"], pa.Table)
