"""`hubecon registry suggest` on a store: unattributed namespaces with hints, and an override that raises coverage."""

import csv
import json

import pandas as pd

from conftest import run_cli

LISTING = pd.DataFrame(
    [
        # (model_id, downloads, tags) — "quantshop" re-packages a Qwen model; "mystery-lab" is not in the registry
        {"model_id": "Qwen/Qwen2.5-7B-Instruct", "downloads": 1000, "tags": "transformers"},
        {"model_id": "quantshop/Qwen2.5-7B-Instruct-AWQ", "downloads": 300, "tags": "awq,base_model:quantized:Qwen/Qwen2.5-7B-Instruct"},
        {"model_id": "quantshop/Qwen2.5-7B-Instruct-GPTQ", "downloads": 100, "tags": "gptq,base_model:quantized:Qwen/Qwen2.5-7B-Instruct"},
        {"model_id": "mystery-lab/detector", "downloads": 600, "tags": "image-classification"},
    ]
)


def coverage(store, registry=None) -> dict[str, float]:
    args = ["--store", str(store)] + (["--registry", str(registry)] if registry else []) + ["registry", "coverage", "--format", "json"]
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    return {row["attribution"]: row["share_attributed"] for row in json.loads(completed.stdout)["rows"]}


def test_suggest_lists_unattributed_namespaces_and_its_filled_override_raises_coverage(tmp_path):
    LISTING.assign(created_at="2025-01-01T00:00:00Z").to_csv(tmp_path / "listing.csv", index=False)
    store = tmp_path / "store"
    imported = run_cli("--store", str(store), "import", "listing", str(tmp_path / "listing.csv"), "--taken-at", "2026-01-01")
    assert imported.returncode == 0, imported.stderr
    before = coverage(store)
    # Of 2,000 downloads: uploader credits Qwen 1,000 (quantshop 400 and mystery-lab 600 unattributed);
    # origin credits Qwen 1,000 + the 400 of its quantizations, leaving mystery-lab's 600.
    assert before == {"uploader": 0.5, "origin": 0.7}

    override = tmp_path / "override.csv"
    suggested = run_cli("--store", str(store), "registry", "suggest", "--out", str(override), "--format", "json")
    assert suggested.returncode == 0, suggested.stderr
    rows = {row["namespace"]: row for row in json.loads(suggested.stdout)["rows"]}
    assert set(rows) == {"mystery-lab", "quantshop"}
    assert rows["quantshop"]["repos"] == 2 and rows["quantshop"]["derives_from"] == "Qwen (2)"
    assert rows["quantshop"]["downloads_uploader"] == 400 and rows["quantshop"]["downloads_origin"] == 0

    # The template is valid as written (type unknown) and changes nothing until filled in.
    assert coverage(store, override) == before
    with open(override, newline="") as handle:
        entries = list(csv.DictReader(handle))
    for entry in entries:
        if entry["namespace"] == "mystery-lab":
            entry.update(developer="Mystery Lab", country="NL", type="industry", evidence="https://mystery-lab.example")
    with open(override, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(entries[0]))
        writer.writeheader()
        writer.writerows(entries)
    after = coverage(store, override)
    assert after["uploader"] == 0.8 and after["origin"] == 1.0


def test_suggest_never_overwrites_an_existing_file(tmp_path):
    existing = tmp_path / "mine.csv"
    existing.write_text("keep me\n")
    completed = run_cli("registry", "suggest", "--out", str(existing))
    assert completed.returncode == 2
    assert existing.read_text() == "keep me\n"


def write_study_file(path):
    """A study-shaped parquet: two weekly snapshots of three models with the study's labels."""
    rows = []
    for week, extra in (("2025-08-01", 0), ("2025-08-08", 100)):
        rows += [
            # The study calls Qwen Chinese, as we do; it calls google "International" where we say US;
            # and it labels a namespace our registry lacks.
            {"_id": "a1", "model": "Qwen/Qwen2.5-7B-Instruct", "author": "Qwen", "org_type": "company", "org_country": ["China"], "org_country_single": "China"},
            {"_id": "a2", "model": "google/gemma-2-2b", "author": "google", "org_type": "company", "org_country": ["International"], "org_country_single": "International"},
            {"_id": "a3", "model": "study-only-lab/m", "author": "study-only-lab", "org_type": "university", "org_country": ["Germany"], "org_country_single": "Germany"},
        ]
        for row in rows[-3:]:
            row.update(time=pd.Timestamp(week, tz="UTC"), created=pd.Timestamp("2025-01-01", tz="UTC"), downloadsAllTime=1000 + extra,
                       merged_country_groups_single="China" if row["author"] == "Qwen" else "International / Online",
                       merged_derived_country_groups_single="China" if row["author"] == "Qwen" else "USA",
                       merged_derived_from=["No"])
    pd.DataFrame(rows).to_parquet(path)


def test_registry_compare_with_study_lists_where_the_labels_differ(tmp_path):
    write_study_file(tmp_path / "all_downloads_with_annotations.parquet")
    store = tmp_path / "store"
    imported = run_cli("--store", str(store), "import", "study", str(tmp_path / "all_downloads_with_annotations.parquet"), "--format", "json")
    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(imported.stdout)["rows"]) == 2  # one snapshot per weekly `time`
    compared = run_cli("--store", str(store), "registry", "compare", "--with", "study", "--format", "json")
    assert compared.returncode == 0, compared.stderr
    document = json.loads(compared.stdout)
    assert document["n"] == {"namespaces": 3, "agree_country": 1, "agree_type": 2, "ours_missing": 1}
    rows = {row["namespace"]: row for row in document["rows"]}
    assert set(rows) == {"google", "study-only-lab"}
    assert rows["google"]["study_country_key"] == "INTL" and rows["google"]["our_country"] == "US"
    assert rows["study-only-lab"]["our_type"] is None
