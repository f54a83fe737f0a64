"""Shares over periods, the new-model cohort across period boundaries, bootstrap intervals and the sensitivity grid.

Every expected value is worked out by hand below (DESIGN.md §3: Downloads in
a window, Share tables, New-model cohort, Sensitivity, Trends/bootstrap).

A history of four `full` snapshots (hub-stats dumps, all-time counts), all at 00:00 UTC:

    S0 2025-01-20   S1 2025-02-10 (21 days later)   S2 2025-03-05 (23 days)   S3 2025-03-25 (20 days)

Each difference belongs to the period of its later snapshot: S0→S1 to 2025-02, S1→S2 and S2→S3 to 2025-03.

model                      created     all-time S0, S1, S2, S3   steps 1, 2, 3   30d@S3  registry / notes
zz-uslab/old               2020-01-01  1000, 1300, 1500, 1600    300, 200, 100    150    US industry
zz-cnlab/anniv             2024-03-01   500,  710,  940, 1000    210, 230,  60    100    CN industry; 365 days end 2025-03-01,
                                                                                         inside step 2 (Feb 10 → Mar 5)
zz-cnlab/newborn           2025-02-20     —,    —,  150,  250      —, 150, 100    250    CN; created after S1: counts from 0
zz-alice/tune              2024-12-01   100,  120,  150,  190     20,  30,  40     60    individual; finetune of zz-uslab/old
zz-ghost/thing             2024-06-01    50,   60,   60,   90     10,   0,  30     30    not in the registry
zz-uslab/gappy             2023-01-01   200,    —,  260,  300      —, miss,  40     40    US; absent from S1: step 2 missing
zz-delab/tiny-random-x     2024-10-01    10,   20,   35,   45     10,  15,  10     20    DE academia, contested (alt: US);
                                                                                         a test/CI repo (*/tiny-random-*)
zz-ghost/anniv-GGUF        2025-01-10     5,   25,   45,   85     20,  20,  40     50    unattributed; GGUF, quantized of anniv
                                                                                  ----
                                                                                   700
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.metrics.significance import DEFAULT_SEED
from hubecon.errors import HubeconError
from hubecon.sources.models_table import models_batch
from hubecon.store.store import DataDescription, Store

TAKEN = ["2025-01-20", "2025-02-10", "2025-03-05", "2025-03-25"]
# model_id: (created, library, tags, all-time counts per snapshot (None = absent), 30-day count at S3)
MODELS = {
    "zz-uslab/old": ("2020-01-01", "transformers", "", [1000, 1300, 1500, 1600], 150),
    "zz-cnlab/anniv": ("2024-03-01", "transformers", "", [500, 710, 940, 1000], 100),
    "zz-cnlab/newborn": ("2025-02-20", "transformers", "", [None, None, 150, 250], 250),
    "zz-alice/tune": ("2024-12-01", "transformers", "base_model:finetune:zz-uslab/old", [100, 120, 150, 190], 60),
    "zz-ghost/thing": ("2024-06-01", "transformers", "", [50, 60, 60, 90], 30),
    "zz-uslab/gappy": ("2023-01-01", "transformers", "", [200, None, 260, 300], 40),
    "zz-delab/tiny-random-x": ("2024-10-01", "transformers", "", [10, 20, 35, 45], 20),
    "zz-ghost/anniv-GGUF": ("2025-01-10", "gguf", "gguf,base_model:quantized:zz-cnlab/anniv", [5, 25, 45, 85], 50),
}
REGISTRY = """namespace,developer,country,type,evidence,alt_developer,alt_country,alt_type,alt_evidence
zz-uslab,ZZ US Lab,US,industry,https://uslab.example,,,,
zz-cnlab,ZZ CN Lab,CN,industry,https://cnlab.example,,,,
zz-alice,zz-alice,,individual,https://huggingface.co/zz-alice,,,,
zz-delab,ZZ DE Lab,DE,academia,https://delab.example,ZZ US Lab,US,industry,https://alt.example
"""
# A curated `sample` listing taken five days after S3: the only snapshot of its scope.
LISTING_TAKEN = "2025-03-30"
LISTING = {"zz-uslab/old": 100, "zz-cnlab/anniv": 80, "zz-alice/tune": 20}


def snapshot_frame(index: int) -> pd.DataFrame:
    rows = []
    for model_id, (created, library, tags, all_time, last_30d) in MODELS.items():
        if all_time[index] is None:
            continue
        rows.append(
            {
                "id": model_id,
                "author": model_id.split("/")[0],
                # 30-day counts only matter at S3 (the single-snapshot cells of the sensitivity grid).
                "downloads": last_30d if index == 3 else 7,
                "downloadsAllTime": all_time[index],
                "likes": 0,
                "pipeline_tag": "text-generation",
                "library_name": library,
                "createdAt": f"{created}T00:00:00Z",
                "lastModified": f"{TAKEN[index]}T00:00:00Z",
                "tags": tags,
            }
        )
    return pd.DataFrame(rows)


def listing_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": model_id, "author": model_id.split("/")[0], "downloads": downloads, "createdAt": f"{MODELS[model_id][0]}T00:00:00Z", "tags": MODELS[model_id][2]}
            for model_id, downloads in LISTING.items()
        ]
    )


def batch(frame: pd.DataFrame, snapshot_id: str, taken: str, scope: str):
    made = models_batch(frame, origin=snapshot_id, taken_at=pd.Timestamp(f"{taken}T00:00:00Z"), scope=scope, source=snapshot_id.rsplit("-", 3)[0], params=None, sha256=snapshot_id)
    made.snapshot_id = snapshot_id
    return made


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "registry.csv"
    path.write_text(REGISTRY)
    return path


@pytest.fixture(scope="module")
def history(registry_file) -> Hubecon:
    batches = [batch(snapshot_frame(i), f"hub-stats-{taken}", taken, "full") for i, taken in enumerate(TAKEN)]
    batches.append(batch(listing_frame(), f"listing-{LISTING_TAKEN}", LISTING_TAKEN, "sample"))
    return Hubecon(Store.in_memory(batches, DataDescription("store", "history fixture")), load_registry(registry_file))


def per_period(table: pd.DataFrame) -> dict:
    """{period: {key: downloads}}, checking that every period's shares sum to 1."""
    out = {}
    for period, group in table.groupby(table["period"].fillna("-"), sort=True):
        assert group["share"].sum() == pytest.approx(1.0, abs=1e-9)
        assert group["share"].tolist() == pytest.approx((group["downloads"] / group["downloads"].sum()).tolist())
        out[period] = dict(zip(group["key"], group["downloads"]))
    return out


