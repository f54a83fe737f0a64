"""The ecosystem's structure (DESIGN.md §3: Release cadence, Intermediaries, Attribution/families, Normalised adoption, Distillation)
on hand-built fixtures whose every expected value is worked out by hand in the docstrings below, and known real cases in the embedded data."""

import json

import ibis
import pandas as pd
import pytest

from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.errors import HubeconError
from hubecon.metrics import distillation as ds
from hubecon.sources.models_table import read_models_table
from hubecon.store.store import DataDescription, Store


def build_session(folder, models: list[dict], registry: str, snapshots: list[tuple[str, dict]] | None = None, scope: str = "sample") -> Hubecon:
    """A session on listings written to CSV: `models` are rows (model_id, downloads, created, tags, …); `snapshots` (taken_at, overrides per model) make a history."""
    (folder / "registry.csv").write_text(registry)
    batches = []
    for number, (taken_at, overrides) in enumerate(snapshots or [("2026-04-30T00:00:00Z", {})]):
        rows = []
        for model in models:
            if overrides.get(model["model_id"], {}) is None:
                continue
            row = {
                "model_id": model["model_id"],
                "author": model["model_id"].split("/")[0],
                "downloads": model.get("downloads", 0),
                "pipeline_tag": "text-generation",
                "library_name": model.get("library", "transformers"),
                "created_at": model.get("created", "2025-01-01T00:00:00Z"),
                "last_modified": "2026-04-29T00:00:00Z",
                "tags": model.get("tags", ""),
                "cardData": json.dumps(model["card"]) if "card" in model else "",
            }
            if "all_time" in model:
                row["downloadsAllTime"] = model["all_time"]
            row.update(overrides.get(model["model_id"], {}))
            rows.append(row)
        path = folder / f"listing-{number}.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        batch = read_models_table(path, taken_at=pd.Timestamp(taken_at), scope=scope)
        batch.snapshot_id = f"snap-{number}"
        batches.append(batch)
    return Hubecon(Store.in_memory(batches, DataDescription("store", "fixture")), load_registry(folder / "registry.csv"))


# -- release cadence -------------------------------------------------------------------------------

CADENCE_REGISTRY = """namespace,developer,country,type,evidence
lab-a,Lab A,US,industry,https://lab-a.example
lab-a2,Lab A,US,industry,https://lab-a.example/second
lab-b,Lab B,CN,industry,https://lab-b.example
lab-c,Lab C,CN,industry,https://lab-c.example
lab-d,Lab D,CN,academia,https://lab-d.example
carol,carol,,individual,https://huggingface.co/carol
"""
CADENCE_MODELS = [
    # Lab A (two namespaces): release days 01-01, 01-05, 01-21, 04-02 → gaps 4, 16, 71 → median 16; Q1–Q2 2025: 4 days / 2 quarters = 2.
    {"model_id": "lab-a/base-1", "created": "2025-01-01T09:00:00Z"},
    {"model_id": "lab-a/base-1-ft", "created": "2025-01-01T15:00:00Z", "tags": "base_model:finetune:lab-a/base-1"},  # own finetune, same day
    {"model_id": "lab-a2/base-1-GGUF", "created": "2025-01-05T00:00:00Z", "tags": "gguf,base_model:quantized:lab-a/base-1"},  # own quantization: a release day
    {"model_id": "lab-a/ft-of-b", "created": "2025-01-10T00:00:00Z", "tags": "base_model:finetune:lab-b/m1"},  # another's model: not a release
    {"model_id": "lab-a/base-2", "created": "2025-01-21T00:00:00Z"},
    {"model_id": "lab-a/base-3", "created": "2025-04-02T00:00:00Z"},
    # Lab B: 01-01, 01-11, 02-10 → gaps 10, 30 → median 20; one quarter → 3 per quarter.
    {"model_id": "lab-b/m1", "created": "2025-01-01T00:00:00Z"},
    {"model_id": "lab-b/m2", "created": "2025-01-11T00:00:00Z"},
    {"model_id": "lab-b/m3", "created": "2025-02-10T00:00:00Z", "tags": "base_model:finetune:lab-b/m2"},
    {"model_id": "lab-b/m4", "created": "2025-03-01T00:00:00Z", "tags": "base_model:merge:lab-b/m1,base_model:merge:lab-a/base-1"},  # half another's
    # Lab C: two release days only → no cadence; its placeholder-dated repo is outside the analysis.
    {"model_id": "lab-c/x", "created": "2025-01-01T00:00:00Z"},
    {"model_id": "lab-c/y", "created": "2025-07-01T00:00:00Z"},
    {"model_id": "lab-c/z", "created": "2022-03-02T23:29:04Z", "downloads": 70},
    # Lab D: 01-01, 01-03, 01-05, 01-15 → gaps 2, 2, 10 → median 2; 4 per quarter.
    *({"model_id": f"lab-d/d{day}", "created": f"2025-01-{day:02d}T00:00:00Z"} for day in (1, 3, 5, 15)),
    # An individual and an unattributed namespace with daily releases: never in a country or type median.
    *({"model_id": f"carol/c{day}", "created": f"2025-01-{day:02d}T00:00:00Z"} for day in (1, 2, 3)),
    *({"model_id": f"ghost/g{day}", "created": f"2025-01-{day:02d}T00:00:00Z"} for day in (1, 2, 4)),
]


