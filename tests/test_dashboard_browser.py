"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the real `hubecon serve` on 127.0.0.1:
no console errors, filters that change the headline to the API's numbers, shareable links, the model page's lineage,
downloads equal to the API, and untrusted text shown as text."""

import io
from urllib.parse import quote

import httpx
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from dashboard_store import BASE_ID, CHILD_ID, INSTRUCT_ID, PAYLOAD_CARD, PAYLOAD_ID, PAYLOAD_TAG, build_store, running_dashboard

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
READY = "() => document.body.dataset.ready === 'true'"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("dashboard-browser"))
    with running_dashboard("--store", str(store)) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class Tab:
    """A page whose every request outside the dashboard's own origin is blocked and recorded, with its console errors."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(accept_downloads=True)
        self.blocked, self.errors = [], []
        self.context.route("**/*", self.route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def route(self, request_route):
        url = request_route.request.url
        if url.startswith(self.base + "/") or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            self.blocked.append(url)
            request_route.abort()

    def open(self, address: str = "/"):
        self.page.goto(self.base + address)
        self.wait()
        return self.page

    def wait(self):
        self.page.wait_for_function(READY, timeout=TIMEOUT_MS)

    def table(self, endpoint: str, index: int = 0) -> list[dict]:
        """The rows of a block's table, raw values from the cells' data-value."""
        return self.page.evaluate(
            """([endpoint, index]) => {
                const block = document.querySelectorAll(`section.block[data-endpoint="${endpoint}"]`)[index];
                return [...block.querySelectorAll('tbody tr')].map((row) => Object.fromEntries([...row.cells].map((cell) => [cell.dataset.column, cell.dataset.value])));
            }""",
            [endpoint, index],
        )

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser, server):
    opened = Tab(browser, server)
    yield opened
    opened.close()