# -- shares over periods ---------------------------------------------------------------------------


def test_month_shares_give_each_difference_to_the_period_of_its_later_snapshot(history):
    table = history.share(period="month")
    # 2025-02 = step 1 only: US old 300; CN anniv 210; USER tune 20; DE tiny 10; unattributed thing 10 + GGUF 20;
    # gappy is absent from S1 (no row) and newborn does not exist yet.                             total 570
    # 2025-03 = steps 2 + 3: US old 200+100 + gappy 40 (step 3 only: missing from S1, so step 2 is skipped, never 0)
    #   CN anniv 230+60 + newborn 150+100 = 540; USER 30+40 = 70; DE 15+10 = 25; unattributed 0+30 + 20+40 = 90. total 1065
    assert per_period(table) == {
        "2025-02": pytest.approx({"US": 300, "CN": 210, "USER": 20, "DE": 10, "_unattributed": 30}),
        "2025-03": pytest.approx({"US": 340, "CN": 540, "USER": 70, "DE": 25, "_unattributed": 90}),
    }
    assert table.set_index(["period", "key"]).loc[("2025-03", "CN"), "share"] == pytest.approx(540 / 1065)
    envelope = table.attrs["envelope"]
    assert [p["period"] for p in envelope["window"]["periods"]] == ["2025-02", "2025-03"]
    assert envelope["data"]["scope"] == "full" and envelope["params"]["period"] == "month"