@pytest.fixture(scope="module")
def cadence_session(tmp_path_factory):
    return build_session(tmp_path_factory.mktemp("cadence"), CADENCE_MODELS, CADENCE_REGISTRY)


def test_cadence_counts_own_finetunes_and_quantizations_as_release_days_and_skips_others_models(cadence_session):
    table = cadence_session.cadence(by="developer").set_index("developer")
    assert table.loc["Lab A", "release_days"] == 4
    assert table.loc["Lab A", "median_days_between"] == 16
    assert table.loc["Lab A", "quarters"] == 2 and table.loc["Lab A", "release_days_per_quarter"] == 2
    assert table.loc["Lab B", "release_days"] == 3 and table.loc["Lab B", "median_days_between"] == 20
    assert table.loc["Lab B", "release_days_per_quarter"] == 3
    assert table.loc["Lab D", "median_days_between"] == 2
    assert table.loc["Lab C", "release_days"] == 2 and pd.isna(table.loc["Lab C", "median_days_between"])
    assert table.loc["carol", "median_days_between"] == 1
    assert table.loc["namespace:ghost", "median_days_between"] == 1.5


def test_cadence_by_country_is_the_median_of_developers_with_three_release_days_without_individuals(cadence_session):
    table = cadence_session.cadence(by="country").set_index("key")
    assert set(table.index) == {"US", "CN"}
    # CN: Lab B 20 and Lab D 2 → 11 (Lab C has no cadence but counts among the developers); per quarter: median(3, 4) = 3.5.
    assert table.loc["CN", ["developers", "n", "median_days_between", "median_release_days_per_quarter"]].tolist() == [3, 2, 11, 3.5]
    assert (table.loc["CN", "fastest"], table.loc["CN", "slowest"]) == ("Lab D", "Lab B")
    assert table.loc["US", ["developers", "n", "median_days_between"]].tolist() == [1, 1, 16]


def test_cadence_by_type_and_its_evidence_dates(cadence_session):
    table = cadence_session.cadence(by="type")
    by_type = table.set_index("key")
    assert by_type.loc["industry", "n"] == 2 and by_type.loc["industry", "median_days_between"] == 18  # Lab A 16, Lab B 20
    assert by_type.loc["academia", "median_days_between"] == 2
    envelope = cadence_session.cadence(by="country").attrs["envelope"]
    evidence = {(item["key"], item["role"]): item for item in envelope["evidence"]}
    assert evidence[("US", "fastest")]["dates"] == ["2025-01-01", "2025-01-05", "2025-01-21", "2025-04-02"]
    assert evidence[("US", "fastest")]["repos"][0] == ["lab-a/base-1", "lab-a/base-1-ft"]
    assert evidence[("CN", "slowest")]["dates"] == ["2025-01-01", "2025-01-11", "2025-02-10"]


def test_cadence_warns_on_a_sample_and_reports_unknown_creation_dates(cadence_session):
    envelope = cadence_session.cadence().attrs["envelope"]
    assert "complete author histories" in envelope["warning"] and "--author" in envelope["warning"]
    assert "complete author histories" in envelope["data"]["note"]
    assert envelope["unknown_creation"]["models"] == 1 and envelope["unknown_creation"]["downloads"] == 70
    assert envelope["params"] == {**envelope["params"], "by": "country", "registry_variant": "primary", "min_release_days": 3}


