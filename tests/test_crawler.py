"""The live crawler (`hubecon ingest hub`, DESIGN.md §2, §5) against a real HTTP server on 127.0.0.1.

The server (tests/hub_server.py) serves a generated catalogue with cursor
pagination, a small page cap, a fixed-window quota with RateLimit headers,
and faults on demand. Every test checks the server's own request log for
the quota; the SIGKILL tests run the real `hubecon` command.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import run_cli
from hub_server import HUB_EXPAND, HubServer, generate_catalogue, sort_key

import hubecon
from hubecon.errors import HubeconError
from hubecon.sources.hub_crawler import (
    PAUSE_IN_CHECKPOINT_ENV,
    CrawlError,
    CrawlSettings,
    RateLimiter,
    crawl_hub,
    parse_rate_limit,
    parse_rate_policy,
    parse_retry_after,
)
from hubecon.store.store import CATALOGUE, Store, read_catalogue, snapshot_dir

HUBECON = str(Path(sys.executable).parent / "hubecon")
CATALOGUE_ROWS = generate_catalogue(2400, seed=11)
PAGE_CAP = 100
PAGES = math.ceil(len(CATALOGUE_ROWS) / PAGE_CAP)
TOKEN = "hf_tEsTsEcReT0123456789abcdefXYZ"
# Patient enough for a loaded test machine, quick to retry.
FAST = CrawlSettings(timeout=httpx.Timeout(1.0), backoff_base=0.01, backoff_cap=0.05)
TABLES = ("observations", "model_records", "lineage_records")


# -- helpers --------------------------------------------------------------------------------------


def hub(**options) -> HubServer:
    return HubServer(CATALOGUE_ROWS, **{"page_cap": PAGE_CAP, "quota": 50, "window": 2, **options})


def stored_snapshots(root: Path) -> pd.DataFrame:
    return read_catalogue(root / CATALOGUE)


def stored_tables(root: Path, snapshot_id: str | None = None) -> dict[str, pd.DataFrame]:
    """A stored snapshot's rows (the only one unless named), sorted, without the snapshot id."""
    catalogue = stored_snapshots(root)
    row = catalogue.iloc[0] if snapshot_id is None else catalogue.set_index("snapshot_id").loc[snapshot_id]
    if snapshot_id is None:
        assert len(catalogue) == 1
    folder = snapshot_dir(root, snapshot_id or row["snapshot_id"], row["taken_at"])
    tables = {}
    for name in TABLES:
        frame = pd.read_parquet(folder / f"{name}.parquet").drop(columns="snapshot_id")
        keys = ["model_id"] if "model_id" in frame.columns else ["child_id", "parent_id"]
        tables[name] = frame.sort_values(keys, ignore_index=True)
    return tables