def test_new_cohort_takes_the_step_holding_the_first_anniversary_pro_rata_by_its_days(history):
    table = history.share(period="month", cohort="new")
    # anniv: created 2024-03-01, its 365 days end 2025-03-01 (no 29 February in between).
    #   step 1 (Jan 20 → Feb 10) lies inside the first year: 210 in full, in 2025-02;
    #   step 2 (Feb 10 → Mar 5, 23 days) crosses the month boundary and the anniversary: 19 of its 23 days
    #   (Feb 10 → Mar 1) are in the first year: 230 × 19/23 = 190, all of it in 2025-03 (the later snapshot's period);
    #   step 3 (Mar 5 → Mar 25) is after the anniversary: 0.
    # newborn (created inside step 2) counts in full: 150 + 100; tune, thing, tiny and the GGUF repo are < 1 year old
    # throughout: in full; old (2020) and gappy (2023) are outside the cohort.
    assert per_period(table) == {
        "2025-02": pytest.approx({"CN": 210, "USER": 20, "DE": 10, "_unattributed": 30}),
        "2025-03": pytest.approx({"CN": 190 + 250, "USER": 70, "DE": 25, "_unattributed": 90}),
    }


def test_quarter_shares_add_up_the_steps_of_the_quarter(history):
    # All three steps end in 2025-Q1: US 300+340, CN 210+540, USER 20+70, DE 10+25, unattributed 30+90.
    assert per_period(history.share(period="quarter")) == {
        "2025-Q1": pytest.approx({"US": 640, "CN": 750, "USER": 90, "DE": 35, "_unattributed": 120})
    }


def test_a_since_until_window_is_one_difference_and_a_model_absent_from_its_start_is_missing(history):
    table = history.share(since="2025-02-10", until="2025-03-25")
    # start = last snapshot at or before 2025-02-10 00:00 = S1; end = last at or before 2025-03-25 23:59:59 = S3.
    # S3 − S1: old 300, anniv 290, newborn 250 (created after S1: from 0), tune 70, thing 30, tiny 25, GGUF 60;
    # gappy existed at S1 (created 2023) but is absent from it: missing, excluded (not its 40 of step 3).
    assert per_period(table) == {"-": pytest.approx({"US": 300, "CN": 540, "USER": 70, "DE": 25, "_unattributed": 90})}
    assert table["period"].isna().all()
    envelope = table.attrs["envelope"]
    assert envelope["params"]["since"] == "2025-02-10" and envelope["params"]["until"] == "2025-03-25"
    assert envelope["window"]["shortened"] is False


def test_a_since_until_window_prorates_the_new_cohort_over_its_one_difference(history):
    table = history.share(since="2025-02-10", until="2025-03-25", cohort="new")
    # One difference S1 → S3 (Feb 10 → Mar 25 = 18 + 25 = 43 days); anniv's first year covers Feb 10 → Mar 1 = 19 days:
    # 290 × 19/43 = 5510/43; newborn 250, tune 70, thing 30, tiny 25, GGUF 60 in full; old and gappy out.
    assert per_period(table) == {"-": pytest.approx({"CN": 5510 / 43 + 250, "USER": 70, "DE": 25, "_unattributed": 90})}


def test_a_window_starting_before_the_first_snapshot_is_shortened_and_says_so(history):
    table = history.share(since="2025-01-01", until="2025-02-10")
    # No snapshot at or before 2025-01-01: the window starts at the first one inside it, S0; it ends at S1: step 1.
    assert per_period(table) == {"-": pytest.approx({"US": 300, "CN": 210, "USER": 20, "DE": 10, "_unattributed": 30})}
    envelope = table.attrs["envelope"]
    assert envelope["window"]["shortened"] is True
    assert "shortened" in envelope["data"]["note"]


def test_origin_attribution_over_periods_follows_the_lineage(history):
    # tune (a finetune of zz-uslab/old) goes to US; the GGUF repo (quantized from anniv) goes to CN.
    # 2025-02: US 300 + 20 = 320, CN 210 + 20 = 230, DE 10, unattributed thing 10.
    # 2025-03: US 340 + 70 = 410, CN 540 + 60 = 600, DE 25, unattributed 30.
    assert per_period(history.share(period="month", attribution="origin")) == {
        "2025-02": pytest.approx({"US": 320, "CN": 230, "DE": 10, "_unattributed": 10}),
        "2025-03": pytest.approx({"US": 410, "CN": 600, "DE": 25, "_unattributed": 30}),
    }


