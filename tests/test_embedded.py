"""The embedded real snapshots: coverage, invariants, and `hubecon report` end to end through the real CLI."""

import json
from pathlib import Path

import pandas as pd
import pytest

import hubecon
from conftest import run_cli
from hubecon.metrics.shares import ATTRIBUTIONS, COHORTS, GROUPINGS

LISTING, SAMPLE, THEN = "hub-listing-2026-04", "hub-stats-2026-05", "hub-listing-2024-09"


def test_embedded_data_holds_both_real_snapshots_with_their_manifests(embedded):
    snapshots = embedded.store.snapshots().set_index("snapshot_id")
    assert snapshots.loc[LISTING, "n_models"] == 5000
    assert snapshots.loc[SAMPLE, "n_models"] == 4167
    assert snapshots.loc[THEN, "n_models"] == 9715
    assert (snapshots["scope"] == "sample").all()
    assert str(snapshots.loc[LISTING, "taken_at"]) == "2026-04-27 22:08:30+00:00"
    assert str(snapshots.loc[THEN, "taken_at"]) == "2024-09-20 19:55:23+00:00"
    for name in (LISTING, SAMPLE, THEN):
        manifest = embedded.store.manifests[name]
        assert manifest["licence"] and manifest["sha256"] and manifest["rows"] == snapshots.loc[name, "n_models"]


def test_listing_totals_are_the_published_2_44_and_1_37_billion(embedded):
    assert embedded.share(snapshot=LISTING)["downloads"].sum() == 2_437_788_388
    assert round(embedded.share(snapshot=THEN)["downloads"].sum() / 1e9, 2) == 1.37


def test_2024_models_take_creation_dates_from_later_snapshots(embedded):
    facts = embedded.enriched.facts.set_index("model_id")
    # In both listings; the 2024 file has no creation dates, the 2026 one does.
    assert str(facts.loc["Qwen/Qwen2-7B-Instruct", "created_at"]).startswith("2024-06")


@pytest.mark.parametrize("snapshot,floor", [(LISTING, 0.90), (SAMPLE, 0.95)])
def test_registry_attributes_enough_downloads_under_both_attributions(embedded, snapshot, floor):
    for attribution in ATTRIBUTIONS:
        table = embedded.share(snapshot=snapshot, attribution=attribution)
        unattributed = table.loc[table["key"] == "_unattributed", "share"].sum()
        assert 1 - unattributed >= floor, (snapshot, attribution, 1 - unattributed)


def test_every_registry_row_carries_evidence(embedded):
    entries = embedded.registry.entries
    assert (entries["evidence"].str.len() > 0).all()
    contested = entries[entries["alt_type"] != ""]
    assert (contested["alt_evidence"].str.len() > 0).all()


@pytest.mark.parametrize("snapshot", [LISTING, SAMPLE, THEN])
def test_every_grouping_sums_to_one(embedded, snapshot):
    for by in GROUPINGS:
        for attribution in ATTRIBUTIONS:
            for cohort in COHORTS:
                table = embedded.share(snapshot=snapshot, by=by, attribution=attribution, cohort=cohort, top=10)
                assert table["share"].sum() == pytest.approx(1.0, abs=1e-9), (by, attribution, cohort)
                assert (table["share"] >= 0).all()


def test_origin_attribution_moves_credit_from_repackagers_to_labs(embedded):
    uploader = embedded.share(by="developer", attribution="uploader").set_index("key")["downloads"]
    origin = embedded.share(by="developer", attribution="origin").set_index("key")["downloads"]
    assert uploader.sum() == pytest.approx(origin.sum())
    assert origin["Alibaba Cloud"] > uploader["Alibaba Cloud"]


def rows_of(document: dict) -> pd.DataFrame:
    return pd.DataFrame(document["rows"])[["key", "label", "downloads", "share"]]