def api(server: str, path: str, **params) -> dict:
    response = httpx.get(f"{server}/api/{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def shares(rows: list[dict]) -> dict[str, float]:
    return {row["key"]: float(row["share"]) for row in rows}


def test_every_view_loads_with_no_console_errors_and_draws_its_charts(tab):
    page = tab.open("/")
    assert page.locator("#headline").inner_text().startswith("Largest: China")
    views = page.eval_on_selector_all("#views a", "links => links.map((link) => link.dataset.view)")
    assert {"headline", "time", "concentration", "trends", "openness", "cadence", "intermediaries", "families", "model", "developer"} <= set(views)
    for view in views:
        page.goto(f"{tab.base}/#/{view}")
        tab.wait()
        assert page.evaluate("document.body.dataset.view") == view
        states = page.eval_on_selector_all("section.block", "blocks => blocks.map((block) => block.dataset.state)")
        assert states and set(states) == {"ready"}, (view, states)
        charts = page.eval_on_selector_all(".chart", "charts => charts.map((chart) => chart.dataset.rendered)")
        assert charts and set(charts) == {"true"}, (view, charts)
        assert page.locator(".chart svg").count() == len(charts)
    assert tab.errors == []
    assert tab.blocked == []


def test_changing_attribution_and_cohort_changes_the_headline_to_the_apis_values(tab, server):
    page = tab.open("/")
    default = api(server, "share", by="country")
    assert shares(tab.table("share")) == pytest.approx(shares(default["rows"]))
    page.select_option("#filter-attribution", "origin")
    tab.wait()
    page.select_option("#filter-cohort", "new")
    page.wait_for_function("() => new URLSearchParams(location.search).get('cohort') === 'new'")
    tab.wait()
    expected = api(server, "share", by="country", attribution="origin", cohort="new")
    assert shares(expected["rows"]) != pytest.approx(shares(default["rows"]))  # the change is visible in the numbers
    shown = tab.table("share")
    assert shares(shown) == pytest.approx(shares(expected["rows"]))
    assert [row["key"] for row in shown] == [row["key"] for row in expected["rows"]]
    top = next(row for row in expected["rows"] if not row["key"].startswith("_"))
    headline = page.locator("#headline")
    assert headline.get_attribute("data-key") == top["key"]
    assert float(headline.get_attribute("data-share")) == pytest.approx(top["share"])
    assert f"{top['share'] * 100:.1f}%" in headline.inner_text() and "origin attribution, new cohort" in headline.inner_text()
    assert tab.errors == []


def test_a_shared_url_restores_the_same_view(browser, server):
    first = Tab(browser, server)
    page = first.open("/")
    page.select_option("#filter-attribution", "origin")
    tab_wait = first.wait
    tab_wait()
    page.check("#filter-exclude input[value='gguf']")
    tab_wait()
    page.click("#views a[data-view='concentration']")
    tab_wait()
    page.select_option("#local-level", "country")
    page.wait_for_function("() => new URLSearchParams(location.search).get('level') === 'country'")
    tab_wait()
    shared_url = page.url
    assert "attribution=origin" in shared_url and "exclude=gguf" in shared_url and shared_url.endswith("#/concentration")
    shown = first.table("concentration")
    first.close()

    second = Tab(browser, server)
    again = second.page
    again.goto(shared_url)
    second.wait()
    assert again.evaluate("document.body.dataset.view") == "concentration"
    assert again.input_value("#filter-attribution") == "origin"
    assert again.is_checked("#filter-exclude input[value='gguf']")
    assert again.input_value("#local-level") == "country"
    assert second.table("concentration") == shown
    expected = api(server, "concentration", attribution="origin", exclude="gguf", level="country")["rows"]
    assert [float(row["hhi"]) for row in second.table("concentration")] == pytest.approx([row["hhi"] for row in expected])
    assert second.errors == []
    second.close()


def adoption_said_why(page):
    """Models older than a year at the first snapshot get no normalised adoption: the block says why (the API's 400)."""
    block = page.locator("section.block[data-endpoint='adoption']")
    assert block.get_attribute("data-state") == "error"
    assert "gets no normalised adoption" in block.locator(".error").inner_text()


def test_a_model_page_shows_its_lineage(tab, server):
    page = tab.open("/#/model/" + quote(INSTRUCT_ID, safe=""))
    assert page.locator("#model-title").inner_text() == INSTRUCT_ID
    lineage = api(server, "lineage", model_id=INSTRUCT_ID)
    ancestors = page.locator("#lineage ul.tree").first.locator("a.model-link").all_inner_texts()
    assert ancestors == [edge["parent_id"] for edge in lineage["ancestors"]] == [BASE_ID]
    links = page.locator("#lineage a.model-link").all_inner_texts()
    assert {edge["child_id"] for edge in lineage["descendants"]} <= set(links)
    assert {PAYLOAD_ID, CHILD_ID, "unsloth/Qwen2.5-7B-Instruct-GGUF"} <= set(links)
    credit = page.locator("#lineage table tbody tr td[data-column='root_id']").all_inner_texts()
    assert credit == [row["root_id"] for row in lineage["rows"]]
    assert page.locator("section.block[data-endpoint='history']").get_attribute("data-state") == "ready"
    adoption_said_why(page)
    # ?model= opens the same page.
    page.goto(f"{tab.base}/?model=" + quote(BASE_ID, safe=""))
    tab.wait()
    assert page.locator("#model-title").inner_text() == BASE_ID
    assert "none: a root model" in page.locator("#lineage").inner_text()
    adoption_said_why(page)
    # The only console errors are the browser's notes on the two 400 answers for adoption.
    assert len(tab.errors) == 2 and all("400" in error for error in tab.errors), tab.errors


def test_downloads_equal_the_apis_numbers(tab, server):
    page = tab.open("/?attribution=origin")
    block = page.locator("section.block[data-endpoint='share']").first
    with page.expect_download() as csv_download:
        block.locator("a.csv").click()
    assert csv_download.value.suggested_filename == "share.csv"  # the API names the file
    table = pd.read_csv(io.StringIO(open(csv_download.value.path(), encoding="utf-8").read()), keep_default_na=False)
    expected = api(server, "share", by="country", attribution="origin")["rows"]
    assert list(table["key"]) == [row["key"] for row in expected]
    assert list(table["downloads"]) == [row["downloads"] for row in expected]
    assert list(table["share"]) == [row["share"] for row in expected]
    with page.expect_download() as png_download:
        block.locator("button.png").click()
    assert png_download.value.suggested_filename == "share-by-country.png"
    assert open(png_download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg_download:
        block.locator("button.svg").click()
    svg = open(svg_download.value.path(), encoding="utf-8").read()
    assert svg.lstrip().startswith("<svg") and "China" in svg
    assert tab.errors == [] and tab.blocked == []


def test_script_payloads_in_names_tags_and_card_data_show_as_text_and_run_nothing(tab, server):
    page = tab.open("/#/model/" + quote(PAYLOAD_ID, safe=""))
    assert page.locator("#model-title").inner_text() == PAYLOAD_ID
    assert PAYLOAD_TAG in page.locator("#model-tags").inner_text()
    card = page.locator("#model-card").inner_text()
    assert PAYLOAD_CARD["model_name"] in card and PAYLOAD_CARD["description"] in card and PAYLOAD_CARD["tags"][0] in card
    assert CHILD_ID in page.locator("#lineage").inner_text()
    # The payload also shows in the tables and chart labels of other views.
    for address in ("/#/model", "/#/model/" + quote(INSTRUCT_ID, safe=""), "/?derivative_kind=finetune#/model"):
        page.goto(tab.base + address)
        tab.wait()
        assert PAYLOAD_ID in page.locator("main").inner_text(), address
    page.goto(tab.base + "/#/model")
    tab.wait()
    assert PAYLOAD_ID in page.locator(".chart svg").first.inner_html().replace("&lt;", "<").replace("&gt;", ">")
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("() => document.querySelectorAll('script').length") == 4  # the three vendored scripts and app.js
    # No error but the browser's note on the 400 for the Instruct model's adoption (older than a year at the first snapshot): no refused script, no exception.
    assert len(tab.errors) == 1 and "status of 400" in tab.errors[0], tab.errors
    assert tab.blocked == []
