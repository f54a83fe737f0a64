"""The reference study's released data (reference/study_dataset.md): import, labels, first-year cohort, the capped file.

A hand-made file shaped like `all_downloads_with_annotations.parquet` (the
study's columns and types: lists for org_country / merged_derived_from /
merged_languages, UTC timestamps, int64 counts), three monthly `time`s:

model                  created      study group (uploader / derived)          all-time at 03-01  04-01  05-01
Qwen/A                 2024-03-16   China / China                                          1000   4100   7100
meta-llama/B           2025-03-11   USA / USA                                                 —   2000   5000
bartowski/C-GGUF       2024-06-01   User / China (derived from Qwen/A)                      500   1100   1700
lmstudio-community/D   2025-02-01   International / Online / USA (from B)                 10000  13100  16100
Qwen/E-old             placeholder  China / China                                         50000  60000  70000

The package registry puts Qwen in CN, meta-llama and lmstudio-community in
US, bartowski as an individual account (USER).

First-year (new-model) cohort, pro rata by step (DESIGN.md §3):
  step 03-01→04-01 (31 days, month 2025-04):
    A: 3100, anniversary 2025-03-16 → 15 of 31 days in its first year → 3100 × 15/31 = 1500
    B: created 03-11 after the 03-01 snapshot → from 0: 2000, all in its first year
    C: 600 (first year to 2025-06-01)     D: 3100     E: placeholder date → outside the cohort
    total 1500 + 2000 + 600 + 3100 = 7200
  step 04-01→05-01 (30 days, month 2025-05): A 0 (past its first year), B 3000, C 600, D 3000 → 6600
  one window 03-01→05-01 (61 days): A 6100 × 15/61 = 1500, B 5000, C 1200, D 6100 → 13800
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hubecon
from hubecon.present.output import to_json

HUBECON = Path(sys.executable).parent / "hubecon"
UTC = "UTC"
TIMES = [pd.Timestamp(day, tz=UTC) for day in ("2025-03-01", "2025-04-01", "2025-05-01")]
PLACEHOLDER = "2022-03-02T23:29:04Z"
MODELS = [
    # model, created, org_type, uploader group, derived group, merged_derived_from, all-time per time
    ("Qwen/A", "2024-03-16", "company", "China", "China", ["No"], [1000, 4100, 7100]),
    ("meta-llama/B", "2025-03-11", "company", "USA", "USA", ["No"], [None, 2000, 5000]),
    ("bartowski/C-GGUF", "2024-06-01", "user", "User", "China", ["Qwen/A"], [500, 1100, 1700]),
    ("lmstudio-community/D", "2025-02-01", "community", "International / Online", "USA", ["meta-llama/B"], [10000, 13100, 16100]),
    ("Qwen/E-old", PLACEHOLDER, "company", "China", "China", ["Unsure"], [50000, 60000, 70000]),
]
COUNTRY_OF_GROUP = {"China": ["China"], "USA": ["United States of America"], "User": ["user"], "International / Online": ["Online"]}


def study_rows(models=MODELS, times=TIMES) -> pd.DataFrame:
    rows = []
    for index, moment in enumerate(times):
        for number, (model, created, org_type, group, derived_group, derived_from, counts) in enumerate(models):
            if counts[index] is None:
                continue
            rows.append(
                {
                    "_id": f"65f{number:05d}",
                    "model": model,
                    "author": model.split("/")[0],
                    "time": moment,
                    "created": pd.Timestamp(created, tz=UTC),
                    "downloadsAllTime": counts[index],
                    "annotator": 3.0,
                    "org_model": "free",
                    "org_type": org_type,
                    "org_country": COUNTRY_OF_GROUP[group],
                    "org_country_single": COUNTRY_OF_GROUP[group][0],
                    "derived_author": model.split("/")[0] if derived_from[0] in ("No", "Unsure") else derived_from[0].split("/")[0],
                    "derived_org_country": COUNTRY_OF_GROUP[derived_group],
                    "derived_org_country_single": COUNTRY_OF_GROUP[derived_group][0],
                    "merged_country_groups_single": group,
                    "merged_derived_country_groups_single": derived_group,
                    "merged_derived_from": derived_from,
                    "merged_languages": ["English"],
                    "merged_modality": "Text --> Text",
                    "__index_level_0__": len(rows),
                }
            )
    return pd.DataFrame(rows)


# -- helpers ---------------------------------------------------------------------------------------


def run(args: list[str], home: Path) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    return subprocess.run([str(HUBECON), *args], env=env, capture_output=True, text=True, timeout=120)


def as_json(args: list[str], home: Path) -> dict:
    result = run([*args, "--format", "json"], home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def api(store: Path, method: str, **kwargs) -> dict:
    """The API's answer as the JSON document the CLI prints (in-process: no second per call)."""
    return json.loads(to_json(getattr(hubecon.open(store), method)(**kwargs)))


def shares(document: dict) -> dict[tuple, tuple[float, float]]:
    return {(row["period"], row["key"]): (row["downloads"], row["share"]) for row in document["rows"]}