# -- bootstrap intervals ---------------------------------------------------------------------------


def test_bootstrap_intervals_are_recorded_reproducible_and_bracket_every_share(history):
    first = history.share(period="month", by="developer", ci=True, seed=7)
    again = history.share(period="month", by="developer", ci=True, seed=7)
    params = first.attrs["envelope"]["params"]
    assert params["ci"] is True and params["seed"] == 7 and params["resamples"] == 1000
    pd.testing.assert_frame_equal(first, again)
    assert first[["ci_low", "ci_high"]].notna().all().all()
    assert (first["ci_low"] <= first["share"] + 1e-12).all() and (first["share"] <= first["ci_high"] + 1e-12).all()
    assert history.share(period="month").attrs["envelope"]["params"]["seed"] is None


# -- the sensitivity grid (the 128-cell grid comes from the real CLI on a real store: see store_dir below) --------


def cell_shares(document: dict, **values: str) -> dict:
    cells = pd.DataFrame(document["cells"])
    label = "; ".join(f"{axis}={value}" for axis, value in values.items())
    chosen = cells[cells["cell"] == label]
    assert len(chosen), f"no cell {label}"
    assert chosen["share"].sum() == pytest.approx(1.0)
    return dict(zip(chosen["key"], chosen["share"]))


def test_sensitivity_has_128_cells_when_the_snapshot_belongs_to_a_history(history_grid):
    # Default: the latest `full` snapshot, S3, one of four comparable `full` snapshots: six axes + measure = 2^7.
    assert history_grid["command"] == "sensitivity"
    assert history_grid["params"]["snapshot"] == "hub-stats-2025-03-25"
    assert history_grid["n"]["cells"] == 128 and pd.DataFrame(history_grid["cells"])["cell"].nunique() == 128
    assert history_grid["params"]["axes"]["measure"] == ["30-day count", "window difference"]
    assert history_grid["default_cell"].startswith("attribution=uploader; cohort=all;") and history_grid["default_cell"].endswith("measure=30-day count")


def test_sensitivity_has_64_cells_on_a_snapshot_alone_in_its_scope(history):
    # The `sample` listing is the only snapshot of its scope, although a `full` history sits beside it: 2^6.
    table = history.sensitivity(snapshot=f"listing-{LISTING_TAKEN}")
    envelope = table.attrs["envelope"]
    assert envelope["n"]["cells"] == 64 and "measure" not in envelope["params"]["axes"]
    # Default cell on the listing's 30-day counts: US 100, CN 80, USER 20 of 200.
    assert dict(zip(table["key"], table["default_share"])) == pytest.approx({"US": 0.5, "CN": 0.4, "USER": 0.1})


def test_sensitivity_on_the_first_snapshot_of_a_history_still_gives_its_grid(history):
    # S0 is in the `full` history but no difference ends at it (nothing was taken before it), so the measure axis
    # has no second value there: the six axes on its 30-day counts, 64 cells, and no error.
    table = history.sensitivity(snapshot="hub-stats-2025-01-20")
    assert table.attrs["envelope"]["n"]["cells"] == 64
    # 30-day counts at S0 are 7 for each of the 7 models present (newborn is not yet created):
    # US old + gappy 14, CN 7, USER 7, DE 7, unattributed 14; of 49.
    assert dict(zip(table["key"], table["default_share"])) == pytest.approx({"US": 14 / 49, "CN": 7 / 49, "USER": 7 / 49, "DE": 7 / 49})


