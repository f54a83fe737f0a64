"""The importers (listing, hub-stats, series, study) on good and bad input (DESIGN.md §2, §5).

Bad input: a clear one-line error naming the file (and row/field where there is
one), exit code 2, and the store exactly as it was — or, where the input is odd
but harmless (a `</script>` in a model name), a safe import that keeps the text
verbatim and escapes it where it is shown. Re-importing a file already stored is
a no-op that says so.

Most cases run the command's real entry point (`hubecon.cli:main`, what the
installed script calls) in-process, since a process per case would cost a second
each; a few run the installed script in a subprocess to pin the exit code of the
real process.
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
import pytest

import hubecon
from hubecon import cli

HUBECON = Path(sys.executable).parent / "hubecon"
GOOD_LISTING = "model_id,downloads,created_at\nqwen/Good-7B,100,2025-01-01T00:00:00Z\nmeta/Good-8B,50,2025-01-02T00:00:00Z\n"

# -- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def command(capsys, monkeypatch, tmp_path):
    """Run `hubecon ARGS` through its real entry point in-process: (exit code, stdout, stderr)."""
    monkeypatch.delenv("HUBECON_STORE", raising=False)
    monkeypatch.delenv("HUBECON_REGISTRY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["hubecon", *args])
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def subprocess_run(args: list[str], home: Path) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    return subprocess.run([str(HUBECON), *args], env=env, capture_output=True, text=True, timeout=120)


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root (hidden ones included), by relative path."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file()}


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> str:
    assert "Traceback" not in out + err, err
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def built_store(tmp_path_factory) -> Path:
    """A store holding one good listing (2025-01-01); tests change only copies of it."""
    base = tmp_path_factory.mktemp("built")
    listing = base / "good.csv"
    listing.write_text(GOOD_LISTING)
    store = base / "store"
    hubecon.open(store, create=True).import_listing(listing, taken_at="2025-01-01")
    return store


@pytest.fixture
def store(built_store, tmp_path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(built_store, copy)
    return copy


# -- bad input files ---------------------------------------------------------------------------------
# Each maker writes its input under `folder` and returns (the argument to import, what the error must name).


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


def parquet(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
T = pd.Timestamp("2025-03-01", tz="UTC")

LISTING_CASES = {
    "empty file": lambda f: write(f, "empty.csv", ""),
    "header only": lambda f: write(f, "header.csv", "model_id,downloads\n"),
    "not a CSV (PNG bytes)": lambda f: write(f, "image.csv", PNG),
    "not a Parquet": lambda f: write(f, "fake.parquet", "model_id,downloads\na/b,1\n"),
    "no model id column": lambda f: write(f, "cols.csv", "name,count\na/b,1\n"),
    "no downloads column": lambda f: write(f, "nodl.csv", "model_id,likes\na/b,1\n"),
    "downloads not a number": lambda f: write(f, "text.csv", "model_id,downloads\na/b,lots\n"),
    "negative downloads": lambda f: write(f, "neg.csv", "model_id,downloads\na/b,-5\n"),
    "created_at not a date": lambda f: write(f, "date.csv", "model_id,downloads,created_at\na/b,5,yesterday-ish\n"),
    "one bad row among good ones": lambda f: write(f, "mixed.csv", "model_id,downloads\na/b,5\nc/d,1.5\ne/f,7\n"),
    "Parquet downloads as text": lambda f: parquet(f, "types.parquet", pd.DataFrame({"model_id": ["a/b"], "downloads": ["many"]})),
}
LISTING_NAMED = {"one bad row among good ones": ("row 2", "downloads")}

HUB_STATS_CASES = {
    "wrong columns": lambda f: parquet(f, "models-20250301-a.parquet", pd.DataFrame({"foo": ["a/b"], "bar": [1]})),
    "downloads as text": lambda f: parquet(f, "models-20250301-b.parquet", pd.DataFrame({"id": ["a/b"], "downloads": ["x"], "downloadsAllTime": [3]})),
    "fractional downloadsAllTime": lambda f: parquet(f, "models-20250301-c.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [1], "downloadsAllTime": [2.5]})),
    "createdAt not a date": lambda f: parquet(f, "models-20250301-d.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [1], "createdAt": ["soon"]})),
    "empty file": lambda f: write(f, "models-20250301-e.parquet", b""),
    "CSV text in a .parquet": lambda f: write(f, "models-20250301-f.parquet", "id,downloads\na/b,1\n"),
    "no date in the name": lambda f: parquet(f, "models-latest.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [1]})),
}
HUB_STATS_NAMED = {"no date in the name": ("--taken-at",)}

SERIES_CASES = {
    "empty folder": lambda f: (f / "series-empty").mkdir(parents=True) or f / "series-empty",
    "file without a date": lambda f: write(f, "series-nodate/counts.csv", "model_url,downloads\na/b,1\n").parent,
    "two dates in one file": lambda f: write(f, "series-twodates/2025-01-01_hf.csv", "model_url,downloads,date\na/b,1,2025-01-01\nc/d,1,2025-01-02\n").parent,
    "bad date column": lambda f: write(f, "series-baddate/x_hf.csv", "model_url,downloads,date\na/b,1,not-a-day\n").parent,
    "wrong columns": lambda f: write(f, "series-cols/2025-01-01_hf.csv", "url,dl\na/b,1\n").parent,
    "not a CSV (PNG bytes)": lambda f: write(f, "series-png/2025-01-01_hf.csv", PNG).parent,
    "downloadsAllTime not a number": lambda f: write(f, "series-types/2025-01-01_hf.csv", "model_url,downloads,downloadsAllTime\na/b,1,n/a\n").parent,
    "a file, not a folder": lambda f: write(f, "series-file.csv", "model_url,downloads\na/b,1\n"),
}


def study_frame(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({"_id": ["x1"], "model": ["a/b"], "author": ["a"], "time": [T], "created": [T], "downloadsAllTime": [10]})
    for column, value in changes.items():
        if value is None:
            frame = frame.drop(columns=column)
        else:
            frame[column] = value
    return frame


STUDY_CASES = {
    "a CSV": lambda f: write(f, "study.csv", "model,time,downloadsAllTime\na/b,2025-03-01,10\n"),
    "empty file": lambda f: write(f, "empty_study.parquet", b""),
    "not a Parquet": lambda f: write(f, "fake_study.parquet", "model,time\n"),
    "no time column": lambda f: parquet(f, "notime.parquet", study_frame(time=None)),
    "no model column": lambda f: parquet(f, "nomodel.parquet", study_frame(model=None)),
    "time not a date": lambda f: parquet(f, "badtime.parquet", study_frame(time=["whenever"])),
    "downloadsAllTime as text": lambda f: parquet(f, "badcount.parquet", study_frame(downloadsAllTime=["ten"])),
}

CASES = (
    [("listing", name, make, LISTING_NAMED.get(name, ())) for name, make in LISTING_CASES.items()]
    + [("hub-stats", name, make, HUB_STATS_NAMED.get(name, ())) for name, make in HUB_STATS_CASES.items()]
    + [("series", name, make, ()) for name, make in SERIES_CASES.items()]
    + [("study", name, make, ()) for name, make in STUDY_CASES.items()]
)


def import_args(importer: str, target: Path) -> list[str]:
    args = ["import", importer, str(target)]
    return args + ["--taken-at", "2025-03-01"] if importer == "listing" else args


@pytest.mark.parametrize("importer, case, make, named", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_bad_input_exits_2_with_one_line_error_naming_the_file_and_leaves_the_store_unchanged(importer, case, make, named, store, tmp_path, command):
    target = make(tmp_path / "input")
    before = tree_hashes(store)
    code, out, err = command("--store", str(store), *import_args(importer, target))
    assert_one_line_error(code, out, err, target.name, *named)
    assert tree_hashes(store) == before


@pytest.mark.parametrize("importer, case", [("listing", "not a CSV (PNG bytes)"), ("hub-stats", "wrong columns"), ("series", "two dates in one file"), ("study", "time not a date")])
def test_bad_input_to_the_installed_command_exits_2_and_creates_no_store(importer, case, tmp_path):
    make = {"listing": LISTING_CASES, "hub-stats": HUB_STATS_CASES, "series": SERIES_CASES, "study": STUDY_CASES}[importer][case]
    target = make(tmp_path / "input")
    store = tmp_path / "new-store"
    result = subprocess_run(["--store", str(store), *import_args(importer, target)], tmp_path / "home")
    assert_one_line_error(result.returncode, result.stdout, result.stderr, target.name)
    assert not (store / "catalogue.duckdb").exists()


def test_hub_stats_with_one_bad_file_among_several_stores_none_of_them(store, tmp_path, command):
    good = parquet(tmp_path, "models-20250201-good.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [1], "downloadsAllTime": [5]}))
    bad = HUB_STATS_CASES["downloads as text"](tmp_path)
    before = tree_hashes(store)
    code, out, err = command("--store", str(store), "import", "hub-stats", str(good), str(bad))
    assert_one_line_error(code, out, err, bad.name)
    assert tree_hashes(store) == before


def test_series_with_one_bad_file_stores_none_of_its_files(store, tmp_path, command):
    folder = tmp_path / "series"
    write(folder, "2025-01-01_hf.csv", "model_url,downloads\na/b,1\n")
    write(folder, "2025-02-01_hf.csv", "model_url,downloads\na/b,-3\n")
    write(folder, "2025-03-01_hf.csv", "model_url,downloads\na/b,4\n")
    before = tree_hashes(store)
    code, out, err = command("--store", str(store), "import", "series", str(folder))
    assert_one_line_error(code, out, err, "2025-02-01_hf.csv", "row 1", "downloads")
    assert tree_hashes(store) == before


def test_skip_bad_rows_stores_the_good_rows_and_lists_the_rejected(store, tmp_path, command):
    path = write(tmp_path, "mixed.csv", "model_id,downloads\na/b,5\nc/d,1.5\ne/f,7\n,3\n")
    code, out, err = command("--store", str(store), "import", "listing", str(path), "--taken-at", "2025-03-01", "--skip-bad-rows", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    # Rows: a/b ok, c/d fractional downloads (row 2), e/f ok, an empty id (row 4).
    assert document["rows"][0]["rows_stored"] == 2 and document["rows"][0]["rows_rejected"] == 2
    assert [(row["row"], row["field"]) for row in document["first_rejected"]] == [(2, "downloads"), (4, "model_id")]
    session = hubecon.open(store)
    stored = session.store.con.execute(session.store.table("observations"))
    assert set(stored[stored["snapshot_id"] == document["rows"][0]["snapshot_id"]]["model_id"]) == {"a/b", "e/f"}


# -- odd but harmless input ------------------------------------------------------------------------

EVIL = "evil/</script><script>alert(1)</script>"
MARKUP = "evil/[red]x[/red]"


def test_listing_with_script_tag_in_a_name_is_imported_verbatim_and_escaped_where_shown(store, tmp_path, command):
    path = write(tmp_path, "evil.csv", f'model_id,downloads\n"{EVIL}",7\n"{MARKUP}",5\nok/m,3\n')
    code, out, err = command("--store", str(store), "import", "listing", str(path), "--taken-at", "2025-03-01", "--format", "json")
    assert code == 0, err
    snapshot = json.loads(out)["rows"][0]["snapshot_id"]
    session = hubecon.open(store)
    stored = session.store.con.execute(session.store.table("observations"))
    assert set(stored[stored["snapshot_id"] == snapshot]["model_id"]) == {EVIL, MARKUP, "ok/m"}
    # JSON carries the text as data; the table shows it literally (Rich markup not interpreted);
    # Markdown escapes the angle brackets.
    code, out, err = command("--store", str(store), "share", "--by", "model", "--snapshot", snapshot, "--format", "json")
    assert code == 0, err
    assert {row["key"] for row in json.loads(out)["rows"]} == {EVIL, MARKUP, "ok/m"}
    code, out, err = command("--store", str(store), "share", "--by", "model", "--snapshot", snapshot)
    assert code == 0 and EVIL in out and MARKUP in out, err
    code, out, err = command("--store", str(store), "share", "--by", "model", "--snapshot", snapshot, "--format", "md")
    assert code == 0, err
    assert "</script>" not in out and "&lt;/script&gt;" in out


# -- re-import is a no-op --------------------------------------------------------------------------


def series_folder(folder: Path) -> Path:
    write(folder, "2025-01-01_hf.csv", "model_url,downloads,downloadsAllTime\nhttps://huggingface.co/KB/m1,10,100\nKBLab/m2,5,50\n")
    write(folder, "2025-02-01_hf.csv", "model_url,downloads,downloadsAllTime\nhttps://huggingface.co/KB/m1,20,130\nhttps://huggingface.co/KBLab/m2,8,60\n")
    return folder


def study_file(folder: Path) -> Path:
    frame = pd.concat([study_frame(), study_frame(time=[T + pd.Timedelta(days=7)], downloadsAllTime=[25])], ignore_index=True)
    return parquet(folder, "all_downloads_with_annotations.parquet", frame)


def hub_stats_files(folder: Path) -> list[Path]:
    return [
        parquet(folder, "models-20250101-a.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [1], "downloadsAllTime": [5]})),
        parquet(folder, "models-20250201-b.parquet", pd.DataFrame({"id": ["a/b"], "downloads": [2], "downloadsAllTime": [9]})),
    ]


@pytest.mark.parametrize(
    "importer, make",
    [
        ("series", lambda f: [series_folder(f / "series")]),
        ("study", lambda f: [study_file(f)]),
        ("hub-stats", hub_stats_files),
        ("listing", lambda f: [write(f, "again.csv", "model_id,downloads\nx/y,4\n"), "--taken-at", "2025-03-01"]),
    ],
)
def test_importing_the_same_input_again_is_a_no_op_that_says_already_stored(importer, make, store, tmp_path, command):
    args = [str(item) for item in make(tmp_path / "input")]
    code, out, err = command("--store", str(store), "import", importer, *args, "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    assert first["n"]["new_snapshots"] == len(first["rows"]) >= 1
    assert all(row["status"] == "stored" for row in first["rows"])
    before = tree_hashes(store)
    code, out, err = command("--store", str(store), "import", importer, *args, "--format", "json")
    assert code == 0, err
    again = json.loads(out)
    assert [row["status"] for row in again["rows"]] == ["already stored (nothing changed)"] * len(first["rows"])
    assert [row["snapshot_id"] for row in again["rows"]] == [row["snapshot_id"] for row in first["rows"]]
    assert again["n"]["new_snapshots"] == 0 and again["n"]["rows_stored"] == 0
    assert tree_hashes(store) == before


def test_reimport_through_the_installed_command_says_already_stored(tmp_path):
    folder = series_folder(tmp_path / "series")
    store = tmp_path / "store"
    first = subprocess_run(["--store", str(store), "import", "series", str(folder)], tmp_path / "home")
    assert first.returncode == 0, first.stderr
    before = tree_hashes(store)
    again = subprocess_run(["--store", str(store), "import", "series", str(folder)], tmp_path / "home")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already stored") == 2
    assert tree_hashes(store) == before


@pytest.mark.parametrize("importer", ["series", "hub-stats"])
def test_files_with_the_same_bytes_but_different_dates_are_different_snapshots(importer, tmp_path, command):
    """A counter that stopped moving gives byte-identical files on different dates: each is still its own snapshot.

    Re-import is a no-op for *the same snapshot*; a file dated 2025-03-01 is not the snapshot of 2025-02-01.
    """
    if importer == "series":
        folder = tmp_path / "series"
        write(folder, "2025-01-01_hf.csv", "model_url,downloads,downloadsAllTime\na/b,10,400\n")
        write(folder, "2025-02-01_hf.csv", "model_url,downloads,downloadsAllTime\na/b,0,500\n")
        write(folder, "2025-03-01_hf.csv", "model_url,downloads,downloadsAllTime\na/b,0,500\n")
        args = [str(folder)]
    else:
        frames = [pd.DataFrame({"id": ["a/b"], "downloads": [d], "downloadsAllTime": [a]}) for d, a in ((10, 400), (0, 500), (0, 500))]
        args = [str(parquet(tmp_path, f"models-2025{month:02d}01-x.parquet", frame)) for month, frame in zip((1, 2, 3), frames)]
    store = tmp_path / "store"
    code, out, err = command("--store", str(store), "import", importer, *args, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [row["status"] for row in rows] == ["stored"] * 3
    assert len({row["snapshot_id"] for row in rows}) == 3
    assert [str(stamp.date()) for stamp in hubecon.open(store).store.snapshots()["taken_at"]] == ["2025-01-01", "2025-02-01", "2025-03-01"]


# -- series with full Hub URLs as ids ----------------------------------------------------------------


def test_series_with_full_hub_urls_stores_plain_model_ids_and_namespaces(tmp_path, command):
    folder = series_folder(tmp_path / "series")
    store = tmp_path / "store"
    code, out, err = command("--store", str(store), "import", "series", str(folder), "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [(row["snapshot_id"], row["taken_at"]) for row in rows] == [("series-2025-01-01", "2025-01-01T00:00:00Z"), ("series-2025-02-01", "2025-02-01T00:00:00Z")]
    session = hubecon.open(store)
    models = session.store.con.execute(session.store.table("models"))
    # The URL in one file and the bare id in the other are the same model.
    assert dict(zip(models["model_id"], models["namespace"])) == {"KB/m1": "KB", "KBLab/m2": "KBLab"}
    catalogue = session.store.snapshots()
    assert set(catalogue["scope"]) == {"series"}
    # KB/m1: 130 − 100 = 30 in 2025-02; KBLab/m2: 60 − 50 = 10. Both namespaces are the National Library of Sweden (SE).
    code, out, err = command("--store", str(store), "history", "KB/m1", "--format", "json")
    assert code == 0, err
    assert [(row["period"], row["downloads"]) for row in json.loads(out)["rows"]] == [("2025-02", 30)]
    code, out, err = command("--store", str(store), "share", "--by", "country", "--period", "month", "--format", "json")
    assert code == 0, err
    assert [(row["period"], row["key"], row["downloads"], row["share"]) for row in json.loads(out)["rows"]] == [("2025-02", "SE", 40, 1.0)]


def test_info_json_gives_no_30_day_total_for_a_series_file_without_30_day_counts(tmp_path, command):
    """Its total is null, not an error: with a null beside it, the other total once came back as a Decimal JSON could not write."""
    folder = tmp_path / "series"
    write(folder, "2025-01-01.csv", "id,downloadsAllTime,createdAt\na/b,1000,2024-07-01T00:00:00Z\nc/d,500,2024-09-01T00:00:00Z\n")
    write(folder, "2025-02-01.csv", "id,downloads,downloadsAllTime,createdAt\na/b,10,1100,2024-07-01T00:00:00Z\nc/d,7,600,2024-09-01T00:00:00Z\n")
    store = tmp_path / "store"
    code, out, err = command("--store", str(store), "import", "series", str(folder), "--format", "json")
    assert code == 0, err
    code, out, err = command("--store", str(store), "info", "--format", "json")
    assert code == 0, err
    assert {row["taken_at"][:10]: row["total_downloads"] for row in json.loads(out)["rows"]} == {"2025-01-01": None, "2025-02-01": 17}


def test_hub_stats_files_are_dated_by_their_names_and_scoped_full(tmp_path, command):
    paths = hub_stats_files(tmp_path)
    store = tmp_path / "store"
    code, out, err = command("--store", str(store), "import", "hub-stats", *map(str, paths), "--format", "json")
    assert code == 0, err
    catalogue = hubecon.open(store).store.snapshots()
    assert [str(stamp.date()) for stamp in catalogue["taken_at"]] == ["2025-01-01", "2025-02-01"]
    assert set(catalogue["scope"]) == {"full"}