def test_cadence_sees_complete_histories_in_author_scoped_crawls(tmp_path):
    session = build_session(tmp_path, CADENCE_MODELS[:6], CADENCE_REGISTRY)
    session._catalogue["scope"] = "filtered"
    session._catalogue["params"] = json.dumps({"author": "lab-a", "filter": [], "limit": None})
    table = session.cadence(by="developer").set_index("developer")
    assert not table.loc["Lab A", "complete_history"]  # lab-a2 was not crawled
    session._catalogue["params"] = [json.dumps({"author": "lab-a", "filter": [], "limit": None})]
    session._catalogue.loc[len(session._catalogue)] = {**session._catalogue.iloc[0].to_dict(), "params": json.dumps({"author": "lab-a2", "filter": [], "limit": None})}
    table = session.cadence(by="developer")
    assert table.set_index("developer").loc["Lab A", "complete_history"]
    assert table.attrs["envelope"]["warning"] is None


# -- intermediaries --------------------------------------------------------------------------------

INTERMEDIARY_REGISTRY = """namespace,developer,country,type,evidence
big-lab,Big Lab,CN,industry,https://big-lab.example
quant-5,Quant Five,DE,community,https://quant-five.example
quant-4,quant-4,,individual,https://huggingface.co/quant-4
q79,q79,,individual,https://huggingface.co/q79
ft-5,FT Five,FR,community,https://ft-five.example
ft79,ft79,,individual,https://huggingface.co/ft79
"""


def intermediary_models() -> list[dict]:
    """Downloads: big-lab 1000 + 5·10 own GGUFs; quant-5 100+50+30+20+0 = 200; quant-4 4·10; ft-5 4·25; q79, ft79 0 → 1390."""
    models = [{"model_id": "big-lab/base", "downloads": 1000}]
    models += [{"model_id": f"big-lab/base-{n}-GGUF", "downloads": 10, "tags": "gguf,base_model:quantized:big-lab/base"} for n in range(5)]
    models += [
        {"model_id": "quant-5/base-GGUF", "downloads": 100, "tags": "gguf,base_model:quantized:big-lab/base"},
        {"model_id": "quant-5/base-AWQ", "downloads": 50, "tags": "awq,base_model:quantized:big-lab/base"},
        {"model_id": "quant-5/base-onnx", "downloads": 30, "library": "onnx", "tags": "onnx,base_model:finetune:big-lab/base"},
        {"model_id": "quant-5/base-lora", "downloads": 20, "tags": "base_model:adapter:big-lab/base"},
        {"model_id": "quant-5/own-model", "downloads": 0},
    ]
    models += [{"model_id": f"quant-4/base-{n}-GGUF", "downloads": 10, "tags": "gguf,base_model:quantized:big-lab/base"} for n in range(4)]
    models += [{"model_id": f"q79/base-{n}-GGUF", "tags": "gguf,base_model:quantized:big-lab/base"} for n in range(19)]
    models += [{"model_id": f"q79/own-{n}"} for n in range(5)]
    models += [{"model_id": f"ft-5/tune-{n}", "downloads": 25, "tags": "base_model:finetune:big-lab/base"} for n in range(4)]
    models += [{"model_id": "ft-5/own"}]
    models += [{"model_id": f"ft79/tune-{n}", "tags": "base_model:finetune:big-lab/base"} for n in range(19)]
    models += [{"model_id": f"ft79/own-{n}"} for n in range(5)]
    return models


@pytest.fixture(scope="module")
def intermediaries(tmp_path_factory):
    session = build_session(tmp_path_factory.mktemp("intermediaries"), intermediary_models(), INTERMEDIARY_REGISTRY)
    return session.intermediaries()


def test_intermediary_and_fine_tuner_thresholds_at_their_edges(intermediaries):
    roles = intermediaries.drop_duplicates("namespace").set_index("namespace")["role"].to_dict()
    # quant-5: 4 of 5 (80%) → intermediary; quant-4: 4 of 4 but < 5 repos; q79: 19 of 24 (79.2%); big-lab: its own quantizations.
    # ft-5: 4 of 5 finetunes of another's model → fine-tuner; ft79: 19 of 24.
    assert roles == {"quant-5": "intermediary", "ft-5": "fine-tuner"}


