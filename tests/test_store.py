"""The store (DESIGN.md §2, §4, §5) through the Python API and the real `hubecon` command.

Fixture files are written here: a listing CSV taken 2025-10-01 and a
hub-stats-shaped Parquet whose name dates it 2025-10-23.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hubecon
import hubecon.store.store as store_module
from hubecon.api import default_store_path
from hubecon.sources.models_table import read_models_table
from hubecon.store.schema import PER_SNAPSHOT_TABLES
from hubecon.store.store import Store, read_catalogue, writer_lock

HUBECON = Path(sys.executable).parent / "hubecon"
LISTING_DAY, HUB_STATS_DAY = "2025-10-01", "2025-10-23"
UTC = "UTC"

LISTING_CSV = (
    "model_id,author,downloads,likes,pipeline_tag,library_name,created_at,last_modified,tags\n"
    'orgA/base-7B,orgA,1000,10,text-generation,transformers,2025-01-01T00:00:00Z,2025-06-01T00:00:00Z,"[\'license:mit\', \'text-generation\']"\n'
    'orgB/base-7B-GGUF,orgB,300,1,,gguf,2025-02-01T00:00:00Z,2025-06-01T00:00:00Z,"[\'gguf\', \'base_model:quantized:orgA/base-7B\', \'base_model:orgA/base-7B\']"\n'
    'orgE/ft,orgE,40,2,text-generation,transformers,2025-04-01T00:00:00Z,2025-06-01T00:00:00Z,"[\'base_model:finetune:orgA/base-7B\']"\n'
    "orgC/solo,orgC,5,0,,,2025-03-01T00:00:00Z,2025-06-01T00:00:00Z,\n"
)
LISTING_TOTAL, LISTING_N = 1000 + 300 + 40 + 5, 4

TIMESTAMP = pa.timestamp("ms", tz=UTC)
HUB_STATS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("author", pa.string()),
        ("createdAt", TIMESTAMP),
        ("lastModified", TIMESTAMP),
        ("downloads", pa.int64()),
        ("downloadsAllTime", pa.int64()),
        ("likes", pa.int64()),
        ("trendingScore", pa.float64()),
        ("tags", pa.list_(pa.string())),
        ("cardData", pa.string()),
        ("safetensors", pa.struct([("parameters", pa.map_(pa.string(), pa.int64())), ("total", pa.int64())])),
        ("gguf", pa.string()),
        ("baseModels", pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())])))])),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
    ]
)


def hub_stats_row(model_id: str, downloads: int, **fields) -> dict:
    row = {name: None for name in HUB_STATS_SCHEMA.names}
    row.update(
        id=model_id,
        author=model_id.split("/")[0],
        createdAt=pd.Timestamp("2025-01-01", tz=UTC),
        lastModified=pd.Timestamp("2025-07-01", tz=UTC),
        downloads=downloads,
        downloadsAllTime=downloads * 20,
        likes=1,
        trendingScore=0.5,
        tags=[],
    )
    row.update(fields)
    return row


HUB_STATS_ROWS = [
    # Only the later snapshot knows orgA's parameter count; it does not give its pipeline_tag.
    hub_stats_row(
        "orgA/base-7B",
        2000,
        tags=["license:mit"],
        cardData=json.dumps({"license": "mit"}),
        safetensors={"parameters": [("BF16", 7_000_000_000)], "total": 7_000_000_000},
        library_name="transformers",
    ),
    # The later snapshot gives orgB a pipeline_tag and different parents (baseModels).
    hub_stats_row(
        "orgB/base-7B-GGUF",
        700,
        createdAt=pd.Timestamp("2025-02-01", tz=UTC),
        tags=["gguf"],
        gguf=json.dumps({"total": 7_000_000_000, "architecture": "llama"}),
        baseModels={"relation": "quantized", "models": [{"_id": "65f0", "id": "orgD/other-7B"}]},
        pipeline_tag="text-generation",
        library_name="gguf",
    ),
    # orgE is listed again but with no parent at all: its edges stay those of the listing.
    hub_stats_row("orgE/ft", 60, createdAt=pd.Timestamp("2025-04-01", tz=UTC), tags=["transformers"]),
    # orgF appears only in the later snapshot.
    hub_stats_row("orgF/new", 100, createdAt=pd.Timestamp("2025-09-01", tz=UTC)),
]
HUB_STATS_TOTAL, HUB_STATS_N = 2000 + 700 + 60 + 100, 4


# -- helpers ---------------------------------------------------------------------------------------


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    env.update(extra)
    return env


def run_cli(args: list[str], home: Path, **extra_env: str) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(HUBECON), *args], env=cli_env(home, **extra_env), capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    return result


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file()}


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write_hub_stats(path: Path, rows: list[dict] = HUB_STATS_ROWS) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=HUB_STATS_SCHEMA), path)
    return path


def import_both(store: Path, inputs: dict[str, Path], home: Path) -> None:
    ok(run_cli(["--store", str(store), "import", "listing", str(inputs["listing"]), "--taken-at", LISTING_DAY], home))
    ok(run_cli(["--store", str(store), "import", "hub-stats", str(inputs["hub_stats"])], home))


def by_model(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["model_id"]: row for row in frame.to_dict(orient="records")}


def stamp(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz=UTC)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    listing = folder / "listing.csv"
    listing.write_text(LISTING_CSV)
    extra = folder / "listing-extra.csv"
    extra.write_text("model_id,downloads\norgX/extra,11\norgY/extra,22\n")
    return {
        "listing": listing,
        "hub_stats": write_hub_stats(folder / "models-20251023-abc.parquet"),
        # Different content from the dated file, so that it is a snapshot of its own whatever the dedup rule.
        "undated": write_hub_stats(folder / "models-latest.parquet", HUB_STATS_ROWS[:2]),
        "extra": extra,
    }


@pytest.fixture(scope="module")
def built_store(inputs, tmp_path_factory) -> Path:
    """Listing (2025-10-01) then hub-stats (2025-10-23), imported with the real command; read-only for tests."""
    base = tmp_path_factory.mktemp("built")
    store = base / "store"
    import_both(store, inputs, base / "home")
    return store


@pytest.fixture
def store(built_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(built_store, copy)
    return copy


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def no_hubecon_variables(monkeypatch) -> None:
    """In-process opens must not pick up a store or registry from the environment running the tests."""
    monkeypatch.delenv("HUBECON_STORE", raising=False)
    monkeypatch.delenv("HUBECON_REGISTRY", raising=False)


@pytest.fixture
def clean_env(monkeypatch, tmp_path: Path) -> Path:
    """No HUBECON_* variables, HOME and XDG_DATA_HOME in an empty folder; returns HOME."""
    home = tmp_path / "empty-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    return home


# -- importing ---------------------------------------------------------------------------------------


def test_info_json_lists_both_imported_snapshots_with_model_counts_and_download_totals(built_store, home):
    document = json.loads(ok(run_cli(["--store", str(built_store), "info", "--format", "json"], home)).stdout)
    assert document["command"] == "info"
    assert document["n"]["snapshots"] == 2
    rows = {row["taken_at"]: row for row in document["rows"]}
    assert set(rows) == {f"{LISTING_DAY}T00:00:00Z", f"{HUB_STATS_DAY}T00:00:00Z"}
    listing, hub_stats = rows[f"{LISTING_DAY}T00:00:00Z"], rows[f"{HUB_STATS_DAY}T00:00:00Z"]
    assert (listing["n_models"], listing["total_downloads"], listing["scope"]) == (LISTING_N, LISTING_TOTAL, "sample")
    assert (hub_stats["n_models"], hub_stats["total_downloads"], hub_stats["scope"]) == (HUB_STATS_N, HUB_STATS_TOTAL, "full")
    assert listing["snapshot_id"] != hub_stats["snapshot_id"]


def test_snapshot_files_sit_under_their_taken_date_and_id(built_store, home):
    document = json.loads(ok(run_cli(["--store", str(built_store), "info", "--format", "json"], home)).stdout)
    tables = set(PER_SNAPSHOT_TABLES)
    assert {"observations", "model_records", "lineage_records"} <= tables
    expected = set()
    for row in document["rows"]:
        folder = Path("snapshots") / f"taken={row['taken_at'][:10]}" / row["snapshot_id"]
        expected |= {str(folder / f"{name}.parquet") for name in tables}
    stored = {path for path in tree_hashes(built_store) if path.startswith("snapshots")}
    assert stored == expected
    assert {Path(path).parts[1] for path in stored} == {f"taken={LISTING_DAY}", f"taken={HUB_STATS_DAY}"}


def test_hub_stats_without_date_in_name_or_taken_at_is_refused_and_store_unchanged(store, inputs, home):
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "import", "hub-stats", str(inputs["undated"])], home)
    assert_one_line_error(result, str(inputs["undated"]), "--taken-at")
    assert tree_hashes(store) == before


def test_hub_stats_without_date_in_name_is_dated_by_taken_at(store, inputs, home):
    ok(run_cli(["--store", str(store), "import", "hub-stats", str(inputs["undated"]), "--taken-at", "2025-12-05"], home))
    snapshots = Store.open(store).snapshots()
    assert list(snapshots["taken_at"]) == [stamp(LISTING_DAY), stamp(HUB_STATS_DAY), stamp("2025-12-05")]
    assert (store / "snapshots" / "taken=2025-12-05").is_dir()


def test_importing_the_same_file_twice_is_a_no_op_that_says_so_and_leaves_the_store_unchanged(store, inputs, home):
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "import", "listing", str(inputs["listing"]), "--taken-at", LISTING_DAY, "--format", "json"], home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"][0]["status"].startswith("already stored")
    assert tree_hashes(store) == before


# -- the canonical tables ---------------------------------------------------------------------------


def test_models_view_takes_each_field_from_latest_snapshot_that_knows_it(built_store):
    session = hubecon.open(built_store)
    models = by_model(session.store.con.execute(session.store.table("models")))
    assert set(models) == {"orgA/base-7B", "orgB/base-7B-GGUF", "orgE/ft", "orgC/solo", "orgF/new"}
    base = models["orgA/base-7B"]
    assert base["params_total"] == 7_000_000_000  # only the later snapshot has it
    assert base["pipeline_tag"] == "text-generation"  # only the earlier snapshot has it: kept
    assert base["last_modified"] == stamp("2025-07-01")  # both have it: the later wins
    assert base["license"] == "mit"
    quantized = models["orgB/base-7B-GGUF"]
    assert quantized["pipeline_tag"] == "text-generation"  # empty in the listing, filled in later
    assert quantized["params_total"] == 7_000_000_000  # from the gguf total
    assert models["orgE/ft"]["pipeline_tag"] == "text-generation"


def test_models_view_first_and_last_seen_are_the_snapshots_a_model_is_observed_in(built_store):
    session = hubecon.open(built_store)
    models = by_model(session.store.con.execute(session.store.table("models")))
    seen = {model_id: (row["first_seen"], row["last_seen"]) for model_id, row in models.items()}
    assert seen == {
        "orgA/base-7B": (stamp(LISTING_DAY), stamp(HUB_STATS_DAY)),
        "orgB/base-7B-GGUF": (stamp(LISTING_DAY), stamp(HUB_STATS_DAY)),
        "orgE/ft": (stamp(LISTING_DAY), stamp(HUB_STATS_DAY)),
        "orgC/solo": (stamp(LISTING_DAY), stamp(LISTING_DAY)),
        "orgF/new": (stamp(HUB_STATS_DAY), stamp(HUB_STATS_DAY)),
    }


def lineage_edges(session) -> set[tuple[str, str, str]]:
    frame = session.store.con.execute(session.store.table("lineage"))
    return set(zip(frame["child_id"], frame["parent_id"], frame["relation"]))


def test_lineage_view_takes_a_childs_edges_from_latest_snapshot_that_gives_any(built_store):
    edges = lineage_edges(hubecon.open(built_store))
    assert edges == {
        # the later snapshot's baseModels replace the listing's tag edges
        ("orgB/base-7B-GGUF", "orgD/other-7B", "quantized"),
        # the later snapshot gives orgE no parent: the listing's edge stands
        ("orgE/ft", "orgA/base-7B", "finetune"),
    }


def test_lineage_command_shows_ancestors_from_latest_snapshot_that_gives_any(built_store, home):
    result = ok(run_cli(["--store", str(built_store), "lineage", "orgB/base-7B-GGUF", "--format", "json"], home))
    document = json.loads(result.stdout)
    assert [(edge["parent_id"], edge["relation"]) for edge in document["ancestors"]] == [("orgD/other-7B", "quantized")]
    assert [row["root_id"] for row in document["rows"]] == ["orgD/other-7B"]


def test_models_and_lineage_views_follow_taken_date_not_import_order(inputs, tmp_path, clean_env):
    forward, backward = tmp_path / "forward", tmp_path / "backward"
    for root, order in ((forward, ("listing", "hub_stats")), (backward, ("hub_stats", "listing"))):
        session = hubecon.open(root, create=True)
        for kind in order:
            if kind == "listing":
                session.import_listing(inputs["listing"], taken_at=LISTING_DAY)
            else:
                session.import_hub_stats(inputs["hub_stats"])
    sessions = [hubecon.open(forward), hubecon.open(backward)]
    models = [s.store.con.execute(s.store.table("models")).sort_values("model_id", ignore_index=True) for s in sessions]
    pd.testing.assert_frame_equal(models[0], models[1])
    assert lineage_edges(sessions[0]) == lineage_edges(sessions[1])


# -- one writer, atomic writes --------------------------------------------------------------------------


def test_second_writer_is_refused_while_lock_is_held_and_store_unchanged(store, inputs, home):
    before = tree_hashes(store)
    with writer_lock(store):
        result = run_cli(["--store", str(store), "import", "listing", str(inputs["extra"]), "--taken-at", "2025-11-01"], home)
    assert_one_line_error(result, str(store))
    assert tree_hashes(store) == before
    # Once the lock is released the same import goes through: the refusal was the lock's doing.
    ok(run_cli(["--store", str(store), "import", "listing", str(inputs["extra"]), "--taken-at", "2025-11-01"], home))
    assert len(Store.open(store).snapshots()) == 3


def add_snapshot(root: Path, batch) -> None:
    """Store one batch through the store's own writer, looked up at call time so a monkeypatch applies."""
    store_module.add_snapshots(root, [batch])


