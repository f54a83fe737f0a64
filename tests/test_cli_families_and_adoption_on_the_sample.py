"""families and adoption end to end through the real CLI on the embedded sample: JSON parses and invariants hold."""

import json

import pandas as pd

from conftest import run_cli


def cli_json(*args: str) -> dict:
    completed = run_cli(*args, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_families_roll_up_with_consistent_parts():
    document = cli_json("families", "--top", "15")
    rows = pd.DataFrame(document["rows"])
    assert len(rows) == 15 and document["params"]["top"] == 15
    assert (rows["family_downloads"] - rows["root_downloads"] - rows["derivative_downloads"]).abs().max() < 1e-6
    assert rows["derivative_share"].between(0, 1).all()
    assert rows["family_downloads"].is_monotonic_decreasing
    assert rows["share_of_downloads"].sum() <= 1


def test_adoption_uses_the_may_sample_and_says_the_april_listing_has_no_all_time_counts():
    document = cli_json("adoption", "--top", "5")
    assert document["params"]["snapshot"] == "hub-stats-2026-05" and document["mode"] == "single snapshot"
    assert "no all-time download counts" in document["data"]["note"]
    rows = pd.DataFrame(document["rows"])
    assert len(rows) == 5 and rows["adoption"].is_monotonic_decreasing
    assert (rows["reference_n"] <= 10).all()
    assert (rows["adoption"] - rows["per_day"] / rows["reference_median"]).abs().max() < 1e-9