def test_intermediary_kinds_count_quantizations_conversions_and_adapters(intermediaries):
    row = intermediaries.set_index("namespace").loc["quant-5"]
    assert (row["quantized"], row["format_conversion"], row["adapter"], row["original"]) == (2, 1, 1, 1)
    assert row["repackaged_of_others"] == 4 and row["repackaged_fraction"] == pytest.approx(0.8)
    assert row["formats"] == "AWQ 1, GGUF 1"
    assert (row["developer"], row["country"]) == ("Quant Five", "DE")


def test_intermediary_shares_totals_and_the_origins_they_carry(intermediaries):
    shares = intermediaries.set_index("namespace")
    assert shares.loc["quant-5", "downloads"] == 200 and shares.loc["quant-5", "share"] == pytest.approx(200 / 1390)
    assert shares.loc["ft-5", "share"] == pytest.approx(100 / 1390)
    envelope = intermediaries.attrs["envelope"]
    totals = {row["role"]: row["share"] for row in envelope["totals"]}
    assert totals == pytest.approx({"intermediary": 200 / 1390, "fine-tuner": 100 / 1390, "none": 1090 / 1390})
    origins = {row["origin_country"]: row for row in envelope["origins"]}
    # Every download but quant-5/own-model (0, DE) and ft-5/own, q79/own-*, ft79/own-* (0) has Chinese origin.
    assert origins["CN"]["origin_downloads"] == pytest.approx(1390)
    assert origins["CN"]["via_intermediaries"] == pytest.approx(200)
    assert origins["CN"]["via_other_country"] == pytest.approx(200) and origins["CN"]["via_same_country"] == 0
    assert origins["CN"]["share_via_other_country"] == pytest.approx(200 / 1390)
    assert envelope["n"]["intermediaries"] == 1 and envelope["n"]["fine_tuners"] == 1
    assert envelope["params"]["min_repos"] == 5 and envelope["params"]["min_fraction"] == 0.8


# -- families --------------------------------------------------------------------------------------

FAMILY_REGISTRY = """namespace,developer,country,type,evidence
usa-lab,USA Lab,US,industry,https://usa-lab.example
cn-lab,CN Lab,CN,industry,https://cn-lab.example
alice,alice,,individual,https://huggingface.co/alice
"""
FAMILY_MODELS = [
    {"model_id": "usa-lab/base-a", "downloads": 1000},
    {"model_id": "cn-lab/base-b", "downloads": 800},
    {"model_id": "alice/a-quant", "downloads": 400, "tags": "gguf,base_model:quantized:usa-lab/base-a"},
    {"model_id": "alice/merge-ab", "downloads": 300, "tags": "base_model:merge:usa-lab/base-a,base_model:merge:cn-lab/base-b"},
    {"model_id": "alice/diamond-top", "downloads": 200, "tags": "base_model:merge:alice/a-quant,base_model:merge:alice/merge-ab"},
    {"model_id": "cn-lab/ft-of-missing", "downloads": 100, "tags": "base_model:finetune:usa-lab/deleted"},
]


def test_family_roll_up_through_a_merge_and_a_diamond(tmp_path):
    """base-a: 1000 + a-quant 400 + merge-ab 300/2 + diamond 200·(1/2 + 1/4) = 1700 (derivatives 700: share 7/17).
    base-b: 800 + 150 + 200·1/4 = 1000 (derivatives 200: 0.2). usa-lab/deleted (not in the data): ft-of-missing 100.
    Total 2800."""
    table = build_session(tmp_path, FAMILY_MODELS, FAMILY_REGISTRY).families(top=None).set_index("root_id")
    assert list(table.index) == ["usa-lab/base-a", "cn-lab/base-b", "usa-lab/deleted"]
    assert table["family_downloads"].tolist() == pytest.approx([1700, 1000, 100])
    assert table["share_of_downloads"].tolist() == pytest.approx([1700 / 2800, 1000 / 2800, 100 / 2800])
    assert table["root_downloads"].tolist() == pytest.approx([1000, 800, 0])
    assert table["derivative_share"].tolist() == pytest.approx([700 / 1700, 0.2, 1.0])
    assert table.loc["usa-lab/base-a", ["derivatives", "quantized", "merges", "finetunes"]].tolist() == [3, 1, 2, 0]
    assert table.loc["cn-lab/base-b", ["derivatives", "merges"]].tolist() == [2, 2]
    assert not table.loc["usa-lab/deleted", "root_observed"] and table.loc["usa-lab/deleted", "finetunes"] == 1
    assert (table.loc["cn-lab/base-b", "developer"], table.loc["usa-lab/deleted", "country"]) == ("CN Lab", "US")


