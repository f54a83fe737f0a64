"""Trends (DESIGN.md §3, Model properties and Trends): a hand-computed fixture, planted trends, null calibration, and the CLI end to end.

Fixture listing, taken 2026-04-30 (downloads = 30-day counts; sizes parsed from names):

cohort  model                      D     size   properties
2024    a-lab/dense-1B            500    1B     text-generation
2024    a-lab/dense-3B            200    3B
2024    c-rep/dense-3B-GGUF       100    3B     GGUF quantization of a-lab/dense-3B (third-party): parent's size
2024    b-lab/vision-2B           100    2B     text-to-image (multimodal generation)
2024    a-lab/mix-8x1B            100    8B     MoE (8x1B)
2025    a-lab/dense-10B           400   10B
2025    a-lab/moe-30B-A3B         800   30B     MoE (A3B); active 3B
2025    c-rep/dense-10B-GGUF      400   10B     GGUF quantization of a-lab/dense-10B (third-party)
2025    a-lab/dense-10B-FP8       200   10B     FP8 quantization of a-lab/dense-10B (self-made)
2025    b-lab/video-5B            200    5B     text-to-video (multimodal generation)
 ?      old/legacy-1B            1000    1B     placeholder creation date: the "unknown creation date" row

2024: D = 1000; Σ D·size = 500 + 600 + 300 + 200 + 800 = 2400  → weighted mean 2.4B; mean 17/5 = 3.4B; median 3B
2025: D = 2000; Σ D·size = 4000 + 24000 + 4000 + 2000 + 1000 = 35000 → weighted mean 17.5B; mean 65/5 = 13B; median 10B
weighted-mean multiplier 17.5 / 2.4 = 7.291666…
quantized share by downloads 100/1000 = 0.1 → 600/2000 = 0.3 (×3); by models 1/5 → 2/5 (×2)
MoE share by downloads 0.1 → 0.4 (×4); by models 1/5 → 1/5 (×1)
multimodal generation by downloads 0.1 → 0.1 (×1)
third-party quantized 0.1 → 0.2 (×2); self-made 0 → 0.1
"""

import json
import math

import ibis
import numpy as np
import pandas as pd
import pytest

import hubecon
from conftest import run_cli
from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.metrics.trends import OBSERVATION_WINDOW, TREND_METRICS, property_periods
from hubecon.sources.models_table import read_models_table
from hubecon.store.store import DataDescription, Store