def assert_table(document: dict, expected: dict[tuple, tuple[float, float]]) -> None:
    found = shares(document)
    assert set(found) == set(expected), (sorted(found, key=str), sorted(expected, key=str))
    for key, values in expected.items():
        assert found[key] == pytest.approx(values, rel=1e-9), (key, found[key], values)
    totals: dict = {}
    for (period, _), (_, share) in found.items():
        totals[period] = totals.get(period, 0.0) + share
    assert all(total == pytest.approx(1.0) for total in totals.values()), totals


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def study_store(tmp_path_factory, home) -> Path:
    base = tmp_path_factory.mktemp("study")
    path = base / "all_downloads_with_annotations.parquet"
    study_rows().to_parquet(path, index=False)
    store = base / "store"
    result = run(["--store", str(store), "import", "study", str(path)], home)
    assert result.returncode == 0, result.stderr
    return store


# -- import ----------------------------------------------------------------------------------------


def test_each_weekly_time_becomes_one_snapshot_with_its_cumulative_counts(study_store):
    session = hubecon.open(study_store)
    catalogue = session.store.snapshots()
    assert [str(stamp.date()) for stamp in catalogue["taken_at"]] == ["2025-03-01", "2025-04-01", "2025-05-01"]
    assert catalogue["n_models"].tolist() == [4, 5, 5]
    assert len(set(catalogue["scope"])) == 1
    observations = session.store.con.execute(session.store.table("observations")).merge(catalogue[["snapshot_id", "taken_at"]], on="snapshot_id")
    qwen = observations[observations["model_id"] == "Qwen/A"].sort_values("taken_at")
    assert qwen["downloads_all_time"].tolist() == [1000, 4100, 7100]


def test_study_labels_are_kept_as_annotations_beside_ours(study_store):
    session = hubecon.open(study_store)
    annotations = session.store.con.execute(session.store.table("annotations"))
    study = annotations[annotations["source"] == "study"]
    label = {(row.model_id, row.field): row.value for row in study.itertuples()}
    assert label[("lmstudio-community/D", "merged_country_groups_single")] == "International / Online"
    assert label[("bartowski/C-GGUF", "merged_derived_country_groups_single")] == "China"
    assert label[("Qwen/A", "org_type")] == "company"


def test_study_derived_from_becomes_lineage_and_unsure_or_no_is_no_edge(study_store):
    session = hubecon.open(study_store)
    lineage = session.store.con.execute(session.store.table("lineage"))
    assert set(zip(lineage["child_id"], lineage["parent_id"])) == {("bartowski/C-GGUF", "Qwen/A"), ("lmstudio-community/D", "meta-llama/B")}


def test_study_placeholder_creation_date_is_unknown(study_store):
    document = api(study_store, "quality", snapshot="latest")
    row = {item["check"]: item for item in document["rows"]}["unknown creation date"]
    assert row["n"] == 1 and "Qwen/E-old" in row["examples"]


# -- first-year cohort shares ------------------------------------------------------------------------


def test_first_year_cohort_by_month_under_study_labels(study_store, home):
    document = as_json(["--store", str(study_store), "share", "--labels", "study", "--cohort", "new", "--period", "month"], home)
    assert_table(
        document,
        {
            # 2025-04: total 7200
            ("2025-04", "China"): (1500, 1500 / 7200),
            ("2025-04", "USA"): (2000, 2000 / 7200),
            ("2025-04", "User"): (600, 600 / 7200),
            ("2025-04", "International / Online"): (3100, 3100 / 7200),
            # 2025-05: total 6600; China's only cohort model (A) is past its first year: no row
            ("2025-05", "USA"): (3000, 3000 / 6600),
            ("2025-05", "User"): (600, 600 / 6600),
            ("2025-05", "International / Online"): (3000, 3000 / 6600),
        },
    )


def test_first_year_cohort_by_month_under_the_registry(study_store, home):
    # Registry: Qwen CN, meta-llama US, lmstudio-community US, bartowski USER.
    # 2025-04: CN 1500, US 2000 + 3100 = 5100, USER 600 (of 7200). 2025-05: US 3000 + 3000 = 6000, USER 600 (of 6600).
    document = as_json(["--store", str(study_store), "share", "--cohort", "new", "--period", "month"], home)
    assert_table(
        document,
        {
            ("2025-04", "CN"): (1500, 1500 / 7200),
            ("2025-04", "US"): (5100, 5100 / 7200),
            ("2025-04", "USER"): (600, 600 / 7200),
            ("2025-05", "US"): (6000, 6000 / 6600),
            ("2025-05", "USER"): (600, 600 / 6600),
        },
    )


