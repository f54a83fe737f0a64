"""The dashboard's JSON API: every endpoint returns the command's envelope, filters are typed (a bad value is a 422 naming
the field), filter values never reach SQL as text, and the real `hubecon serve` answers with its OpenAPI schema."""

import hashlib
import io
import json
import math
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import hubecon
from dashboard_store import BASE_ID, INSTRUCT_ID, PAYLOAD_ID, build_store, running_dashboard
from hubecon.present.dashboard import create_app
from hubecon.present.output import to_json

ENVELOPE_KEYS = {"command", "params", "data", "n", "rows"}


@pytest.fixture(scope="module")
def client(embedded):
    return TestClient(create_app(embedded))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("dashboard-api"))


@pytest.fixture(scope="module")
def store_session(store):
    return hubecon.open(store)


@pytest.fixture(scope="module")
def store_client(store_session):
    return TestClient(create_app(store_session))


def envelope(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert ENVELOPE_KEYS <= set(body), set(body)
    assert isinstance(body["rows"], list)
    return body


def period_sums(rows: list[dict], column: str = "share") -> dict:
    sums = {}
    for row in rows:
        sums[row["period"]] = sums.get(row["period"], 0.0) + row[column]
    return sums


ENDPOINTS = [
    ("info", {}, "info"),
    ("share", {}, "share"),
    ("share", {"by": "developer", "top": 5, "attribution": "origin", "cohort": "new"}, "share"),
    ("concentration", {"level": "model"}, "concentration"),
    ("trends", {}, "trends"),
    ("openness", {}, "openness"),
    ("cadence", {"by": "type"}, "cadence"),
    ("intermediaries", {"top": 5}, "intermediaries"),
    ("families", {"top": 5}, "families"),
    ("lineage", {"model_id": "Qwen/Qwen2.5-7B-Instruct"}, "lineage"),
    ("adoption", {"top": 3}, "adoption"),
    ("registry", {"namespace": "Qwen"}, "registry show"),
    ("developer/models", {"namespace": "Qwen"}, "share"),
]


@pytest.mark.parametrize(("path", "params", "command"), ENDPOINTS, ids=[f"{path}-{i}" for i, (path, _, _) in enumerate(ENDPOINTS)])
def test_every_endpoint_returns_its_commands_envelope(client, path, params, command):
    body = envelope(client.get(f"/api/{path}", params=params))
    assert body["command"] == command
    for name, value in params.items():
        if name in body["params"]:
            assert body["params"][name] == value


def test_history_endpoint_returns_the_models_periods(store_client, store_session):
    body = envelope(store_client.get("/api/history", params={"model_id": BASE_ID}))
    assert body["command"] == "history"
    assert [row["downloads"] for row in body["rows"]] == list(store_session.history(BASE_ID)["downloads"])
    assert body["rows"][0]["period"] == "2026-02"


def test_the_api_returns_exactly_what_the_python_api_returns(client, embedded):
    """The API computes nothing of its own: its JSON is the method's envelope, row for row."""
    got = envelope(client.get("/api/share", params={"attribution": "origin", "cohort": "new", "by": "developer", "top": 10}))
    same_envelope(got, json.loads(to_json(embedded.share(by="developer", attribution="origin", cohort="new", top=10))))
    got = envelope(client.get("/api/concentration", params={"level": "country", "exclude": ["gguf", "test-repos"]}))
    same_envelope(got, json.loads(to_json(embedded.concentration(level="country", exclude=("gguf", "test-repos")))))


def same_envelope(got: dict, expected: dict) -> None:
    """Equal envelopes; row figures equal up to the last bits (DuckDB may add in another order on another run)."""
    assert {key: value for key, value in got.items() if key != "rows"} == {key: value for key, value in expected.items() if key != "rows"}
    pd.testing.assert_frame_equal(pd.DataFrame(got["rows"]), pd.DataFrame(expected["rows"]), check_exact=False, rtol=1e-12)


@pytest.mark.parametrize(
    "params",
    [{}, {"by": "developer", "top": 5}, {"by": "model", "top": 20, "attribution": "origin"}, {"modality": "cv"}, {"derivative_kind": ["quantized", "merge"], "cohort": "new"},
     {"country": ["US", "CN"], "by": "type"}, {"developer_type": "academia", "by": "developer", "top": 3}, {"exclude": ["individuals", "unattributed"]}],
)
def test_share_rows_sum_to_one_under_every_filter(client, params):
    body = envelope(client.get("/api/share", params=params))
    assert body["rows"], params
    for total in period_sums(body["rows"]).values():
        assert total == pytest.approx(1.0)


def test_share_over_periods_sums_to_one_in_each_period(store_client):
    body = envelope(store_client.get("/api/share", params={"period": "month"}))
    sums = period_sums(body["rows"])
    assert list(sums) == ["2026-02"]
    assert all(total == pytest.approx(1.0) for total in sums.values())


def test_universe_filters_cut_the_rows_and_are_recorded(client, embedded):
    every = envelope(client.get("/api/share"))
    two = envelope(client.get("/api/share", params={"country": ["US", "CN"]}))
    assert {row["key"] for row in two["rows"]} == {"US", "CN"}
    assert two["params"]["country"] == ["CN", "US"]
    downloads = {row["key"]: row["downloads"] for row in every["rows"]}
    assert {row["key"]: row["downloads"] for row in two["rows"]} == pytest.approx({"US": downloads["US"], "CN": downloads["CN"]})
    vision = envelope(client.get("/api/share", params={"modality": "cv"}))
    assert vision["params"]["modality"] == ["cv"]
    assert 0 < vision["n"]["models"] < every["n"]["models"]
    assert vision["n"]["models"] <= int((embedded.enriched.facts["modality"] == "cv").sum())


def test_filters_a_method_does_not_take_select_its_rows_and_say_so(client):
    body = envelope(client.get("/api/families", params={"country": "US", "modality": "nlp", "top": 50}))
    assert body["rows"] and {row["country"] for row in body["rows"]} == {"US"}
    assert body["post_filters"] == {"country": ["US"]}
    assert body["filters_not_applied"] == ["modality"]
    body = envelope(client.get("/api/cadence", params={"by": "developer", "developer_type": "academia"}))
    assert body["rows"] and {row["type"] for row in body["rows"]} == {"academia"}


def test_csv_has_the_same_rows_as_json(client):
    params = {"by": "developer", "top": 8, "attribution": "origin"}
    rows = envelope(client.get("/api/share", params=params))["rows"]
    response = client.get("/api/share", params={**params, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="share.csv"' in response.headers["content-disposition"]
    table = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert list(table["key"]) == [row["key"] for row in rows]
    assert list(table["share"]) == [row["share"] for row in rows]
    assert list(table["downloads"]) == [row["downloads"] for row in rows]


CHARTS = [
    ("share", {}), ("share", {"by": "developer", "top": 5}), ("concentration", {}), ("trends", {"metric": "modality"}), ("trends", {}),
    ("openness", {"metric": "openness", "weighting": "models"}), ("cadence", {"by": "type"}), ("intermediaries", {"top": 5}), ("families", {}), ("adoption", {"top": 5}),
    ("developer/models", {"namespace": "Qwen"}),
]


@pytest.mark.parametrize(("path", "params"), CHARTS, ids=[f"{path}-{i}" for i, (path, _) in enumerate(CHARTS)])
def test_chart_endpoints_return_vega_lite_with_the_views_rows(client, path, params):
    response = client.get(f"/api/{path}/chart", params=params)
    assert response.status_code == 200, response.text
    spec = response.json()
    assert "vega-lite" in spec["$schema"]
    data = spec["datasets"][next(iter(spec["datasets"]))]
    assert data, path
    if path == "share":
        rows = envelope(client.get("/api/share", params=params))["rows"]
        assert [(item["key"], item["share"]) for item in data] == [(row["key"], row["share"]) for row in rows]


def test_share_chart_over_periods_is_a_line_per_key(store_client):
    spec = store_client.get("/api/share/chart", params={"period": "month"}).json()
    assert spec["mark"]["type"] == "line"


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("share", "attribution", "bogus"),
        ("share", "cohort", "old"),
        ("share", "period", "decade"),
        ("share", "by", "planet"),
        ("share", "country", "XX"),
        ("share", "developer_type", "robot"),
        ("share", "modality", "smell"),
        ("share", "derivative_kind", "clone"),
        ("share", "exclude", "everything"),
        ("share", "since", "2026-13-01"),
        ("share", "until", "yesterday"),
        ("share", "top", "0"),
        ("share", "top", "ten"),
        ("share", "snapshot", "no-such-snapshot"),
        ("share", "format", "xml"),
        ("concentration", "level", "galaxy"),
        ("concentration", "registry_variant", "tertiary"),
        ("trends", "period", "century"),
        ("trends/chart", "metric", "colour"),
        ("openness/chart", "weighting", "vibes"),
        ("cadence", "by", "planet"),
        ("families", "top", "-3"),
        ("intermediaries", "top", "1000000"),
        ("history", "period", "fortnight"),
        ("adoption", "top", "0"),
    ],
)
def test_an_invalid_filter_is_a_422_naming_the_field(client, path, field, value):
    params = {field: value}
    if path == "history":
        params["model_id"] = BASE_ID
    response = client.get(f"/api/{path}", params=params)
    assert response.status_code == 422, response.text
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(field in location for location in locations), locations


def test_a_window_that_ends_before_it_starts_is_a_422_naming_since(store_client):
    response = store_client.get("/api/share", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "since"]


def test_a_missing_required_parameter_is_a_422_naming_it(client):
    for path, field in (("lineage", "model_id"), ("registry", "namespace"), ("history", "model_id"), ("developer/models", "namespace")):
        response = client.get(f"/api/{path}")
        assert response.status_code == 422
        assert ["query", field] in [error["loc"] for error in response.json()["detail"]]


def test_a_question_the_data_cannot_answer_is_a_400_that_says_why(client):
    response = client.get("/api/share", params={"since": "2026-01-01", "until": "2026-01-31"})
    assert response.status_code == 400
    assert "history" in response.json()["detail"]
    response = client.get("/api/lineage", params={"model_id": "nobody/nothing"})
    assert response.status_code == 400
    assert "nobody/nothing" in response.json()["detail"]


INJECTIONS = [
    "US' OR '1'='1",
    "uploader'; DROP TABLE observations; --",
    "x') UNION SELECT model_id, namespace FROM models --",
    "1; DELETE FROM snapshots",
    '" OR ""="',
]


def store_digest(store: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(store.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(store)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_in_filter_values_has_no_effect(store_client, store, payload):
    before = store_digest(store)
    baseline = envelope(store_client.get("/api/share"))
    for field in ("attribution", "cohort", "country", "developer_type", "modality", "derivative_kind", "exclude", "period", "snapshot", "by", "since"):
        response = store_client.get("/api/share", params={field: payload})
        assert response.status_code == 422, (field, response.text)
    # Free text (a model id, a namespace) is a value the query engine quotes: it matches nothing.
    response = store_client.get("/api/lineage", params={"model_id": payload})
    assert response.status_code == 400 and payload in response.json()["detail"]
    response = store_client.get("/api/history", params={"model_id": payload})
    assert response.status_code == 400
    response = store_client.get("/api/registry", params={"namespace": payload})
    assert response.status_code == 400
    models = envelope(store_client.get("/api/developer/models", params={"namespace": payload}))
    assert models["rows"] == []
    assert envelope(store_client.get("/api/share")) == baseline
    assert len(envelope(store_client.get("/api/info"))["rows"]) == 2
    assert store_digest(store) == before


def test_payload_model_ids_are_plain_values(store_client):
    body = envelope(store_client.get("/api/lineage", params={"model_id": PAYLOAD_ID}))
    assert body["params"]["model_id"] == PAYLOAD_ID
    assert body["record"]["model_id"] == PAYLOAD_ID
    assert [edge["parent_id"] for edge in body["ancestors"]] == [INSTRUCT_ID, BASE_ID]
    assert "<script>window.__pwned=3</script>" in body["record"]["card_data"]


def test_openapi_describes_every_endpoint_and_its_choices(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/share", "/api/share/chart", "/api/concentration", "/api/trends", "/api/openness", "/api/cadence", "/api/intermediaries", "/api/families",
                 "/api/lineage", "/api/history", "/api/adoption", "/api/registry", "/api/developer/models", "/api/info", "/api/options"):
        assert path in paths, path
    parameters = {parameter["name"]: parameter for parameter in paths["/api/share"]["get"]["parameters"]}
    assert {"since", "until", "period", "attribution", "cohort", "country", "developer_type", "modality", "derivative_kind", "exclude", "snapshot", "by", "top", "format"} <= set(parameters)
    assert parameters["attribution"]["schema"]["enum"] == ["uploader", "origin"]
    assert "US" in parameters["country"]["schema"]["items"]["enum"]
    assert client.get("/docs").status_code == 404  # the interactive docs would load scripts from a CDN


def test_the_page_and_its_files_are_served_from_the_package_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert page.headers["x-content-type-options"] == "nosniff"
    for script in ("/static/app.js", "/static/style.css", "/static/vendor/vega.min.js", "/static/vendor/vega-lite.min.js", "/static/vendor/vega-embed.min.js"):
        assert client.get(script).status_code == 200, script
        assert script in page.text
    assert "http://" not in page.text and "https://" not in page.text
    app_js = client.get("/static/app.js").text
    assert "innerHTML" not in app_js.replace("no innerHTML", "") and "insertAdjacentHTML" not in app_js and "document.write" not in app_js


def test_a_foreign_host_header_is_refused_when_hosts_are_guarded(store_session):
    guarded = TestClient(create_app(store_session, allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://attacker.example")
    assert guarded.get("/api/health").status_code == 400
    assert TestClient(create_app(store_session, allowed_hosts=["127.0.0.1"]), base_url="http://127.0.0.1:8000").get("/api/health").status_code == 200


def test_hubecon_serve_answers_with_its_openapi_schema(store):
    with running_dashboard("--store", str(store)) as (base, output):
        assert base in output  # it prints the URL
        schema = httpx.get(base + "/api/openapi.json", timeout=10).json()
        assert schema["info"]["title"] == "hubecon dashboard API"
        assert "/api/share" in schema["paths"]
        rows = httpx.get(base + "/api/share", timeout=30).json()["rows"]
        assert math.isclose(sum(row["share"] for row in rows), 1.0)