def assert_same_tables(found: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(found[name], expected[name], obj=name)


def assert_equals_catalogue(tables: dict[str, pd.DataFrame], rows: list[dict]) -> None:
    """Exactly these models, each once, with their ids and counts."""
    observations, records = tables["observations"], tables["model_records"]
    expected = pd.DataFrame(rows).sort_values("id", ignore_index=True)
    assert observations["model_id"].is_unique and records["hub_object_id"].is_unique
    assert observations["model_id"].tolist() == expected["id"].tolist()
    assert records["hub_object_id"].tolist() == expected["_id"].tolist()
    assert observations["downloads_30d"].tolist() == expected["downloads"].tolist()
    assert observations["downloads_all_time"].tolist() == expected["downloadsAllTime"].tolist()
    assert observations["likes"].tolist() == expected["likes"].tolist()


def assert_quota_kept(server: HubServer) -> None:
    """By the server's own count, no window ever saw more requests than the quota."""
    assert server.log, "the server saw no requests"
    assert not [entry for entry in server.log if entry.over_quota]
    assert server.most_in_any_window() <= server.quota


def crawl_folder(root: Path) -> Path | None:
    folders = sorted(path for path in (root / "crawls").glob("*") if path.is_dir()) if (root / "crawls").exists() else []
    return folders[-1] if folders else None


def pages_checkpointed(root: Path) -> int:
    folder = crawl_folder(root)
    if folder is None or not (folder / "state.json").exists():
        return 0
    return json.loads((folder / "state.json").read_text())["pages"]


def cli_env(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("HUBECON_STORE", "HUBECON_REGISTRY", "HF_TOKEN", "HF_ENDPOINT")}
    env["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hubecon-xdg-")
    env.update(extra)
    return env


def start_crawl_process(store: Path, url: str, *extra: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [HUBECON, "--store", str(store), "ingest", "hub", "--endpoint", url, *extra, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_until(condition, process: subprocess.Popen, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the crawler exited ({process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def sigkill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def clean_crawl(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The tables of one uninterrupted crawl: what every interrupted or faulty crawl must equal."""
    root = tmp_path_factory.mktemp("clean")
    with hub() as server:
        crawl_hub(root, endpoint=server.url, settings=FAST)
    assert_quota_kept(server)
    return stored_tables(root)


# -- a clean crawl --------------------------------------------------------------------------------


def test_clean_crawl_stores_exactly_the_catalogue_as_one_full_snapshot(tmp_path, clean_crawl):
    store = tmp_path / "store"
    with hub() as server:
        result = hubecon.open(store, create=True).ingest_hub(endpoint=server.url)
    envelope = result.attrs["envelope"]
    assert result["scope"].tolist() == ["full"] and result["n_models"].tolist() == [len(CATALOGUE_ROWS)]
    assert envelope["command"] == "ingest hub" and envelope["n"]["models"] == len(CATALOGUE_ROWS)
    crawl = envelope["crawl"]
    # The server capped the page size below the 1,000 asked, and the crawler followed every `next` link.
    assert crawl["pages"] == PAGES and crawl["requests"] == PAGES and crawl["retries"] == 0
    assert crawl["rejected_expand"] == [] and crawl["malformed_pages"] == [] and crawl["rows_rejected"] == 0
    first = httpx.URL(server.log[0].target).params
    assert first["sort"] == "createdAt" and int(first["limit"]) > PAGE_CAP
    assert set(first.get_list("expand")) == {
        "author", "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "trendingScore",
        "tags", "pipeline_tag", "library_name", "baseModels", "safetensors", "gguf", "cardData",
    }  # fmt: skip
    tables = stored_tables(store)
    assert_equals_catalogue(tables, CATALOGUE_ROWS)
    assert_same_tables(tables, clean_crawl)
    expected_edges = sum(1 for row in CATALOGUE_ROWS if "baseModels" in row)
    assert len(tables["lineage_records"]) == expected_edges and set(tables["lineage_records"]["source"]) == {"hub:baseModels"}
    sized = sum(1 for row in CATALOGUE_ROWS if "safetensors" in row or "gguf" in row)
    assert tables["model_records"]["params_total"].notna().sum() == sized
    assert tables["model_records"]["card_data"].notna().sum() == sum(1 for row in CATALOGUE_ROWS if "cardData" in row)
    params = json.loads(stored_snapshots(store)["params"].iloc[0])
    assert params["endpoint"] == server.url and params["sort"] == "createdAt"
    # The checkpoint's pages are gone once stored; its state names the snapshot.
    folder = crawl_folder(store)
    assert not (folder / "pages").exists()
    assert json.loads((folder / "state.json").read_text())["snapshot_id"] == result["snapshot_id"].iloc[0]
    assert_quota_kept(server)


# -- faults ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop", "truncated", "wrong_types", "missing_id", "slow", "stall"])
def test_crawl_under_a_fault_stores_exactly_the_catalogue(tmp_path, clean_crawl, fault):
    # A burst of three on the first page after the first, and one more later on.
    injected = {2: fault, 3: fault, 4: fault, 12: fault}
    with hub(faults=dict(injected)) as server:
        result = crawl_hub(tmp_path, endpoint=server.url, settings=FAST)
    tables = stored_tables(tmp_path)
    assert_equals_catalogue(tables, CATALOGUE_ROWS)
    assert_same_tables(tables, clean_crawl)
    assert_quota_kept(server)
    failed = 0 if fault == "slow" else len(injected)
    assert result.stats.retries == failed and result.stats.requests == PAGES + failed
    if fault in ("truncated", "wrong_types", "missing_id"):
        assert len(result.stats.malformed_pages) == len(injected)
        assert all(entry["at"].startswith("cursor ") for entry in result.stats.malformed_pages)
    if fault == "429":
        # The next request never came before the server's Retry-After.
        for entry in server.log[:-1]:
            if entry.fault == "429":
                assert server.log[entry.number].at - entry.at >= server.injected_retry_after
        assert result.stats.waits >= len(injected)


def test_waits_follow_the_servers_ratelimit_headers_and_the_quota_is_never_exceeded(tmp_path, clean_crawl):
    with hub(quota=7, window=1) as server:
        result = crawl_hub(tmp_path, endpoint=server.url, settings=FAST)
    assert_same_tables(stored_tables(tmp_path), clean_crawl)
    assert_quota_kept(server)
    # The crawler waited for the reset rather than being told off by a 429.
    assert all(entry.status == 200 for entry in server.log)
    assert result.stats.waits >= PAGES // server.quota - 1


def test_expand_values_the_server_rejects_are_dropped_and_reported(tmp_path):
    with hub(known_expand=HUB_EXPAND - {"gguf", "trendingScore"}) as server:
        result = crawl_hub(tmp_path, endpoint=server.url, settings=FAST)
    assert result.stats.rejected_expand == ["gguf", "trendingScore"]
    params = json.loads(stored_snapshots(tmp_path)["params"].iloc[0])
    assert params["rejected_expand"] == ["gguf", "trendingScore"] and "gguf" not in params["expand"]
    tables = stored_tables(tmp_path)
    assert_equals_catalogue(tables, CATALOGUE_ROWS)
    assert tables["observations"]["trending_score"].isna().all() and tables["model_records"]["gguf"].isna().all()
    assert_quota_kept(server)


def test_a_page_that_stays_malformed_is_reported_with_its_cursor_and_the_store_is_untouched(tmp_path, clean_crawl):
    with hub() as server:
        crawl_hub(tmp_path, endpoint=server.url, limit=150, settings=FAST)
        before = stored_snapshots(tmp_path)
        server.faults = {number: "truncated" for number in range(len(server.log) + 6, len(server.log) + 6 + FAST.max_attempts)}
        with pytest.raises(CrawlError) as failure:
            crawl_hub(tmp_path, endpoint=server.url, settings=FAST)
        message = str(failure.value)
        assert "cursor " in message and "malformed page" in message and "--resume" in message
        pd.testing.assert_frame_equal(stored_snapshots(tmp_path), before)
        assert Store.open(tmp_path).snapshots()["n_models"].tolist() == [150]
        # Once the server mends, --resume completes the crawl from its checkpoint.
        result = crawl_hub(tmp_path, endpoint=server.url, resume=True, settings=FAST)
    assert result.stats.resumes == 1 and len(result.stats.malformed_pages) == FAST.max_attempts
    assert result.stats.pages == PAGES
    assert_same_tables(stored_tables(tmp_path, result.snapshot_id), clean_crawl)
    assert_quota_kept(server)


# -- interruption ----------------------------------------------------------------------------------


def test_sigkill_between_pages_then_resume_equals_the_clean_crawl(tmp_path, clean_crawl):
    store = tmp_path / "store"
    chooser = random.Random(20260801)
    # Slow pages and a quota that binds, so kills land mid-crawl and resumes must respect what was spent.
    with hub(delay=0.1, quota=8, window=2) as server:
        for round_number in range(3):
            process = start_crawl_process(store, server.url, *(["--resume"] if round_number else []), env=cli_env())
            target = pages_checkpointed(store) + chooser.randint(1, 4)
            wait_until(lambda: pages_checkpointed(store) >= target, process, f"{target} pages")
            time.sleep(chooser.uniform(0.0, 0.08))
            sigkill(process)
        assert 0 < pages_checkpointed(store) < PAGES
        finished = run_cli("--store", str(store), "ingest", "hub", "--resume", "--format", "json")
    assert finished.returncode == 0, finished.stderr
    crawl = json.loads(finished.stdout)["crawl"]
    assert crawl["resumes"] == 3 and crawl["pages"] == PAGES
    assert_same_tables(stored_tables(store), clean_crawl)
    assert_quota_kept(server)


def test_sigkill_during_checkpoint_writes_then_resume_equals_the_clean_crawl(tmp_path, clean_crawl):
    store = tmp_path / "store"
    chooser = random.Random(7)
    pause = {PAUSE_IN_CHECKPOINT_ENV: "0.3"}
    with hub() as server:
        for round_number in range(4):
            left_before = set(store.glob("crawls/**/.*.tmp"))
            process = start_crawl_process(store, server.url, *(["--resume"] if round_number else []), env=cli_env(**pause))
            # Kill while the n-th checkpoint file written in this run exists only as its temporary.
            target, seen = chooser.randint(1, 6), set()

            def nth_temporary_is_being_written() -> bool:
                seen.update(set(store.glob("crawls/**/.*.tmp")) - left_before)
                return len(seen) >= target

            wait_until(nth_temporary_is_being_written, process, f"temporary checkpoint file {target}")
            sigkill(process)
            assert set(store.glob("crawls/**/.*.tmp")) - left_before
        finished = run_cli("--store", str(store), "ingest", "hub", "--resume", "--format", "json")
    assert finished.returncode == 0, finished.stderr
    assert_same_tables(stored_tables(store), clean_crawl)
    assert not list(store.glob("crawls/**/.*.tmp"))
    assert_quota_kept(server)


class Interrupted(Exception):
    pass


def test_a_catalogue_growing_during_an_interrupted_crawl_gives_no_duplicates_and_misses_no_lasting_model(tmp_path):
    def stop_after_eight_pages(update) -> None:
        if update.pages == 8:
            raise Interrupted

    with hub(grow_every=2, grow_by=7) as server:
        with pytest.raises(Interrupted):
            crawl_hub(tmp_path, endpoint=server.url, progress=stop_after_eight_pages, settings=FAST)
        server.add_models(30)
        result = crawl_hub(tmp_path, endpoint=server.url, resume=True, settings=FAST)
        final = {row["_id"]: row["id"] for row in server.models}
    assert server.added, "the catalogue did not grow"
    records = stored_tables(tmp_path)["model_records"]
    assert records["model_id"].is_unique and records["hub_object_id"].is_unique
    stored = dict(zip(records["hub_object_id"], records["model_id"]))
    assert {row["_id"] for row in CATALOGUE_ROWS} <= set(stored)
    assert set(stored) <= set(final) and all(final[key] == value for key, value in stored.items())
    assert result.stats.duplicates_skipped == 0
    assert_quota_kept(server)


# -- filters, refusals, the token ------------------------------------------------------------------


def test_author_filter_and_limit_give_a_filtered_snapshot_of_just_those_models(tmp_path):
    with hub() as server:
        by_author = hubecon.open(tmp_path / "a", create=True).ingest_hub(endpoint=server.url, author="TheBloke", filter=["gguf"])
        newest = hubecon.open(tmp_path / "b", create=True).ingest_hub(endpoint=server.url, limit=250)
    assert by_author["scope"].tolist() == ["filtered"] and newest["scope"].tolist() == ["filtered"]
    chosen = [row for row in CATALOGUE_ROWS if row["author"] == "TheBloke" and "gguf" in row["tags"]]
    assert chosen
    assert_equals_catalogue(stored_tables(tmp_path / "a"), chosen)
    assert json.loads(stored_snapshots(tmp_path / "a")["params"].iloc[0])["filter"] == ["gguf"]
    assert_equals_catalogue(stored_tables(tmp_path / "b"), sorted(CATALOGUE_ROWS, key=sort_key, reverse=True)[:250])
    assert newest.attrs["envelope"]["crawl"]["pages"] == 3
    assert_quota_kept(server)


def test_resume_continues_only_with_the_same_options_and_starts_afresh_when_nothing_is_unfinished(tmp_path):
    def stop_after_two_pages(update) -> None:
        if update.pages == 2:
            raise Interrupted

    with hub() as server:
        with pytest.raises(Interrupted):
            crawl_hub(tmp_path, endpoint=server.url, filters=["license:mit"], progress=stop_after_two_pages, settings=FAST)
        with pytest.raises(HubeconError, match="--filter"):
            crawl_hub(tmp_path, endpoint=server.url, filters=["license:apache-2.0"], resume=True, settings=FAST)
        resumed = crawl_hub(tmp_path, resume=True, settings=FAST)
        fresh = crawl_hub(tmp_path, endpoint=server.url, limit=10, resume=True, settings=FAST)
    assert resumed.stats.resumes == 1 and resumed.params["filter"] == ["license:mit"]
    assert resumed.stats.models == sum(1 for row in CATALOGUE_ROWS if "license:mit" in row["tags"])
    assert fresh.stats.resumes == 0 and len(stored_snapshots(tmp_path)) == 2


def test_a_second_ingest_on_the_same_store_stops_at_once(tmp_path):
    store = tmp_path / "store"
    with hub(delay=0.2) as server:
        first = start_crawl_process(store, server.url, env=cli_env())
        wait_until(lambda: pages_checkpointed(store) >= 1, first, "the first page")
        second = run_cli("--store", str(store), "ingest", "hub", "--endpoint", server.url)
        first_out, first_err = first.communicate(timeout=120)
    assert second.returncode == 2
    assert "another hubecon process is writing this store" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert first.returncode == 0, first_err
    assert len(stored_snapshots(store)) == 1 and json.loads(first_out)["n"]["models"] == len(CATALOGUE_ROWS)


def test_the_token_is_sent_as_a_bearer_header_and_never_appears_in_any_output_or_file(tmp_path):
    store = tmp_path / "store"
    with hub(faults={3: "500"}) as server:
        crawled = run_cli("--store", str(store), "ingest", "hub", "--endpoint", server.url, "--format", "json", env={"HF_TOKEN": TOKEN})
        shown = run_cli("--store", str(store), "ingest", "hub", "--endpoint", server.url, "--limit", "5", env={"HF_TOKEN": TOKEN})
        server.standing_fault = "401"  # its body echoes the Authorization header back
        refused = run_cli("--store", str(store), "ingest", "hub", "--endpoint", server.url, env={"HF_TOKEN": TOKEN})
    assert crawled.returncode == 0 and shown.returncode == 0, crawled.stderr + shown.stderr
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr and "[HF_TOKEN]" in refused.stderr
    assert {entry.authorization for entry in server.log} == {f"Bearer {TOKEN}"}
    assert not [entry for entry in server.log if TOKEN in entry.target]
    for run in (crawled, shown, refused):
        assert TOKEN not in run.stdout and TOKEN not in run.stderr
    for path in store.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert_quota_kept(server)


# -- the server's headers --------------------------------------------------------------------------


def test_ratelimit_headers_are_read_and_the_reset_is_never_guessed_early():
    assert parse_rate_limit('"api";r=499;t=183') == (499, 183)
    assert parse_rate_limit('"api";t=7;r=0') == (0, 7)
    assert parse_rate_limit("garbage") is None
    assert parse_rate_policy('"fixed window";"api";q=500;w=300') == (500, 300)
    assert parse_retry_after("12") == 12.0 and parse_retry_after(None) is None
    limiter = RateLimiter()
    limiter.observe(httpx.Headers({"RateLimit": '"api";r=1;t=10'}), received_at=100.0)
    assert limiter.delay(100.5) == 0.0
    # A later response's `t` gives a tighter bound on the same window's reset.
    limiter.observe(httpx.Headers({"RateLimit": '"api";r=0;t=9'}), received_at=100.6)
    assert 109.6 <= 100.6 + limiter.delay(100.6) < 110.0
    # A larger remaining count means the window has rolled over.
    limiter.observe(httpx.Headers({"RateLimit": '"api";r=99;t=10'}), received_at=110.0)
    assert limiter.remaining == 99 and limiter.delay(110.0) == 0.0
