"""Concentration of downloads (DESIGN.md §3, Concentration): HHI, Gini with n, top-k shares, at each level, per period.

Every expected value is worked out by hand below. HHI = 10,000·Σ s_i² over the
entities counted (shares renormalised to 1 over them); Gini over the entities
with ≥ 1 download, G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄), which for values sorted
ascending equals 2·Σ i·x_(i) / (n·Σx) − (n + 1)/n; top-k = the k largest over the total counted.

One snapshot taken 2025-06-01T00:00Z, so its window is 2025-05-02 → 2025-06-01 (30 days):

model                    D    created      registry
zz-alab/m1             400    2025-03-01   A Lab, US industry
zz-alab-research/m2    100    2020-01-01   A Lab (a second namespace of the same developer)
zz-blab/m3             200    2024-05-05   B Lab, CN industry (365 days end 2025-05-05, 3 days into the window)
zz-ccol/m4             100    2025-01-01   C Collective, INTL community
zz-alice/m5             60    2025-05-10   individual (created inside the window)
zz-bob/m6               40    2020-01-01   individual
zz-ghost/m7             80    2025-02-01   not in the registry
zz-ghost2/m8            20    2024-05-03   not in the registry (365 days end 2025-05-03, 1 day into the window)
zz-alab/zero             0    2025-01-01   A Lab
                      ----
                      1000
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.sources.models_table import models_batch
from hubecon.store.store import DataDescription, Store

REGISTRY = """namespace,developer,country,type,evidence
zz-alab,A Lab,US,industry,https://alab.example
zz-alab-research,A Lab,US,industry,https://alab.example
zz-blab,B Lab,CN,industry,https://blab.example
zz-ccol,C Collective,INTL,community,https://ccol.example
zz-alice,zz-alice,,individual,https://huggingface.co/zz-alice
zz-bob,zz-bob,,individual,https://huggingface.co/zz-bob
"""
LISTING = [
    ("zz-alab/m1", 400, "2025-03-01"),
    ("zz-alab-research/m2", 100, "2020-01-01"),
    ("zz-blab/m3", 200, "2024-05-05"),
    ("zz-ccol/m4", 100, "2025-01-01"),
    ("zz-alice/m5", 60, "2025-05-10"),
    ("zz-bob/m6", 40, "2020-01-01"),
    ("zz-ghost/m7", 80, "2025-02-01"),
    ("zz-ghost2/m8", 20, "2024-05-03"),
    ("zz-alab/zero", 0, "2025-01-01"),
]


def listing_rows(listing) -> list[dict]:
    return [{"id": model_id, "downloads": downloads, "createdAt": f"{created}T00:00:00Z", "tags": ""} for model_id, downloads, created in listing]


def one_snapshot(rows: list[dict], registry, taken: str = "2025-06-01") -> Hubecon:
    batch = models_batch(pd.DataFrame(rows), origin="fixture", taken_at=pd.Timestamp(f"{taken}T00:00:00Z"), scope="sample", source="fixture", params=None, sha256="0")
    batch.snapshot_id = "fixture"
    return Hubecon(Store.in_memory([batch], DataDescription("store", "fixture")), registry)


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    path.write_text(REGISTRY)
    return path


@pytest.fixture(scope="module")
def registry(registry_file):
    return load_registry(registry_file)


@pytest.fixture(scope="module")
def session(registry) -> Hubecon:
    return one_snapshot(listing_rows(LISTING), registry)


def only_row(table: pd.DataFrame) -> dict:
    assert len(table) == 1
    return table.iloc[0].to_dict()


def test_model_level(session):
    row = only_row(session.concentration(level="model"))
    # Shares of 1000: .4 .2 .1 .1 .08 .06 .04 .02 (the 0-download repo has none).
    # HHI = 10,000 × (.16 + .04 + .01 + .01 + .0064 + .0036 + .0016 + .0004) = 10,000 × .232 = 2320
    # Gini over the 8 with ≥ 1 download, ascending 20 40 60 80 100 100 200 400:
    #   Σ i·x = 20 + 80 + 180 + 320 + 500 + 600 + 1400 + 3200 = 6300; 2·6300/(8·1000) − 9/8 = 1.575 − 1.125 = 0.45
    # top1 = .4; top5 = .4 + .2 + .1 + .1 + .08 = .88; top10 = top100 = 1
    assert row["period"] is None and row["level"] == "model" and row["n"] == 8
    assert row["hhi"] == pytest.approx(2320)
    assert row["gini"] == pytest.approx(0.45)
    assert [row["top1"], row["top5"], row["top10"], row["top100"]] == pytest.approx([0.4, 0.88, 1.0, 1.0])


def test_developer_level_joins_a_developers_namespaces_and_counts_each_unattributed_namespace_and_account_alone(session):
    row = only_row(session.concentration(level="developer"))
    # A Lab 400 + 100 = 500; B Lab 200; C Collective 100; namespace zz-ghost 80; zz-alice 60; zz-bob 40; zz-ghost2 20.
    # HHI = 10,000 × (.25 + .04 + .01 + .0064 + .0036 + .0016 + .0004) = 10,000 × .312 = 3120
    # Gini, ascending 20 40 60 80 100 200 500: Σ i·x = 20 + 80 + 180 + 320 + 500 + 1200 + 3500 = 5800;
    #   2·5800/(7·1000) − 8/7 = (11600 − 8000)/7000 = 18/35
    # top1 = .5; top5 = (500 + 200 + 100 + 80 + 60)/1000 = .94
    assert row["n"] == 7
    assert row["hhi"] == pytest.approx(3120)
    assert row["gini"] == pytest.approx(18 / 35)
    assert [row["top1"], row["top5"], row["top10"], row["top100"]] == pytest.approx([0.5, 0.94, 1.0, 1.0])


def test_country_level_counts_countries_and_intl_and_reports_the_share_left_out(session):
    row = only_row(session.concentration(level="country"))
    # Counted: US 500, CN 200, INTL 100 = 800 → .625 .25 .125. Left out: USER 60 + 40, unattributed 80 + 20 = 200 of 1000.
    # HHI = 10,000 × (.390625 + .0625 + .015625) = 4687.5
    # Gini, ascending 100 200 500: Σ i·x = 100 + 400 + 1500 = 2000; 2·2000/(3·800) − 4/3 = 5/3 − 4/3 = 1/3
    assert row["n"] == 3
    assert row["hhi"] == pytest.approx(4687.5)
    assert row["gini"] == pytest.approx(1 / 3)
    assert [row["top1"], row["top5"], row["top10"], row["top100"]] == pytest.approx([0.625, 1.0, 1.0, 1.0])
    assert row["left_out_share"] == pytest.approx(0.2)


def test_country_level_left_out_share_follows_the_exclusions(session):
    row = only_row(session.concentration(level="country", exclude=["individuals"]))
    # Individuals leave the universe: 900 in all, of which unattributed 100 is left out beside; the counted shares are unchanged.
    assert row["left_out_share"] == pytest.approx(100 / 900)
    assert row["hhi"] == pytest.approx(4687.5) and row["n"] == 3


def test_new_cohort_gini_counts_only_entities_with_a_download_while_hhi_counts_every_share(session):
    row = only_row(session.concentration(level="developer", cohort="new"))
    # New cohort over the window 2025-05-02 → 2025-06-01 (30 days):
    #   A Lab: m1 400 in full, m2 (2020) 0 → 400; B Lab: m3's first year ends 2025-05-05, 3 of 30 days: 200 × 3/30 = 20;
    #   C Collective 100; zz-alice 60 (created inside); zz-bob 0 (2020); zz-ghost 80; zz-ghost2: 1 of 30 days: 20/30 = 2/3.
    # Counted for HHI and top-k: the six with a share (total 660 + 2/3); Gini and n: the five with ≥ 1 download.
    total = 400 + 20 + 100 + 60 + 80 + 2 / 3
    assert row["n"] == 5
    assert row["hhi"] == pytest.approx(10_000 * (400**2 + 20**2 + 100**2 + 60**2 + 80**2 + (2 / 3) ** 2) / total**2)
    # Gini of 20 60 80 100 400: Σ i·x = 20 + 120 + 240 + 400 + 2000 = 2780; 2·2780/(5·660) − 6/5 = 278/165 − 198/165 = 16/33
    assert row["gini"] == pytest.approx(16 / 33)
    assert row["top1"] == pytest.approx(400 / total)


def test_origin_attribution_at_model_level_counts_root_models(registry):
    # A finetune's downloads go to its root: zz-alab/m1 400 + 100 (zz-ghost/ft, a finetune of it) = 500; zz-blab/m3 500.
    rows = listing_rows([("zz-alab/m1", 400, "2025-03-01"), ("zz-blab/m3", 500, "2025-03-01")])
    rows.append({"id": "zz-ghost/ft", "downloads": 100, "createdAt": "2025-04-01T00:00:00Z", "tags": "base_model:finetune:zz-alab/m1"})
    row = only_row(one_snapshot(rows, registry).concentration(level="model", attribution="origin"))
    # Two roots of 500 each: HHI = 10,000 × (.25 + .25) = 5000; Gini 0; top1 .5.
    assert row["n"] == 2 and row["hhi"] == pytest.approx(5000) and row["gini"] == pytest.approx(0) and row["top1"] == pytest.approx(0.5)


# -- properties ------------------------------------------------------------------------------------

# namespace → (developer entity, country entity or None when left out at country level)
PROPERTY_NAMESPACES = {
    "zz-alab": ("A Lab", "US"),
    "zz-alab-research": ("A Lab", "US"),
    "zz-blab": ("B Lab", "CN"),
    "zz-ccol": ("C Collective", "INTL"),
    "zz-alice": ("zz-alice", None),
    "zz-bob": ("zz-bob", None),
    "zz-ghost": ("namespace:zz-ghost", None),
    "zz-ghost2": ("namespace:zz-ghost2", None),
}
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def listings(draw, min_models=1):
    rows = []
    for index in range(draw(st.integers(min_models, 10))):
        namespace = draw(st.sampled_from(sorted(PROPERTY_NAMESPACES)))
        downloads = draw(st.one_of(st.just(0), st.integers(1, 10), st.integers(1, 1_000_000)))
        rows.append({"id": f"{namespace}/m{index}", "downloads": downloads, "createdAt": "2025-01-01T00:00:00Z", "tags": ""})
    return rows


def entity_count(rows: list[dict], level: str) -> int:
    """Entities with a download, worked out from the rows (not by the code under test)."""
    if level == "model":
        return sum(1 for row in rows if row["downloads"] > 0)
    column = 0 if level == "developer" else 1
    return len({PROPERTY_NAMESPACES[row["id"].split("/")[0]][column] for row in rows if row["downloads"] > 0} - {None})


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(list(table.columns[:2]), ignore_index=True)


@FAST
@given(rows=listings(), level=st.sampled_from(["model", "developer", "country"]), by=st.sampled_from(["country", "developer", "model"]), shuffle_seed=st.integers(0, 10_000))
def test_property_bounds_hold_and_row_order_changes_nothing(registry, rows, level, by, shuffle_seed):
    session = one_snapshot(rows, registry)
    shuffled_rows = list(rows)
    random.Random(shuffle_seed).shuffle(shuffled_rows)
    shuffled = one_snapshot(shuffled_rows, registry)
    table = session.concentration(level=level)
    row = only_row(table)
    n = entity_count(rows, level)
    assert row["n"] == n
    if n:
        assert 10_000 / n - 1e-6 <= row["hhi"] <= 10_000 + 1e-6
        assert 0 <= row["gini"] < 1
        assert row["top1"] <= row["top5"] <= row["top10"] <= row["top100"] <= 1 + 1e-12
        assert row["top1"] >= 1 / n - 1e-12
    pd.testing.assert_frame_equal(table, shuffled.concentration(level=level))
    if sum(item["downloads"] for item in rows):
        pd.testing.assert_frame_equal(comparable(session.share(by=by)[["key", "downloads", "share"]]), comparable(shuffled.share(by=by)[["key", "downloads", "share"]]))


@FAST
@given(rows=listings(min_models=2), data=st.data())
def test_property_splitting_a_developers_downloads_across_its_namespaces_changes_nothing_at_developer_level(registry, rows, data):
    # Move part of one A Lab repo's downloads to a new repo in A Lab's other namespace.
    downloads = data.draw(st.integers(1, 1_000_000))
    moved = data.draw(st.integers(0, downloads))
    whole = rows + [{"id": "zz-alab/big", "downloads": downloads, "createdAt": "2025-01-01T00:00:00Z", "tags": ""}]
    split = rows + [
        {"id": "zz-alab/big", "downloads": downloads - moved, "createdAt": "2025-01-01T00:00:00Z", "tags": ""},
        {"id": "zz-alab-research/big-part", "downloads": moved, "createdAt": "2025-01-01T00:00:00Z", "tags": ""},
    ]
    before, after = one_snapshot(whole, registry), one_snapshot(split, registry)
    pd.testing.assert_frame_equal(before.concentration(level="developer"), after.concentration(level="developer"))
    pd.testing.assert_frame_equal(comparable(before.share(by="developer")), comparable(after.share(by="developer")))


# -- the real CLI ----------------------------------------------------------------------------------

# A stored history of three hub-stats dumps (all-time counts; every model created 2024-01-01):
#                         S0 2025-05-10  S1 2025-05-25  S2 2025-06-15   2025-05 (S0→S1)  2025-06 (S1→S2)
HISTORY = {
    "zz-alab/m1": [100, 400, 700],  # 300 300
    "zz-alab-research/m2": [0, 100, 100],  # 100   0
    "zz-blab/m3": [50, 250, 850],  # 200 600
    "zz-alice/m4": [10, 110, 210],  # 100 100
    "zz-ghost/m5": [0, 300, 500],  # 300 200
}
HISTORY_TAKEN = ["20250510", "20250525", "20250615"]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("concentration-history")
    files = []
    for i, taken in enumerate(HISTORY_TAKEN):
        frame = pd.DataFrame(
            [
                {"id": model_id, "author": model_id.split("/")[0], "downloads": 1, "downloadsAllTime": counts[i], "createdAt": "2024-01-01T00:00:00Z", "tags": []}
                for model_id, counts in HISTORY.items()
            ]
        )
        path = folder / f"models-{taken}.parquet"
        frame.to_parquet(path, index=False)
        files.append(str(path))
    imported = run_cli("--store", str(folder / "store"), "import", "hub-stats", *files, "--format", "json")
    assert imported.returncode == 0, imported.stderr
    return folder / "store"


def concentration_cli(*args: str, store: Path | None = None, registry: Path | None = None) -> dict:
    prefix = (["--store", str(store)] if store else []) + (["--registry", str(registry)] if registry else [])
    completed = run_cli(*prefix, "concentration", *args, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["command"] == "concentration"
    return document


def by_period(document: dict) -> dict:
    return {row["period"]: row for row in document["rows"]}


def test_cli_developer_level_per_month_on_a_stored_history(store_dir, registry_file):
    document = concentration_cli("--level", "developer", "--period", "month", store=store_dir, registry=registry_file)
    assert document["params"]["level"] == "developer" and document["params"]["period"] == "month"
    rows = by_period(document)
    assert sorted(rows) == ["2025-05", "2025-06"]
    # 2025-05: A Lab 300 + 100 = 400, B Lab 200, zz-alice 100, namespace zz-ghost 300 (of 1000).
    #   HHI = 10,000 × (.16 + .04 + .01 + .09) = 3000; Gini of 100 200 300 400: 2·(100 + 400 + 900 + 1600)/(4·1000) − 5/4 = .25
    may = rows["2025-05"]
    assert (may["n"], may["hhi"], may["gini"], may["top1"], may["top5"]) == pytest.approx((4, 3000, 0.25, 0.4, 1.0))
    # 2025-06: A Lab 300 + 0, B Lab 600, zz-alice 100, zz-ghost 200 (of 1200): shares 1/4 1/2 1/12 1/6.
    #   HHI = 10,000 × (9 + 36 + 1 + 4)/144 = 10,000 × 50/144; Gini of 100 200 300 600: 2·(100 + 400 + 900 + 2400)/(4·1200) − 5/4 = 1/3
    june = rows["2025-06"]
    assert (june["n"], june["hhi"], june["gini"], june["top1"]) == pytest.approx((4, 10_000 * 50 / 144, 1 / 3, 0.5))


def test_cli_country_level_per_month_reports_the_share_left_out(store_dir, registry_file):
    rows = by_period(concentration_cli("--level", "country", "--period", "month", store=store_dir, registry=registry_file))
    # 2025-05: US 400, CN 200 counted (2/3, 1/3); left out zz-alice 100 + zz-ghost 300 = 400 of 1000.
    #   HHI = 10,000 × (4/9 + 1/9) = 50,000/9; Gini of 200 400: 2·(200 + 800)/(2·600) − 3/2 = 1/6
    # 2025-06: US 300, CN 600 (1/3, 2/3); left out 100 + 200 = 300 of 1200. Same HHI and Gini.
    may, june = rows["2025-05"], rows["2025-06"]
    assert (may["n"], may["hhi"], may["gini"], may["top1"], may["left_out_share"]) == pytest.approx((2, 50_000 / 9, 1 / 6, 2 / 3, 0.4))
    assert (june["n"], june["hhi"], june["gini"], june["top1"], june["left_out_share"]) == pytest.approx((2, 50_000 / 9, 1 / 6, 2 / 3, 0.25))


def test_cli_model_level_per_month_leaves_out_a_model_without_downloads(store_dir, registry_file):
    rows = by_period(concentration_cli("--level", "model", "--period", "month", store=store_dir, registry=registry_file))
    # 2025-05: 300 100 200 100 300 (of 1000): HHI = 10,000 × (.09 + .01 + .04 + .01 + .09) = 2400;
    #   Gini of 100 100 200 300 300: 2·(100 + 200 + 600 + 1200 + 1500)/(5·1000) − 6/5 = 1.44 − 1.2 = .24
    # 2025-06: m2 has 0: n = 4, values 300 600 100 200, as at developer level: HHI 10,000 × 50/144, Gini 1/3.
    may, june = rows["2025-05"], rows["2025-06"]
    assert (may["n"], may["hhi"], may["gini"], may["top1"]) == pytest.approx((5, 2400, 0.24, 0.3))
    assert (june["n"], june["hhi"], june["gini"], june["top1"]) == pytest.approx((4, 10_000 * 50 / 144, 1 / 3, 0.5))


def test_cli_since_until_window_on_a_stored_history(store_dir, registry_file):
    document = concentration_cli("--level", "developer", "--since", "2025-05-10", "--until", "2025-06-15", store=store_dir, registry=registry_file)
    (row,) = document["rows"]
    # One difference S2 − S0: A Lab 600 + 100 = 700, B Lab 800, zz-alice 200, zz-ghost 500 (of 2200).
    #   HHI = 10,000 × (49 + 64 + 4 + 25)/484 = 10,000 × 142/484; Gini of 200 500 700 800: 2·(200 + 1000 + 2100 + 3200)/(4·2200) − 5/4 = 5/22
    assert row["period"] is None
    assert (row["n"], row["hhi"], row["gini"], row["top1"]) == pytest.approx((4, 10_000 * 142 / 484, 5 / 22, 8 / 22))


@pytest.mark.parametrize("level", ["model", "developer", "country"])
def test_cli_each_level_on_the_embedded_data(level):
    document = concentration_cli("--level", level)
    assert document["params"]["level"] == level and document["params"]["snapshot"] == "hub-listing-2026-04"
    assert document["data"]["scope"] == "sample" and document["data"]["as_of"] == "2026-04-27T22:08:30Z"
    (row,) = document["rows"]
    assert row["period"] is None and row["level"] == level and row["n"] > 1
    assert 10_000 / row["n"] <= row["hhi"] <= 10_000
    assert 0 <= row["gini"] < 1
    assert row["top1"] <= row["top5"] <= row["top10"] <= row["top100"] <= 1 + 1e-12
    if level == "country":
        # The embedded listing has individual accounts and unattributed namespaces: a share is left out.
        assert 0 < row["left_out_share"] < 1
        assert row["top100"] == pytest.approx(1.0)  # fewer than 100 countries
    else:
        assert "left_out_share" not in row
