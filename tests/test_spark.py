"""The same Ibis metric code on Spark (PySpark local mode) and on DuckDB over the same Parquet store: the same results to 1e-9.

One SparkSession serves the whole module (Spark takes seconds to start).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import hubecon
from conftest import run_cli
from hubecon.present.output import to_json
from hubecon.sources.synth import REGISTRY_FILE, SynthSpec, write_synthetic_hub
from hubecon.store.engine import spark_session
from hubecon.store.store import snapshot_dir

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    history = tmp_path_factory.mktemp("spark") / "history"
    write_synthetic_hub(history, SynthSpec(models=300, snapshots=6, seed=17))
    single = tmp_path_factory.mktemp("spark") / "single"
    write_synthetic_hub(single, SynthSpec(models=300, snapshots=1, seed=18))
    return {"history": history, "single": single}


@pytest.fixture(scope="module")
def engines(stores):
    session = spark_session()
    opened = {
        name: {engine: hubecon.open(root, registry=root / REGISTRY_FILE, engine=engine) for engine in ("duckdb", "spark")} for name, root in stores.items()
    }
    yield opened
    session.stop()


def same(left, right, where: str = "") -> None:
    """Equal JSON documents, numbers to 1e-9 (relative, or absolute near 0)."""
    if isinstance(left, float) or isinstance(right, float):
        assert isinstance(left, (int, float)) and isinstance(right, (int, float)), f"{where}: {left!r} vs {right!r}"
        assert math.isclose(left, right, rel_tol=TOLERANCE, abs_tol=TOLERANCE), f"{where}: {left!r} vs {right!r}"
    elif isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), f"{where}: keys {sorted(left)} vs {sorted(right) if isinstance(right, dict) else right}"
        for key in left:
            same(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), f"{where}: {len(left)} vs {len(right) if isinstance(right, list) else right} items"
        for index, (a, b) in enumerate(zip(left, right)):
            same(a, b, f"{where}[{index}]")
    else:
        assert left == right, f"{where}: {left!r} vs {right!r}"


METRICS = {
    "share by country": lambda h: h.share(),
    "share by developer, origin, new cohort, top 10": lambda h: h.share(by="developer", attribution="origin", cohort="new", top=10),
    "share by type, excluding individuals and GGUF, alternative registry rows": lambda h: h.share(by="type", exclude=("individuals", "gguf"), registry_variant="alternative"),
    "share per week": lambda h: h.share(period="week", by="country"),
    "share in a window": lambda h: h.share(since="2025-01-15", until="2025-02-05", by="model", top=20),
    "share with bootstrap intervals": lambda h: h.share(by="country", ci=True),
    "concentration of developers per month": lambda h: h.concentration(level="developer", period="month"),
    "concentration of models, origin": lambda h: h.concentration(level="model", attribution="origin"),
    "concentration of countries in a window": lambda h: h.concentration(level="country", since="2025-01-10", until="2025-02-10"),
    "export panel of models per week": lambda h: h.export_panel(level="model", period="week"),
    "export panel of developers, origin": lambda h: h.export_panel(level="developer", attribution="origin"),
    "quality": lambda h: h.quality(),
    "registry coverage": lambda h: h.registry_coverage(),
}


# A panel is sorted by period and downloads only: rows with equal downloads come in the engine's order.
ORDERED_UP_TO_TIES = {"export panel of models per week", "export panel of developers, origin"}


def by_identity(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: json.dumps({key: value for key, value in row.items() if not isinstance(value, float)}, sort_keys=True, default=str))


@pytest.mark.parametrize("metric", list(METRICS))
def test_metric_gives_the_same_results_on_spark_and_duckdb(engines, metric):
    duck, spark = (json.loads(to_json(METRICS[metric](engines["history"][engine]))) for engine in ("duckdb", "spark"))
    assert duck["rows"], "an empty result would prove nothing"
    assert duck["data"]["synthetic"] is True
    if metric in ORDERED_UP_TO_TIES:
        duck["rows"], spark["rows"] = by_identity(duck["rows"]), by_identity(spark["rows"])
    same(duck, spark, metric)


def test_history_of_a_model_is_the_same_on_spark(engines):
    duckdb_session = engines["history"]["duckdb"]
    facts = duckdb_session.enriched.facts
    observations = duckdb_session.store.con.execute(duckdb_session.store.table("observations"))
    popular = observations.groupby("model_id")["downloads_all_time"].max().sort_values(ascending=False).index[0]
    assert popular in set(facts["model_id"])
    duck, spark = (json.loads(to_json(engines["history"][engine].history(popular, period="week"))) for engine in ("duckdb", "spark"))
    assert len(duck["rows"]) >= 4
    same(duck, spark, "history")


def test_sensitivity_grid_is_the_same_on_spark(engines):
    duck, spark = (json.loads(to_json(engines["single"][engine].sensitivity())) for engine in ("duckdb", "spark"))
    assert duck["n"]["cells"] == 64 and duck["rows"]
    same(duck, spark, "sensitivity")


def test_spark_reads_only_the_files_of_a_time_range(engines, stores):
    spark = engines["history"]["spark"]
    before = set(spark.store.con._cached_dataframes)
    spark.measured(since="2025-01-25", until="2025-02-05")
    # The window's observations and downloads are computed once per session into cached tables: the files are those their queries read.
    cached = [frame for name, frame in spark.store.con._cached_dataframes.items() if name not in before]
    assert cached
    read = set()
    for frame in cached:
        frame.unpersist()  # so Spark plans it from its sources again, which lists the files it reads
        read |= {Path(path.removeprefix("file:")).as_posix() for path in frame.inputFiles() if "/snapshots/" in path}
    catalogue = spark._catalogue.set_index("snapshot_id")
    expected = {
        str(snapshot_dir(stores["history"], sid, catalogue.loc[sid, "taken_at"]) / "observations.parquet")
        for sid in ("synthetic-2025-01-20", "synthetic-2025-01-27", "synthetic-2025-02-03")
    }
    assert read == expected


def test_cli_engine_spark_gives_the_duckdb_json(stores):
    root = stores["history"]
    args = ["--store", str(root), "--registry", str(root / REGISTRY_FILE)]
    duck = run_cli(*args, "share", "--by", "developer", "--top", "5", "--format", "json")
    spark = run_cli(*args, "--engine", "spark", "share", "--by", "developer", "--top", "5", "--format", "json")
    assert duck.returncode == 0 and spark.returncode == 0, spark.stderr[-2000:]
    same(json.loads(duck.stdout), json.loads(spark.stdout), "cli")
    wrong = run_cli(*args, "--engine", "bigquery", "share")
    assert wrong.returncode == 2 and "--engine" in wrong.stderr