def extra_batch(inputs, day: str = "2025-11-01"):
    return read_models_table(inputs["extra"], taken_at=stamp(day), scope="sample", source=f"listing:{inputs['extra'].name}")


def test_write_failing_midway_leaves_catalogue_files_and_snapshots_unchanged(store, inputs, monkeypatch):
    before_files = tree_hashes(store)
    before_snapshots = Store.open(store).snapshots()
    real_write = store_module.write_parquet_atomically
    written = []

    def fail_on_second_file(table, target):
        if written:
            raise OSError("disk full (simulated)")
        real_write(table, target)
        written.append(target)

    monkeypatch.setattr(store_module, "write_parquet_atomically", fail_on_second_file)
    with pytest.raises(OSError, match="simulated"):
        add_snapshot(store, extra_batch(inputs))
    assert written, "the simulated failure must come after a file was written"
    assert tree_hashes(store) == before_files
    pd.testing.assert_frame_equal(read_catalogue(store / "catalogue.duckdb"), before_snapshots)
    reopened = Store.open(store)
    pd.testing.assert_frame_equal(reopened.snapshots(), before_snapshots)
    observed = set(reopened.con.execute(reopened.table("observations"))["model_id"])
    assert not observed & {"orgX/extra", "orgY/extra"}


def write_unlisted_snapshot_folder(folder: Path, inputs, day: str) -> None:
    """What a kill leaves behind: a snapshot's files in a folder the catalogue does not list."""
    batch = read_models_table(inputs["extra"], taken_at=stamp(day), scope="sample", source="listing:ghost.csv")
    batch.snapshot_id = folder.name.strip(".").split(".")[0]
    batch.observations["model_id"] = ["ghost/one", "ghost/two"]
    batch.model_records["model_id"] = ["ghost/one", "ghost/two"]
    folder.mkdir(parents=True)
    for name, table in batch.tables().items():
        pq.write_table(table, folder / f"{name}.parquet")


