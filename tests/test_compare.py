"""`hubecon compare`: two listings side by side (DESIGN.md §3, "Comparing two listings").

Part 1 — a hand-built pair of listings, every compared figure worked out by hand below.
Both are cut to their top N = 5 models by 30-day downloads (ties broken by model id).

THEN (taken 2024-09-20), 6 rows, cut to 5:
  model                  D    task                 params (safetensors)      licence / data        notes
  usa-lab/base-a       600    text-generation      7B                        apache-2.0, dataset   open source
  cn-lab/img-gen       200    text-to-image        2B                        apache-2.0            open weights, multimodal gen.
  alice/base-a-GGUF    100    text-generation      — (parent's 7B)           —                     quantized of base-a, individual
  cn-lab/encoder        50    fill-mask            0.1B                      mit, dataset          open source
  old-ns/tie            30    text-classification  unknown                   mit                   namespace only in THEN
  zeta-ns/tie           30    text-classification  0.3B                      mit                   tie at 30: "old-ns/tie" < "zeta-ns/tie",
                                                                                                   so zeta-ns/tie is cut (its JP must not show)
  cut total: 600 + 200 + 100 + 50 + 30 = 980

NOW (taken 2026-04-27), 6 rows, cut to 5:
  cn-lab/chat-MoE      900    text-generation      30B                       apache-2.0            MoE (name), open weights
  usa-lab/base-a       300    (as in THEN)
  new-ns/speech        200    text-to-speech       0.5B                      cc-by-4.0, dataset    open non-OSI -> open weights; only in NOW
  ghost-ns/base-a-AWQ  100    text-generation      1.2B packed (parent's 7B) —                     quantized of base-a, unattributed
  usa-lab/vlm           50    image-text-to-text   2B                        apache-2.0, dataset   open source, multimodal gen. (2 inputs)
  alice/small           10    text-generation      1B                        mit                   below the cut: alice LEAVES the top N
  cut total: 900 + 300 + 200 + 100 + 50 = 1550

Registry (override file): usa-lab → USA Lab, US, industry; cn-lab → CN Lab, CN, industry;
alice → individual (USER); old-ns → Old Uni, DE, academia; new-ns → New Org, FR, nonprofit;
zeta-ns → Zeta Corp, JP, industry; ghost-ns is not in the registry (unattributed).

Part 2 — the real embedded listings (2024-09 and 2026-04), through the API and the CLI.
"""

import fnmatch
import io
import json
import math
import os
import subprocess
import tempfile
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest

from conftest import HUBECON
from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.metrics.compare import top_cut
from hubecon.sources.models_table import read_models_table
from hubecon.store.store import DataDescription, Store

