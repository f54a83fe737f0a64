"""The Hub-models importer, pinned on hand-built edge cases (its column-wise reading must agree with the per-value field parsers).

The expected values were taken from the per-row importer the column-wise one replaced.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubecon.sources.models_table import models_batch, read_models_table

TAKEN_AT = pd.Timestamp("2026-01-01", tz="UTC")


def card(**fields) -> str:
    return json.dumps(fields)


def records(batch, columns: list[str]) -> list[tuple]:
    table = batch.tables()["model_records"]
    return list(zip(*(table[column].to_pylist() for column in columns)))


def edges(batch) -> list[tuple]:
    return [tuple(row.values())[1:] for row in batch.tables()["lineage_records"].to_pylist()]


def rejections(batch) -> list[tuple]:
    return [tuple(row) for row in batch.rejected[["row", "field", "problem", "value"]].itertuples(index=False)]


def test_a_listing_csv_keeps_rejections_licences_lineage_and_parameters_of_every_source(tmp_path):
    rows = [
        ("https://huggingface.co/org/a", "10", "1", "2024-01-02", "['license:mit', 'base_model:finetune:org/p', 'base_model:org/p']", card(license="apache-2.0"), "", '{"model_type": "llama"}', '{"total": 7}', '{"total": 5}'),
        ("  org/b ", "20", "", "2024-01-02T03:04:05Z", "a, b, license:cc", "", '{"relation": "quantized", "models": [{"id": "org/a"}, "org/c", {"id": ""}, 3]}', '{"text_config": {"model_type": "x"}}', "", ""),
        ("", "5", "1", "", "", "", "", "", "", ""),
        ("org/a", "7", "1", "", "", "", "", "", "", ""),
        ("org/c", "x", "1", "", "", "", "", "", "", ""),
        ("org/d", "-1", "1", "", "", "", "", "", "", ""),
        ("org/e", "1.5", "1", "", "", "", "", "", "", ""),
        ("org/f", "", "1", "", "", "", "", "", "", ""),
        ("org/g", "3", "2.0", "not a date", "", "", "", "", "", ""),
        ("org/h", "3", "1", "", "[]", card(license="gpl", base_model=["org/x", " ", "org/y"]), "", '{"model_type": 3}', '{"total": 0}', ""),
        ("org/i", "3", "1", "", "base_model:quantized:org/q,base_model:adapter:org/q,base_model:org/r,base_model:", card(base_model="org/z", base_model_relation="adapter"), "", 'not json "model_type"', "[1]", ""),
        ("org/j", "3", "1", "", "", card(base_model="org/z", base_model_relation="weird"), '["org/k"]', '{"model_type": "a", "model_type": "b"}', "bad", ""),
        ("org/k", "3", "1", "", "", '{"license": 5, "base_model": null}', '{"relation": "", "models": []}', "", "", ""),
        ("org/l", "3", "1", "", "", '{"license": "x",}', '{"relation": "merge", "models": null}', "", "", ""),
        ("org/m", " 4 ", "0", "", "", "NaN", '{"relation": "merge", "models": ["org/a", "org/b"]}', "", "", ""),
        ("org/n", "4", "0", "", "", '{"base_model": "org/a", "license": "mit", "x": NaN}', "not json", "", "", ""),
        ("org/o", "4", "0", "", "", '[{"base_model": "org/a"}]', '{"models": [{"_id": "1"}]}', "", "", ""),
    ]
    path = tmp_path / "listing.csv"
    pd.DataFrame(rows, columns=["model_id", "downloads", "likes", "created_at", "tags", "cardData", "baseModels", "config", "gguf", "safetensors"]).to_csv(path, index=False)
    batch = read_models_table(path, taken_at=TAKEN_AT)
    assert rejections(batch) == [
        (3, "model_id", "empty model id", ""),
        (4, "model_id", "model listed twice (first row kept)", "org/a"),
        (5, "downloads", "not a non-negative whole number", "x"),
        (6, "downloads", "not a non-negative whole number", "-1"),
        (7, "downloads", "not a non-negative whole number", "1.5"),
        (8, "downloads", "not a non-negative whole number", ""),
        (9, "created_at", "not a date/time", "not a date"),
    ]
    # Safetensors text is not read; GGUF text is.
    assert records(batch, ["model_id", "license", "params_total", "config_arch"]) == [
        ("org/a", "mit", 7, "llama"),
        ("org/b", "cc", None, None),
        ("org/h", "gpl", None, None),
        ("org/i", None, None, None),
        ("org/j", None, None, "b"),
        ("org/k", None, None, None),
        ("org/l", None, None, None),
        ("org/m", None, None, None),
        ("org/n", "mit", None, None),
        ("org/o", None, None, None),
    ]
    assert batch.tables()["model_records"]["tags"].to_pylist()[:4] == [
        ["license:mit", "base_model:finetune:org/p", "base_model:org/p"],
        ["a", "b", "license:cc"],
        [],
        ["base_model:quantized:org/q", "base_model:adapter:org/q", "base_model:org/r", "base_model:"],
    ]
    assert edges(batch) == [
        ("org/a", "org/p", "finetune", "hub:tags"),
        ("org/b", "org/a", "quantized", "hub:baseModels"),
        ("org/b", "org/c", "quantized", "hub:baseModels"),
        ("org/h", "org/x", "merge", "card:base_model"),
        ("org/h", "org/y", "merge", "card:base_model"),
        ("org/i", "org/q", "quantized", "hub:tags"),
        ("org/i", "org/r", "finetune", "hub:tags"),
        ("org/j", "org/z", "finetune", "card:base_model"),
        ("org/m", "org/a", "merge", "hub:baseModels"),
        ("org/m", "org/b", "merge", "hub:baseModels"),
        ("org/n", "org/a", "finetune", "card:base_model"),
    ]
    observations = batch.tables()["observations"]
    assert observations["downloads_30d"].to_pylist() == [10, 20, 3, 3, 3, 3, 3, 4, 4, 4]
    assert observations["likes"].to_pylist() == [1, None, 1, 1, 1, 1, 1, 0, 0, 0]


def test_a_hub_stats_parquet_reads_typed_lists_structs_and_numbers_like_the_api_gives_them(tmp_path):
    base_models = pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())])))])
    safetensors = pa.struct([("parameters", pa.struct([("BF16", pa.float64())])), ("total", pa.float64())])
    table = pa.table(
        {
            "id": ["org/a", "org/b", "org/b", None, "org/c", "org/d", "org/e", "org/f"],
            "_id": ["1", "2", "3", "4", "5", "6", "7", ""],
            "downloads": pa.array([1, 2, 3, 4, 5, -5, 6, 7], pa.int64()),
            "downloadsAllTime": pa.array([1.0, 2.5, None, 4, 5, 6, float("nan"), 8.0]),
            "likes": pa.array([1, 2, 3, 4, 5, 6, 7, 8], pa.int32()),
            "createdAt": pa.array([pd.Timestamp("2024-01-01")] * 7 + [None], pa.timestamp("us")),
            "tags": pa.array(
                [["license:mit", None, "base_model:org/p"], None, [], ["x"], ["base_model:merge:org/q", "base_model:finetune:org/q"], ["license:"], ["license:a", "license:b"], ["region:us"]],
                pa.list_(pa.string()),
            ),
            "cardData": ['{"license": "apache-2.0"}', None, "", '{"base_model": ["org/x", "org/y"]}', '{"license": "gpl", "base_model": "org/z"}', "{}", '{"base_model": null}', '{"license": ["a"]}'],
            "baseModels": pa.array(
                [
                    {"relation": "adapter", "models": [{"_id": "x", "id": "org/m"}, {"_id": "y", "id": None}]},
                    None,
                    {"relation": None, "models": None},
                    {"relation": "bogus", "models": [{"_id": "z", "id": "org/n"}]},
                    None,
                    {"relation": "merge", "models": []},
                    None,
                    None,
                ],
                base_models,
            ),
            "safetensors": pa.array([{"parameters": {"BF16": 5.0}, "total": 5.0}, None, {"parameters": None, "total": None}, {"parameters": None, "total": 0.0}, {"parameters": None, "total": 7.9}, None, None, None], safetensors),
            "gguf": ['{"total": 9, "architecture": "llama"}', None, "", '{"total": -1}', None, '{"total": 2.5}', None, None],
            "config": ['{"model_type": "llama"}', None, "", '{"architectures": ["X"]}', '{"model_type": null}', None, None, None],
        }
    )
    path = tmp_path / "models.parquet"
    pq.write_table(table, path)
    batch = read_models_table(path, taken_at=TAKEN_AT, scope="full")
    assert rejections(batch) == [
        (2, "downloadsAllTime", "not a non-negative whole number", "2.5"),
        (3, "id", "model listed twice (first row kept)", "org/b"),
        (4, "id", "empty model id", "nan"),
        (6, "downloads", "not a non-negative whole number", "-5"),
    ]
    assert records(batch, ["model_id", "license", "params_total", "config_arch", "tags"]) == [
        ("org/a", "mit", 5, "llama", ["license:mit", "None", "base_model:org/p"]),
        ("org/c", "gpl", 7, None, ["base_model:merge:org/q", "base_model:finetune:org/q"]),
        ("org/e", "a", None, None, ["license:a", "license:b"]),
        ("org/f", None, None, None, ["region:us"]),
    ]
    assert edges(batch) == [("org/a", "org/m", "adapter", "hub:baseModels"), ("org/c", "org/q", "merge", "hub:tags")]
    assert batch.tables()["observations"]["downloads_all_time"].to_pylist() == [1, 5, None, 8]


def test_crawled_rows_with_parsed_objects_give_what_their_json_text_would():
    frame = pd.DataFrame.from_records(
        [
            {"id": "o/a", "downloads": 5, "createdAt": "2024-01-01T00:00:00.000Z", "tags": ["license:mit", "base_model:o/p"], "cardData": {"license": "x", "base_model": "o/z"}, "baseModels": None, "safetensors": {"total": 10}, "gguf": None, "config": {"model_type": "bert"}},
            {"id": "o/b", "downloads": 6, "createdAt": "2024-01-01T00:00:00.000Z", "tags": [], "cardData": {"license": "y", "base_model": ["o/y", "o/w"]}, "baseModels": {"relation": "merge", "models": [{"id": "o/y", "_id": "q"}]}, "safetensors": None, "gguf": {"total": 3}, "config": None},
            {"id": "o/c", "downloads": None, "createdAt": None, "tags": None, "cardData": None, "baseModels": ["o/a"], "safetensors": {"total": 0}, "gguf": None, "config": '{"model_type": "t5"}'},
            {"id": "o/d", "downloads": 2, "createdAt": "bad", "tags": [], "cardData": {"base_model": "o/a"}, "baseModels": None, "safetensors": None, "gguf": None, "config": None},
            {"id": "o/e", "downloads": 2, "createdAt": None, "tags": ["license:q"], "cardData": '{"license": "z"}', "baseModels": '{"models": ["o/a"]}', "safetensors": None, "gguf": None, "config": None},
        ]
    )
    batch = models_batch(frame, origin="crawl", taken_at=TAKEN_AT, scope="full", source="hub-api", params=None, sha256="0")
    assert rejections(batch) == [(3, "downloads", "not a non-negative whole number", "nan"), (4, "createdAt", "not a date/time", "bad")]
    assert records(batch, ["model_id", "license", "params_total", "config_arch", "card_data"]) == [
        ("o/a", "mit", 10, "bert", '{"license": "x", "base_model": "o/z"}'),
        ("o/b", "y", 3, None, '{"license": "y", "base_model": ["o/y", "o/w"]}'),
        ("o/e", "q", None, None, '{"license": "z"}'),
    ]
    assert edges(batch) == [("o/a", "o/p", "finetune", "hub:tags"), ("o/b", "o/y", "merge", "hub:baseModels"), ("o/e", "o/a", "finetune", "hub:baseModels")]
