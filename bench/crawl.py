"""Crawler throughput under a fixed quota, as a fraction of what the quota allows.

    python bench/crawl.py [--quick]

Starts the tests' fake Hub (tests/hub_server.py) with a quota of 100
requests per 10 s window and crawls it into a temporary store. The
quota-bound minimum time is that of an ideal client that sends requests as
fast as this one does inside a window (the median gap between its
back-to-back requests) and waits exactly until each window resets; the
figure reported is that minimum over the crawl's actual time (goal ≥ 0.9),
read from the server's own request log.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hub_server import HubServer, generate_catalogue  # noqa: E402

from hubecon.sources.hub_crawler import crawl_hub  # noqa: E402

QUOTA, WINDOW, PAGE_CAP = 100, 10, 20


def quota_bound_seconds(times: list[float], started: float, gap: float) -> float:
    """How long an ideal client sending one request per `gap` seconds, never over the quota, needs for the same requests."""
    now, used, window = times[0], 0, None
    for _ in times:
        current = int((now - started) // WINDOW)
        if current != window:
            window, used = current, 0
        if used == QUOTA:
            now = started + (window + 1) * WINDOW
            window, used = window + 1, 0
        used += 1
        now += gap
    return now - times[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="about 2.5 windows (~25 s) instead of about 5.5 (~55 s)")
    requests = 250 if parser.parse_args().quick else 550
    catalogue = generate_catalogue(requests * PAGE_CAP - PAGE_CAP // 2, seed=3)
    with HubServer(catalogue, page_cap=PAGE_CAP, quota=QUOTA, window=WINDOW) as server, tempfile.TemporaryDirectory() as store:
        result = crawl_hub(store, endpoint=server.url)
    times = [entry.at for entry in server.log]
    gaps = [later - earlier for earlier, later in zip(times, times[1:]) if later - earlier < 1.0]
    gap = statistics.median(gaps)
    actual = times[-1] - times[0] + gap
    bound = quota_bound_seconds(times, server.started, gap)
    over = sum(entry.over_quota for entry in server.log)
    print(f"requests: {len(times)} ({result.stats.pages} pages of ≤{PAGE_CAP}, {result.stats.models:,} models, {result.stats.retries} retries)")
    print(f"quota: {QUOTA} requests per {WINDOW} s window; most in any window: {server.most_in_any_window()}; over quota: {over}")
    print(f"rate-limit waits: {result.stats.waits} ({result.stats.wait_seconds:.1f} s); median gap between requests: {gap * 1000:.1f} ms")
    print(f"elapsed: {actual:.2f} s; quota-bound minimum: {bound:.2f} s")
    print(f"throughput: {len(times) / actual:.2f} requests/s (quota rate {QUOTA / WINDOW:.1f}/s)")
    print(f"quota efficiency: {bound / actual:.3f} (goal >= 0.9)")
    if over or math.isnan(bound):
        sys.exit(1)


if __name__ == "__main__":
    main()