B = 1_000_000_000
THEN_ROWS = [
    # model_id, downloads, pipeline_tag, library, tags, safetensors total
    ("usa-lab/base-a", 600, "text-generation", "transformers", ["license:apache-2.0", "dataset:pub/corpus"], 7 * B),
    ("cn-lab/img-gen", 200, "text-to-image", "diffusers", ["license:apache-2.0"], 2 * B),
    ("alice/base-a-GGUF", 100, "text-generation", "gguf", ["gguf", "base_model:quantized:usa-lab/base-a"], None),
    ("cn-lab/encoder", 50, "fill-mask", "transformers", ["license:mit", "dataset:pub/corpus"], B // 10),
    ("old-ns/tie", 30, "text-classification", "transformers", ["license:mit"], None),
    ("zeta-ns/tie", 30, "text-classification", "transformers", ["license:mit"], 3 * B // 10),
]
NOW_ROWS = [
    ("cn-lab/chat-MoE", 900, "text-generation", "transformers", ["license:apache-2.0"], 30 * B),
    ("usa-lab/base-a", 300, "text-generation", "transformers", ["license:apache-2.0", "dataset:pub/corpus"], 7 * B),
    ("new-ns/speech", 200, "text-to-speech", "transformers", ["license:cc-by-4.0", "dataset:pub/speech"], B // 2),
    ("ghost-ns/base-a-AWQ", 100, "text-generation", "transformers", ["awq", "base_model:quantized:usa-lab/base-a"], 12 * B // 10),
    ("usa-lab/vlm", 50, "image-text-to-text", "transformers", ["license:apache-2.0", "dataset:pub/captions"], 2 * B),
    ("alice/small", 10, "text-generation", "transformers", ["license:mit"], 1 * B),
]
REGISTRY = """namespace,developer,country,type,evidence
usa-lab,USA Lab,US,industry,https://usa-lab.example
cn-lab,CN Lab,CN,industry,https://cn-lab.example
alice,alice,,individual,https://huggingface.co/alice
old-ns,Old Uni,DE,academia,https://old-uni.example
new-ns,New Org,FR,nonprofit,https://new-org.example
zeta-ns,Zeta Corp,JP,industry,https://zeta.example
"""
T_THEN, T_NOW = 980, 1550


def write_listing(path: Path, rows) -> None:
    pd.DataFrame(
        [
            {
                "model_id": model_id,
                "author": model_id.split("/")[0],
                "downloads": downloads,
                "likes": 0,
                "pipeline_tag": task,
                "library_name": library,
                "created_at": "2024-01-01T00:00:00Z",
                "last_modified": "2024-01-02T00:00:00Z",
                "tags": tags,
                "safetensors": {"total": total} if total else None,
            }
            for model_id, downloads, task, library, tags, total in rows
        ]
    ).to_parquet(path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, cli):  # cli: start the (slow) CLI runs of part 2 now, so they overlap this work
    folder = tmp_path_factory.mktemp("compare-pair")
    write_listing(folder / "then.parquet", THEN_ROWS)
    write_listing(folder / "now.parquet", NOW_ROWS)
    (folder / "registry.csv").write_text(REGISTRY)
    then = read_models_table(folder / "then.parquet", taken_at=pd.Timestamp("2024-09-20T00:00:00Z"), scope="sample")
    then.snapshot_id = "pair-then"
    now = read_models_table(folder / "now.parquet", taken_at=pd.Timestamp("2026-04-27T00:00:00Z"), scope="sample")
    now.snapshot_id = "pair-now"
    session = Hubecon(Store.in_memory([then, now], DataDescription("store", "compare fixture")), load_registry(folder / "registry.csv"))
    return session.compare(then="pair-then", now="pair-now", top=5)


def values(frame: pd.DataFrame, metric: str) -> dict:
    rows = frame[frame["metric"] == metric]
    assert len(rows), f"no rows for {metric}"
    assert not rows["key"].duplicated().any()
    return {key: (then, now) for key, then, now in zip(rows["key"], rows["then"], rows["now"])}


def assert_values(frame: pd.DataFrame, metric: str, expected: dict) -> None:
    got = values(frame, metric)
    assert set(got) == set(expected), metric
    for key, (then, now) in expected.items():
        assert got[key][0] == pytest.approx(then, abs=1e-12), (metric, key, "then")
        assert got[key][1] == pytest.approx(now, abs=1e-12), (metric, key, "now")


# -- shares, both attributions ------------------------------------------------------------------


def test_country_shares_under_uploader_and_origin(pair):
    # uploader. THEN: US 600, CN 200 + 50, USER (alice) 100, DE 30 — JP absent (zeta-ns/tie lost the tie).
    # NOW: CN 900, US 300 + 50, FR 200, _unattributed (ghost-ns) 100. Keys one side lacks are 0 there.
    assert_values(
        pair,
        "country share (uploader)",
        {
            "US": (600 / T_THEN, 350 / T_NOW),
            "CN": (250 / T_THEN, 900 / T_NOW),
            "USER": (100 / T_THEN, 0.0),
            "DE": (30 / T_THEN, 0.0),
            "FR": (0.0, 200 / T_NOW),
            "_unattributed": (0.0, 100 / T_NOW),
        },
    )
    # origin: both quantized variants credit their root usa-lab/base-a (US): THEN US 600 + 100; NOW US 350 + 100.
    assert_values(
        pair,
        "country share (origin)",
        {"US": (700 / T_THEN, 450 / T_NOW), "CN": (250 / T_THEN, 900 / T_NOW), "DE": (30 / T_THEN, 0.0), "FR": (0.0, 200 / T_NOW)},
    )


def test_developer_type_shares_under_uploader_and_origin(pair):
    # uploader THEN: industry 600 + 250, individual 100, academia 30; NOW: industry 350 + 900, nonprofit 200, _unattributed 100
    assert_values(
        pair,
        "type share (uploader)",
        {
            "industry": (850 / T_THEN, 1250 / T_NOW),
            "individual": (100 / T_THEN, 0.0),
            "academia": (30 / T_THEN, 0.0),
            "nonprofit": (0.0, 200 / T_NOW),
            "_unattributed": (0.0, 100 / T_NOW),
        },
    )
    # origin THEN: industry 700 + 250, academia 30; NOW: industry 450 + 900, nonprofit 200
    assert_values(
        pair,
        "type share (origin)",
        {"industry": (950 / T_THEN, 1350 / T_NOW), "academia": (30 / T_THEN, 0.0), "nonprofit": (0.0, 200 / T_NOW)},
    )


def test_top_developer_shares_under_uploader_and_origin(pair):
    assert_values(
        pair,
        "developer share (uploader)",
        {
            "USA Lab": (600 / T_THEN, 350 / T_NOW),
            "CN Lab": (250 / T_THEN, 900 / T_NOW),
            "alice": (100 / T_THEN, 0.0),
            "Old Uni": (30 / T_THEN, 0.0),
            "New Org": (0.0, 200 / T_NOW),
            "_unattributed": (0.0, 100 / T_NOW),
        },
    )
    assert_values(
        pair,
        "developer share (origin)",
        {"USA Lab": (700 / T_THEN, 450 / T_NOW), "CN Lab": (250 / T_THEN, 900 / T_NOW), "Old Uni": (30 / T_THEN, 0.0), "New Org": (0.0, 200 / T_NOW)},
    )


def test_share_rows_carry_the_change_and_its_direction(pair):
    shares = pair[pair["metric"].str.contains("share")]
    for _, item in shares.iterrows():
        assert item["change"] == pytest.approx(item["now"] - item["then"], abs=1e-12)
        expected = "up" if item["now"] > item["then"] + 1e-12 else "down" if item["now"] < item["then"] - 1e-12 else "same"
        assert item["direction"] == expected, (item["metric"], item["key"])
    us = shares[(shares["metric"] == "country share (uploader)") & (shares["key"] == "US")].iloc[0]
    assert us["direction"] == "down" and us["change"] == pytest.approx(350 / T_NOW - 600 / T_THEN)


# -- concentration ------------------------------------------------------------------------------


def concentration(frame: pd.DataFrame, level: str) -> dict:
    rows = frame[(frame["section"] == "concentration") & frame["metric"].str.startswith(f"{level} ")]
    return {metric.split(" ", 1)[1]: (then, now, n_then, n_now) for metric, then, now, n_then, n_now in zip(rows["metric"], rows["then"], rows["now"], rows["n_then"], rows["n_now"])}


def assert_concentration(frame, level, expected, n):
    got = concentration(frame, level)
    assert set(got) == {"hhi", "gini", "top1", "top5", "top10", "top100"}
    for name, (then, now) in expected.items():
        assert got[name][0] == pytest.approx(then, rel=1e-9), (level, name, "then")
        assert got[name][1] == pytest.approx(now, rel=1e-9), (level, name, "now")
    for name in got:
        assert (got[name][2], got[name][3]) == n, (level, name)


def test_concentration_at_model_level(pair):
    # THEN models [600, 200, 100, 50, 30] (total 980); NOW [900, 300, 200, 100, 50] (total 1550).
    # HHI = 10,000 · Σ s²: THEN 10,000 · 413,400 / 960,400 = 4304.456…; NOW 10,000 · 952,500 / 2,402,500 = 3964.620…
    # Gini = Σ_{i<j} |x_i − x_j| / (n · total):
    #   THEN pairs 20+70+170+570+50+150+550+100+500+400 = 2580 → 2580 / 4900;  NOW 50+150+250+850+100+200+800+100+700+600 = 3800 → 3800 / 7750
    # top-k: top1 600/980 and 900/1550; 5 models on each side, so top5/top10/top100 = 1.
    assert_concentration(
        pair,
        "model",
        {
            "hhi": (10_000 * 413_400 / 960_400, 10_000 * 952_500 / 2_402_500),
            "gini": (2580 / 4900, 3800 / 7750),
            "top1": (600 / 980, 900 / 1550),
            "top5": (1.0, 1.0),
            "top10": (1.0, 1.0),
            "top100": (1.0, 1.0),
        },
        (5, 5),
    )


def test_concentration_at_developer_level(pair):
    # THEN developers USA Lab 600, CN Lab 250, alice 100, Old Uni 30 (total 980);
    # NOW CN Lab 900, USA Lab 350, New Org 200, ghost-ns (unattributed: its own developer) 100 (total 1550).
    # HHI THEN 10,000 · (360,000 + 62,500 + 10,000 + 900) / 960,400; NOW 10,000 · (810,000 + 122,500 + 40,000 + 10,000) / 2,402,500
    # Gini THEN pairs 350+500+570+150+220+70 = 1860 → 1860 / (4 · 980); NOW 550+700+800+150+250+100 = 2550 → 2550 / (4 · 1550)
    assert_concentration(
        pair,
        "developer",
        {
            "hhi": (10_000 * 433_400 / 960_400, 10_000 * 982_500 / 2_402_500),
            "gini": (1860 / 3920, 2550 / 6200),
            "top1": (600 / 980, 900 / 1550),
            "top5": (1.0, 1.0),
            "top10": (1.0, 1.0),
            "top100": (1.0, 1.0),
        },
        (4, 4),
    )


def test_concentration_at_country_level_leaves_out_user_and_unattributed(pair):
    # THEN countries US 600, CN 250, DE 30 (USER 100 left out; total 880); NOW CN 900, US 350, FR 200 (unattributed 100 left out; 1450).
    # HHI THEN 10,000 · (360,000 + 62,500 + 900) / 774,400; NOW 10,000 · (810,000 + 122,500 + 40,000) / 2,102,500
    # Gini THEN pairs 350+570+220 = 1140 → 1140 / (3 · 880); NOW 550+700+150 = 1400 → 1400 / (3 · 1450)
    assert_concentration(
        pair,
        "country",
        {
            "hhi": (10_000 * 423_400 / 774_400, 10_000 * 972_500 / 2_102_500),
            "gini": (1140 / 2640, 1400 / 4350),
            "top1": (600 / 880, 900 / 1450),
            "top5": (1.0, 1.0),
            "top10": (1.0, 1.0),
            "top100": (1.0, 1.0),
        },
        (3, 3),
    )


# -- model properties ---------------------------------------------------------------------------


def one(frame: pd.DataFrame, metric: str, key: str | None = None) -> pd.Series:
    rows = frame[(frame["metric"] == metric) & ((frame["key"] == key) if key is not None else True)]
    assert len(rows) == 1, (metric, key, len(rows))
    return rows.iloc[0]


def test_download_weighted_and_median_size(pair):
    # Quantized variants take their parent's size (DESIGN §3): alice/base-a-GGUF and ghost-ns/base-a-AWQ (1.2B packed) → 7B.
    # old-ns/tie has no size and is left out. THEN sized: 600·7B + 200·2B + 100·7B + 50·0.1B = 5305B over 950 downloads.
    # NOW: 900·30B + 300·7B + 200·0.5B + 100·7B + 50·2B = 30,000B over 1550 downloads.
    weighted = one(pair, "download-weighted mean size")
    assert weighted["then"] == pytest.approx(5305 * B / 950) and weighted["now"] == pytest.approx(30_000 * B / 1550)
    assert (weighted["n_then"], weighted["n_now"]) == (4, 5)
    assert weighted["direction"] == "up"
    # Medians: THEN [0.1, 2, 7, 7]B → 4.5B; NOW [0.5, 2, 7, 7, 30]B → 7B.
    median = one(pair, "median size")
    assert median["then"] == pytest.approx(4.5 * B) and median["now"] == pytest.approx(7 * B)
    assert (median["n_then"], median["n_now"]) == (4, 5)


def test_size_bucket_shares(pair):
    # Download-weighted over models of known size. THEN (950): 1-10B 600+200+100, <1B 50. NOW (1550): 10-35B 900, 1-10B 300+100+50, <1B 200.
    assert_values(pair, "size bucket", {"1-10B": (900 / 950, 450 / T_NOW), "10-35B": (0.0, 900 / T_NOW), "<1B": (50 / 950, 200 / T_NOW)})


def test_modality_and_multimodal_generation_shares(pair):
    # THEN: nlp 600+100+50+30, cv 200. NOW: nlp 900+300+100, audio 200, multimodal (image-text-to-text) 50.
    assert_values(
        pair,
        "modality",
        {"nlp": (780 / T_THEN, 1300 / T_NOW), "cv": (200 / T_THEN, 0.0), "audio": (0.0, 200 / T_NOW), "multimodal": (0.0, 50 / T_NOW)},
    )
    # Multimodal generation: output image/video/audio/3D or several inputs. THEN text-to-image 200; NOW text-to-speech 200 + image-text-to-text 50.
    generation = one(pair, "multimodal generation")
    assert (generation["then"], generation["now"]) == pytest.approx((200 / T_THEN, 250 / T_NOW))


def test_quantized_moe_and_openness_shares(pair):
    quantized = one(pair, "quantized variants")  # THEN alice/base-a-GGUF 100; NOW ghost-ns/base-a-AWQ 100
    assert (quantized["then"], quantized["now"]) == pytest.approx((100 / T_THEN, 100 / T_NOW))
    assert quantized["direction"] == "down"
    moe = one(pair, "mixture-of-experts")  # NOW cn-lab/chat-MoE 900 only
    assert (moe["then"], moe["now"]) == pytest.approx((0.0, 900 / T_NOW))
    assert moe["direction"] == "up"
    # open source = OSI licence + data disclosed & available: THEN base-a 600 + encoder 50; NOW base-a 300 + vlm 50.
    # Everything else is open weights (new-ns/speech: cc-by-4.0 is not OSI; the quantized variants carry no licence).
    assert_values(pair, "openness", {"open source": (650 / T_THEN, 350 / T_NOW), "open weights": (330 / T_THEN, 1200 / T_NOW)})


def test_namespaces_that_entered_and_left_the_top_n(pair):
    envelope = pair.attrs["envelope"]
    assert envelope["n"] == {"then": 5, "now": 5}
    # new-ns exists only in NOW; ghost-ns is new to the top N. alice is in the NOW listing, but only below the cut;
    # old-ns exists only in THEN, and made the cut over zeta-ns by the tie rule (equal 30, smaller model id).
    assert envelope["entered"] == [{"namespace": "new-ns", "downloads": 200, "models": 1}, {"namespace": "ghost-ns", "downloads": 100, "models": 1}]
    assert envelope["left"] == [{"namespace": "alice", "downloads": 100, "models": 1}, {"namespace": "old-ns", "downloads": 30, "models": 1}]
    assert "JP" not in set(pair["key"]) and "Zeta Corp" not in set(pair["key"])


def test_top_cut_breaks_ties_by_model_id():
    observations = pd.DataFrame({"model_id": ["b/x", "a/y", "c/z", "a/a"], "downloads_30d": [30, 30, 50, 10]})
    assert top_cut(observations, 2)["model_id"].tolist() == ["c/z", "a/y"]
    assert top_cut(observations, 3)["model_id"].tolist() == ["c/z", "a/y", "b/x"]


# -- the tests of each change -------------------------------------------------------------------


def test_each_row_kind_carries_its_test(pair):
    for _, item in pair.iterrows():
        if item["key"].startswith("_"):  # _unattributed / _other are residual rows
            assert item["test"] is None or pd.isna(item["test"])
            continue
        if item["section"].startswith("shares"):
            assert item["test"] == "bootstrap (developers)", item["metric"]
        elif item["metric"] == "download-weighted mean size":
            assert item["test"] == "bootstrap (developers)"
        elif item["metric"] in ("median size", "mean size"):
            assert item["test"] == "Mann-Whitney U"
        elif item["metric"] == "left out of country level":  # reported beside, not a tested change
            assert item["test"] is None or pd.isna(item["test"])
            continue
        elif item["section"] == "models":
            assert item["test"] == "chi-square", item["metric"]
        if item["p_value"] is not None and not pd.isna(item["p_value"]):
            assert 0.0 <= item["p_value"] <= 1.0
            assert item["significant"] == (item["p_value"] < 0.05)
    # only the residual rows and the left-out share go untested here (the three uploader _unattributed rows)
    untested = pair["key"].str.startswith("_") | (pair["metric"] == "left out of country level")
    assert pair["p_value"].isna().tolist() == untested.tolist()
    assert pair["key"].str.startswith("_").sum() == 3


def test_concentration_changes_are_tested_with_models_or_developers_as_units(pair):
    # DESIGN §3: a shift is significant only by a test with models or developers (never single downloads) as units.
    rows = pair[(pair["section"] == "concentration") & (pair["metric"] != "left out of country level")]
    for _, item in rows.iterrows():
        level = item["metric"].split(" ")[0]
        unit = "models" if level == "model" else "developers"
        assert item["test"] == f"bootstrap ({unit} resampled)", (item["metric"], item["test"])
        assert 0.0 <= item["p_value"] <= 1.0


def test_chi_square_on_model_counts_computed_by_hand(pair):
    # modality nlp: THEN 4 of 5 models, NOW 3 of 5. Table [[4, 1], [3, 2]], N = 10, column sums 7 and 3:
    # expected [[3.5, 1.5], [3.5, 1.5]]; χ² = 2·(0.5²/3.5) + 2·(0.5²/1.5) = 1/7 + 1/3 = 10/21; 1 df: p = erfc(√(χ²/2)).
    nlp = one(pair, "modality", "nlp")
    assert nlp["test"] == "chi-square"
    assert nlp["statistic"] == pytest.approx(10 / 21)
    assert nlp["p_value"] == pytest.approx(math.erfc(math.sqrt(10 / 42)))
    assert (nlp["n_then"], nlp["n_now"]) == (5, 5)
    # size bucket 1-10B: THEN 3 of 4 sized, NOW 3 of 5: [[3, 1], [3, 2]], expected [[8/3, 4/3], [10/3, 5/3]]:
    # χ² = (1/9)·(3/8 + 3/4 + 3/10 + 3/5) = 0.225
    bucket = one(pair, "size bucket", "1-10B")
    assert bucket["statistic"] == pytest.approx(0.225) and (bucket["n_then"], bucket["n_now"]) == (4, 5)


def test_mann_whitney_on_sizes_computed_by_hand(pair):
    # U of THEN [7, 2, 7, 0.1] against NOW [30, 7, 0.5, 7, 2]: pairs THEN > NOW, ties ½:
    # 7 → 0 + ½ + 1 + ½ + 1 = 3; 2 → 1 + ½ = 1.5; 7 → 3; 0.1 → 0. U = 7.5
    median = one(pair, "median size")
    assert median["statistic"] == pytest.approx(7.5)
    assert 0.0 <= median["p_value"] <= 1.0


# -- Part 2: the real embedded listings ---------------------------------------------------------

THEN_ID, NOW_ID = "hub-listing-2024-09", "hub-listing-2026-04"
OUTLIER = "MIT/ast-finetuned-audioset-10-10-0.4593"


def start_cli(*args: str) -> subprocess.Popen:
    """Like conftest.run_cli, but started in the background so the CLI runs overlap the in-process work."""
    clean = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    clean["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hubecon-xdg-")
    return subprocess.Popen([HUBECON, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean)


class CliRuns:
    COMMANDS = {
        "json-excluded": ("compare", "--exclude", "test-repos", "--format", "json"),
        "csv": ("compare", "--top", "100", "--format", "csv"),
        "md": ("compare", "--top", "100", "--format", "md"),
        "table": ("compare", "--top", "100", "--format", "table"),
        "quality": ("quality", "--snapshot", THEN_ID, "--format", "json"),
    }

    def __init__(self):
        self.running = {name: start_cli(*args) for name, args in self.COMMANDS.items()}
        self.done = {}

    def __getitem__(self, name: str) -> str:
        if name not in self.done:
            out, err = self.running[name].communicate(timeout=900)
            assert self.running[name].returncode == 0, err
            self.done[name] = out
        return self.done[name]


@pytest.fixture(scope="module")
def cli():
    runs = CliRuns()
    yield runs
    for process in runs.running.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def real(embedded, cli):
    return embedded.compare()


@pytest.fixture(scope="module")
def cuts(embedded):
    """Each listing's top 5,000 by 30-day downloads, ties by model id — computed here, independently of compare."""
    observations = embedded.store.con.execute(embedded.store.table("observations"))
    out = {}
    for side, snapshot in (("then", THEN_ID), ("now", NOW_ID)):
        rows = observations[observations["snapshot_id"] == snapshot]
        ordered = sorted(zip(rows["model_id"], rows["downloads_30d"]), key=lambda item: (-item[1], item[0]))
        out[side] = pd.DataFrame(ordered, columns=["model_id", "downloads"]).assign(namespace=lambda f: f["model_id"].str.split("/").str[0])
    return out


def test_real_comparison_runs_through_the_api(real):
    envelope = real.attrs["envelope"]
    assert envelope["command"] == "compare"
    assert envelope["params"]["then"] == THEN_ID and envelope["params"]["now"] == NOW_ID and envelope["params"]["top"] == 5000
    assert envelope["n"] == {"then": 5000, "now": 5000}
    sections = set(real["section"])
    assert {"shares (uploader)", "shares (origin)", "concentration", "models"} <= sections
    metrics = set(real["metric"])
    for by in ("country", "type", "developer"):
        for attribution in ("uploader", "origin"):
            assert f"{by} share ({attribution})" in metrics
    for level in ("model", "developer", "country"):
        assert {f"{level} {name}" for name in ("hhi", "gini", "top1", "top5", "top10", "top100")} <= metrics
    assert {"download-weighted mean size", "median size", "size bucket", "modality", "multimodal generation", "quantized variants", "mixture-of-experts", "openness"} <= metrics
    tested = real[real["p_value"].notna()]
    assert len(tested) and tested["p_value"].between(0, 1).all()
    # each side states its own selection caveats
    assert "top 10,000" in envelope["caveats"]["then"] and "3 years" in envelope["caveats"]["then"]
    assert "top 5,000" in envelope["caveats"]["now"]


def test_real_shares_sum_to_one_per_metric_and_side(real):
    grouped = real[real["metric"].str.contains("share") | real["metric"].isin(["size bucket", "modality", "openness"])]
    sums = grouped.groupby("metric")[["then", "now"]].sum()
    assert len(sums) == 9
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-9)


def test_real_top_n_cut_is_n_rows_sorted_with_ties_by_model_id(embedded, real, cuts):
    observations = embedded.store.con.execute(embedded.store.table("observations"))
    then = observations[observations["snapshot_id"] == THEN_ID]
    cut = top_cut(then, 5000)
    assert len(cut) == 5000
    assert cut["model_id"].tolist() == cuts["then"]["model_id"].head(5000).tolist()
    assert (cut["downloads"].diff().dropna() <= 0).all()
    ties = cut[cut["downloads"].duplicated(keep=False)]
    for _, group in ties.groupby("downloads"):
        assert group["model_id"].tolist() == sorted(group["model_id"])
    # the 2024 cut falls inside a tie (3,599 downloads at ranks 5,000 and 5,001): the smaller id is in
    boundary = cuts["then"].iloc[4999:5001]
    assert boundary["downloads"].nunique() == 1 and boundary["model_id"].iloc[0] < boundary["model_id"].iloc[1]
    # compare used exactly these cuts: its entered/left lists are those of the cuts computed here
    kept = {side: cuts[side].head(5000) for side in cuts}
    spaces = {side: kept[side].groupby("namespace").agg(downloads=("downloads", "sum"), models=("model_id", "size")) for side in kept}
    entered = spaces["now"][~spaces["now"].index.isin(spaces["then"].index)]
    left = spaces["then"][~spaces["then"].index.isin(spaces["now"].index)]
    envelope = real.attrs["envelope"]
    assert {item["namespace"]: (item["downloads"], item["models"]) for item in envelope["entered"]} == {k: (v.downloads, v.models) for k, v in entered.iterrows()}
    assert {item["namespace"]: (item["downloads"], item["models"]) for item in envelope["left"]} == {k: (v.downloads, v.models) for k, v in left.iterrows()}
    assert [item["downloads"] for item in envelope["entered"]] == sorted((item["downloads"] for item in envelope["entered"]), reverse=True)
    # the model-level top-1 share is the largest model over the cut's total
    top1 = one(real, "model top1")
    assert top1["then"] == pytest.approx(kept["then"]["downloads"].max() / kept["then"]["downloads"].sum())


def credited_shares(embedded, cut: pd.DataFrame, attribution: str) -> pd.Series:
    """Downloads by developer (NaN = unattributed) over a cut, from the store's facts, origin credit and the registry."""
    registry = embedded.registry.attribution()[["namespace", "developer"]]
    if attribution == "uploader":
        rows = cut[["model_id", "downloads", "namespace"]]
    else:
        credit = embedded.enriched.credit[["model_id", "root_namespace", "fraction"]]
        rows = cut.drop(columns="namespace").merge(credit, on="model_id")
        rows = rows.assign(downloads=rows["downloads"] * rows["fraction"], namespace=rows["root_namespace"])
    rows = rows.merge(registry, on="namespace", how="left")
    return rows.groupby(rows["developer"].fillna("_unattributed"))["downloads"].sum() / rows["downloads"].sum()


@pytest.mark.parametrize("attribution", ["uploader", "origin"])
def test_registry_covers_95_percent_of_the_2024_top_5000(embedded, real, cuts, attribution):
    cut = cuts["then"].head(5000)
    independent = credited_shares(embedded, cut, attribution)
    unattributed = one(real, f"country share ({attribution})", "_unattributed")["then"]
    assert unattributed == pytest.approx(independent.get("_unattributed", 0.0), abs=1e-9)
    assert 1 - unattributed >= 0.95
    # with evidence: every attributed namespace of the cut has some; an organisation's is more than its own Hub page
    entries = embedded.registry.entries
    attributed = entries[entries["namespace"].isin(set(cut["namespace"])) & (entries["type"] != "unknown")]
    assert (attributed["evidence"].str.strip() != "").all()
    organisations = attributed[attributed["type"] != "individual"]
    own_page = organisations["evidence"].str.strip().str.rstrip("/").str.lower() == ("https://huggingface.co/" + organisations["namespace"]).str.lower()
    assert not own_page.any(), organisations[own_page]["namespace"].tolist()


@pytest.mark.parametrize("attribution", ["uploader", "origin"])
def test_real_developer_rows_show_each_developers_own_share_on_both_sides(embedded, real, cuts, attribution):
    # The developer table is cut to its top developers per side. A developer shown for one side only still had
    # downloads on the other (e.g. NVIDIA, Stanford, DeepSeek in the 2024 top 5,000): its share there is its
    # real share (the rest in _other), never 0.
    rows = real[(real["metric"] == f"developer share ({attribution})") & ~real["key"].str.startswith("_")]
    for side in ("then", "now"):
        independent = credited_shares(embedded, cuts[side].head(5000), attribution)
        wrong = {key: (shown, independent.get(key, 0.0)) for key, shown in zip(rows["key"], rows[side]) if abs(shown - independent.get(key, 0.0)) > 1e-9}
        assert not wrong, f"{side}: shown vs real share: {dict(list(wrong.items())[:5])}"


def test_quality_flags_the_2024_automated_traffic_outlier(cli):
    document = json.loads(cli["quality"])
    assert document["params"]["snapshot"] == THEN_ID
    flagged = {item["model_id"]: item["downloads"] for item in document["details"]["test_repos"]}
    assert OUTLIER in flagged and flagged[OUTLIER] > 189_000_000
    row = next(item for item in document["rows"] if item["check"] == "test/CI-traffic repos")
    assert OUTLIER in row["examples"] and row["downloads"] >= flagged[OUTLIER]


def test_cli_json_compare_without_test_repos_drops_the_outlier(embedded, cli, cuts):
    document = json.loads(cli["json-excluded"])
    assert document["command"] == "compare"
    assert document["params"] == {**document["params"], "then": THEN_ID, "now": NOW_ID, "top": 5000, "exclude": ["test-repos"]}
    assert set(document["data"]) == {"then", "now"} and document["data"]["then"]["as_of"] == "2024-09-20T19:55:23Z"
    assert {"entered", "left", "caveats"} <= set(document)
    rows = pd.DataFrame(document["rows"])
    # independently: the then cut less its test/CI-traffic repos (data/test_repos.txt patterns)
    listed = Path(str(files("hubecon") / "data" / "test_repos.txt")).read_text().splitlines()
    patterns = [line.strip() for line in listed if line.strip() and not line.startswith("#")]
    cut = cuts["then"].head(5000)
    is_test = cut["model_id"].map(lambda model_id: any(fnmatch.fnmatchcase(model_id, pattern) for pattern in patterns))
    assert is_test[cut["model_id"] == OUTLIER].all()
    kept = cut[~is_test]
    assert kept["downloads"].sum() < cut["downloads"].sum() - 189_000_000
    # its 189M downloads vanish from the then side's total: the top model's share is over the reduced total
    top1 = rows[rows["metric"] == "model top1"].iloc[0]
    assert top1["then"] == pytest.approx(kept["downloads"].max() / kept["downloads"].sum())
    us = rows[(rows["metric"] == "country share (uploader)") & (rows["key"] == "US")].iloc[0]
    registry = embedded.registry.attribution()[["namespace", "country"]]
    by_country = kept.merge(registry, on="namespace", how="left").groupby("country")["downloads"].sum()
    assert us["then"] == pytest.approx(by_country["US"] / kept["downloads"].sum())
    shares = rows[rows["metric"].str.contains("share")].groupby("metric")[["then", "now"]].sum()
    assert shares.to_numpy() == pytest.approx(1.0, abs=1e-9)


def test_cli_csv_rows_equal_the_api_rows(embedded, cli):
    api = embedded.compare(top=100)
    rows = pd.read_csv(io.StringIO(cli["csv"]))
    assert list(rows.columns) == list(api.columns)
    assert rows["key"].tolist() == api["key"].tolist() and rows["metric"].tolist() == api["metric"].tolist()
    for column in ("then", "now", "change", "p_value"):
        assert rows[column].to_numpy(dtype=float) == pytest.approx(api[column].to_numpy(dtype=float), nan_ok=True)
    assert rows["test"].fillna("").tolist() == api["test"].fillna("").tolist()


def test_cli_md_and_table_show_every_section_and_the_moves(cli):
    md = cli["md"]
    lines = md.splitlines()
    assert lines[0].startswith("Then: Data: Hub listing of 2024-09-20") and lines[1].startswith("Now: Data: Hub listing, top 5,000")
    assert "| metric | label | then | now | change | direction | test | p_value | significant |" in md
    for title in ("shares (uploader)", "shares (origin)", "concentration", "models", "Namespaces that entered the top N", "Namespaces that left the top N"):
        assert f"**{title}" in md, title
    table = cli["table"]
    for text in ("Then: Data:", "Now: Data:", "concentration", "Namespaces that entered the top N", "Namespaces that left the top N", "top 100"):
        assert text in table, text