def test_families_top_n_keeps_the_largest_and_counts_every_family(tmp_path):
    table = build_session(tmp_path, FAMILY_MODELS, FAMILY_REGISTRY).families(top=1)
    assert table["root_id"].tolist() == ["usa-lab/base-a"]
    assert table.attrs["envelope"]["n"] == {"models": 6, "families": 3}
    assert table.attrs["envelope"]["params"]["top"] == 1


# -- normalised adoption ---------------------------------------------------------------------------

ADOPTION_REGISTRY = "namespace,developer,country,type,evidence\nlab,Lab,US,industry,https://lab.example\n"


def test_adoption_on_one_snapshot_divides_downloads_per_day_by_the_bucket_reference(tmp_path):
    """Taken 2026-01-01; created 2025-12-22 → age 10 days. 1–10B: m1…m12 with all-time 100·i → per day 10·i;
    the top 10 are i = 3…12 → median (70 + 80)/2 = 75; m12: 120/75 = 1.6, m1: 10/75. <1B: tiny alone → 1.
    No value: no size (nosize), placeholder creation date (old-7B)."""
    models = [{"model_id": f"lab/m{i}-7B", "all_time": 100 * i, "created": "2025-12-22T00:00:00Z"} for i in range(1, 13)]
    models += [
        {"model_id": "lab/tiny-100M", "all_time": 500, "created": "2025-12-22T00:00:00Z"},
        {"model_id": "lab/nosize", "all_time": 10_000, "created": "2025-12-22T00:00:00Z"},
        {"model_id": "lab/old-7B", "all_time": 10_000, "created": "2022-03-02T23:29:04Z"},
    ]
    session = build_session(tmp_path, models, ADOPTION_REGISTRY, snapshots=[("2026-01-01T00:00:00Z", {})])
    one = session.adoption("lab/m12-7B").iloc[0]
    assert (one["size_bucket"], one["age_days"], one["per_day"], one["reference_median"], one["reference_n"]) == ("1-10B", 10, 120, 75, 10)
    assert one["adoption"] == pytest.approx(1.6)
    assert session.adoption("lab/m1-7B").iloc[0]["adoption"] == pytest.approx(10 / 75)
    assert session.adoption("lab/tiny-100M").iloc[0][["reference_n", "adoption"]].tolist() == [1, 1.0]
    top = session.adoption(top=3)
    assert top["model_id"].tolist() == ["lab/m12-7B", "lab/m11-7B", "lab/m10-7B"]
    assert top["adoption"].tolist() == pytest.approx([1.6, 110 / 75, 100 / 75])
    assert top.attrs["envelope"]["n"] == {"models": 13, "no_value": 2}
    with pytest.raises(HubeconError, match="unknown size"):
        session.adoption("lab/nosize")
    with pytest.raises(HubeconError, match="MODEL_ID or --top"):
        session.adoption()


def test_adoption_with_a_history_reads_the_nearest_snapshot_within_three_days(tmp_path):
    """Created 2025-01-01. Snapshots at ages 7, 15 (→ age 14, 1 day off), 33 (→ age 30, 3 days off) and 64 (4 days from 60: none).
    age 7: a 70, b 30, c 10 → median 30 → a 7/3; age 14: 140, 100, 20 → median 100 → 1.4; age 30: 300, 200, 100 → 1.5."""
    values = {"2025-01-08": (70, 30, 10), "2025-01-16": (140, 100, 20), "2025-02-03": (300, 200, 100), "2025-03-06": (900, 800, 700)}
    models = [{"model_id": f"lab/{name}-7B", "created": "2025-01-01T00:00:00Z"} for name in "abc"]
    snapshots = [(f"{day}T00:00:00Z", {f"lab/{name}-7B": {"downloadsAllTime": value} for name, value in zip("abc", counts)}) for day, counts in values.items()]
    session = build_session(tmp_path, models, ADOPTION_REGISTRY, snapshots=snapshots, scope="full")
    table = session.adoption("lab/a-7B")
    assert table.attrs["envelope"]["mode"] == "history"
    assert table["age"].tolist() == [7, 14, 30]
    assert table["downloads_all_time"].tolist() == [70, 140, 300]
    assert table["reference_median"].tolist() == [30, 100, 200]
    assert table["adoption"].tolist() == pytest.approx([7 / 3, 1.4, 1.5])
    assert table["taken_at"].tolist() == ["2025-01-08T00:00:00Z", "2025-01-16T00:00:00Z", "2025-02-03T00:00:00Z"]
    top = session.adoption(top=1)
    assert top[["age", "model_id"]].values.tolist() == [[7, "lab/a-7B"], [14, "lab/a-7B"], [30, "lab/a-7B"]]


