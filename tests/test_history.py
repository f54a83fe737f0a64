"""Histories of snapshots (DESIGN.md §3, "Downloads in a window"), through the real `hubecon` command.

Three kinds of history, every expected value worked out by hand in the comments:

* TAIDE (real): monthly snapshots of Taiwan's TAIDE models with 30-day *and*
  all-time counts, hand-copied from nctu6/huggingface_stats (commit f05da5cb;
  no licence, so only a few rows, as test input). The same excerpt is also
  imported without its all-time column, so the 30-day estimates can be checked
  against the exact differences on the same data.
* KBLab (real): monthly 30-day counts of the Swedish National Library's models,
  hand-copied from kb-labb/huggingface_stats (commit 107cfcca), ids as full Hub
  URLs.
* Hand-made hub-stats files (all-time counts) and listing files (30-day counts
  only) with a model created between snapshots, one missing from a snapshot, a
  rollback, a frozen counter, a rename (same Hub object id) and windows with
  no snapshot before their start.
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

# -- helpers ---------------------------------------------------------------------------------------


def run(args: list[str], home: Path) -> subprocess.CompletedProcess:
    """The installed command with a private HOME/XDG dir and no store or registry from the environment."""
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    return subprocess.run([str(HUBECON), *args], env=env, capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


_RESULTS: dict[tuple, str] = {}


def as_json(args: list[str], home: Path) -> dict:
    """The command's JSON document. The module's stores are never changed after they are built, so a
    command already run on one is answered from memory (each CLI run costs about a second)."""
    key = (str(home), *args)
    if key not in _RESULTS:
        _RESULTS[key] = ok(run([*args, "--format", "json"], home)).stdout
    return json.loads(_RESULTS[key])


_SESSIONS: dict[tuple, object] = {}


def api(store: Path, method: str, *, registry: Path | None = None, **kwargs) -> dict:
    """The Python API's answer as the JSON document the CLI prints (the CLI renders exactly this).

    Used where the command line itself is not under test: one process per CLI run costs about a
    second, the API is answered in-process. `hubecon.open` is given the store (and registry)
    explicitly, so nothing from the environment is picked up.
    """
    key = (str(store), str(registry))
    if key not in _SESSIONS:
        _SESSIONS[key] = hubecon.open(store, registry=registry)
    return json.loads(to_json(getattr(_SESSIONS[key], method)(**kwargs)))


def history_rows(store: Path, model_id: str, home: Path | None = None, *, cli: bool = False, **kwargs) -> dict[str, dict]:
    if cli:
        extra = [item for name, value in kwargs.items() for item in (f"--{name}", value)]
        document = as_json(["--store", str(store), "history", model_id, "--period", "month", *extra], home)
    else:
        document = api(store, "history", model_id=model_id, period="month", **kwargs)
    return {row["period"]: row for row in document["rows"]}


def downloads_by_period(store: Path, model_id: str, home: Path | None = None, **kwargs) -> dict[str, float]:
    return {period: row["downloads"] for period, row in history_rows(store, model_id, home, **kwargs).items()}


def share_document(store: Path, home: Path, *args: str) -> dict:
    """`hubecon share` through the real command."""
    return as_json(["--store", str(store), "share", *args], home)


def share_api(store: Path, **kwargs) -> dict:
    return api(store, "share", **kwargs)


def shares(document: dict) -> dict[tuple, tuple[float, float]]:
    """(period, key) -> (downloads, share)."""
    return {(row["period"], row["key"]): (row["downloads"], row["share"]) for row in document["rows"]}


def assert_close(found: dict, expected: dict) -> None:
    """Same keys, and each (downloads, share) pair equal to within floating-point rounding."""
    assert set(found) == set(expected), (sorted(found, key=str), sorted(expected, key=str))
    for key, values in expected.items():
        assert found[key] == pytest.approx(values, rel=1e-9), (key, found[key], values)


def assert_rows_sum_to_one(document: dict) -> None:
    totals: dict = {}
    for row in document["rows"]:
        totals[row["period"]] = totals.get(row["period"], 0.0) + row["share"]
    assert totals, document
    for period, total in totals.items():
        assert total == pytest.approx(1.0, abs=1e-9), (period, total)


def quality_details(store: Path, home: Path | None = None, *, cli: bool = False) -> tuple[dict, dict]:
    document = as_json(["--store", str(store), "quality"], home) if cli else api(store, "quality")
    return {row["check"]: row for row in document["rows"]}, document["details"]


def pairs(details: list[dict]) -> set[tuple[str, str]]:
    return {(row["model_id"], row["cur_id"]) for row in details}


# -- the TAIDE excerpt (real data) -----------------------------------------------------------------
# date -> model -> (downloads: 30-day count, downloadsAllTime). Copied by hand from
# download_series/taide/models/<date>_hf.csv. llava first appears on 2024-09-01 and is
# absent from the 2025-01-02 file (a real gap in the series).

LX7B, CHAT, ALPHA1, LLAVA = "taide/TAIDE-LX-7B", "taide/TAIDE-LX-7B-Chat", "taide/Llama3-TAIDE-LX-8B-Chat-Alpha1", "taide/llava_llama3_8b_clip336_e"
TAIDE = {
    "2024-07-01": {LX7B: (1098, 3559), CHAT: (14122, 23488), ALPHA1: (11808, 28615)},
    "2024-08-01": {LX7B: (4063, 7642), CHAT: (3495, 26998), ALPHA1: (27164, 55931)},
    "2024-09-01": {LX7B: (860, 8590), CHAT: (21600, 48607), ALPHA1: (21499, 78416), LLAVA: (34, 34)},
    "2024-10-01": {ALPHA1: (5042, 83457), CHAT: (6130, 54500), LX7B: (215, 8805), LLAVA: (81, 115)},
    "2024-11-01": {ALPHA1: (5272, 88912), LX7B: (463, 9268), CHAT: (3774, 58339), LLAVA: (0, 115)},
    "2024-12-06": {ALPHA1: (8215, 97739), LX7B: (2491, 11854), CHAT: (1455, 59907), LLAVA: (0, 115)},
    "2025-01-02": {ALPHA1: (3122, 100299), LX7B: (1150, 12513), CHAT: (1036, 60478)},
    "2025-02-05": {ALPHA1: (4922, 105407), LX7B: (215, 12816), CHAT: (909, 61442), LLAVA: (0, 115)},
    "2025-03-05": {LX7B: (145, 12943), CHAT: (1045, 62445), ALPHA1: (3484, 108265), LLAVA: (0, 115)},
}
# Days between consecutive snapshots, and the month each difference belongs to (the later one's):
#   07-01→08-01 31 (2024-08)   08-01→09-01 31 (2024-09)   09-01→10-01 30 (2024-10)
#   10-01→11-01 31 (2024-11)   11-01→12-06 35 (2024-12)   12-06→01-02 27 (2025-01)
#   01-02→02-05 34 (2025-02)   02-05→03-05 28 (2025-03)
GAP_DAYS = {"2024-08": 31, "2024-09": 31, "2024-10": 30, "2024-11": 31, "2024-12": 35, "2025-01": 27, "2025-02": 34, "2025-03": 28}

# Exact: all_time(later) − all_time(earlier).
TAIDE_EXACT = {
    LX7B: {
        "2024-08": 4083,  # 7642 − 3559
        "2024-09": 948,  # 8590 − 7642
        "2024-10": 215,  # 8805 − 8590
        "2024-11": 463,  # 9268 − 8805
        "2024-12": 2586,  # 11854 − 9268
        "2025-01": 659,  # 12513 − 11854
        "2025-02": 303,  # 12816 − 12513
        "2025-03": 127,  # 12943 − 12816
    },
    CHAT: {
        "2024-08": 3510,  # 26998 − 23488
        "2024-09": 21609,  # 48607 − 26998
        "2024-10": 5893,  # 54500 − 48607
        "2024-11": 3839,  # 58339 − 54500
        "2024-12": 1568,  # 59907 − 58339
        "2025-01": 571,  # 60478 − 59907
        "2025-02": 964,  # 61442 − 60478
        "2025-03": 1003,  # 62445 − 61442
    },
    ALPHA1: {
        "2024-08": 27316,  # 55931 − 28615
        "2024-09": 22485,  # 78416 − 55931
        "2024-10": 5041,  # 83457 − 78416
        "2024-11": 5455,  # 88912 − 83457
        "2024-12": 8827,  # 97739 − 88912
        "2025-01": 2560,  # 100299 − 97739
        "2025-02": 5108,  # 105407 − 100299
        "2025-03": 2858,  # 108265 − 105407
    },
}
# Estimated from 30-day counts only: count × min(d, 30)/30 (the later snapshot's count).
TAIDE_ESTIMATED = {
    LX7B: {
        "2024-08": 4063,  # d = 31 → whole count
        "2024-09": 860,
        "2024-10": 215,  # d = 30
        "2024-11": 463,
        "2024-12": 2491,  # d = 35 → whole count, 5 days unobserved
        "2025-01": 1035.0,  # d = 27 → 1150 × 27/30
        "2025-02": 215,  # d = 34 → whole count, 4 days unobserved
        "2025-03": 145 * 28 / 30,  # 135.33…
    },
    CHAT: {
        "2024-08": 3495,
        "2024-09": 21600,
        "2024-10": 6130,
        "2024-11": 3774,
        "2024-12": 1455,
        "2025-01": 932.4,  # 1036 × 27/30
        "2025-02": 909,
        "2025-03": 1045 * 28 / 30,  # 975.33…
    },
    ALPHA1: {
        "2024-08": 27164,
        "2024-09": 21499,
        "2024-10": 5042,
        "2024-11": 5272,
        "2024-12": 8215,
        "2025-01": 2809.8,  # 3122 × 27/30
        "2025-02": 4922,
        "2025-03": 3484 * 28 / 30,  # 3251.73…
    },
}


def write_series(folder: Path, snapshots: dict, *, all_time: bool = True, url_prefix: str = "") -> Path:
    """One CSV per date, shaped like download_series/*/models/<date>_hf.csv.

    Counts are (downloads, downloadsAllTime) tuples or bare 30-day counts; all_time=False drops the all-time column.
    """
    folder.mkdir(parents=True)
    for day, models in snapshots.items():
        with_all_time = all_time and all(isinstance(counts, tuple) for counts in models.values())
        header = "model_url,downloads,downloadsAllTime,organization,model_name,date" if with_all_time else "model_url,downloads,organization,model_name,date"
        lines = [header]
        for model_id, counts in models.items():
            namespace, name = model_id.split("/")
            counts = counts if isinstance(counts, tuple) else (counts,)
            counts = counts if with_all_time else counts[:1]
            lines.append(",".join([url_prefix + model_id, *(str(count) for count in counts), namespace, name, day]))
        (folder / f"{day}_hf.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def taide_stores(tmp_path_factory, home) -> dict[str, Path]:
    """The excerpt imported twice with the real command: with all-time counts, and with 30-day counts only."""
    base = tmp_path_factory.mktemp("taide")
    stores = {}
    for kind, with_all_time in (("exact", True), ("estimated", False)):
        folder = write_series(base / kind / "taide", TAIDE, all_time=with_all_time)
        stores[kind] = base / kind / "store"
        ok(run(["--store", str(stores[kind]), "import", "series", str(folder)], home))
    return stores


@pytest.mark.parametrize("model_id", [LX7B, CHAT, ALPHA1])
def test_taide_monthly_history_is_the_difference_of_all_time_counts(model_id, taide_stores, home):
    rows = history_rows(taide_stores["exact"], model_id, home, cli=True)
    assert {period: row["downloads"] for period, row in rows.items()} == pytest.approx(TAIDE_EXACT[model_id])
    assert not any(row["estimated"] for row in rows.values())


@pytest.mark.parametrize("model_id", [LX7B, CHAT, ALPHA1])
def test_taide_30_day_only_history_is_pro_rata_below_30_days_and_capped_at_30_beyond(model_id, taide_stores, home):
    rows = history_rows(taide_stores["estimated"], model_id, home)
    assert {period: row["downloads"] for period, row in rows.items()} == pytest.approx(TAIDE_ESTIMATED[model_id])
    assert all(row["estimated"] for row in rows.values())


def test_taide_all_time_differences_and_30_day_counts_agree_for_pairs_28_to_32_days_apart(taide_stores, home):
    """Tolerance: |difference − estimate| ≤ 15% of the estimate + 20 downloads.

    Justified from the data: over all 43 model-pairs with downloads in the full TAIDE series whose
    snapshots are 28–32 days apart, after the d/30 proration the largest relative
    gap on counts ≥ 100 is 13.5% (Alpha1-4bit, Oct→Nov 2024: 504 vs 444) and the
    median 2.6%; on tiny counts it is at most 16 downloads (b.11.0.0, Aug→Sep 2024:
    23 vs 7). The snapshots are not taken at the same hour and the Hub's 30-day
    window slides by a day or two, hence a relative and an absolute part.
    In this excerpt the proration matters: Alpha1 Feb→Mar 2025 (28 days) differs
    by 2858 − 3484 = −626 from the bare 30-day count, beyond 15% × 3484 + 20 = 542.6,
    but by only 2858 − 3251.7 = −393.7 from 3484 × 28/30 (tolerance 507.8).
    """
    compared = 0
    for model_id in (LX7B, CHAT, ALPHA1, LLAVA):
        exact = downloads_by_period(taide_stores["exact"], model_id, home)
        estimated = downloads_by_period(taide_stores["estimated"], model_id, home)
        for period, days in GAP_DAYS.items():
            if not 28 <= days <= 32 or period not in exact or period not in estimated:
                continue
            compared += 1
            assert abs(exact[period] - estimated[period]) <= 0.15 * estimated[period] + 20, (model_id, period, exact[period], estimated[period])
    # 3 models × 5 such pairs (Aug, Sep, Oct, Nov 2024, Mar 2025) + llava in Oct, Nov and Mar
    # (81 vs 81, 0 vs 0, 0 vs 0; in Sep it has no exact difference: not listed on 08-01).
    assert compared == 18


def test_taide_unobserved_days_are_the_days_of_each_gap_beyond_30(taide_stores, home):
    checks, details = quality_details(taide_stores["estimated"], home)
    # Per model present at the later snapshot: Aug 31 d → 1, Sep 31 → 1, Nov 31 → 1, Dec 35 → 5, Feb 34 → 4;
    # Oct (30), Jan (27) and Mar (28) leave none. Aug has 3 models (llava not yet listed on 08-01),
    # the others 4: 3·1 + 4·1 + 4·1 + 4·5 + 4·4 = 47 model-days in 19 rows.
    found = {(row["model_id"], row["cur_id"]): row["unobserved_days"] for row in details["unobserved_days"]}
    assert found[(ALPHA1, "series-2024-12-06")] == pytest.approx(5)
    assert found[(LX7B, "series-2025-02-05")] == pytest.approx(4)
    assert found[(CHAT, "series-2024-08-01")] == pytest.approx(1)
    assert checks["unobserved days"]["n"] == 19
    assert checks["unobserved days"]["downloads"] == pytest.approx(47)
    # With all-time counts every day is observed.
    checks, _ = quality_details(taide_stores["exact"], home)
    assert checks["unobserved days"]["n"] == 0


def test_taide_model_absent_from_a_snapshot_is_missing_for_both_steps_never_zero(taide_stores, home):
    """llava is listed on 2024-12-06 and 2025-02-05 but not on 2025-01-02: both steps touching that file are missing."""
    llava = downloads_by_period(taide_stores["exact"], LLAVA, home)
    # 2024-10: 115 − 34 = 81; 2024-11 and 2024-12: 115 − 115 = 0; 2025-03: 115 − 115 = 0.
    assert llava["2024-10"] == 81 and llava["2024-11"] == 0 and llava["2024-12"] == 0 and llava["2025-03"] == 0
    assert "2025-01" not in llava and "2025-02" not in llava
    checks, details = quality_details(taide_stores["exact"], home)
    # Missing for the step ending 2025-01-02 (absent from its end) and the one ending 2025-02-05 (absent from its start).
    assert {(LLAVA, "series-2025-01-02"), (LLAVA, "series-2025-02-05")} <= pairs(details["missing_models"])


def test_taide_counter_that_counted_then_shows_zero_twice_is_flagged_frozen(taide_stores, home):
    # llava: +81 in Oct 2024, then 0 (Nov) and 0 (Dec): frozen from the second zero, the step ending 2024-12-06.
    checks, details = quality_details(taide_stores["exact"], home)
    assert [(row["model_id"], row["frozen_since"]) for row in details["frozen_counters"]] == [(LLAVA, "2024-12-06T00:00:00Z")]
    assert checks["rollbacks"]["n"] == 0


def test_taide_one_window_is_end_minus_start_even_across_a_gap(taide_stores, home):
    # --since 2024-12-01 --until 2025-02-28: start = 2024-11-01 (last snapshot at or before Dec 1),
    # end = 2025-02-05 (last at or before Feb 28 23:59:59).
    # Alpha1 105407 − 88912 = 16495; LX-7B 12816 − 9268 = 3548; Chat 61442 − 58339 = 3103;
    # llava 115 − 115 = 0 (listed at both ends, so its absence on 2025-01-02 does not matter).
    document = share_document(taide_stores["exact"], home, "--by", "model", "--since", "2024-12-01", "--until", "2025-02-28")
    found = shares(document)
    total = 16495 + 3548 + 3103
    assert found[(None, ALPHA1)] == pytest.approx((16495, 16495 / total))
    assert found[(None, LX7B)] == pytest.approx((3548, 3548 / total))
    assert found[(None, CHAT)] == pytest.approx((3103, 3103 / total))
    assert document["window"]["shortened"] is False
    assert_rows_sum_to_one(document)


# -- the KBLab excerpt (real data, 30-day counts only, full Hub URLs as ids) ---------------------------
# date -> model -> downloads (30-day). Copied by hand from download_series/kblab/models/<date>_hf.csv.

KB_BERT, VOXREX, SBERT = "KB/bert-base-swedish-cased", "KBLab/wav2vec2-large-voxrex-swedish", "KBLab/sentence-bert-swedish-cased"
KBLAB = {
    "2024-07-20": {KB_BERT: 14423, VOXREX: 7066, SBERT: 1376},
    "2024-08-19": {KB_BERT: 3655, VOXREX: 20122, SBERT: 1874},
    "2024-09-19": {KB_BERT: 6074, VOXREX: 7507, SBERT: 23133},
    "2024-10-25": {KB_BERT: 7091, VOXREX: 38441, SBERT: 6131},
    "2024-11-19": {KB_BERT: 15365, VOXREX: 39341, SBERT: 4970},
    "2024-12-22": {KB_BERT: 8510, VOXREX: 53597, SBERT: 12598},
    "2025-01-20": {KB_BERT: 6685, VOXREX: 49498, SBERT: 45750},
}
# Gaps: Aug 30 d (× 1), Sep 31 (× 1, 1 day unobserved), Oct 36 (× 1, 6 unobserved),
# Nov 25 (× 25/30), Dec 33 (× 1, 3 unobserved), Jan 29 (× 29/30).
KBLAB_ESTIMATED = {
    KB_BERT: {"2024-08": 3655, "2024-09": 6074, "2024-10": 7091, "2024-11": 15365 * 25 / 30, "2024-12": 8510, "2025-01": 6685 * 29 / 30},
    VOXREX: {"2024-08": 20122, "2024-09": 7507, "2024-10": 38441, "2024-11": 39341 * 25 / 30, "2024-12": 53597, "2025-01": 49498 * 29 / 30},
    SBERT: {"2024-08": 1874, "2024-09": 23133, "2024-10": 6131, "2024-11": 4970 * 25 / 30, "2024-12": 12598, "2025-01": 45750 * 29 / 30},
}


@pytest.fixture(scope="module")
def kblab_store(tmp_path_factory, home) -> Path:
    base = tmp_path_factory.mktemp("kblab")
    folder = write_series(base / "kblab", KBLAB, url_prefix="https://huggingface.co/")
    store = base / "store"
    ok(run(["--store", str(store), "import", "series", str(folder)], home))
    return store


@pytest.mark.parametrize("model_id", [KB_BERT, VOXREX, SBERT])
def test_kblab_history_by_plain_id_from_full_url_series_follows_pro_rata_and_cap(model_id, kblab_store, home):
    rows = history_rows(kblab_store, model_id, home)
    assert {period: row["downloads"] for period, row in rows.items()} == pytest.approx(KBLAB_ESTIMATED[model_id])
    assert all(row["estimated"] for row in rows.values())


def test_kblab_unobserved_days_per_model(kblab_store, home):
    checks, details = quality_details(kblab_store, home)
    # 3 models × (1 + 6 + 3) = 30 model-days in 9 rows.
    found = {(row["model_id"], row["cur_id"]): row["unobserved_days"] for row in details["unobserved_days"]}
    assert found == pytest.approx(
        {(model, snapshot): days for model in (KB_BERT, VOXREX, SBERT) for snapshot, days in (("series-2024-09-19", 1), ("series-2024-10-25", 6), ("series-2024-12-22", 3))}
    )
    assert checks["unobserved days"]["n"] == 9 and checks["unobserved days"]["downloads"] == pytest.approx(30)


def test_kblab_share_by_month_sums_to_one_per_period_with_hand_computed_estimates(kblab_store, home):
    document = share_document(kblab_store, home, "--by", "model", "--period", "month")
    assert_rows_sum_to_one(document)
    found = shares(document)
    assert {period for period, _ in found} == {"2024-08", "2024-09", "2024-10", "2024-11", "2024-12", "2025-01"}
    # Nov 2024: every count × 25/30, so the shares are those of the counts: 15365 / (15365 + 39341 + 4970) = 15365/59676.
    assert found[("2024-11", KB_BERT)] == pytest.approx((15365 * 25 / 30, 15365 / 59676))
    # Oct 2024 (36 days, whole counts): 38441 / (7091 + 38441 + 6131) = 38441/51663.
    assert found[("2024-10", VOXREX)] == pytest.approx((38441, 38441 / 51663))
    assert document["data"]["measure"].find("estimated") >= 0


def test_kblab_share_by_country_credits_full_url_ids_to_their_namespaces(kblab_store, home):
    # KB and KBLab are both the National Library of Sweden in the registry: every period is 100% SE.
    document = share_api(kblab_store, by="country", period="month")
    assert {row["key"] for row in document["rows"]} == {"SE"}
    assert all(row["share"] == pytest.approx(1.0) for row in document["rows"])


def test_kblab_since_until_window_adds_30_day_estimates_step_by_step(kblab_store, home):
    # --since 2024-09-01 --until 2024-12-31: start = 2024-08-19, end = 2024-12-22; steps Sep, Oct, Nov, Dec.
    # KB/bert: 6074 + 7091 + 15365 × 25/30 + 8510 = 34479.1667
    # voxrex:  7507 + 38441 + 39341 × 25/30 + 53597 = 132329.1667
    # sbert:   23133 + 6131 + 4970 × 25/30 + 12598 = 46003.6667
    document = share_api(kblab_store, by="model", since="2024-09-01", until="2024-12-31")
    found = shares(document)
    kb, vox, sb = 6074 + 7091 + 15365 * 25 / 30 + 8510, 7507 + 38441 + 39341 * 25 / 30 + 53597, 23133 + 6131 + 4970 * 25 / 30 + 12598
    total = kb + vox + sb
    assert_close(found, {(None, KB_BERT): (kb, kb / total), (None, VOXREX): (vox, vox / total), (None, SBERT): (sb, sb / total)})


# -- hand-made hub-stats files: every case with a known answer -------------------------------------
# Snapshots (hub-stats models-YYYYMMDD-*.parquet), all-time counts; None = not listed.
#
# model          _id        created      01-01  02-01  03-01  04-01  05-01   registry (override below)
# orga/steady    id-steady  2024-03-11    1000   1300   1700   2200   2800   CN industry
# orgb/new       id-new     2025-02-15       —      —     90    290    590   US industry  (created between 02-01 and 03-01)
# orgc/gone      id-gone    2024-01-01     500    700      —   1000   1100   FR academia  (missing from 03-01)
# orgd/rollback  id-rb      2024-01-01    5000   5400   5100   5600   6000   US industry  (rollback at 03-01)
# orge/frozen    id-frozen  2024-01-01     800    900    900    900    900   individual   (frozen)
# orgf/old-name → orgg/new-name (id-ren)  2000   2100   2250   2450   2700   orgg: DE industry (renamed at 03-01)
#
# Steps (month of the later snapshot): 2025-02, 2025-03, 2025-04, 2025-05.

HUB_STATS_DAYS = ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"]
HUB_STATS_MODELS = [
    ("orga/steady", "id-steady", "2024-03-11", [1000, 1300, 1700, 2200, 2800]),
    ("orgb/new", "id-new", "2025-02-15", [None, None, 90, 290, 590]),
    ("orgc/gone", "id-gone", "2024-01-01", [500, 700, None, 1000, 1100]),
    ("orgd/rollback", "id-rb", "2024-01-01", [5000, 5400, 5100, 5600, 6000]),
    ("orge/frozen", "id-frozen", "2024-01-01", [800, 900, 900, 900, 900]),
    (["orgf/old-name", "orgf/old-name", "orgg/new-name", "orgg/new-name", "orgg/new-name"], "id-ren", "2024-01-01", [2000, 2100, 2250, 2450, 2700]),
]
REGISTRY = """namespace,developer,country,type,evidence
orga,Org A,CN,industry,https://orga.example
orgb,Org B,US,industry,https://orgb.example
orgc,Org C,FR,academia,https://orgc.example
orgd,Org D,US,industry,https://orgd.example
orge,orge,,individual,https://huggingface.co/orge
orgg,Org G,DE,industry,https://orgg.example
"""


def write_hub_stats(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for index, day in enumerate(HUB_STATS_DAYS):
        rows = []
        for name, object_id, created, counts in HUB_STATS_MODELS:
            if counts[index] is None:
                continue
            model_id = name[index] if isinstance(name, list) else name
            before = counts[index - 1] if index and counts[index - 1] is not None else 0
            rows.append(
                {
                    "id": model_id,
                    "_id": object_id,
                    "author": model_id.split("/")[0],
                    "createdAt": pd.Timestamp(created, tz="UTC"),
                    "lastModified": pd.Timestamp(created, tz="UTC"),
                    "downloads": max(counts[index] - before, 0),
                    "downloadsAllTime": counts[index],
                    "likes": 1,
                    "tags": ["text-generation"],
                    "pipeline_tag": "text-generation",
                }
            )
        path = folder / f"models-{day.replace('-', '')}-0a1b2c.parquet"
        pd.DataFrame(rows).to_parquet(path, index=False)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def hub_store(tmp_path_factory, home) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hubstats")
    paths = write_hub_stats(base / "files")
    store = base / "store"
    ok(run(["--store", str(store), "import", "hub-stats", *map(str, paths)], home))
    registry = base / "registry.csv"
    registry.write_text(REGISTRY)
    return {"store": store, "registry": registry}


def test_history_of_steady_model_per_month(hub_store, home):
    # 1300 − 1000, 1700 − 1300, 2200 − 1700, 2800 − 2200
    assert downloads_by_period(hub_store["store"], "orga/steady", home, cli=True) == {"2025-02": 300, "2025-03": 400, "2025-04": 500, "2025-05": 600}


def test_model_created_between_snapshots_counts_from_zero(hub_store, home):
    # Created 2025-02-15, after the 02-01 snapshot: the step ending 03-01 counts 90 − 0; then 200 and 300.
    assert downloads_by_period(hub_store["store"], "orgb/new", home) == {"2025-03": 90, "2025-04": 200, "2025-05": 300}
    _, details = quality_details(hub_store["store"], home, cli=True)
    assert not any(row["model_id"] == "orgb/new" for row in details["missing_models"])


def test_model_missing_from_a_later_snapshot_is_excluded_for_both_steps_and_reported(hub_store, home):
    # orgc is absent from 03-01: the step 02-01→03-01 lacks its end, the step 03-01→04-01 its start.
    # Both are missing (no row, never 0); 02-01 = 700 − 500 = 200 and 05-01 = 1100 − 1000 = 100 remain.
    assert downloads_by_period(hub_store["store"], "orgc/gone", home) == {"2025-02": 200, "2025-05": 100}
    _, details = quality_details(hub_store["store"], home, cli=True)
    assert {("orgc/gone", "hub-stats-2025-03-01"), ("orgc/gone", "hub-stats-2025-04-01")} <= pairs(details["missing_models"])


def test_rollback_is_clipped_to_zero_and_flagged(hub_store, home):
    # 5400 − 5000 = 400; 5100 − 5400 = −300 → 0, flagged; 5600 − 5100 = 500; 6000 − 5600 = 400.
    assert downloads_by_period(hub_store["store"], "orgd/rollback", home) == {"2025-02": 400, "2025-03": 0, "2025-04": 500, "2025-05": 400}
    checks, details = quality_details(hub_store["store"], home, cli=True)
    assert pairs(details["rollbacks"]) == {("orgd/rollback", "hub-stats-2025-03-01")}
    assert checks["rollbacks"]["n"] == 1


def test_frozen_counter_is_flagged_from_its_second_zero_difference(hub_store, home):
    # 900 − 800 = 100 (counting), then 0, 0, 0: frozen since the second zero, the step ending 04-01.
    assert downloads_by_period(hub_store["store"], "orge/frozen", home) == {"2025-02": 100, "2025-03": 0, "2025-04": 0, "2025-05": 0}
    checks, details = quality_details(hub_store["store"], home, cli=True)
    assert [(row["model_id"], row["frozen_since"]) for row in details["frozen_counters"]] == [("orge/frozen", "2025-04-01T00:00:00Z")]


def test_renamed_repo_with_same_hub_object_id_is_one_model_across_the_rename(hub_store, home):
    # orgf/old-name became orgg/new-name at 03-01 (same _id): one model, known by its latest name,
    # 2100 − 2000 = 100, 2250 − 2100 = 150 (across the rename), 2450 − 2250 = 200, 2700 − 2450 = 250.
    assert downloads_by_period(hub_store["store"], "orgg/new-name", home) == {"2025-02": 100, "2025-03": 150, "2025-04": 200, "2025-05": 250}
    _, details = quality_details(hub_store["store"], home, cli=True)
    assert not any(row["model_id"] in ("orgg/new-name", "orgf/old-name") for row in details["missing_models"])
    # One window across the rename: 2250 − 2000 = 250, under the new name only.
    found = shares(share_api(hub_store["store"], by="model", since="2025-01-01", until="2025-03-01"))
    assert found[(None, "orgg/new-name")][0] == pytest.approx(250)
    assert (None, "orgf/old-name") not in found


def test_window_with_no_snapshot_before_its_start_is_shortened_and_says_so(hub_store, home):
    # --since 2024-12-01: no snapshot at or before it, so the window starts at the first inside (01-01)
    # and ends at 03-01 (last at or before 2025-03-31 23:59:59).
    # orga 1700 − 1000 = 700; orgb created after 01-01: 90 − 0 = 90; orgd 5100 − 5000 = 100; orge 900 − 800 = 100;
    # orgc absent from the end (03-01): missing, excluded.
    document = share_document(hub_store["store"], home, "--by", "model", "--since", "2024-12-01", "--until", "2025-03-31")
    found = {key: downloads for (_, key), (downloads, _) in shares(document).items()}
    assert found["orga/steady"] == 700 and found["orgb/new"] == 90 and found["orgd/rollback"] == 100 and found["orge/frozen"] == 100
    assert "orgc/gone" not in found
    assert document["window"]["shortened"] is True
    assert "shortened" in document["data"]["note"]
    assert_rows_sum_to_one(document)
    history = api(hub_store["store"], "history", model_id="orga/steady", since="2024-12-01", until="2025-03-31")
    assert {row["period"]: row["downloads"] for row in history["rows"]} == {"2025-02": 300, "2025-03": 400}
    assert history["window_shortened"] is True


def test_since_and_until_are_whole_days_both_inclusive(hub_store, home):
    # --until 2025-04-01 reaches 2025-04-01 23:59:59, so the 04-01 snapshot is the end: 2200 − 1300 = 900;
    # --until 2025-03-31 stops at 03-01: 1700 − 1300 = 400. --since 2025-02-01 starts at the 02-01 snapshot itself.
    through_april = shares(share_api(hub_store["store"], by="model", since="2025-02-01", until="2025-04-01"))
    through_march = shares(share_api(hub_store["store"], by="model", since="2025-02-01", until="2025-03-31"))
    assert through_april[(None, "orga/steady")][0] == 900
    assert through_march[(None, "orga/steady")][0] == 400


def test_history_and_quality_end_to_end_table_output(hub_store, home):
    history = ok(run(["--store", str(hub_store["store"]), "history", "orgd/rollback", "--period", "month"], home)).stdout
    for period in ("2025-02", "2025-03", "2025-04", "2025-05"):
        assert period in history
    quality = ok(run(["--store", str(hub_store["store"]), "quality"], home)).stdout
    for check in ("rollbacks", "frozen counters", "missing models", "unobserved days"):
        assert check in quality
    assert "orgd/rollback" in quality and "orge/frozen" in quality


def test_history_of_unknown_model_exits_2(hub_store, home):
    result = run(["--store", str(hub_store["store"]), "history", "nobody/nothing"], home)
    assert result.returncode == 2 and result.stderr.startswith("error:") and "nobody/nothing" in result.stderr
    assert "Traceback" not in result.stderr


def test_share_by_month_on_hub_stats_history_sums_to_one_with_hand_computed_shares(hub_store, home):
    # 2025-04 (03-01→04-01): orga 500 CN, orgb 200 US, orgc missing, orgd 500 US, orge 0 USER, orgg 200 DE;
    #   total 1400: CN 500/1400, US 700/1400, DE 200/1400 (USER has 0 downloads: no row).
    # 2025-05 (04-01→05-01): orga 600 CN, orgb 300 US, orgc 100 FR, orgd 400 US, orge 0, orgg 250 DE;
    #   total 1650: CN 600/1650, US 700/1650, FR 100/1650, DE 250/1650.
    document = as_json(["--store", str(hub_store["store"]), "--registry", str(hub_store["registry"]), "share", "--by", "country", "--period", "month"], home)
    assert_rows_sum_to_one(document)
    found = shares(document)
    assert {period for period, _ in found} == {"2025-02", "2025-03", "2025-04", "2025-05"}
    april = {key: value for (period, key), value in found.items() if period == "2025-04"}
    may = {key: value for (period, key), value in found.items() if period == "2025-05"}
    assert_close(april, {"CN": (500, 500 / 1400), "US": (700, 700 / 1400), "DE": (200, 200 / 1400)})
    assert_close(may, {"CN": (600, 600 / 1650), "US": (700, 700 / 1650), "FR": (100, 100 / 1650), "DE": (250, 250 / 1650)})


def test_share_by_month_within_since_until_keeps_only_the_steps_inside(hub_store, home):
    # --since 2025-03-02 --until 2025-05-31: start = 03-01, end = 05-01: the periods 2025-04 and 2025-05 only.
    document = as_json(
        ["--store", str(hub_store["store"]), "--registry", str(hub_store["registry"]), "share", "--by", "country", "--period", "month", "--since", "2025-03-02", "--until", "2025-05-31"],
        home,
    )
    assert_rows_sum_to_one(document)
    found = shares(document)
    assert {period for period, _ in found} == {"2025-04", "2025-05"}
    assert found[("2025-04", "US")] == pytest.approx((700, 0.5))
    assert found[("2025-05", "FR")] == pytest.approx((100, 100 / 1650))


def test_new_model_cohort_by_month_is_pro_rata_by_step(hub_store, home):
    # Only first-year downloads count. orga was created 2024-03-11: its anniversary, 2025-03-11, falls in the
    # step 03-01→04-01 (31 days, all after creation), 10 of them before it: 500 × 10/31 = 161.29; after that 0.
    # orgb (created 2025-02-15) counts in full: 90, 200, 300. orgc/orgd/orge/orgg were created 2024-01-01,
    # anniversary 2024-12-31: 0 in every step.
    # 2025-04: CN 500·10/31 = 5000/31, US 200 = 6200/31 → CN 5000/11200, US 6200/11200. 2025-05: US 300 → 1.
    # 2025-03 (02-01→03-01, 28 days, all before orga's anniversary): CN 400, US 90 → 400/490, 90/490.
    document = as_json(
        ["--store", str(hub_store["store"]), "--registry", str(hub_store["registry"]), "share", "--by", "country", "--period", "month", "--cohort", "new"], home
    )
    assert_rows_sum_to_one(document)
    found = shares(document)
    assert found[("2025-04", "CN")] == pytest.approx((5000 / 31, 5000 / 11200))
    assert found[("2025-04", "US")] == pytest.approx((200, 6200 / 11200))
    assert found[("2025-05", "US")] == pytest.approx((300, 1.0))
    assert ("2025-05", "CN") not in found
    assert found[("2025-03", "CN")] == pytest.approx((400, 400 / 490))
    assert found[("2025-03", "US")] == pytest.approx((90, 90 / 490))


# -- hand-made listings: 30-day counts only ---------------------------------------------------------
# Listings taken 2025-01-01, 2025-01-21 (20 days later) and 2025-03-02 (40 days later), imported as
# scope full so that they form one history.
#   x/old    created 2024-06-01: 300, 600, 900
#   z/gone   created 2024-01-01:  90,   —, 120   (not listed on 01-21)

LISTINGS = {
    "2025-01-01": "model_id,downloads,created_at\nx/old,300,2024-06-01T00:00:00Z\nz/gone,90,2024-01-01T00:00:00Z\n",
    "2025-01-21": "model_id,downloads,created_at\nx/old,600,2024-06-01T00:00:00Z\n",
    "2025-03-02": "model_id,downloads,created_at\nx/old,900,2024-06-01T00:00:00Z\nz/gone,120,2024-01-01T00:00:00Z\n",
}


@pytest.fixture(scope="module")
def listing_store(tmp_path_factory, home) -> Path:
    base = tmp_path_factory.mktemp("listings")
    store = base / "store"
    for day, text in LISTINGS.items():
        path = base / f"listing-{day}.csv"
        path.write_text(text)
        hubecon.open(store, create=True).import_listing(path, taken_at=day, scope="full")
    return store


def test_listing_history_estimates_pro_rata_and_reports_gap_beyond_30_days(listing_store, home):
    # x/old: 01-21 is 20 days after 01-01 → 600 × 20/30 = 400 (2025-01); 03-02 is 40 days after → 900, 10 days unobserved (2025-03).
    rows = history_rows(listing_store, "x/old", home)
    assert {period: row["downloads"] for period, row in rows.items()} == pytest.approx({"2025-01": 400, "2025-03": 900})
    assert all(row["estimated"] for row in rows.values())
    # z/gone: no count on 01-21 (no 2025-01 row, never 0); 03-02's count stands for the 30 days before it: 120.
    assert downloads_by_period(listing_store, "z/gone", home) == pytest.approx({"2025-03": 120})
    checks, details = quality_details(listing_store, home)
    unobserved = {(row["model_id"], row["cur_id"]): row["unobserved_days"] for row in details["unobserved_days"]}
    assert unobserved == pytest.approx({("x/old", "listing-2025-03-02"): 10, ("z/gone", "listing-2025-03-02"): 10})


def test_listing_model_absent_from_end_of_step_is_reported_missing(listing_store, home):
    # z/gone was listed on 01-01 and not on 01-21: the step ending 01-21 has no count for it → missing.
    _, details = quality_details(listing_store, home)
    assert ("z/gone", "listing-2025-01-21") in pairs(details["missing_models"])


def test_single_snapshot_cannot_give_another_window(tmp_path, home):
    path = tmp_path / "one.csv"
    path.write_text("model_id,downloads\nx/old,300\n")
    store = tmp_path / "store"
    hubecon.open(store, create=True).import_listing(path, taken_at="2025-01-01")
    result = run(["--store", str(store), "history", "x/old", "--period", "month"], home)
    assert result.returncode == 2 and "only one snapshot" in result.stderr and "Traceback" not in result.stderr
    result = run(["--store", str(store), "share", "--since", "2024-12-01", "--until", "2024-12-31"], home)
    assert result.returncode == 2 and "only one snapshot" in result.stderr


def test_frozen_counters_flag_each_run_of_two_zeros_after_counting_once_at_its_second_zero():
    import ibis

    from hubecon.metrics.quality import frozen_counters

    series = {
        "a/refreezes": [5, 0, 0, 0, 3, 0, 0],  # two runs: flagged at steps 2 and 6
        "a/late-start": [0, 0, 0, 4, 0],  # zeros before it ever counted are not a freeze; one zero after is not enough
        "a/counts": [1, 2, 3],
    }
    steps = pd.DataFrame(
        [{"model_key": model, "step": n, "downloads": float(value), "estimated": False} for model, values in series.items() for n, value in enumerate(values)]
    ).sample(frac=1, random_state=3)  # the order of the rows must not matter
    frozen = ibis.duckdb.connect().execute(frozen_counters(ibis.memtable(steps)).order_by("model_key", "step"))
    assert list(zip(frozen["model_key"], frozen["step"])) == [("a/refreezes", 2), ("a/refreezes", 6)]



# -- the on-disk cache of a history's downloads per period (cache.py) --------------------------------------


def rounded(value):
    """A JSON document with its floats to 12 significant digits."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return float(f"{value:.12g}") if isinstance(value, float) else value


def history_entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("history-*"))


def test_a_history_is_cached_on_disk_and_the_next_session_reads_it_instead_of_building_it(hub_store, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("HUBECON_CACHE", str(cache_dir))
    store, registry = hub_store["store"], hub_store["registry"]
    built = rounded(json.loads(to_json(hubecon.open(store, registry=registry).share(period="month"))))
    entries = history_entries(cache_dir)
    assert len(entries) == 1 and sorted(path.name for path in entries[0].iterdir()) == ["downloads.parquet", "summary.json"]

    monkeypatch.setattr(hubecon.api.Hubecon, "_history_built", lambda *args, **kwargs: pytest.fail("a cached history must be read, not built"))
    again = hubecon.open(store, registry=registry)
    assert rounded(json.loads(to_json(again.share(period="month")))) == built
    # Another command over the same history reads the same entry.
    assert json.loads(to_json(again.concentration(period="month")))["rows"]
    assert history_entries(cache_dir) == entries


def test_a_cached_history_gives_what_the_session_builds_when_the_cache_cannot_be_written(hub_store, tmp_path, monkeypatch):
    store, registry = hub_store["store"], hub_store["registry"]
    monkeypatch.setenv("HUBECON_CACHE", str(tmp_path / "cache"))
    calls = [("share", {"period": "month"}), ("share", {"period": "quarter", "cohort": "new", "attribution": "origin"}), ("concentration", {"period": "month"}),
             ("export_panel", {"level": "model", "period": "month"}), ("trends", {"period": "month"})]
    first = hubecon.open(store, registry=registry)
    for method, kwargs in calls:  # writes the entries the next session reads
        getattr(first, method)(**kwargs)
    cached_session = hubecon.open(store, registry=registry)
    cached = [to_json(getattr(cached_session, method)(**kwargs)) for method, kwargs in calls]
    # A cache folder that is a file cannot be written: the history is built in the session, as on Spark.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("HUBECON_CACHE", str(blocked))
    built_session = hubecon.open(store, registry=registry)
    built = [to_json(getattr(built_session, method)(**kwargs)) for method, kwargs in calls]
    # Equal but for the last digits of sums, whose order the engine's threads decide.
    assert [rounded(json.loads(document)) for document in built] == [rounded(json.loads(document)) for document in cached]


def test_a_window_is_never_cached_and_a_damaged_entry_is_built_again(hub_store, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("HUBECON_CACHE", str(cache_dir))
    store, registry = hub_store["store"], hub_store["registry"]
    hubecon.open(store, registry=registry).share(since="2025-02-01", until="2025-04-30")
    assert history_entries(cache_dir) == []
    expected = rounded(json.loads(to_json(hubecon.open(store, registry=registry).share(period="month"))))
    for damaged, garbage in (("summary.json", "{not json"), ("downloads.parquet", "not parquet")):
        (entry,) = history_entries(cache_dir)
        (entry / damaged).write_text(garbage)
        assert rounded(json.loads(to_json(hubecon.open(store, registry=registry).share(period="month")))) == expected, damaged
        (entry,) = history_entries(cache_dir)
        assert json.loads((entry / "summary.json").read_text())["periods"]
        assert pd.read_parquet(entry / "downloads.parquet")["downloads"].sum() > 0


def test_stores_of_the_same_files_under_other_scopes_never_share_a_cached_history(hub_store, tmp_path, monkeypatch):
    # The same hub-stats files, the last one imported as `filtered`: the full history then ends a month earlier.
    monkeypatch.setenv("HUBECON_CACHE", str(tmp_path / "cache"))
    files = sorted((hub_store["store"].parent / "files").glob("*.parquet"))
    other = tmp_path / "other"
    hubecon.open(other, create=True).import_hub_stats(files[:-1])
    hubecon.open(other).import_hub_stats(files[-1:], scope="filtered")
    hubecon.open(hub_store["store"], registry=hub_store["registry"]).share(period="month")  # the all-full store's entry
    cached = json.loads(to_json(hubecon.open(other, registry=hub_store["registry"]).share(period="month")))
    monkeypatch.setenv("HUBECON_CACHE", str(tmp_path / "another-cache"))
    built = json.loads(to_json(hubecon.open(other, registry=hub_store["registry"]).share(period="month")))
    assert rounded(cached) == rounded(built)
    assert [period["period"] for period in cached["window"]["periods"]] == ["2025-02", "2025-03", "2025-04"]


def test_a_full_disk_while_writing_a_history_leaves_the_command_working_and_no_entry(hub_store, tmp_path, monkeypatch):
    import duckdb

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("HUBECON_CACHE", str(cache_dir))
    expected = rounded(json.loads(to_json(hubecon.open(hub_store["store"], registry=hub_store["registry"]).share(period="month"))))
    for entry in history_entries(cache_dir):
        shutil.rmtree(entry)

    def no_space(*args, **kwargs):
        raise duckdb.IOException("Could not write file: No space left on device")

    session = hubecon.open(hub_store["store"], registry=hub_store["registry"])
    monkeypatch.setattr(session.store.con, "to_parquet", no_space)
    assert rounded(json.loads(to_json(session.share(period="month")))) == expected
    assert history_entries(cache_dir) == [] and not list(cache_dir.glob(".history-*"))


def test_pruning_removes_only_old_cache_entries():
    import os
    import tempfile
    import time

    from hubecon import cache

    root = Path(tempfile.mkdtemp())
    old = time.time() - (cache.UNUSED_DAYS + 5) * 86400
    names = {"stale": f"history-{'a' * 20}-{'b' * 20}", "stale staging": f".enrichment-{'a' * 20}-{'c' * 20}.{'d' * 32}",
             "fresh": f"history-{'a' * 20}-{'e' * 20}", "someone else's": "my-history-notes"}
    for name in names.values():
        (root / name).mkdir()
        if name != names["fresh"]:
            os.utime(root / name, (old, old))
    cache.prune(root)
    assert sorted(path.name for path in root.iterdir()) == sorted([names["fresh"], names["someone else's"]])


def test_a_cache_entry_is_keyed_by_the_snapshots_the_code_and_the_parameters():
    from hubecon import cache

    snapshots = ["a sha 2025-01-01 3", "b sha 2025-02-01 3"]
    folder = cache.cache_folder("history", snapshots, "month", None)
    assert folder == cache.cache_folder("history", list(reversed(snapshots)), "month", None)
    assert folder.name.startswith(f"history-{cache.CODE_AND_DATA_DIGEST}-")
    others = [cache.cache_folder("history", snapshots, "quarter", None), cache.cache_folder("history", snapshots[:1], "month", None),
              cache.cache_folder("history", snapshots, "month", "series"), cache.cache_folder("enrichment", snapshots)]
    assert folder not in others and len(set(others)) == len(others)
