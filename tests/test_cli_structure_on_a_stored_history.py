"""cadence, intermediaries, families, adoption and distillation end to end through the real CLI on a stored history (three monthly
`full` listings in a store on disk), in every format.

Models (created; lineage):
  lab/base-7B        2025-12-01
  lab/base-7B-ft     2025-12-15  own finetune of lab/base-7B (a release day)
  lab/new-7B         2026-01-01
  lab/third-7B       2026-01-31  → Lab: 4 release days, gaps 14, 17, 30 → median 17
  quant/q{0-4}-GGUF  2026-01-02  GGUF quantizations of lab/base-7B → quant is an intermediary
  stu/student-distilled-7B 2026-01-02  finetune of lab/base-7B
All-time counts grow by 100 a month for every model.
"""

import json

import pandas as pd
import pytest

import hubecon
from conftest import run_cli

MODELS = [
    ("lab/base-7B", "2025-12-01", ""),
    ("lab/base-7B-ft", "2025-12-15", "base_model:finetune:lab/base-7B"),
    ("lab/new-7B", "2026-01-01", ""),
    ("lab/third-7B", "2026-01-31", ""),
    *((f"quant/q{n}-GGUF", "2026-01-02", "gguf,base_model:quantized:lab/base-7B") for n in range(5)),
    ("stu/student-distilled-7B", "2026-01-02", "base_model:finetune:lab/base-7B"),
]
REGISTRY = """namespace,developer,country,type,evidence
lab,Lab,CN,industry,https://lab.example
quant,Quant,DE,community,https://quant.example
stu,Student Lab,US,academia,https://stu.example
"""
SNAPSHOTS = ["2026-01-31", "2026-02-28", "2026-03-31"]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("structure-history")
    store = folder / "store"
    (folder / "registry.csv").write_text(REGISTRY)
    for number, taken_at in enumerate(SNAPSHOTS, start=1):
        listing = pd.DataFrame(
            {
                "model_id": [model for model, _, _ in MODELS],
                "downloads": [100] * len(MODELS),
                "downloadsAllTime": [100 * number] * len(MODELS),
                "pipeline_tag": ["text-generation"] * len(MODELS),
                "created_at": [f"{created}T00:00:00Z" for _, created, _ in MODELS],
                "tags": [tags for _, _, tags in MODELS],
            }
        )
        path = folder / f"listing-{taken_at}.csv"
        listing.to_csv(path, index=False)
        # Imported through the Python API (as `hubecon import listing` does) to keep the file fast; the commands run through the CLI.
        hubecon.open(store, create=True).import_listing(path, taken_at=taken_at, scope="full")
    return store, folder / "registry.csv"


def run(history, *args: str, fmt: str = "json"):
    store, registry = history
    completed = run_cli("--store", str(store), "--registry", str(registry), *args, "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    return completed


def test_cadence_on_a_full_crawl_has_complete_histories_and_no_warning(history):
    completed = run(history, "cadence", "--by", "developer")
    assert "warning" not in completed.stderr
    document = json.loads(completed.stdout)
    assert document["warning"] is None and document["complete_histories"] == document["n"]["developers"]
    lab = pd.DataFrame(document["rows"]).set_index("developer").loc["Lab"]
    assert (lab["release_days"], lab["median_days_between"]) == (4, 17)


def test_intermediaries_per_month_of_the_history(history):
    document = json.loads(run(history, "intermediaries", "--period", "month").stdout)
    rows = pd.DataFrame(document["rows"])
    assert rows["period"].tolist() == ["2026-02", "2026-03"] and set(rows["namespace"]) == {"quant"}
    # Every model gains 100 a month: quant's 5 of 10 models take half of each month's downloads.
    assert rows["share"].tolist() == pytest.approx([0.5, 0.5])
    origins = pd.DataFrame(document["origins"]).set_index("period")
    assert origins.loc["2026-02", "share_via_other_country"] == pytest.approx(0.5)


def test_families_per_month_of_the_history(history):
    document = json.loads(run(history, "families", "--period", "month").stdout)
    rows = pd.DataFrame(document["rows"])
    base = rows[rows["root_id"] == "lab/base-7B"].set_index("period")
    assert base["family_downloads"].tolist() == [800, 800]  # base, its finetune, 5 quantizations, the student
    assert base["derivative_share"].tolist() == pytest.approx([7 / 8, 7 / 8])
    assert base.loc["2026-02", ["finetunes", "quantized"]].tolist() == [2, 5]


def test_adoption_with_the_history_at_ages(history):
    document = json.loads(run(history, "adoption", "lab/third-7B").stdout)
    assert document["mode"] == "history"
    rows = pd.DataFrame(document["rows"])
    # Created 2026-01-31: the snapshots are at ages 0, 28 (→ 30, 2 days off) and 59 (→ 60, 1 day off).
    assert rows["age"].tolist() == [30, 60]
    assert rows["downloads_all_time"].tolist() == [200, 300]


@pytest.mark.parametrize(
    "command,fmt,expected",
    [
        (("cadence", "--by", "type"), "table", "industry"),
        (("intermediaries",), "md", "Share of downloads by role"),
        (("families",), "csv", "\n,lab/base-7B,Lab,CN,industry,800.0,0.8,100.0,700.0,0.875,7,2,5,0,0,True"),
        (("adoption", "--top", "2"), "md", "Reference"),
        (("distillation",), "csv", "stu/student-distilled-7B,Student Lab,US,name,False,lab/base-7B"),
        (("distillation",), "table", "Who distils from whom"),
    ],
)
def test_every_format_renders(history, command, fmt, expected):
    assert expected in run(history, *command, fmt=fmt).stdout