def test_adoption_refuses_a_listing_without_all_time_counts(tmp_path):
    session = build_session(tmp_path, [{"model_id": "lab/m-7B"}], ADOPTION_REGISTRY)
    with pytest.raises(HubeconError, match="no all-time download counts"):
        session.adoption(top=5)


# -- distillation ----------------------------------------------------------------------------------

DISTILLATION_REGISTRY = """namespace,developer,country,type,evidence
t-lab,T Lab,CN,industry,https://t-lab.example
b-lab,B Lab,US,industry,https://b-lab.example
s-lab,S Lab,FR,academia,https://s-lab.example
"""


def test_a_distilled_model_whose_teacher_and_base_differ(tmp_path):
    models = [
        {"model_id": "t-lab/teacher-large", "downloads": 10},
        {"model_id": "b-lab/base-small", "downloads": 20},
        {"model_id": "s-lab/student-distilled", "downloads": 300, "tags": "base_model:finetune:b-lab/base-small", "card": {"teacher_model": "t-lab/teacher-large"}},
        {"model_id": "q-ns/student-distilled-GGUF", "downloads": 40, "tags": "gguf,base_model:quantized:s-lab/student-distilled"},
        {"model_id": "s-lab/kd-model", "downloads": 5, "tags": "knowledge-distillation,base_model:finetune:b-lab/base-small"},
        {"model_id": "s-lab/plain-ft", "downloads": 7, "tags": "dataset:argilla/distilabel-math,base_model:finetune:b-lab/base-small"},
    ]
    result = build_session(tmp_path, models, DISTILLATION_REGISTRY).distillation()
    table = result.set_index("model_id")
    assert set(table.index) == {"s-lab/student-distilled", "q-ns/student-distilled-GGUF", "s-lab/kd-model"}
    student = table.loc["s-lab/student-distilled"]
    assert (student["teacher_id"], student["teacher_source"], student["teacher_country"]) == ("t-lab/teacher-large", "card", "CN")
    assert (student["base"], student["base_developer"], student["base_country"]) == ("b-lab/base-small", "B Lab", "US")
    assert (student["uploader"], student["evidence"], student["derivative_of_distilled"]) == ("S Lab", "name", False)
    assert table.loc["q-ns/student-distilled-GGUF", "derivative_of_distilled"]
    kd = table.loc["s-lab/kd-model"]  # no teacher named: the base model is the teacher
    assert (kd["evidence"], kd["teacher"], kd["teacher_source"], kd["teacher_country"]) == ("tag", "b-lab/base-small", "base model", "US")
    envelope = result.attrs["envelope"]
    by_country = {(row["teacher_country"], row["base_country"]): (row["models"], row["downloads"]) for row in envelope["by_country"]}
    assert by_country == {("CN", "US"): (1, 300), ("US", "US"): (1, 5)}
    assert envelope["n"] == {"models": 3, "distillations": 2, "derivatives": 1, "observed_in_snapshot": 3}


def test_the_engine_keeps_every_model_a_tag_or_card_could_mark_as_distilled():
    models = ibis.memtable(
        {
            "model_id": ["a/kd", "a/card", "a/phrase", "a/escaped", "a/folded", "a/plain", "a/bare"],
            "tags": [["Knowledge-Distillation"], [], ["dataset:x"], [], ["DIſTILLATION"], ["text-generation"], None],
            "card_data": [None, '{"Teacher_Model": "t/x"}', '{"note": "Distilled from t/x"}', '{"\\u0074eacher": "t/x"}', None, '{"base_model": "b/y"}', None],
        }
    )
    kept = ibis.duckdb.connect().execute(ds.may_be_marked(models))
    assert sorted(kept["model_id"]) == ["a/card", "a/escaped", "a/folded", "a/kd", "a/phrase"]
    # Python's case-insensitive markers take ſ for s too: the engine's filter must not drop what they would mark.
    assert ds.marked("a/folded", ["DIſTILLATION"], None) == "tag"