TAKEN_AT = "2026-04-30T00:00:00Z"
MODELS = [
    ("a-lab/dense-1B", 500, "2024-02-01", "text-generation", ""),
    ("a-lab/dense-3B", 200, "2024-03-01", "text-generation", ""),
    ("c-rep/dense-3B-GGUF", 100, "2024-04-01", "text-generation", "gguf,base_model:quantized:a-lab/dense-3B"),
    ("b-lab/vision-2B", 100, "2024-05-01", "text-to-image", ""),
    ("a-lab/mix-8x1B", 100, "2024-06-01", "text-generation", ""),
    ("a-lab/dense-10B", 400, "2025-02-01", "text-generation", ""),
    ("a-lab/moe-30B-A3B", 800, "2025-03-01", "text-generation", ""),
    ("c-rep/dense-10B-GGUF", 400, "2025-04-01", "text-generation", "gguf,base_model:quantized:a-lab/dense-10B"),
    ("a-lab/dense-10B-FP8", 200, "2025-05-01", "text-generation", "fp8,base_model:quantized:a-lab/dense-10B"),
    ("b-lab/video-5B", 200, "2025-06-01", "text-to-video", ""),
    ("old/legacy-1B", 1000, "2022-03-02T23:29:04", "text-generation", ""),
]
REGISTRY = """namespace,developer,country,type,evidence
a-lab,A Lab,US,industry,https://a-lab.example
b-lab,B Lab,FR,industry,https://b-lab.example
c-rep,C Repackager,DE,community,https://c-rep.example
old,Old Org,GB,academia,https://old.example
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trends")
    listing = pd.DataFrame(
        [
            {
                "model_id": model_id,
                "author": model_id.split("/")[0],
                "downloads": downloads,
                "likes": 0,
                "pipeline_tag": task,
                "library_name": "gguf" if "GGUF" in model_id else "transformers",
                "created_at": f"{created}Z" if "T" in created else f"{created}T00:00:00Z",
                "last_modified": "2026-04-29T00:00:00Z",
                "tags": tags,
            }
            for model_id, downloads, created, task, tags in MODELS
        ]
    )
    listing.to_csv(folder / "listing.csv", index=False)
    (folder / "registry.csv").write_text(REGISTRY)
    batch = read_models_table(folder / "listing.csv", taken_at=pd.Timestamp(TAKEN_AT), scope="sample")
    batch.snapshot_id = "fixture"
    store = Store.in_memory([batch], DataDescription("store", "fixture"))
    return Hubecon(store, load_registry(folder / "registry.csv"))


@pytest.fixture(scope="module")
def trends(session):
    return session.trends(snapshot="fixture")


def value(rows, metric, period, weighting, category=None):
    selected = rows[(rows["metric"] == metric) & (rows["period"] == period) & (rows["weighting"] == weighting)]
    if category is not None:
        selected = selected[selected["category"] == category]
    assert len(selected) == 1, (metric, period, weighting, category)
    return float(selected["value"].iloc[0])


def shift(table, metric, weighting, category=None):
    shifts = pd.DataFrame(table.attrs["envelope"]["multipliers"])
    selected = shifts[(shifts["metric"] == metric) & (shifts["weighting"] == weighting)]
    selected = selected[selected["category"].isna()] if category is None else selected[selected["category"] == category]
    assert len(selected) == 1
    return selected.iloc[0]


def test_sizes_per_creation_cohort_are_the_hand_computed_means_and_medians(trends):
    assert value(trends, "mean_size_weighted", "2024", "downloads") == pytest.approx(2.4)
    assert value(trends, "mean_size_weighted", "2025", "downloads") == pytest.approx(17.5)
    assert value(trends, "mean_size", "2024", "models") == pytest.approx(3.4)
    assert value(trends, "mean_size", "2025", "models") == pytest.approx(13.0)
    assert value(trends, "median_size", "2024", "models") == pytest.approx(3.0)
    assert value(trends, "median_size", "2025", "models") == pytest.approx(10.0)


def test_first_to_last_multipliers_are_the_hand_computed_ones(trends):
    assert shift(trends, "mean_size_weighted", "downloads")["multiplier"] == pytest.approx(17.5 / 2.4)
    assert shift(trends, "quantized", "downloads", "quantized variant")["multiplier"] == pytest.approx(3.0)
    assert shift(trends, "quantized", "models", "quantized variant")["multiplier"] == pytest.approx(2.0)
    assert shift(trends, "moe", "downloads", "MoE")["multiplier"] == pytest.approx(4.0)
    assert shift(trends, "moe", "models", "MoE")["multiplier"] == pytest.approx(1.0)
    assert shift(trends, "multimodal_generation", "downloads", "multimodal generation")["multiplier"] == pytest.approx(1.0)
    assert shift(trends, "quantized_by", "downloads", "third-party")["multiplier"] == pytest.approx(2.0)
    self_made = shift(trends, "quantized_by", "downloads", "self-made")
    assert self_made["first"] == 0 and self_made["last"] == pytest.approx(0.1) and pd.isna(self_made["multiplier"])


def test_quantization_format_shares_split_gguf_and_fp8(trends):
    assert value(trends, "quantization_format", "2025", "downloads", "GGUF") == pytest.approx(0.2)
    assert value(trends, "quantization_format", "2025", "downloads", "FP8") == pytest.approx(0.1)


def test_chi_square_and_mann_whitney_match_hand_computation(trends):
    # Quantized, by models: [[1, 4], [2, 3]]; expected [[1.5, 3.5], [1.5, 3.5]];
    # χ² = 2·0.25/1.5 + 2·0.25/3.5 = 0.476190…; p = erfc(√(χ²/2)) for one degree of freedom.
    quantized = shift(trends, "quantized", "models", "quantized variant")
    assert quantized["test"] == "chi-square"
    assert quantized["statistic"] == pytest.approx(2 * 0.25 / 1.5 + 2 * 0.25 / 3.5)
    assert quantized["p_value"] == pytest.approx(math.erfc(math.sqrt(quantized["statistic"] / 2)))
    assert not quantized["significant"]
    # Sizes 2024 [1, 3, 3, 2, 8] vs 2025 [10, 30, 10, 10, 5]: only 8 > 5 of the 25 pairs, so U = 1.
    sizes = shift(trends, "mean_size", "models")
    assert sizes["test"] == "Mann-Whitney U" and sizes["statistic"] == 1.0
    assert (sizes["n_first"], sizes["n_last"]) == (5, 5)


def test_unknown_creation_dates_form_their_own_row_outside_every_trend(trends):
    unknown = trends[trends["period"] == "unknown creation date"]
    assert len(unknown) == 1
    assert (int(unknown["n"].iloc[0]), float(unknown["downloads"].iloc[0])) == (1, 1000.0)
    envelope = trends.attrs["envelope"]
    assert envelope["periods"] == ["2024", "2025"]
    assert envelope["n"]["models"] == 10 and envelope["n"]["unknown_creation_date_models"] == 1


def test_envelope_records_parameters_seed_and_period_kind(trends):
    envelope = trends.attrs["envelope"]
    assert envelope["params"]["period_kind"] == "creation cohort" and envelope["params"]["period"] == "year"
    assert envelope["seeds"]["bootstrap"] == envelope["params"]["seed"]
    assert envelope["params"]["bootstrap_resamples"] == 1000
    assert set(trends["period_kind"]) == {"creation cohort"}


def test_mann_kendall_is_not_run_below_four_periods(trends):
    moe = shift(trends, "moe", "downloads", "MoE")
    assert pd.isna(moe["trend_p_value"]) and "needs at least 4" in moe["note"]


def test_excluding_gguf_drops_the_third_party_quantizations(session):
    table = session.trends(snapshot="fixture", exclude=["gguf"])
    # 2025 without c-rep/dense-10B-GGUF: D = 1600, Σ D·size = 31000 → 19.375B
    assert value(table, "mean_size_weighted", "2025", "downloads") == pytest.approx(31000 / 1600)


def test_a_single_snapshot_refuses_observation_windows(session):
    from hubecon.errors import HubeconError

    with pytest.raises(HubeconError, match="created-since"):
        session.trends(snapshot="fixture", since="2025-01-01")


# -- planted trends and null calibration ------------------------------------------------------------

MOE_ONLY = tuple(metric for metric in TREND_METRICS if metric.name == "moe")


def synthetic(seed: int, *, periods: int = 8, per_period: int = 100, developers: int = 60, moe_slope: float = 0.0, size_growth: float = 1.0):
    """Models in `periods` observation windows from `developers` developers: MoE with probability 0.2 + slope·k, size lognormal × growth^k."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(periods):
        for j in range(per_period):
            rows.append(
                {
                    "period": f"P{k:02d}",
                    "period_start": pd.Timestamp(2018 + k, 1, 1, tz="UTC"),
                    "period_end": pd.Timestamp(2019 + k, 1, 1, tz="UTC"),
                    "model_id": f"m{k}-{j}",
                    "developer": f"dev{rng.integers(0, developers)}",
                    "downloads": float(rng.lognormal(8, 1.0)),
                    "moe": bool(rng.random() < 0.2 + moe_slope * k),
                    "params_total": float(rng.lognormal(22, 0.8)) * size_growth**k,
                }
            )
    frame = pd.DataFrame(rows)
    facts = frame[["model_id", "moe", "params_total"]].assign(
        size_bucket=None, modality="nlp", multimodal_generation=pd.NA, quantized_variant=False, quantization_format=None,
        fp_precision_original=None, licence_family="OSI permissive", architecture_family="other",
    )
    units = frame[["period", "period_start", "period_end", "model_id", "developer", "downloads"]]
    return facts, units


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def shifts_of(con, facts, units, seed):
    return property_periods(con, facts, ibis.memtable(units), MOE_ONLY, period_kind=OBSERVATION_WINDOW, sizes=True, seed=seed).multipliers