@pytest.mark.parametrize(
    "leftover",
    [f"snapshots/taken={HUB_STATS_DAY}/.listing-{HUB_STATS_DAY}.0123abcd.tmp", "snapshots/taken=2025-11-02/.listing-2025-11-02.0123abcd.tmp"],
    ids=["beside-a-listed-snapshot", "in-its-own-date-folder"],
)
def test_stray_staging_folder_is_never_read(leftover, store, inputs, home):
    write_unlisted_snapshot_folder(store / leftover, inputs, leftover.split("taken=")[1][:10])
    session = hubecon.open(store)
    assert len(session.store.snapshots()) == 2
    observed = set(session.store.con.execute(session.store.table("observations"))["model_id"])
    assert not any(model_id.startswith("ghost/") for model_id in observed)
    models = set(session.store.con.execute(session.store.table("models"))["model_id"])
    assert not any(model_id.startswith("ghost/") for model_id in models)
    document = json.loads(ok(run_cli(["--store", str(store), "info", "--format", "json"], home)).stdout)
    assert sorted(row["total_downloads"] for row in document["rows"]) == sorted([LISTING_TOTAL, HUB_STATS_TOTAL])


def test_import_after_a_kill_between_folder_rename_and_catalogue_succeeds_and_ignores_the_leftover(store, inputs, home):
    # The kill left snapshots/taken=2025-11-01/listing-2025-11-01 in place, unlisted.
    write_unlisted_snapshot_folder(store / "snapshots" / "taken=2025-11-01" / "listing-2025-11-01", inputs, "2025-11-01")
    result = run_cli(["--store", str(store), "import", "listing", str(inputs["extra"]), "--taken-at", "2025-11-01"], home)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    session = hubecon.open(store)
    assert len(session.store.snapshots()) == 3
    observed = set(session.store.con.execute(session.store.table("observations"))["model_id"])
    assert {"orgX/extra", "orgY/extra"} <= observed
    assert not any(model_id.startswith("ghost/") for model_id in observed)


