"""`hubecon synth`: a seeded synthetic Hub history in the store's layout, deterministic, with the stated shapes, marked SYNTHETIC."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import hubecon
from conftest import run_cli
from hubecon.enrich.registry import load_registry
from hubecon.sources.synth import PLACEHOLDER, REGISTRY_FILE, SynthSpec, batches, write_synthetic_hub
from hubecon.store.store import Store


def file_hashes(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file() and path.name != ".lock"}


def parquet_contents(root: Path) -> dict[str, object]:
    return {str(path.relative_to(root)): pq.read_table(path) for path in sorted(root.rglob("*.parquet"))}


def test_the_same_seed_gives_the_same_store_and_another_seed_another(tmp_path):
    spec = SynthSpec(models=150, snapshots=4, seed=42)
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_synthetic_hub(first, spec)
    write_synthetic_hub(second, spec)
    write_synthetic_hub(other, SynthSpec(models=150, snapshots=4, seed=43))
    a, b = parquet_contents(first), parquet_contents(second)
    assert a.keys() == b.keys() and len(a) >= 4 * 3
    assert all(a[name].equals(b[name]) for name in a)
    catalogue = [Store.open(root).snapshots().drop(columns=[]) for root in (first, second)]
    pd.testing.assert_frame_equal(catalogue[0], catalogue[1])
    assert (first / REGISTRY_FILE).read_bytes() == (second / REGISTRY_FILE).read_bytes()
    hashes = file_hashes(first)
    assert {name: digest for name, digest in file_hashes(second).items() if name.endswith((".parquet", ".csv", ".json"))} == {
        name: digest for name, digest in hashes.items() if name.endswith((".parquet", ".csv", ".json"))
    }
    c = parquet_contents(other)
    observations = [name for name in a if name.endswith("observations.parquet")]
    assert not any(a[name].equals(c[name]) for name in observations if name in c)
    # Running it again over the same store stores nothing new.
    again = write_synthetic_hub(first, spec)
    assert set(again["status"]) == {"already stored (nothing changed)"}


@pytest.fixture(scope="module")
def large():
    """20,000 models × 6 snapshots, generated in memory."""
    spec = SynthSpec(models=20_000, snapshots=6, seed=3)
    devs, snapshots = batches(spec)
    return spec, devs, list(snapshots)


def test_downloads_are_heavy_tailed_top_one_percent_holds_most(large):
    _, _, snapshots = large
    last = snapshots[-1].observations
    for column in ("downloads_30d", "downloads_all_time"):
        values = np.sort(last[column].to_numpy(dtype=float))[::-1]
        top = values[: len(values) // 100].sum() / values.sum()
        assert top > 0.8, (column, top)
        assert np.median(values) < values.mean() / 20


def test_developer_sizes_are_zipf_like_with_countries_and_types(large):
    spec, devs, snapshots = large
    namespaces = snapshots[-1].observations["model_id"].str.split("/").str[0]
    sizes = namespaces.value_counts().to_numpy()
    ranks = np.arange(1, 101)
    slope = np.polyfit(np.log(ranks), np.log(sizes[:100]), 1)[0]
    assert -1.8 < slope < -0.7, slope
    assert sizes[0] > 20 * np.median(sizes)
    rows = registry_frame(spec, devs)
    orgs = rows[rows["type"] != "individual"]
    assert orgs["country"].nunique() >= 8 and "INTL" in set(orgs["country"])
    assert set(orgs["type"]) == {"industry", "academia", "nonprofit", "community", "government"}
    assert (rows.loc[rows["type"] == "individual", "country"].fillna("") == "").all()
    assert len(rows) < len(devs.namespace), "some namespaces stay unattributed"
    assert (rows["alt_country"].fillna("") != "").any(), "some organisations are contested"


def registry_frame(spec, devs) -> pd.DataFrame:
    from hubecon.sources.synth import registry_rows

    return registry_rows(spec, devs)


def test_lineage_has_every_relation_merges_with_two_parents_and_parents_before_children(large):
    _, _, snapshots = large
    edges = pd.concat([batch.lineage_records for batch in snapshots], ignore_index=True).drop_duplicates()
    assert set(edges["relation"]) == {"finetune", "quantized", "adapter", "merge"}
    assert (edges[edges["relation"] == "merge"].groupby("child_id").size() == 2).any()
    records = pd.concat([batch.model_records for batch in snapshots], ignore_index=True).drop_duplicates("model_id")
    created = records.set_index("model_id")["created_at"]
    known = edges[edges["child_id"].isin(created.index) & edges["parent_id"].isin(created.index)]
    assert len(known) > 1000
    assert (created[known["parent_id"]].to_numpy() <= created[known["child_id"]].to_numpy()).all()
    quantized = records[records["model_id"].isin(edges.loc[edges["relation"] == "quantized", "child_id"])]
    assert quantized["model_id"].str.contains("-GGUF|-AWQ|-GPTQ|-FP8|-MLX").all()


def test_creation_dates_grow_over_time_with_placeholders_for_the_oldest(large):
    _, _, snapshots = large
    records = pd.concat([batch.model_records for batch in snapshots], ignore_index=True).drop_duplicates("model_id")
    created = pd.to_datetime(records["created_at"], utc=True)
    per_year = created[created != PLACEHOLDER].dt.year.value_counts().sort_index()
    assert per_year.loc[2022] < per_year.loc[2023] < per_year.loc[2024]
    assert (created == PLACEHOLDER).sum() > 0
    counts = [len(batch.observations) for batch in snapshots]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_card_data_and_gguf_fields_have_realistic_sizes(large):
    _, _, snapshots = large
    records = snapshots[0].model_records
    cards = records["card_data"].dropna().str.len()
    assert 150 < cards.median() < 2000 and cards.quantile(0.99) > 2000
    gguf = records["gguf"].dropna().str.len()
    assert len(gguf) > 500 and 1000 < gguf.median() < 20000
    assert all(isinstance(json.loads(text), dict) for text in records["card_data"].head(100))


def test_rollbacks_stalls_and_renames_appear_in_quality_checks(tmp_path):
    root = tmp_path / "store"
    write_synthetic_hub(root, SynthSpec(models=3000, snapshots=6, seed=8))
    session = hubecon.open(root, registry=root / REGISTRY_FILE)
    checks = session.quality().set_index("check")["n"]
    assert checks["rollbacks"] > 0
    assert checks["frozen counters"] > 0
    records = session.store.con.execute(session.store.table("observations").select("model_id", "snapshot_id"))
    aliases = session.store.con.execute(session.store.table("aliases"))
    assert len(aliases) > 0, "a few models are transferred to a new namespace"
    assert not set(aliases["alias"]) & set(records["model_id"]), "a renamed model is known by its latest name only"


def test_every_output_of_a_synthetic_store_says_synthetic(tmp_path):
    root = tmp_path / "store"
    made = run_cli("synth", "--models", "200", "--snapshots", "3", "--out", str(root), "--seed", "4", "--format", "json")
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert document["data"]["synthetic"] is True and document["n"]["new_snapshots"] == 3
    catalogue = Store.open(root).snapshots()
    assert set(catalogue["source"]) == {"synthetic:seed=4"} and set(catalogue["scope"]) == {"full"}
    assert all(json.loads(params)["synthetic"] is True for params in catalogue["params"])
    assert json.loads((root / "synthetic.json").read_text())["synthetic"] is True
    registry = load_registry(root / REGISTRY_FILE)  # valid under the registry's own rules
    assert (registry.entries["note"].str.startswith("SYNTHETIC") | ~registry.entries["namespace"].str.startswith("synth-")).all()
    for args in (("share",), ("share", "--period", "week"), ("concentration", "--since", "2025-01-10", "--until", "2025-01-20"), ("quality",)):
        shown = run_cli("--store", str(root), "--registry", str(root / REGISTRY_FILE), *args, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["data"]["synthetic"] is True, args
        table = run_cli("--store", str(root), "--registry", str(root / REGISTRY_FILE), *args)
        assert "SYNTHETIC" in table.stdout.splitlines()[0], args
    # Real data stays unmarked.
    assert hubecon.open(embedded=True).share().attrs["envelope"]["data"]["synthetic"] is False


def test_bad_arguments_are_one_line_errors(tmp_path):
    result = run_cli("synth", "--models", "3", "--snapshots", "2", "--out", str(tmp_path / "s"))
    assert result.returncode == 2 and "--models" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()