def test_planted_trends_over_ten_periods_are_detected(con):
    facts, units = synthetic(7, periods=10, per_period=80, moe_slope=0.05, size_growth=1.3)
    shifts = shifts_of(con, facts, units, seed=7)
    moe = shifts[(shifts["metric"] == "moe") & (shifts["category"] == "MoE")].set_index("weighting")
    size = shifts.set_index("metric")
    assert moe.loc["models", "trend_p_value"] < 0.01 and moe.loc["models", "p_value"] < 0.01
    assert moe.loc["downloads", "trend_p_value"] < 0.01 and moe.loc["downloads", "significant"]
    assert size.loc["mean_size_weighted", "trend_p_value"] < 0.01 and size.loc["mean_size_weighted", "significant"]
    assert size.loc["mean_size", "p_value"] < 0.01  # Mann–Whitney, first vs last
    assert moe.loc["models", "trend_periods"] == 10 and "little power" not in moe.loc["models", "note"]


def test_false_positive_rate_on_200_null_fixtures_stays_below_eight_percent(con):
    rejections = {"Mann-Kendall (MoE share, models)": 0, "chi-square (MoE share)": 0, "bootstrap (MoE share, downloads)": 0, "Mann-Whitney U (size)": 0, "Mann-Kendall (weighted mean size)": 0}
    runs = 200
    for seed in range(runs):
        facts, units = synthetic(1000 + seed)
        shifts = shifts_of(con, facts, units, seed=seed)
        moe = shifts[(shifts["metric"] == "moe") & (shifts["category"] == "MoE")].set_index("weighting")
        size = shifts.set_index("metric")
        rejections["Mann-Kendall (MoE share, models)"] += bool(moe.loc["models", "trend_significant"])
        rejections["chi-square (MoE share)"] += bool(moe.loc["models", "significant"])
        rejections["bootstrap (MoE share, downloads)"] += bool(moe.loc["downloads", "significant"])
        rejections["Mann-Whitney U (size)"] += bool(size.loc["mean_size", "significant"])
        rejections["Mann-Kendall (weighted mean size)"] += bool(size.loc["mean_size_weighted", "trend_significant"])
    rates = {name: count / runs for name, count in rejections.items()}
    assert all(rate < 0.08 for rate in rates.values()), rates


