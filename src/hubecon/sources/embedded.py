"""The embedded real snapshots shipped in the package (DESIGN.md §2), read by the ordinary importers."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

import pandas as pd

from hubecon.errors import HubeconError
from hubecon.sources.models_table import read_models_table
from hubecon.store.schema import SnapshotBatch

EMBEDDED_DIR = Path(str(files("hubecon") / "data" / "embedded"))
DEFAULT_SNAPSHOT = "hub-listing-2026-04"
THEN_SNAPSHOT = "hub-listing-2024-09"  # the "then" of `hubecon compare`


def manifests() -> dict[str, dict]:
    found = {}
    for path in sorted(EMBEDDED_DIR.glob("*.json")):
        manifest = json.loads(path.read_text())
        found[manifest["name"]] = manifest
    return found


def load_batches() -> list[SnapshotBatch]:
    batches = []
    for name, manifest in manifests().items():
        path = EMBEDDED_DIR / manifest["file"]
        if hashlib.sha256(path.read_bytes()).hexdigest() != manifest["sha256"]:
            raise HubeconError(f"{path}: embedded file does not match its manifest's sha256; reinstall hubecon")
        batch = read_models_table(path, taken_at=pd.Timestamp(manifest["as_of"]), scope=manifest["scope"], source=manifest["source"])
        batch.snapshot_id = name
        batches.append(batch)
    return batches
