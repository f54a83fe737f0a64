"""A small store for the dashboard tests: two hub-stats snapshots (a history), a lineage, and a model whose id, tags and
card data carry script payloads. Built with the real `hubecon import hub-stats` command."""

import json
import os
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd

from conftest import HUBECON, run_cli

PAYLOAD_ID = "evil-lab/</script><script>window.__pwned=1</script>"
PAYLOAD_TAG = '<img src=x onerror="window.__pwned=2">'
PAYLOAD_CARD = {
    "license": "mit",
    "model_name": "<script>window.__pwned=3</script>",
    "description": "<img src=x onerror=window.__pwned=4>",
    "tags": ["<svg onload=window.__pwned=5>"],
}
CHILD_ID = "someone/child-of-evil"
BASE_ID = "Qwen/Qwen2.5-7B"
INSTRUCT_ID = "Qwen/Qwen2.5-7B-Instruct"


def model(model_id, created, downloads, all_time, *, tags=(), card=None, parent=None, relation="finetune", pipeline="text-generation", params=7_000_000_000):
    return {
        "id": model_id,
        "author": model_id.split("/")[0],
        "createdAt": pd.Timestamp(created),
        "lastModified": pd.Timestamp(created),
        "downloads": downloads,
        "downloadsAllTime": all_time,
        "likes": 1,
        "trendingScore": 0.0,
        "tags": ["transformers", *tags],
        "cardData": json.dumps(card or {"license": "apache-2.0"}),
        "safetensors": json.dumps({"parameters": {"BF16": params}, "total": params}),
        "gguf": None,
        "baseModels": {"relation": relation, "models": [{"_id": "0" * 24, "id": parent}]} if parent else None,
        "pipeline_tag": pipeline,
        "library_name": "transformers",
    }


def listing(scale: int) -> pd.DataFrame:
    """One snapshot's rows; `scale` grows the all-time counts so the second snapshot has later, larger counts."""
    rows = [
        model(BASE_ID, "2024-09-15", 400_000, 5_000_000 + scale * 400_000),
        model(INSTRUCT_ID, "2024-09-16", 900_000, 9_000_000 + scale * 900_000, parent=BASE_ID),
        model("meta-llama/Llama-3.1-8B", "2024-07-18", 700_000, 8_000_000 + scale * 700_000, params=8_000_000_000),
        model("mistralai/Mistral-7B-v0.1", "2025-12-01", 300_000, 100_000 + scale * 300_000),
        model("unsloth/Qwen2.5-7B-Instruct-GGUF", "2025-12-10", 200_000, 50_000 + scale * 200_000, tags=("gguf",), parent=INSTRUCT_ID, relation="quantized"),
        model("google-bert/bert-base-uncased", "2025-11-20", 150_000, 40_000 + scale * 150_000, pipeline="fill-mask", params=110_000_000),
        model(PAYLOAD_ID, "2025-12-20", 120_000, 30_000 + scale * 120_000, tags=(PAYLOAD_TAG, "license:mit"), card=PAYLOAD_CARD, parent=INSTRUCT_ID),
        model(CHILD_ID, "2025-12-28", 10_000, 2_000 + scale * 10_000, parent=PAYLOAD_ID),
    ]
    frame = pd.DataFrame(rows)
    frame["safetensors"] = frame["safetensors"].map(json.loads)
    return frame


def build_store(folder: Path) -> Path:
    """Import two dated hub-stats files (January and February 2026) into a new store; return the store's folder."""
    store = folder / "store"
    for scale, day in ((1, "20260101"), (2, "20260201")):
        path = folder / f"models-{day}.parquet"
        listing(scale).to_parquet(path, index=False)
        completed = run_cli("--store", str(store), "import", "hub-stats", str(path))
        assert completed.returncode == 0, completed.stderr
    return store


@contextmanager
def running_dashboard(*global_options: str, startup_seconds: float = 90.0):
    """Run the real `hubecon serve` on 127.0.0.1 and a free port; yield its base URL once /api/health answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY")}
    env["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hubecon-xdg-")
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([HUBECON, *global_options, "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"hubecon serve exited with {process.returncode}: {log.read().decode(errors='replace')}")
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"hubecon serve did not answer within {startup_seconds} s")
            time.sleep(0.25)
        log.seek(0)
        yield base, log.read().decode(errors="replace")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