def test_report_end_to_end_matches_share_json_and_the_python_api(tmp_path, embedded):
    out = tmp_path / "report"
    completed = run_cli("report", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    first_line = completed.stdout.splitlines()[0]
    for expected in ("Data:", "scope sample", "as of 2026-04-27T22:08:30Z", "30-day", "not comparable"):
        assert expected in first_line
    manifest = json.loads((out / "manifest.json").read_text())
    assert {item["snapshot_id"] for item in manifest["inputs"]} == {LISTING, SAMPLE, THEN}
    assert manifest["registry"]["sha256"] == embedded.registry.sha256
    names = [path.stem for path in (out / "tables").glob("*.json")]
    assert sum(name.startswith("share_") for name in names) == 16
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    for name in names:
        document = json.loads((out / "tables" / f"{name}.json").read_text())
        csv_rows = pd.read_csv(out / "tables" / f"{name}.csv", keep_default_na=False)
        assert len(csv_rows) == len(document["rows"])
        if not name.startswith("share_"):
            continue
        params = document["params"]
        api = embedded.share(by=params["by"], attribution=params["attribution"], cohort=params["cohort"], top=params["top"])
        pd.testing.assert_frame_equal(rows_of(document), api[["key", "label", "downloads", "share"]].astype({"downloads": float}), check_dtype=False)
        pd.testing.assert_series_equal(csv_rows["share"], api["share"], check_names=False)
    for name in ("share_country_uploader_all", "share_developer_origin_new"):
        params = json.loads((out / "tables" / f"{name}.json").read_text())["params"]
        args = ["share", "--by", params["by"], "--attribution", params["attribution"], "--cohort", params["cohort"], "--format", "json"]
        if params["top"]:
            args += ["--top", str(params["top"])]
        cli = run_cli(*args)
        assert cli.returncode == 0, cli.stderr
        pd.testing.assert_frame_equal(rows_of(json.loads(cli.stdout)), rows_of(json.loads((out / "tables" / f"{name}.json").read_text())))


def test_snapshot_option_selects_the_may_sample(tmp_path):
    completed = run_cli("--snapshot", SAMPLE, "share", "--format", "json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["data"]["snapshot_id"] == SAMPLE
    assert document["data"]["as_of"] == "2026-05-20T18:24:08Z"
    assert sum(row["share"] for row in document["rows"]) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("fmt", ["table", "csv", "md"])
def test_share_prints_the_same_rows_in_every_format(fmt):
    completed = run_cli("share", "--by", "type", "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    reference = json.loads(run_cli("share", "--by", "type", "--format", "json").stdout)["rows"]
    for row in reference:
        assert row["key"] in completed.stdout
    if fmt == "csv":
        from io import StringIO

        parsed = pd.read_csv(StringIO(completed.stdout), keep_default_na=False)
        assert parsed["share"].tolist() == pytest.approx([row["share"] for row in reference])


def test_lineage_of_a_real_quantization_credits_its_lab(embedded):
    derived = embedded.enriched.facts
    quantized = derived[(derived["derivative_kind"] == "quantized") & derived["namespace"].eq("unsloth")]["model_id"].iloc[0]
    result = embedded.lineage(quantized)
    assert result["fraction"].sum() == pytest.approx(1.0)
    assert len(result.attrs["envelope"]["ancestors"]) >= 1


def test_info_lists_snapshots_with_totals_and_coverage():
    completed = run_cli("info", "--format", "json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    totals = {row["snapshot_id"]: row["total_downloads"] for row in document["rows"]}
    assert totals[LISTING] == 2_437_788_388
    assert len(document["registry"]["coverage"]) == 6


def test_the_enrichment_cache_gives_the_computed_facts_and_survives_a_damaged_entry(tmp_path, monkeypatch, embedded):
    from hubecon import cache
    from hubecon.enrich.facts import enrich

    monkeypatch.setenv("HUBECON_CACHE", str(tmp_path))
    computed = enrich(embedded.store)
    ids = list(embedded.store.snapshots()["sha256"])
    first = cache.cached_enrichment(ids, lambda: computed)
    assert first is computed and cache.cache_folder("enrichment", ids).is_dir()
    loaded = cache.cached_enrichment(ids, lambda: pytest.fail("a valid entry must be read, not recomputed"))
    for column in computed.facts.columns:
        assert (loaded.facts[column].isna() == computed.facts[column].isna()).all(), column
        known = computed.facts[column].notna()
        assert (loaded.facts[column][known].astype(str) == computed.facts[column][known].astype(str)).all(), column
    assert loaded.graph.parents == computed.graph.parents
    (cache.cache_folder("enrichment", ids) / "facts.parquet").write_bytes(b"not parquet")
    assert cache.cached_enrichment(ids, lambda: computed) is computed
    # Other data (one more snapshot) is another entry, never the cached one.
    assert cache.cached_enrichment(ids + ["another"], lambda: computed) is computed


def test_a_stores_enrichment_is_cached_and_a_new_snapshot_makes_a_new_entry(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("HUBECON_CACHE", str(cache_dir))
    store = tmp_path / "store"

    def listing(name: str, models: list[str]) -> Path:
        path = tmp_path / name
        pd.DataFrame({"id": models, "downloads": [10] * len(models), "createdAt": ["2025-01-01T00:00:00Z"] * len(models)}).to_csv(path, index=False)
        return path

    hubecon.open(store, create=True).import_listing(listing("first.csv", ["zz-a/one", "zz-b/two"]), taken_at="2025-02-01")
    first = hubecon.open(store).enriched
    assert sorted(first.facts["model_id"]) == ["zz-a/one", "zz-b/two"]
    assert len(list(cache_dir.glob("enrichment-*"))) == 1
    assert sorted(hubecon.open(store).enriched.facts["model_id"]) == ["zz-a/one", "zz-b/two"]  # read back, same entry
    assert len(list(cache_dir.glob("enrichment-*"))) == 1
    hubecon.open(store).import_listing(listing("second.csv", ["zz-a/one", "zz-b/two", "zz-c/three"]), taken_at="2025-03-01")
    assert sorted(hubecon.open(store).enriched.facts["model_id"]) == ["zz-a/one", "zz-b/two", "zz-c/three"]
    assert len(list(cache_dir.glob("enrichment-*"))) == 2
