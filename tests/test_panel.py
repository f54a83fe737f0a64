"""`hubecon export panel`: one row per entity per period whose totals equal `share --period`."""

import json

import pandas as pd
import pytest

from conftest import run_cli

# Three monthly hub-stats-shaped snapshots with cumulative counts.
SNAPSHOTS = {
    "20260101": [("Qwen/Qwen2.5-7B", 1000), ("meta-llama/Llama-3.1-8B", 2000), ("bartowski/Qwen2.5-7B-GGUF", 100)],
    "20260201": [("Qwen/Qwen2.5-7B", 1600), ("meta-llama/Llama-3.1-8B", 2500), ("bartowski/Qwen2.5-7B-GGUF", 400)],
    "20260301": [("Qwen/Qwen2.5-7B", 2600), ("meta-llama/Llama-3.1-8B", 2700), ("bartowski/Qwen2.5-7B-GGUF", 900)],
}


@pytest.fixture(scope="module")
def history_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    for day, rows in SNAPSHOTS.items():
        frame = pd.DataFrame(
            {
                "id": [model for model, _ in rows],
                "downloads": [0 for _ in rows],
                "downloadsAllTime": [count for _, count in rows],
                "createdAt": pd.Timestamp("2025-06-01", tz="UTC"),
                "tags": [["gguf", "base_model:quantized:Qwen/Qwen2.5-7B"] if "GGUF" in model else ["transformers"] for model, _ in rows],
            }
        )
        frame.to_parquet(folder / f"models-{day}-abc.parquet")
    store = folder / "store"
    files = sorted(str(path) for path in folder.glob("models-*.parquet"))
    completed = run_cli("--store", str(store), "import", "hub-stats", *files)
    assert completed.returncode == 0, completed.stderr
    return store


@pytest.mark.parametrize("level,by", [("model", "model"), ("developer", "developer"), ("country", "country")])
def test_panel_totals_equal_share_over_periods(tmp_path, history_store, level, by):
    out = tmp_path / f"panel-{level}.csv"
    completed = run_cli("--store", str(history_store), "export", "panel", "--level", level, "--period", "month", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    panel = pd.read_csv(out)
    share = json.loads(run_cli("--store", str(history_store), "share", "--by", by, "--period", "month", "--format", "json").stdout)
    expected = pd.DataFrame(share["rows"]).set_index(["period", "key"])["downloads"]
    key = {"model": "model_id", "developer": "developer", "country": "country"}[level]
    if level == "country":
        panel[key] = panel[key].fillna("_unattributed")
    got = panel.assign(key=panel[key]).set_index(["period", "key"])["downloads"]
    if level == "developer":
        # Unattributed namespaces are their own developers in a panel and one `_unattributed` row in a share table.
        got = got.rename(lambda name: "_unattributed" if str(name).startswith("namespace:") else name, level="key").groupby(level=[0, 1]).sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False)
    # By hand: February = (1600-1000) + (2500-2000) + (400-100) = 1,400; March = 1000 + 200 + 500 = 1,700.
    assert panel.groupby("period")["downloads"].sum().to_dict() == {"2026-02": 1400.0, "2026-03": 1700.0}
    assert panel.groupby("period")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_panel_rejects_an_output_it_cannot_write(tmp_path, history_store):
    completed = run_cli("--store", str(history_store), "export", "panel", "--out", str(tmp_path / "panel.xlsx"))
    assert completed.returncode == 2 and completed.stderr.startswith("error:")


def test_a_credited_root_outside_the_data_has_missing_facts_in_a_model_panel(embedded):
    """Under origin attribution a model panel's entity is the credited root; a root the data lacks has no facts at all."""
    panel = embedded.export_panel(level="model", attribution="origin")
    outside = ~panel["model_id"].isin(embedded.enriched.facts["model_id"])
    assert outside.sum() > 0
    assert panel.loc[outside, "created_known"].isna().all()
    assert panel.loc[~outside, "created_known"].isin([True, False]).all()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_panel_written_to_a_file_is_the_panel_row_for_row(tmp_path, history_store, suffix):
    import hubecon

    session = hubecon.open(history_store)
    panel = session.export_panel(level="model", period="month")
    out = tmp_path / f"panel{suffix}"
    written = session.export_panel(level="model", period="month", out=out)
    read = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert list(read.columns) == list(panel.columns)
    assert read["model_id"].tolist() == panel["model_id"].tolist()
    assert read["period"].tolist() == panel["period"].tolist()
    for column in ("downloads", "share", "new_cohort_downloads", "models", "params_total"):
        assert read[column].tolist() == pytest.approx(panel[column].tolist(), nan_ok=True)
    assert written.attrs["envelope"]["n"]["rows"] == len(panel) == 6
    assert not list(tmp_path.glob(".*.tmp"))


def test_writing_a_panel_shows_each_periods_rows_and_downloads_written(tmp_path, history_store):
    out = tmp_path / "panel.parquet"
    completed = run_cli("--store", str(history_store), "export", "panel", "--period", "month", "--out", str(out), "--format", "json")
    assert completed.returncode == 0, completed.stderr
    # Three models in each of February and March; the totals by hand as above.
    assert json.loads(completed.stdout)["rows"] == [{"period": "2026-02", "rows": 3, "downloads": 1400.0}, {"period": "2026-03", "rows": 3, "downloads": 1700.0}]
    told = run_cli("--store", str(history_store), "export", "panel", "--period", "month", "--out", str(out))
    assert told.returncode == 0 and "Wrote 6 rows to" in told.stderr


def test_panel_into_a_missing_folder_exits_2_naming_it(tmp_path, history_store):
    out = tmp_path / "no-such-folder" / "panel.parquet"
    completed = run_cli("--store", str(history_store), "export", "panel", "--out", str(out))
    assert completed.returncode == 2 and completed.stderr.startswith("error:") and "no-such-folder" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1 and not out.parent.exists()


def test_a_model_panel_under_origin_counts_each_roots_credited_models(history_store):
    import hubecon

    panel = hubecon.open(history_store).export_panel(level="model", period="month", attribution="origin")
    # The GGUF quantization credits its root, Qwen: two models per month under Qwen, one under Llama.
    counted = {(row.period, row.model_id): row.models for row in panel.itertuples()}
    assert counted == {
        (month, model): models
        for month in ("2026-02", "2026-03")
        for model, models in (("Qwen/Qwen2.5-7B", 2), ("meta-llama/Llama-3.1-8B", 1))
    }


@pytest.mark.parametrize("target", ["a-folder.parquet", "/proc/hubecon-panel.csv"], ids=["a-folder", "a-place-no-file-can-be-made"])
def test_panel_that_cannot_be_written_exits_2_and_leaves_nothing_behind(tmp_path, history_store, target):
    (tmp_path / "a-folder.parquet").mkdir()
    out = tmp_path / target  # an absolute target stays itself
    completed = run_cli("--store", str(history_store), "export", "panel", "--out", str(out))
    assert completed.returncode == 2 and completed.stderr.startswith("error:") and str(out) in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob(".*.tmp")) and not out.is_file()