# -- known real cases in the embedded data ----------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_distillation(embedded):
    return embedded.distillation().set_index("model_id")


@pytest.mark.parametrize("size", ["1.5B", "7B", "14B", "32B"])
def test_deepseek_r1_distill_qwen_has_teacher_deepseek_r1_and_base_qwen(embedded_distillation, size):
    row = embedded_distillation.loc[f"deepseek-ai/DeepSeek-R1-Distill-Qwen-{size}"]
    assert (row["teacher"], row["teacher_id"], row["teacher_developer"], row["teacher_country"]) == ("DeepSeek-R1", "deepseek-ai/DeepSeek-R1", "DeepSeek", "CN")
    assert (row["base"], row["base_developer"], row["base_country"]) == ("Qwen", "Alibaba Cloud", "CN")
    assert not row["derivative_of_distilled"]


def test_deepseek_r1_distill_llama_has_a_us_base_and_distilbert_a_bert_teacher(embedded_distillation):
    llama = embedded_distillation.loc["deepseek-ai/DeepSeek-R1-Distill-Llama-70B"]
    assert (llama["teacher"], llama["base"], llama["base_country"]) == ("DeepSeek-R1", "Llama", "US")
    distilbert = embedded_distillation.loc["distilbert/distilbert-base-uncased"]
    assert (distilbert["teacher"], distilbert["teacher_developer"]) == ("BERT", "Google")
    quantized = embedded_distillation.loc["unsloth/DeepSeek-R1-Distill-Qwen-14B-GGUF"]
    assert quantized["derivative_of_distilled"]


def test_quantizer_namespaces_in_the_embedded_data_are_classified_as_the_data_shows_them(embedded):
    table = embedded.intermediaries()
    roles = table.drop_duplicates("namespace").set_index("namespace")
    # bartowski and TheBloke: almost only GGUF (TheBloke also GPTQ/AWQ) quantizations of others' models.
    assert roles.loc["bartowski", "role"] == "intermediary" and roles.loc["bartowski", "formats"].startswith("GGUF")
    assert roles.loc["TheBloke", "role"] == "intermediary" and roles.loc["TheBloke", "repackaged_fraction"] >= 0.8
    # unsloth: re-uploads of base models (no parent in the data, so originals), bnb/GGUF quantizations and finetunes: below both thresholds.
    assert "unsloth" not in roles.index
    envelope = table.attrs["envelope"]
    for period, group in pd.DataFrame(envelope["totals"]).groupby("period"):
        assert group["share"].sum() == pytest.approx(1.0)
    assert {row["period"] for row in envelope["totals"]} == {"hub-listing-2024-09", "hub-listing-2026-04", "hub-stats-2026-05"}


def test_unsloth_repos_split_between_quantizations_finetunes_and_re_uploads(embedded):
    from hubecon.metrics.cadence import third_party_flags
    from hubecon.metrics.intermediaries import namespace_roles, repo_kinds, runtime_format_tagged

    tagged = embedded.store.con.execute(runtime_format_tagged(embedded.store.table("models")))
    attribution = embedded.registry.attribution()
    third_party = third_party_flags(embedded.enriched.facts, embedded.enriched.credit, attribution)
    kinds = repo_kinds(embedded.enriched.facts, tagged, embedded.enriched.graph.parents, third_party, attribution)
    unsloth = namespace_roles(kinds).set_index("namespace").loc["unsloth"]
    assert pd.isna(unsloth["role"])
    assert 0.5 < unsloth["repackaged_fraction"] < 0.8 and unsloth["finetune"] > 0 and unsloth["original"] > 0


@pytest.mark.parametrize(
    "model_id,marked",
    [
        ("lab/base-onnx", True),
        ("lab/Base.OV.int8", True),
        ("mlx", True),
        ("onnx-community/base", False),  # the marker names the namespace, not the repo
        ("lab/baseonnx", False),
        ("lab/onnxruntime-base", False),
        ("a.onnx/base", False),
    ],
)
def test_a_runtime_format_marker_counts_in_the_repos_name_only(model_id, marked):
    import re

    from hubecon.metrics.intermediaries import CONVERSION_MARKER

    assert pd.Series([model_id], dtype="string[pyarrow]").str.contains(CONVERSION_MARKER, regex=True).iloc[0] == marked
    assert bool(re.search(CONVERSION_MARKER, model_id)) == marked
