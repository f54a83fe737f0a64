"""report.html in a real browser (Debian's chromium driven by Playwright): offline, no console errors,
every chart drawn with the marks its data calls for, and untrusted text shown as text."""

import json
import struct
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from conftest import run_cli

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
PAYLOAD_NAME = 'evil-lab/</script><script>window.__pwned=1</script>'
PAYLOAD_TAGS = 'transformers,<img src=x onerror="window.__pwned=2">,license:mit'


@pytest.fixture(scope="module")
def embedded_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    completed = run_cli("report", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    return out


@pytest.fixture(scope="module")
def browser():
    # Playwright starts chromium with a fresh temporary profile (user-data dir) of its own.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def open_offline(browser, path: Path):
    """Open a file:// page with every network request blocked; return the page, console errors and blocked requests."""
    context = browser.new_context()
    blocked, errors = [], []

    def route(request_route):
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.resolve().as_uri())
    page.wait_for_function("() => [...document.querySelectorAll('.chart')].every(c => c.dataset.rendered === 'true')", timeout=60_000)
    return page, errors, blocked


def chart_data(path: Path) -> dict[str, dict]:
    """Each chart's Vega-Lite spec, read back from the report's inline JSON."""
    page_text = path.read_text()
    specs = {}
    for block in page_text.split('<script type="application/json" data-chart="')[1:]:
        chart_id, rest = block.split('">', 1)
        specs[chart_id] = json.loads(rest.split("</script>", 1)[0])
    return specs


def test_report_loads_offline_without_errors_and_draws_one_mark_per_row(browser, embedded_report):
    page, errors, blocked = open_offline(browser, embedded_report / "report.html")
    assert errors == []
    assert blocked == []
    specs = chart_data(embedded_report / "report.html")
    assert len(specs) >= 10
    for chart_id, spec in specs.items():
        rows = len(spec["datasets"][next(iter(spec["datasets"]))])
        marks = page.locator(f"#{chart_id} svg .mark-rect.role-mark path, #{chart_id} svg .mark-symbol.role-mark path").count()
        lines = page.locator(f"#{chart_id} svg .mark-line.role-mark path").count()
        if "layer" in spec:  # range charts: one rule and one point per row
            assert page.locator(f"#{chart_id} svg .mark-rule.role-mark line").count() == rows, chart_id
            assert page.locator(f"#{chart_id} svg .mark-symbol.role-mark path").count() == rows, chart_id
        elif spec.get("mark", {}).get("type") == "line":
            series = {row["label"] for row in spec["datasets"][next(iter(spec["datasets"]))]}
            assert lines == len(series), chart_id
        else:
            assert marks == rows, chart_id
    assert page.locator("#data-line").inner_text().startswith("Data:")
    assert "not comparable to whole-Hub figures" in page.locator("#data-line").inner_text()


def test_figures_are_valid_png_and_svg(embedded_report):
    figures = sorted((embedded_report / "figures").glob("*.png"))
    assert len(figures) >= 10
    for png in figures:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 400 and height >= 100, png.name
        svg = png.with_suffix(".svg").read_text()
        assert svg.lstrip().startswith("<svg") and "</svg>" in svg


def test_untrusted_names_and_tags_are_shown_as_text_and_run_nothing(browser, tmp_path):
    listing = pd.DataFrame(
        [
            {"model_id": PAYLOAD_NAME, "author": "evil-lab", "downloads": 5000, "tags": PAYLOAD_TAGS, "created_at": "2026-01-01T00:00:00Z"},
            {"model_id": "Qwen/Qwen2.5-7B-Instruct", "author": "Qwen", "downloads": 9000, "tags": "transformers", "created_at": "2024-09-01T00:00:00Z"},
        ]
    )
    listing.to_csv(tmp_path / "listing.csv", index=False)
    store, out = tmp_path / "store", tmp_path / "report"
    assert run_cli("--store", str(store), "import", "listing", str(tmp_path / "listing.csv"), "--taken-at", "2026-02-01").returncode == 0
    completed = run_cli("--store", str(store), "report", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    page, errors, blocked = open_offline(browser, out / "report.html")
    assert page.evaluate("() => window.__pwned") is None
    assert blocked == [] and errors == []
    assert PAYLOAD_NAME in page.locator("body").inner_text()