# -- the CLI end to end ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_trends_end_to_end_on_the_embedded_data(fmt):
    completed = run_cli("trends", "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    if fmt == "json":
        document = json.loads(completed.stdout)
        assert document["command"] == "trends" and document["params"]["period_kind"] == "creation cohort"
        rows = pd.DataFrame(document["rows"])
        weighted = rows[rows["metric"] == "mean_size_weighted"]
        assert list(weighted["period"]) == ["2022", "2023", "2024", "2025", "2026"]
        assert (weighted["n"] > 0).all()
        headline = [item for item in document["multipliers"] if item["headline"]]
        assert {item["metric"] for item in headline} >= {"mean_size_weighted", "multimodal_generation", "quantized", "moe"}
        assert all(item["test"] for item in headline)
    else:
        assert completed.stdout.startswith("Data: ")
        assert "creation cohort" in completed.stdout and "| mean_size_weighted |" in completed.stdout and "First → last" in completed.stdout


HISTORY = [
    # taken_at, all-time downloads of a-lab/dense-7B and a-lab/moe-30B-A3B
    ("2026-01-31", 1000, 500),
    ("2026-02-28", 1100, 600),
    ("2026-03-31", 1300, 900),
    ("2026-04-30", 1600, 1500),
]


@pytest.fixture(scope="module")
def history_store(tmp_path_factory):
    """A store of four monthly `full` listings with all-time counts."""
    folder = tmp_path_factory.mktemp("history")
    store = folder / "store"
    for taken_at, dense, moe in HISTORY:
        listing = pd.DataFrame(
            {
                "model_id": ["a-lab/dense-7B", "a-lab/moe-30B-A3B"],
                "downloads": [dense // 10, moe // 10],
                "downloadsAllTime": [dense, moe],
                "pipeline_tag": ["text-generation", "text-generation"],
                "created_at": ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"],
                "tags": ["license:apache-2.0,dataset:a-lab/corpus", "license:apache-2.0"],
            }
        )
        path = folder / f"listing-{taken_at}.csv"
        listing.to_csv(path, index=False)
        hubecon.open(store, create=True).import_listing(path, taken_at=taken_at, scope="full")
    return store


@pytest.mark.parametrize("command,fmt", [("trends", "json"), ("openness", "md")])
def test_both_commands_end_to_end_on_a_stored_history(history_store, command, fmt):
    """Monthly windows: dense-7B gets 100, 200, 300; moe-30B-A3B 100, 300, 600 (differences of all-time counts).

    MoE share of downloads: 100/200 = 0.5 (Feb) → 600/900 = 2/3 (Apr): ×4/3.
    Weighted mean size: (7·100 + 30·100)/200 = 18.5 → (7·300 + 30·600)/900 = 22.33…: ×1.2072…
    Open source (dense-7B: apache-2.0 and a named dataset) by downloads: 0.5, 0.4, 1/3.
    """
    completed = run_cli("--store", str(history_store), command, "--period", "month", "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    if fmt == "md":
        assert "observation window" in completed.stdout and "| 2026-04 | openness | open source |" in completed.stdout
        return
    document = json.loads(completed.stdout)
    assert document["params"]["period_kind"] == "observation window"
    assert document["periods"] == ["2026-02", "2026-03", "2026-04"]
    rows = pd.DataFrame(document["rows"])
    assert set(rows["period_kind"]) == {"observation window"}
    shifts = pd.DataFrame(document["multipliers"])
    if command == "trends":
        moe = rows[(rows["metric"] == "moe") & (rows["category"] == "MoE") & (rows["weighting"] == "downloads")].set_index("period")["value"]
        assert moe.to_dict() == pytest.approx({"2026-02": 0.5, "2026-03": 0.6, "2026-04": 2 / 3})
        weighted = shifts[shifts["metric"] == "mean_size_weighted"].iloc[0]
        assert weighted["multiplier"] == pytest.approx((20100 / 900) / 18.5)
        assert pd.isna(weighted["trend_p_value"])  # three periods: too few for Mann–Kendall
    else:
        source = rows[(rows["metric"] == "openness") & (rows["category"] == "open source") & (rows["weighting"] == "downloads")].set_index("period")["value"]
        assert source.to_dict() == pytest.approx({"2026-02": 0.5, "2026-03": 0.4, "2026-04": 1 / 3})
        row = shifts[(shifts["metric"] == "openness") & (shifts["category"] == "open source") & (shifts["weighting"] == "downloads")].iloc[0]
        assert row["multiplier"] == pytest.approx((1 / 3) / 0.5)