# -- finding the data ------------------------------------------------------------------------------------


def test_open_uses_store_named_by_HUBECON_STORE(built_store, clean_env, monkeypatch):
    monkeypatch.setenv("HUBECON_STORE", str(built_store))
    session = hubecon.open()
    assert session.store.description.kind == "store"
    assert Path(session.store.description.location) == built_store
    assert list(session.store.snapshots()["taken_at"]) == [stamp(LISTING_DAY), stamp(HUB_STATS_DAY)]


def test_open_with_no_store_anywhere_uses_embedded_data(clean_env):
    session = hubecon.open()
    assert session.store.description.kind == "embedded"
    assert not (clean_env / ".local" / "share" / "hubecon").exists()


def test_open_embedded_true_forces_embedded_data_even_with_HUBECON_STORE_set(built_store, clean_env, monkeypatch):
    monkeypatch.setenv("HUBECON_STORE", str(built_store))
    session = hubecon.open(embedded=True)
    assert session.store.description.kind == "embedded"
    assert "hub-listing-2026-04" in set(session.store.snapshots()["snapshot_id"])


def test_open_uses_store_in_user_data_dir_when_no_HUBECON_STORE(built_store, clean_env):
    target = default_store_path()
    assert str(target).startswith(str(clean_env))
    shutil.copytree(built_store, target)
    session = hubecon.open()
    assert session.store.description.kind == "store"
    assert Path(session.store.description.location) == target
