"""Bad input through the real `hubecon` command (DESIGN.md §5).

Every case runs the installed console script in a subprocess and pins down
the contract for bad input: exit code 2, exactly one line on stderr starting
with "error:", no traceback anywhere, and nothing already stored changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HUBECON = Path(sys.executable).parent / "hubecon"

LISTING_CSV = (
    "model_id,author,downloads,likes,pipeline_tag,library_name,created_at,last_modified,tags\n"
    'orgA/base-7B,orgA,1000,10,text-generation,transformers,2025-01-01T00:00:00Z,2025-06-01T00:00:00Z,"[\'license:mit\', \'text-generation\']"\n'
    'orgB/base-7B-GGUF,orgB,300,1,,gguf,2025-02-01T00:00:00Z,2025-06-01T00:00:00Z,"[\'gguf\', \'base_model:quantized:orgA/base-7B\']"\n'
    "orgC/solo,orgC,5,0,,,2025-03-01T00:00:00Z,2025-06-01T00:00:00Z,\n"
)
SECOND_LISTING_CSV = "model_id,downloads\norgA/base-7B,1200\norgC/solo,7\n"


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


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root (hidden ones included), by relative path."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file()}


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit code 2, a single 'error:' line on stderr naming every fragment, and no traceback."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_store(tmp_path_factory) -> Path:
    """A valid two-snapshot store, built once with `hubecon --store DIR import listing`."""
    base = tmp_path_factory.mktemp("built")
    first, second = base / "listing.csv", base / "listing-2.csv"
    first.write_text(LISTING_CSV)
    second.write_text(SECOND_LISTING_CSV)
    store = base / "store"
    for file, taken_at in ((first, "2025-10-01"), (second, "2025-11-01")):
        result = run_cli(["--store", str(store), "import", "listing", str(file), "--taken-at", taken_at], base / "home")
        assert result.returncode == 0, result.stderr
    return store


@pytest.fixture
def store(built_store: Path, tmp_path: Path) -> Path:
    """A private copy of the built store, free to damage."""
    copy = tmp_path / "store"
    shutil.copytree(built_store, copy)
    return copy


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def parquet_file(store: Path, name: str) -> Path:
    files = sorted(store.glob(f"snapshots/taken=2025-10-01/*/{name}"))
    assert len(files) == 1, files
    return files[0]


# -- option values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, named",
    [
        (["share", "--by", "planet"], "planet"),
        (["share", "--attribution", "nowhere"], "nowhere"),
        (["share", "--cohort", "old"], "old"),
        (["share", "--exclude", "everything"], "everything"),
        (["share", "--top", "0"], "--top"),
        (["share", "--format", "xml"], "xml"),
        (["--engine", "bigquery", "share"], "bigquery"),
    ],
    ids=["by-planet", "attribution-nowhere", "cohort-old", "exclude-everything", "top-0", "format-xml", "engine-bigquery"],
)
def test_invalid_option_value_exits_2_with_one_line_error_naming_it(args, named, home):
    assert_one_line_error(run_cli(args, home), named)


def test_memory_limit_that_is_no_size_exits_2_with_one_line_error_naming_it(home):
    assert_one_line_error(run_cli(["share"], home, HUBECON_MEMORY_LIMIT="lots"), "HUBECON_MEMORY_LIMIT", "lots")


def test_memory_limit_too_small_for_the_work_exits_2_with_one_line_error_naming_it(home):
    assert_one_line_error(run_cli(["share"], home, HUBECON_MEMORY_LIMIT="1MB"), "ran out of memory", "HUBECON_MEMORY_LIMIT=1MB")


def test_memory_limit_is_what_the_engine_holds(monkeypatch):
    from hubecon.store.engine import connect

    monkeypatch.setenv("HUBECON_MEMORY_LIMIT", "300MB")
    assert connect().raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"  # 300 MB in DuckDB's binary units


@pytest.mark.parametrize("container_limit", ["max", str(12 * 2**30)], ids=["no-container-limit", "12-GiB-container"])
def test_memory_limit_by_default_is_an_eighth_of_the_ram_or_of_the_containers_limit(monkeypatch, tmp_path, container_limit):
    from hubecon.store import engine

    limit_file = tmp_path / "memory.max"
    limit_file.write_text(container_limit + "\n")
    monkeypatch.setattr(engine, "CGROUP_MEMORY_LIMITS", (tmp_path / "no-such-file", limit_file))
    monkeypatch.delenv("HUBECON_MEMORY_LIMIT", raising=False)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    available = ram if container_limit == "max" else min(ram, 12 * 2**30)
    assert engine.default_memory_limit() == f"{max(available // 8, 2**30) // 2**20}MiB"
    held = engine.connect().raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = held.split()
    assert float(number) * {"MiB": 2**20, "GiB": 2**30}[unit] == pytest.approx(max(available / 8, 2**30), abs=2**30 / 20)  # DuckDB shows one decimal


def test_lineage_of_unknown_model_exits_2_with_one_line_error(home):
    assert_one_line_error(run_cli(["lineage", "no-such/model"], home), "no-such/model")


@pytest.mark.parametrize(
    "args, named",
    [(["--snapshot", "1999-01-01", "share"], "1999-01-01"), (["share", "--snapshot", "nope"], "nope")],
    ids=["date-before-every-snapshot", "unknown-id"],
)
def test_unknown_snapshot_exits_2_with_one_line_error(args, named, home):
    assert_one_line_error(run_cli(args, home), named)


def test_registry_show_of_unknown_namespace_exits_2_with_one_line_error(home):
    assert_one_line_error(run_cli(["registry", "show", "no-such-namespace"], home), "no-such-namespace")


# -- a damaged store -------------------------------------------------------------------------------


def test_share_on_store_with_garbage_catalogue_exits_2_naming_it_and_changes_nothing(store, home):
    catalogue = store / "catalogue.duckdb"
    catalogue.write_bytes(b"this is not a duckdb database\x00\xff" * 200)
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "share"], home)
    assert_one_line_error(result, str(catalogue))
    assert tree_hashes(store) == before


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_share_on_store_with_damaged_observations_parquet_exits_2_naming_it_and_changes_nothing(damage, store, home):
    observations = parquet_file(store, "observations.parquet")
    content = observations.read_bytes()
    observations.write_bytes(content[: len(content) // 2] if damage == "truncated" else b"\x13\x37 not parquet " * 50)
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "share"], home)
    assert_one_line_error(result, str(observations))
    assert tree_hashes(store) == before


def test_share_on_store_with_deleted_listed_parquet_exits_2_naming_it_and_changes_nothing(store, home):
    records = parquet_file(store, "model_records.parquet")
    records.unlink()
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "share"], home)
    assert_one_line_error(result, str(records))
    assert tree_hashes(store) == before


# -- a bad registry override -----------------------------------------------------------------------

REGISTRY_HEADER = "namespace,developer,country,type,evidence\n"
GOOD_ROW = "goodorg,Good Org,US,industry,https://good.example\n"


def registry_via(how: str, registry: Path, args: list[str]) -> tuple[list[str], dict[str, str]]:
    if how == "option":
        return ["--registry", str(registry), *args], {}
    return args, {"HUBECON_REGISTRY": str(registry)}


@pytest.mark.parametrize("how", ["option", "env"])
@pytest.mark.parametrize("code", ["XX", "USA"])
def test_registry_override_with_bad_country_code_exits_2_naming_file_row_and_field(how, code, tmp_path, home):
    registry = tmp_path / "override.csv"
    # Header is row 1, the good row is row 2: the bad one is row 3.
    registry.write_text(REGISTRY_HEADER + GOOD_ROW + f"badorg,Bad Org,{code},industry,https://bad.example\n")
    args, env = registry_via(how, registry, ["share"])
    line = assert_one_line_error(run_cli(args, home, **env), str(registry), "row 3", "'country'")
    assert code in line


@pytest.mark.parametrize(
    "bad_row, field, named",
    [
        ("badorg,Bad Org,US,corporation,https://bad.example\n", "'type'", "corporation"),
        ("badorg,Bad Org,US,industry,\n", "'evidence'", "evidence"),
        ("somebody,Somebody,US,individual,https://huggingface.co/somebody\n", "'country'", "individual"),
        (GOOD_ROW, "'namespace'", "goodorg"),
    ],
    ids=["unknown-type", "missing-evidence", "individual-with-country", "namespace-twice"],
)
def test_registry_override_with_invalid_row_exits_2_naming_file_row_and_field(bad_row, field, named, tmp_path, home):
    registry = tmp_path / "override.csv"
    registry.write_text(REGISTRY_HEADER + GOOD_ROW + bad_row)
    line = assert_one_line_error(run_cli(["--registry", str(registry), "share"], home), str(registry), "row 3", field)
    assert named in line


def test_registry_override_missing_header_columns_exits_2_naming_them(tmp_path, home):
    registry = tmp_path / "override.csv"
    registry.write_text("namespace,developer,type\nbadorg,Bad Org,industry\n")
    args, env = registry_via("env", registry, ["share"])
    assert_one_line_error(run_cli(args, home, **env), str(registry), "country", "evidence")


# -- a bad import ----------------------------------------------------------------------------------

BAD_LISTINGS = {
    "no-model-id-column": ("name,downloads\norgA/x,1\n", ["model_id"]),
    "non-numeric-downloads-on-row-3": ("model_id,downloads\norgA/x,1\norgA/y,2\norgA/z,lots\n", ["row 3", "'downloads'", "lots"]),
    "duplicated-model-id": ("model_id,downloads\norgA/x,1\norgA/y,2\norgA/x,3\n", ["orgA/x", "'model_id'"]),
}


@pytest.mark.parametrize("existing", [True, False], ids=["into-existing-store", "into-new-folder"])
@pytest.mark.parametrize("case", list(BAD_LISTINGS))
def test_import_of_bad_listing_exits_2_naming_file_and_leaves_store_unchanged(case, existing, request, tmp_path, home):
    content, fragments = BAD_LISTINGS[case]
    listing = tmp_path / f"{case}.csv"
    listing.write_text(content)
    store = request.getfixturevalue("store") if existing else tmp_path / "new-store"
    before = tree_hashes(store) if existing else None
    result = run_cli(["--store", str(store), "import", "listing", str(listing), "--taken-at", "2026-01-01"], home)
    assert_one_line_error(result, str(listing), *fragments)
    if existing:
        assert tree_hashes(store) == before


@pytest.mark.parametrize("taken_at", ["not-a-date", "2026-02-30", ""], ids=["words", "no-such-day", "empty"])
def test_import_with_bad_taken_at_exits_2_and_leaves_store_unchanged(taken_at, store, tmp_path, home):
    listing = tmp_path / "fine.csv"
    listing.write_text("model_id,downloads\norgA/x,1\n")
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "import", "listing", str(listing), "--taken-at", taken_at], home)
    assert_one_line_error(result, "--taken-at")
    assert tree_hashes(store) == before


def test_import_of_nonexistent_file_exits_2_naming_it_and_leaves_store_unchanged(store, tmp_path, home):
    missing = tmp_path / "nowhere.csv"
    before = tree_hashes(store)
    result = run_cli(["--store", str(store), "import", "listing", str(missing), "--taken-at", "2026-01-01"], home)
    assert_one_line_error(result, str(missing))
    assert tree_hashes(store) == before
