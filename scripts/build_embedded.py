"""Rebuild the package's embedded snapshots from the public source files.

Run from the repository root with the shared data folder beside it:

    python scripts/build_embedded.py ../shared/data

Each snapshot is re-encoded as compact Parquet (the columns the source
published, nothing added) with a manifest: source, as_of, scope, rows,
sha256 of the shipped file and of the original, licence. The package then
loads these files through its ordinary `listing` and `hub-stats` importers.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent.parent / "src" / "hubecon" / "data" / "embedded"

SNAPSHOTS = [
    {
        "name": "hub-listing-2026-04",
        "kind": "listing",
        "path": "hub_listing_2026_04/huggingface_models.csv",
        "source": "Hub listing, top 5,000 models by 30-day downloads (apolinario/aipotluck.org)",
        "source_url": "https://github.com/apolinario/aipotluck.org/blob/5ab6e9e992f3600599d30665d8d6d44f4e7298e1/data/huggingface_models.csv",
        "selection": "the Hub's top 5,000 models by 30-day downloads, all modalities: list_models(sort='downloads', limit=5000)",
        "licence": "CC-BY-4.0 per the aipotluck.org README (Open Source Observer for Current AI); underlying data: Hugging Face Hub API",
        "as_of_column": "last_modified",
    },
    {
        "name": "hub-listing-2024-09",
        "kind": "listing",
        "path": "hub_listing_2024_09/hf_models.csv",
        "source": "Hub listing of 2024-09-20, top 10,000 models by 30-day downloads less repos untouched for 3 years (enochlev/CS573_Documentation_Quality)",
        "source_url": "https://github.com/enochlev/CS573_Documentation_Quality/blob/076657247d7bdce41b912d59456677c193aa9f57/hf_models.csv",
        "selection": "the Hub's top 10,000 models by 30-day downloads on 2024-09-20, filtered to models modified within 3 years with >= 100 downloads (9,715 rows); no creation dates",
        "licence": "none stated by the source repository; public Hugging Face Hub API facts (ids, counts, tags, dates), shipped with attribution",
        "as_of_column": "lastModified",
        # Only the Hub's facts: ids, counts, dates, tags, task. The scraper's own columns stay behind.
        "columns": ["modelId", "author", "downloads", "lastModified", "tags", "pipeline_tag"],
    },
    {
        "name": "hub-stats-2026-05",
        "kind": "hub-stats",
        "path": "hub_snapshot_2026_05/models.parquet",
        "source": "hub-stats models table, 4,167-model curated sample (cfahlgren1/hub-stats via evaleval/eval-card-registry)",
        "source_url": "https://github.com/evaleval/eval-card-registry/blob/2b227945/curation/hub_stats_frozen.parquet",
        "selection": "rows of the hub-stats daily dump selected by the eval-card-registry project: heavy on LLMs, leaderboard models and merges",
        "licence": "Apache-2.0 (cfahlgren1/hub-stats)",
        "as_of_column": "lastModified",
    },
]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_source(data_dir: Path, spec: dict) -> pd.DataFrame:
    path = data_dir / spec["path"]
    if spec["kind"] == "listing":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame[spec.get("columns", list(frame.columns))]
        for column in ("downloads", "likes"):
            if column in frame.columns:
                frame[column] = frame[column].astype("int64")
        for column in ("created_at", "last_modified", "lastModified"):
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame
    return pq.read_table(path).to_pandas()


def build(data_dir: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for spec in SNAPSHOTS:
        frame = read_source(data_dir, spec)
        as_of = pd.Timestamp(frame[spec["as_of_column"]].max())
        as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
        target = OUT / f"{spec['name']}.parquet"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, target, compression="zstd", compression_level=19)
        manifest = {
            "name": spec["name"],
            "kind": spec["kind"],
            "file": target.name,
            "scope": "sample",
            "source": spec["source"],
            "source_url": spec["source_url"],
            "selection": spec["selection"],
            "licence": spec["licence"],
            "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "as_of_rule": f"latest {spec['as_of_column']} in the file: the earliest moment the listing can have been taken",
            "rows": len(frame),
            "sha256": sha256_of(target),
            "original_sha256": sha256_of(data_dir / spec["path"]),
        }
        (OUT / f"{spec['name']}.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"{target.name}: {len(frame)} rows, as_of {manifest['as_of']}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