def test_first_year_cohort_over_one_window_under_both_labellings(study_store, home):
    # --since 2025-03-01 --until 2025-05-01: one difference 03-01→05-01; A 6100 × 15/61 = 1500, B 5000, C 1200, D 6100.
    study = as_json(["--store", str(study_store), "share", "--labels", "study", "--cohort", "new", "--since", "2025-03-01", "--until", "2025-05-01"], home)
    assert_table(
        study,
        {
            (None, "International / Online"): (6100, 6100 / 13800),
            (None, "USA"): (5000, 5000 / 13800),
            (None, "China"): (1500, 1500 / 13800),
            (None, "User"): (1200, 1200 / 13800),
        },
    )
    registry = api(study_store, "share", cohort="new", since="2025-03-01", until="2025-05-01")
    assert_table(registry, {(None, "US"): (11100, 11100 / 13800), (None, "CN"): (1500, 1500 / 13800), (None, "USER"): (1200, 1200 / 13800)})


def test_study_labels_under_origin_use_the_single_derived_group(study_store):
    # 2025-04 new cohort: A 1500 China, B 2000 USA, C 600 → derived China, D 3100 → derived USA:
    # China 2100/7200, USA 5100/7200. 2025-05: B 3000 + D 3000 USA, C 600 China → 6000/6600, 600/6600.
    document = api(study_store, "share", labels="study", attribution="origin", cohort="new", period="month")
    assert_table(
        document,
        {
            ("2025-04", "China"): (2100, 2100 / 7200),
            ("2025-04", "USA"): (5100, 5100 / 7200),
            ("2025-05", "USA"): (6000, 6000 / 6600),
            ("2025-05", "China"): (600, 600 / 6600),
        },
    )


def test_all_downloads_cohort_keeps_old_and_undated_models(study_store):
    # 2025-04, all downloads: A 3100 + E 10000 China, B 2000 USA, C 600 User, D 3100 Intl → total 18800.
    document = api(study_store, "share", labels="study", period="month")
    found = shares(document)
    assert found[("2025-04", "China")] == pytest.approx((13100, 13100 / 18800))
    assert found[("2025-04", "International / Online")] == pytest.approx((3100, 3100 / 18800))


# -- the one-year-rolling file -----------------------------------------------------------------------
# Weekly times 03-05 … 03-26. Qwen/capped was created 2024-03-10: its first-year counter grows to its
# anniversary (2025-03-10) and then stays at 1000 by design. meta-llama/young keeps growing.

WEEKS = [pd.Timestamp(day, tz=UTC) for day in ("2025-03-05", "2025-03-12", "2025-03-19", "2025-03-26")]
CAPPED_MODELS = [
    ("Qwen/capped", "2024-03-10", "company", "China", "China", ["No"], [900, 1000, 1000, 1000]),
    ("meta-llama/young", "2025-03-01", "company", "USA", "USA", ["No"], [10, 30, 60, 100]),
]


def import_capped(tmp_path: Path, name: str, home: Path) -> Path:
    path = tmp_path / name
    study_rows(CAPPED_MODELS, WEEKS).to_parquet(path, index=False)
    store = tmp_path / f"store-{path.stem}"
    result = run(["--store", str(store), "import", "study", str(path)], home)
    assert result.returncode == 0, result.stderr
    return store


def test_one_year_rolling_file_is_imported_as_first_year_capped(tmp_path, home):
    store = import_capped(tmp_path, "one_year_rolling.parquet", home)
    catalogue = hubecon.open(store).store.snapshots()
    assert len(catalogue) == 4
    assert all(json.loads(params)["capped_first_year"] is True for params in catalogue["params"])
    # Its stalled counters are not frozen ones: quality says so, through the real command.
    document = as_json(["--store", str(store), "quality"], home)
    frozen = {row["check"]: row for row in document["rows"]}["frozen counters"]
    assert not frozen["n"] and "Qwen/capped" not in frozen["examples"]
    assert document["details"].get("frozen_counters", []) == []
    # It is still a history: the growing model's weekly differences are there (30 − 10, 60 − 30, 100 − 60).
    history = api(store, "history", model_id="meta-llama/young", period="week")
    assert [row["downloads"] for row in history["rows"]] == [20, 30, 40]


def test_the_same_counts_in_the_weekly_file_are_called_frozen(tmp_path, home):
    """The contrast that shows the check is on: uncapped, +100 then 0, 0 is a frozen counter (since 03-26)."""
    store = import_capped(tmp_path, "all_downloads_with_annotations.parquet", home)
    document = api(store, "quality")
    assert [(row["model_id"], row["frozen_since"]) for row in document["details"]["frozen_counters"]] == [("Qwen/capped", "2025-03-26T00:00:00Z")]


def test_reimporting_the_study_file_is_a_no_op(study_store, tmp_path, home):
    # Re-import into a copy, so the module's store stays as built.
    copy = tmp_path / "store"
    shutil.copytree(study_store, copy)
    path = tmp_path / "all_downloads_with_annotations.parquet"
    study_rows().to_parquet(path, index=False)
    before = sorted((str(p.relative_to(copy)), p.read_bytes()) for p in copy.rglob("*") if p.is_file())
    document = as_json(["--store", str(copy), "import", "study", str(path)], home)
    assert [row["status"] for row in document["rows"]] == ["already stored (nothing changed)"] * 3
    assert sorted((str(p.relative_to(copy)), p.read_bytes()) for p in copy.rglob("*") if p.is_file()) == before