def test_sensitivity_default_cell_is_the_headline_on_the_snapshots_30_day_counts(history_grid):
    # 30-day counts at S3: US old 150 + gappy 40 = 190; CN 100 + 250 = 350; USER 60; DE 20; unattributed 30 + 50 = 80; of 700.
    expected = {"US": 190 / 700, "CN": 350 / 700, "USER": 60 / 700, "DE": 20 / 700, "_unattributed": 80 / 700}
    cell = cell_shares(
        history_grid, attribution="uploader", cohort="all", **{"individuals and unattributed": "kept", "test/CI repos": "kept", "GGUF repos": "kept"},
        **{"registry rows": "primary", "measure": "30-day count"},
    )
    assert cell == pytest.approx(expected)
    ranges = pd.DataFrame(history_grid["rows"]).set_index("key")
    assert ranges.loc["CN", "default_share"] == pytest.approx(350 / 700)
    assert (ranges["min_share"] <= ranges["default_share"] + 1e-12).all() and (ranges["default_share"] <= ranges["max_share"] + 1e-12).all()
    # Where individuals are excluded USER has no row: its range reaches 0.
    assert ranges.loc["USER", "min_share"] == 0


def test_sensitivity_cell_origin_without_individuals_unattributed_or_gguf_on_the_alternative_registry(history_grid):
    # 30-day counts at S3, origin attribution: tune's 60 goes to zz-uslab (US), so excluding individuals removes nothing;
    # GGUF repo (50) excluded; thing (unattributed, 30) excluded; tiny-random-x kept (test repos kept) and under the
    # alternative registry row zz-delab is US.  US = old 150 + gappy 40 + tune 60 + tiny 20 = 270; CN = 100 + 250 = 350.
    cell = cell_shares(
        history_grid, attribution="origin", cohort="all", **{"individuals and unattributed": "excluded", "test/CI repos": "kept", "GGUF repos": "excluded"},
        **{"registry rows": "alternative", "measure": "30-day count"},
    )
    assert cell == pytest.approx({"US": 270 / 620, "CN": 350 / 620})


def test_sensitivity_cell_new_cohort_on_the_window_difference_without_test_repos(history_grid):
    # The window: S3's 30 days, 2025-02-23 → 2025-03-25; its start snapshot is the last at or before 2025-02-23, S1,
    # so the one difference is S3 − S1 over 43 days (as in the since/until test above).
    # new cohort: anniv 290 × 19/43 = 5510/43; newborn 250; tune 70; thing 30; GGUF 60; tiny-random-x excluded (test repo);
    # old, gappy out.  CN = 5510/43 + 250 = 16260/43; USER 70 = 3010/43; unattributed 90 = 3870/43; total 23140/43.
    cell = cell_shares(
        history_grid, attribution="uploader", cohort="new", **{"individuals and unattributed": "kept", "test/CI repos": "excluded", "GGUF repos": "kept"},
        **{"registry rows": "primary", "measure": "window difference"},
    )
    assert cell == pytest.approx({"CN": 16260 / 23140, "USER": 3010 / 23140, "_unattributed": 3870 / 23140})


def test_every_sensitivity_cell_is_the_share_table_of_its_method_choices(history):
    """The grid sums each (measure, attribution, registry rows) once; each of its 128 cells must be what `share` gives for that cell."""
    from hubecon.api import SENSITIVITY_AXES, describe_axis_value

    table = history.sensitivity()
    cells = pd.DataFrame(table.attrs["envelope"]["cells"])
    snapshot = table.attrs["envelope"]["params"]["snapshot"]
    window = {"30-day count": {"snapshot": snapshot}, "window difference": {"since": "2025-02-23", "until": "2025-03-25", "scope": "full"}}
    axes = {**SENSITIVITY_AXES, "measure": tuple(window)}
    for combination in itertools.product(*axes.values()):
        cell = dict(zip(axes, combination))
        label = "; ".join(f"{axis}={describe_axis_value(value)}" for axis, value in cell.items())
        expected = history.share(
            by="country",
            attribution=cell["attribution"],
            cohort=cell["cohort"],
            exclude=cell["individuals and unattributed"] + cell["test/CI repos"] + cell["GGUF repos"],
            registry_variant=cell["registry rows"],
            **window[cell["measure"]],
        )
        got = cells[cells["cell"] == label]
        assert dict(zip(got["key"], got["share"])) == pytest.approx(dict(zip(expected["key"], expected["share"])), abs=1e-12), label


# -- properties ------------------------------------------------------------------------------------

