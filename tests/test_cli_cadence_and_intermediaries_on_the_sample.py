"""cadence and intermediaries end to end through the real CLI on the embedded sample: JSON parses and invariants hold."""

import json

import pandas as pd
import pytest

from conftest import run_cli


def cli_json(*args: str) -> dict:
    completed = run_cli(*args, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_cadence_by_country_warns_that_the_sample_is_not_complete_histories():
    completed = run_cli("cadence", "--format", "json")
    assert completed.returncode == 0, completed.stderr
    assert "warning:" in completed.stderr and "--author" in completed.stderr
    document = json.loads(completed.stdout)
    assert document["params"]["by"] == "country" and document["params"]["min_release_days"] == 3
    rows = pd.DataFrame(document["rows"])
    assert "USER" not in set(rows["key"])  # individuals are never a country row
    assert rows["n"].sum() == document["n"]["developers_grouped"]
    measured = rows[rows["n"] > 0]
    assert (measured["fastest_days_between"] <= measured["median_days_between"]).all()
    assert (measured["median_days_between"] <= measured["slowest_days_between"]).all()
    assert {"US", "CN"} <= set(measured["key"])
    assert all(item["dates"] == sorted(item["dates"]) and len(item["dates"]) >= 3 for item in document["evidence"])
    assert document["unknown_creation"]["models"] > 0  # the September 2024 listing has no creation dates


def test_intermediaries_totals_sum_to_one_per_snapshot_and_roles_meet_their_thresholds():
    document = cli_json("intermediaries")
    rows = pd.DataFrame(document["rows"])
    assert set(rows["role"]) == {"intermediary", "fine-tuner"}
    assert (rows["repos"] >= 5).all()
    assert (rows.loc[rows["role"] == "intermediary", "repackaged_fraction"] >= 0.8).all()
    assert (rows.loc[rows["role"] == "fine-tuner", "finetuned_fraction"] >= 0.8).all()
    totals = pd.DataFrame(document["totals"])
    assert totals.groupby("period")["share"].sum().tolist() == pytest.approx([1.0] * 3)
    origins = pd.DataFrame(document["origins"])
    assert (origins["via_intermediaries"] <= origins["origin_downloads"] + 1e-6).all()
    assert (origins["via_same_country"] + origins["via_other_country"] + origins["via_unknown_country"] - origins["via_intermediaries"]).abs().max() < 1e-6