PROPERTY_REGISTRY = """namespace,developer,country,type,evidence
zz-p-us1,P US One,US,industry,https://p.example
zz-p-us2,P US Two,US,academia,https://p.example
zz-p-cn1,P CN One,CN,industry,https://p.example
zz-p-cn1-alt,P CN One,CN,industry,https://p.example
zz-p-fr,P FR,FR,nonprofit,https://p.example
zz-p-intl,P Intl,INTL,community,https://p.example
zz-p-bob,zz-p-bob,,individual,https://huggingface.co/zz-p-bob
"""
PROPERTY_NAMESPACES = ["zz-p-us1", "zz-p-us2", "zz-p-cn1", "zz-p-cn1-alt", "zz-p-fr", "zz-p-intl", "zz-p-bob", "zz-p-ghost"]
PROPERTY_TAKEN = ["2025-05-20", "2025-06-10", "2025-06-28", "2025-07-15"]


@pytest.fixture(scope="module")
def property_registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("property-registry") / "registry.csv"
    path.write_text(PROPERTY_REGISTRY)
    return load_registry(path)


@st.composite
def histories(draw):
    """2–4 snapshots of up to 10 models: all-time counts that only grow; a model may appear late or skip a snapshot."""
    n_snapshots = draw(st.integers(2, 4))
    models = []
    for index in range(draw(st.integers(2, 10))):
        namespace = draw(st.sampled_from(PROPERTY_NAMESPACES))
        created = draw(st.sampled_from(["2023-02-01", "2024-06-15", "2025-01-01", "2025-06-01", "2025-07-01"]))
        counts, total = [], draw(st.integers(0, 500))
        for _ in range(n_snapshots):
            total += draw(st.integers(0, 2000))
            counts.append(total)
        present = [draw(st.booleans()) or i == n_snapshots - 1 for i in range(n_snapshots)]
        models.append((f"{namespace}/m{index}", created, counts, present))
    return n_snapshots, models


def property_session(registry, n_snapshots, models) -> Hubecon:
    batches = []
    for i in range(n_snapshots):
        rows = [
            {"id": model_id, "downloads": 1 + counts[i] // 30, "downloadsAllTime": counts[i], "createdAt": f"{created}T00:00:00Z", "tags": ""}
            for model_id, created, counts, present in models
            if present[i] and pd.Timestamp(created) <= pd.Timestamp(PROPERTY_TAKEN[i])
        ]
        if not rows:  # every snapshot lists something
            rows = [{"id": "zz-p-us1/anchor", "downloads": 1, "downloadsAllTime": 1 + i, "createdAt": "2020-01-01T00:00:00Z", "tags": ""}]
        batches.append(batch(pd.DataFrame(rows), f"hub-stats-{PROPERTY_TAKEN[i]}", PROPERTY_TAKEN[i], "full"))
    return Hubecon(Store.in_memory(batches, DataDescription("store", "property")), registry)


FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FAST
@given(
    data=histories(),
    by=st.sampled_from(["country", "type", "developer", "model"]),
    cohort=st.sampled_from(["all", "new"]),
    attribution=st.sampled_from(["uploader", "origin"]),
    top=st.sampled_from([None, 1, 2]),
    period=st.sampled_from(["week", "month", "quarter"]),
)
def test_property_rows_sum_to_one_in_every_period(property_registry, data, by, cohort, attribution, top, period):
    n_snapshots, models = data
    session = property_session(property_registry, n_snapshots, models)
    table = session.share(by=by, cohort=cohort, attribution=attribution, top=top, period=period)
    for _, group in table.groupby("period"):
        assert group["share"].sum() == pytest.approx(1.0, abs=1e-9)
        assert (group["share"] > 0).all()
        if top is not None:
            assert len(group[~group["key"].isin(["_other", "_unattributed"])]) <= top


@st.composite
def listings(draw):
    """A realistic single snapshot: 4–8 attributed developers each with 1–4 models, plus an individual and unattributed repos."""
    namespaces = draw(st.lists(st.sampled_from(PROPERTY_NAMESPACES), min_size=4, max_size=8))
    namespaces = list(dict.fromkeys(namespaces + ["zz-p-us1", "zz-p-cn1", "zz-p-fr"]))
    rows = []
    for namespace in namespaces:
        for index in range(draw(st.integers(1, 4))):
            rows.append({"id": f"{namespace}/m{index}", "downloads": draw(st.integers(1, 100_000)), "createdAt": "2025-01-01T00:00:00Z", "tags": ""})
    return rows


@FAST
@given(rows=listings(), by=st.sampled_from(["country", "developer", "type"]), top=st.sampled_from([None, 2]), seed=st.integers(0, 2**32 - 1))
def test_property_bootstrap_intervals_contain_the_point_estimate(property_registry, rows, by, top, seed):
    session = Hubecon(Store.in_memory([batch(pd.DataFrame(rows), "listing-2025-06-01", "2025-06-01", "sample")], DataDescription("store", "p")), property_registry)
    table = session.share(by=by, top=top, ci=True, seed=seed)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table[["ci_low", "ci_high"]].notna().all().all()
    assert ((table["ci_low"] <= table["share"] + 1e-9) & (table["share"] <= table["ci_high"] + 1e-9)).all(), table.to_string()
    assert ((0 <= table["ci_low"]) & (table["ci_high"] <= 1 + 1e-12)).all()


# -- the real CLI ----------------------------------------------------------------------------------


def parse(completed) -> dict:
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def check_share_rows(document: dict) -> dict:
    """Per period {key: share}; each period's rows sum to 1 and every row has the envelope's fields."""
    rows = pd.DataFrame(document["rows"])
    assert {"period", "key", "label", "downloads", "share"} <= set(rows.columns)
    out = {}
    for period, group in rows.groupby(rows["period"].fillna("-")):
        assert group["share"].sum() == pytest.approx(1.0, abs=1e-9)
        out[period] = dict(zip(group["key"], group["downloads"]))
    return out


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    """A real store made by `hubecon import hub-stats` (four dated dumps) and `hubecon import listing`."""
    folder = tmp_path_factory.mktemp("cli-history")
    files = []
    for i, taken in enumerate(TAKEN):
        path = folder / f"models-{taken.replace('-', '')}.parquet"
        snapshot_frame(i).to_parquet(path, index=False)
        files.append(str(path))
    store = folder / "store"
    parse(run_cli("--store", str(store), "import", "hub-stats", *files, "--format", "json"))
    listing = folder / "listing.csv"
    listing_frame().to_csv(listing, index=False)
    parse(run_cli("--store", str(store), "import", "listing", str(listing), "--taken-at", LISTING_TAKEN, "--format", "json"))
    return store


def cli(store_dir: Path, registry_file: Path, *args: str) -> dict:
    return parse(run_cli("--store", str(store_dir), "--registry", str(registry_file), *args, "--format", "json"))


def test_cli_share_by_month_on_a_stored_history(store_dir, registry_file):
    document = cli(store_dir, registry_file, "share", "--period", "month", "--cohort", "new")
    assert document["command"] == "share" and document["params"]["period"] == "month" and document["params"]["cohort"] == "new"
    assert document["data"]["scope"] == "full"
    # As in test_new_cohort_takes_the_step_holding_the_first_anniversary_pro_rata_by_its_days.
    assert check_share_rows(document) == {
        "2025-02": pytest.approx({"CN": 210, "USER": 20, "DE": 10, "_unattributed": 30}),
        "2025-03": pytest.approx({"CN": 440, "USER": 70, "DE": 25, "_unattributed": 90}),
    }


def test_cli_share_since_until_on_a_stored_history(store_dir, registry_file):
    document = cli(store_dir, registry_file, "share", "--since", "2025-02-10", "--until", "2025-03-25", "--by", "developer")
    assert document["params"]["since"] == "2025-02-10" and document["params"]["until"] == "2025-03-25"
    # S3 − S1 by developer: ZZ US Lab 300 (gappy missing), ZZ CN Lab 540, zz-alice 70, ZZ DE Lab 25, unattributed 90.
    assert check_share_rows(document) == {"-": pytest.approx({"ZZ US Lab": 300, "ZZ CN Lab": 540, "zz-alice": 70, "ZZ DE Lab": 25, "_unattributed": 90})}


def test_cli_share_ci_over_periods_records_the_seed_and_brackets_every_share(store_dir, registry_file):
    document = cli(store_dir, registry_file, "share", "--period", "month", "--ci", "--seed", "11")
    assert document["params"]["ci"] is True and document["params"]["seed"] == 11
    check_share_rows(document)
    for row in document["rows"]:
        assert row["ci_low"] is not None and row["ci_high"] is not None
        assert row["ci_low"] - 1e-12 <= row["share"] <= row["ci_high"] + 1e-12


@pytest.fixture(scope="module")
def history_grid(store_dir, registry_file) -> dict:
    """`hubecon sensitivity` on the stored history (JSON), shared by the sensitivity tests above."""
    return cli(store_dir, registry_file, "sensitivity")


@pytest.fixture(scope="module")
def embedded_ci() -> dict:
    return parse(run_cli("share", "--ci", "--format", "json"))


def test_cli_share_ci_on_the_embedded_data(embedded_ci):
    params = embedded_ci["params"]
    assert params["ci"] is True and params["seed"] == DEFAULT_SEED and params["resamples"] == 1000
    assert embedded_ci["data"]["scope"] == "sample" and embedded_ci["data"]["as_of"] == "2026-04-27T22:08:30Z"
    check_share_rows(embedded_ci)
    for row in embedded_ci["rows"]:
        assert row["period"] is None
        assert row["ci_low"] - 1e-12 <= row["share"] <= row["ci_high"] + 1e-12


def test_cli_periods_on_the_embedded_data_are_an_error_that_says_why():
    # The embedded snapshots are three `sample` snapshots of different sources: no history, one 30-day window each.
    completed = run_cli("share", "--period", "month", "--format", "json")
    assert completed.returncode == 2, completed.stdout
    assert "only one snapshot" in completed.stderr and "--created-since" in completed.stderr
    assert "Traceback" not in completed.stderr and completed.stdout == ""


def test_since_until_on_a_single_snapshot_is_an_error_that_says_why(registry_file):
    alone = Hubecon(Store.in_memory([batch(listing_frame(), "listing-2025-03-30", LISTING_TAKEN, "sample")], DataDescription("store", "one")), load_registry(registry_file))
    with pytest.raises(HubeconError, match="only one snapshot.*--created-since"):
        alone.share(since="2025-03-01", until="2025-03-20")
    with pytest.raises(HubeconError, match="only one snapshot"):
        alone.concentration(period="month")


def test_cli_sensitivity_on_the_embedded_data():
    document = parse(run_cli("sensitivity", "--format", "json"))
    assert document["n"]["cells"] == 64 and "measure" not in document["params"]["axes"]
    cells = pd.DataFrame(document["cells"])
    assert cells["cell"].nunique() == 64
    assert (cells.groupby("cell")["share"].sum() - 1).abs().max() < 1e-9
    default = cells[cells["default"]]
    assert default["cell"].nunique() == 1 and default["cell"].iloc[0] == document["default_cell"]
    for row in document["rows"]:
        assert row["min_share"] - 1e-12 <= row["default_share"] <= row["max_share"] + 1e-12


def test_a_session_keeps_only_the_latest_few_history_tables_and_recomputes_an_evicted_one(registry_file):
    from hubecon.api import KEPT_HISTORY_TABLES

    # A session of its own: the module's shared one must keep its tables.
    batches = [batch(snapshot_frame(i), f"hub-stats-{taken}", taken, "full") for i, taken in enumerate(TAKEN)]
    session = Hubecon(Store.in_memory(batches, DataDescription("store", "history fixture")), load_registry(registry_file))
    first = session.share(period="month")
    for until in ("2025-02-28", "2025-03-10", "2025-03-20", "2025-03-31", "2025-04-30")[:KEPT_HISTORY_TABLES + 1]:
        session.share(since="2025-01-01", until=until)
    assert len(session._histories) == KEPT_HISTORY_TABLES
    again = session.share(period="month")  # evicted above: computed anew, the same figures
    pd.testing.assert_frame_equal(again, first)
