"""The dashboard (`hubecon serve`): a JSON API over one Hubecon session and the static front end shipped in the package.

The API computes nothing itself: every endpoint calls one Hubecon method
and returns its DESIGN.md §4 envelope (JSON, or its rows as CSV with
`?format=csv`); `/chart` beside it returns the Vega-Lite spec that
present/charts.py builds from the same result. Every filter is a typed
query parameter (literal choices, dates, bounded integers), so a bad value
is answered with HTTP 422 naming the field before any query runs; free
text (a model id, a namespace) only ever reaches the data as a value the
query engine quotes, never as SQL. Filters a method does not take are
applied to its result rows where the rows carry that column, and the
envelope says which filters were applied that way and which do not apply.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal, Optional

import pandas as pd
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

import hubecon
from hubecon.enrich.lineage import RELATION_PRIORITY
from hubecon.enrich.properties import MODALITY_BY_TASK
from hubecon.enrich.registry import TYPES, VARIANTS
from hubecon.errors import HubeconError
from hubecon.metrics.concentration import LEVELS
from hubecon.metrics.shares import ATTRIBUTIONS, COHORTS, EXCLUSIONS, GROUPINGS
from hubecon.metrics.windows import PERIODS
from hubecon.present import charts
from hubecon.present.output import plain, to_csv, to_json
from hubecon.present.report_html import VENDOR

STATIC = Path(str(files("hubecon") / "present" / "static"))
MODALITIES = (*sorted(set(MODALITY_BY_TASK.values())), "unknown")
DERIVATIVE_KINDS = ("original", *RELATION_PRIORITY)
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
CACHED_RESULTS = 128
MAX_TOP = 1000
# Scripts and data only from this server; Vega compiles its expressions with Function(), hence 'unsafe-eval';
# vega-embed injects its own <style>; charts are downloaded as data:/blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
UNIVERSE_FILTERS = ("country", "developer_type", "modality", "derivative_kind")

Format = Literal["json", "csv"]
Period = Literal[PERIODS]
Attribution = Literal[ATTRIBUTIONS]
Cohort = Literal[COHORTS]
Exclusion = Literal[EXCLUSIONS]
DeveloperType = Literal[TYPES]
Modality = Literal[MODALITIES]
DerivativeKind = Literal[DERIVATIVE_KINDS]
Grouping = Literal[GROUPINGS]
Level = Literal[LEVELS]
Variant = Literal[VARIANTS]
ModelId = Annotated[str, Query(min_length=1, max_length=300, description="A model id, e.g. Qwen/Qwen2.5-7B-Instruct.")]
Namespace = Annotated[str, Query(min_length=1, max_length=200, description="A Hub namespace, e.g. Qwen.")]
Top = Annotated[Optional[int], Query(ge=1, le=MAX_TOP, description="Keep the top N rows.")]
FormatQuery = Annotated[Format, Query(alias="format", description="json: the envelope; csv: its rows.")]


def invalid(field_name: str, message: str, value) -> RequestValidationError:
    """A 422 naming the query field, like FastAPI's own validation errors."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", field_name), "msg": message, "input": value}])


class Session:
    """One Hubecon session for the server's life; DuckDB connections are not thread-safe, so one call at a time.

    Results are kept (the data does not change while the server runs), so a
    view's table and its chart cost one computation.
    """

    def __init__(self, session: hubecon.Hubecon):
        self.hubecon = session
        self.lock = threading.Lock()
        self.results: OrderedDict[str, pd.DataFrame] = OrderedDict()

    def call(self, method: str, **kwargs) -> pd.DataFrame:
        key = json.dumps([method, kwargs], sort_keys=True, default=str)
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
            frame = getattr(self.hubecon, method)(**kwargs)
            self.results[key] = frame
            while len(self.results) > CACHED_RESULTS:
                self.results.popitem(last=False)
            return frame


@dataclass
class Window:
    since: Optional[str] = None
    until: Optional[str] = None
    period: Optional[str] = None
    snapshot: Optional[str] = None


@dataclass
class Universe:
    attribution: str = "uploader"
    cohort: str = "all"
    exclude: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    developer_type: list[str] = field(default_factory=list)
    modality: list[str] = field(default_factory=list)
    derivative_kind: list[str] = field(default_factory=list)

    def cut(self) -> dict[str, list[str]]:
        return {name: getattr(self, name) for name in UNIVERSE_FILTERS}


def with_envelope(rows: pd.DataFrame, envelope: dict, **extra) -> pd.DataFrame:
    """A copy of a result with other rows and extra envelope fields (the cached original is never changed)."""
    rows = rows.reset_index(drop=True).copy()
    rows.attrs = {"envelope": {**envelope, **extra}}
    return rows


def post_filtered(frame: pd.DataFrame, cut: dict[str, list[str]], columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Keep the result rows whose columns match the filters the method does not take; say in the envelope what was done."""
    columns = columns or {name: name for name in cut}
    rows, applied, not_applied = frame, {}, []
    for name, values in cut.items():
        if not values:
            continue
        column = columns.get(name)
        if column and column in rows.columns:
            rows = rows[rows[column].isin(values)]
            applied[name] = values
        else:
            not_applied.append(name)
    return with_envelope(rows, frame.attrs["envelope"], post_filters=applied, filters_not_applied=not_applied)


def respond(frame: pd.DataFrame, fmt: str, name: str) -> Response:
    if fmt == "csv":
        return Response(to_csv(frame), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(to_json(frame), media_type="application/json")


def spec_response(spec: dict) -> JSONResponse:
    return JSONResponse(plain(spec))


def single_period(frame: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    """The rows of the last period (all rows for a single window)."""
    if column not in frame or frame[column].isna().all():
        return frame
    return frame[frame[column] == frame[column].dropna().iloc[-1]]


def title_of(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def create_app(session: hubecon.Hubecon, *, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The dashboard's FastAPI app over one open session; `allowed_hosts` guards against DNS rebinding (None: any Host)."""
    shared = Session(session)
    snapshots = tuple(session.store.snapshots()["snapshot_id"])
    attribution_table = pd.concat([session.registry.attribution(variant) for variant in VARIANTS])
    countries = tuple(sorted({value for value in attribution_table["country"].dropna() if value} | {"INTL", "USER"}))
    Country = Literal[countries]  # noqa: N806 (a type)
    Snapshot = Literal[(*snapshots, "latest")]  # noqa: N806

    app = FastAPI(
        title="hubecon dashboard API",
        version=hubecon.__version__,
        description="Download shares, concentration, trends and lineage from Hugging Face Hub data. Every data endpoint returns the JSON envelope "
        "{command, params, data, n, rows, …} of the matching `hubecon` command (DESIGN.md §4), or its rows as CSV with ?format=csv; "
        "`…/chart` returns the view's Vega-Lite spec.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load their scripts from a CDN
        redoc_url=None,
    )
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(HubeconError)
    async def hubecon_error(request: Request, exc: HubeconError) -> JSONResponse:
        # The data cannot answer this (e.g. a window on a single snapshot, an unknown model): the message says why.
        return JSONResponse({"detail": str(exc)}, status_code=400)

    # -- filters: typed query parameters, shared by the endpoints -----------------------------------

    def window(
        since: Annotated[Optional[date], Query(description="First day of the window (YYYY-MM-DD, inclusive, UTC); needs a history.")] = None,
        until: Annotated[Optional[date], Query(description="Last day of the window (YYYY-MM-DD, inclusive, UTC); needs a history.")] = None,
        period: Annotated[Optional[Period], Query(description="Calendar periods of the store's history.")] = None,
        snapshot: Annotated[Optional[Snapshot], Query(description="The snapshot a single-window analysis uses (default: as the CLI).")] = None,
    ) -> Window:
        if since and until and since > until:
            raise invalid("since", f"since ({since}) is after until ({until})", str(since))
        return Window(since and since.isoformat(), until and until.isoformat(), period, snapshot)

    def universe(
        attribution: Annotated[Attribution, Query(description="uploader: a repo's namespace; origin: the developers of its root models.")] = "uploader",
        cohort: Annotated[Cohort, Query(description="all downloads, or new: only downloads in a model's first 365 days.")] = "all",
        exclude: Annotated[list[Exclusion], Query(description="Leave out of the universe (repeatable).")] = [],  # noqa: B006
        country: Annotated[list[Country], Query(description="Only downloads credited to developers of these countries (repeatable).")] = [],  # noqa: B006
        developer_type: Annotated[list[DeveloperType], Query(description="Only downloads credited to developers of these types (repeatable).")] = [],  # noqa: B006
        modality: Annotated[list[Modality], Query(description="Only models of these modalities (repeatable).")] = [],  # noqa: B006
        derivative_kind: Annotated[list[DerivativeKind], Query(description="Only models of these kinds (repeatable).")] = [],  # noqa: B006
    ) -> Universe:
        return Universe(attribution, cohort, sorted(set(exclude)), sorted(set(country)), sorted(set(developer_type)), sorted(set(modality)), sorted(set(derivative_kind)))

    # -- pages and files -----------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static/vendor", StaticFiles(directory=VENDOR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health", summary="Readiness")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/api/options", summary="The choices of every filter (the same lists the API validates against)")
    def options() -> dict:
        return {
            "period": list(PERIODS),
            "attribution": list(ATTRIBUTIONS),
            "cohort": list(COHORTS),
            "exclude": list(EXCLUSIONS),
            "country": list(countries),
            "developer_type": list(TYPES),
            "modality": list(MODALITIES),
            "derivative_kind": list(DERIVATIVE_KINDS),
            "snapshot": [*snapshots, "latest"],
            "by": list(GROUPINGS),
            "level": list(LEVELS),
            "views": [name for name in ("trends", "openness", "cadence", "intermediaries", "families", "adoption", "history") if hasattr(session, name)],
        }

    @app.get("/api/info", summary="The store's snapshots and the registry's coverage (`hubecon info`)")
    def info_endpoint(fmt: FormatQuery = "json") -> Response:
        return respond(shared.call("info"), fmt, "info")

    # -- shares ----------------------------------------------------------------------------------------

    def share_result(
        w: Annotated[Window, Depends(window)],
        u: Annotated[Universe, Depends(universe)],
        by: Annotated[Grouping, Query(description="Group by country, type, developer or model.")] = "country",
        top: Top = None,
        registry_variant: Annotated[Variant, Query()] = "primary",
    ) -> pd.DataFrame:
        return shared.call(
            "share", by=by, attribution=u.attribution, cohort=u.cohort, top=top, exclude=u.exclude, snapshot=w.snapshot, period=w.period, since=w.since, until=w.until,
            registry_variant=registry_variant, **u.cut(),
        )

    @app.get("/api/share", summary="Download shares (`hubecon share`): each period's rows sum to 1")
    def share(frame: Annotated[pd.DataFrame, Depends(share_result)], fmt: FormatQuery = "json") -> Response:
        return respond(frame, fmt, "share")

    @app.get("/api/share/chart", summary="Vega-Lite spec of the share view: bars for one window, lines over periods")
    def share_chart(frame: Annotated[pd.DataFrame, Depends(share_result)]) -> JSONResponse:
        params = frame.attrs["envelope"]["params"]
        title = title_of(f"Share of downloads by {params['by']}", f"{params['attribution']} attribution", f"{params['cohort']} cohort")
        if frame["period"].notna().any():
            return spec_response(charts.share_lines(frame, title))
        return spec_response(charts.share_bars(frame, title))

    # -- concentration -----------------------------------------------------------------------------------

    def concentration_result(
        w: Annotated[Window, Depends(window)],
        u: Annotated[Universe, Depends(universe)],
        level: Annotated[Level, Query(description="model, developer or country.")] = "developer",
        registry_variant: Annotated[Variant, Query()] = "primary",
    ) -> pd.DataFrame:
        return shared.call(
            "concentration", level=level, attribution=u.attribution, cohort=u.cohort, exclude=u.exclude, snapshot=w.snapshot, period=w.period, since=w.since,
            until=w.until, registry_variant=registry_variant, **u.cut(),
        )

    @app.get("/api/concentration", summary="HHI, Gini and top-k shares (`hubecon concentration`)")
    def concentration(frame: Annotated[pd.DataFrame, Depends(concentration_result)], fmt: FormatQuery = "json") -> Response:
        return respond(frame, fmt, "concentration")

    @app.get("/api/concentration/chart", summary="Vega-Lite spec: top-k shares for one window, HHI per period over time")
    def concentration_chart(frame: Annotated[pd.DataFrame, Depends(concentration_result)]) -> JSONResponse:
        level = frame.attrs["envelope"]["params"]["level"]
        if frame["period"].notna().any():
            return spec_response(charts.metric_points(frame, x="period", y="hhi", title=f"HHI at {level} level per period", y_title="HHI (0–10,000)"))
        shares = frame.melt(value_vars=["top1", "top5", "top10", "top100"], var_name="top", value_name="share")
        return spec_response(charts.metric_points(shares, x="top", y="share", title=f"Share of the top 1, 5, 10, 100 at {level} level", y_title="share of downloads"))

    # -- model properties over time --------------------------------------------------------------------------

    def property_view(command: str, metric_names: tuple[str, ...], default_metric: str) -> None:
        Metric = Literal[metric_names]  # noqa: N806

        def property_result(
            since: Annotated[Optional[date], Query(description="With a history: first day (YYYY-MM-DD).")] = None,
            until: Annotated[Optional[date], Query(description="With a history: last day (YYYY-MM-DD).")] = None,
            period: Annotated[Optional[Period], Query(description="year or quarter (creation cohorts on one snapshot); week…year on a history.")] = None,
            created_since: Annotated[Optional[date], Query()] = None,
            created_until: Annotated[Optional[date], Query()] = None,
            attribution: Annotated[Attribution, Query()] = "uploader",
            exclude: Annotated[list[Exclusion], Query()] = [],  # noqa: B006
            snapshot: Annotated[Optional[Snapshot], Query()] = None,
        ) -> pd.DataFrame:
            days = {name: value.isoformat() if value else None for name, value in (("since", since), ("until", until), ("created_since", created_since), ("created_until", created_until))}
            return shared.call(command, period=period, attribution=attribution, exclude=sorted(set(exclude)), snapshot=snapshot, **days)

        def rows_endpoint(frame: Annotated[pd.DataFrame, Depends(property_result)], fmt: FormatQuery = "json") -> Response:
            return respond(frame, fmt, command)

        def chart_endpoint(
            frame: Annotated[pd.DataFrame, Depends(property_result)],
            metric: Annotated[Metric, Query(description="Which metric to draw.")] = default_metric,
            weighting: Annotated[Literal["downloads", "models"], Query(description="Download-weighted or model-count shares.")] = "downloads",
        ) -> JSONResponse:
            rows = frame[(frame["metric"] == metric) & frame["period"].isin(frame.attrs["envelope"].get("periods") or frame["period"].unique())]
            units = set(rows["unit"].dropna())
            if units == {"share"}:
                rows = rows[rows["weighting"] == weighting]
                lines = rows.assign(label=rows["category"].astype(str))[["period", "label", "value"]].rename(columns={"value": "share"})
                return spec_response(charts.share_lines(lines, f"{metric} ({weighting}-weighted share) per {frame.attrs['envelope']['params']['period']}"))
            return spec_response(charts.metric_points(rows, x="period", y="value", title=f"{metric} per {frame.attrs['envelope']['params']['period']}", y_title=", ".join(sorted(units))))

        app.get(f"/api/{command}", summary=f"`hubecon {command}`: per period, with first→last tests")(rows_endpoint)
        app.get(f"/api/{command}/chart", summary=f"Vega-Lite spec of one {command} metric over periods")(chart_endpoint)

    if hasattr(session, "trends"):
        from hubecon.metrics.trends import SIZE_METRICS, TREND_METRICS

        property_view("trends", (*SIZE_METRICS, *(metric.name for metric in TREND_METRICS)), "mean_size_weighted")
    if hasattr(session, "openness"):
        from hubecon.metrics.trends import OPENNESS_METRICS

        property_view("openness", tuple(metric.name for metric in OPENNESS_METRICS), "openness")

    # -- the ecosystem's structure -----------------------------------------------------------------------------

    if hasattr(session, "cadence"):
        from hubecon.metrics.cadence import BY as CADENCE_BY

        def cadence_result(
            u: Annotated[Universe, Depends(universe)],
            by: Annotated[Literal[CADENCE_BY], Query(description="country, type or developer.")] = "country",
            snapshot: Annotated[Optional[Snapshot], Query()] = None,
            registry_variant: Annotated[Variant, Query()] = "primary",
        ) -> pd.DataFrame:
            frame = shared.call("cadence", by=by, snapshot=snapshot, registry_variant=registry_variant)
            columns = {"developer": {"country": "country", "developer_type": "type"}, "country": {"country": "key"}, "type": {"developer_type": "key"}}[by]
            return post_filtered(frame, u.cut(), columns)

        @app.get("/api/cadence", summary="Release cadence (`hubecon cadence`); country/type filters select rows")
        def cadence(frame: Annotated[pd.DataFrame, Depends(cadence_result)], fmt: FormatQuery = "json") -> Response:
            return respond(frame, fmt, "cadence")

        @app.get("/api/cadence/chart", summary="Vega-Lite spec: median days between release days")
        def cadence_chart(frame: Annotated[pd.DataFrame, Depends(cadence_result)]) -> JSONResponse:
            x = "developer" if "developer" in frame.columns else "key"
            rows = frame[frame["median_days_between"].notna()].head(40)
            return spec_response(charts.metric_points(rows, x=x, y="median_days_between", title="Median days between release days", y_title="days"))

    if hasattr(session, "intermediaries"):

        def intermediaries_result(
            w: Annotated[Window, Depends(window)],
            u: Annotated[Universe, Depends(universe)],
            top: Top = 20,
            registry_variant: Annotated[Variant, Query()] = "primary",
        ) -> pd.DataFrame:
            frame = shared.call("intermediaries", period=w.period, since=w.since, until=w.until, snapshot=w.snapshot, top=top, registry_variant=registry_variant)
            return post_filtered(frame, u.cut())

        @app.get("/api/intermediaries", summary="Re-packagers and fine-tuners (`hubecon intermediaries`); country/type filters select rows")
        def intermediaries(frame: Annotated[pd.DataFrame, Depends(intermediaries_result)], fmt: FormatQuery = "json") -> Response:
            return respond(frame, fmt, "intermediaries")

        @app.get("/api/intermediaries/chart", summary="Vega-Lite spec: intermediaries' shares in the last period")
        def intermediaries_chart(frame: Annotated[pd.DataFrame, Depends(intermediaries_result)]) -> JSONResponse:
            rows = single_period(frame[frame["role"] == "intermediary"])
            bars = rows.assign(label=rows["namespace"], key=rows["namespace"])
            period = rows["period"].iloc[0] if len(rows) else ""
            return spec_response(charts.share_bars(bars, title_of("Intermediaries' share of downloads", str(period or ""))))

    if hasattr(session, "families"):

        def families_result(
            w: Annotated[Window, Depends(window)],
            u: Annotated[Universe, Depends(universe)],
            top: Top = 20,
            registry_variant: Annotated[Variant, Query()] = "primary",
        ) -> pd.DataFrame:
            frame = shared.call(
                "families", top=top, snapshot=w.snapshot, period=w.period, since=w.since, until=w.until, exclude=u.exclude, registry_variant=registry_variant
            )
            return post_filtered(frame, u.cut())

        @app.get("/api/families", summary="Model families (`hubecon families`); country/type filters select the roots' rows")
        def families(frame: Annotated[pd.DataFrame, Depends(families_result)], fmt: FormatQuery = "json") -> Response:
            return respond(frame, fmt, "families")

        @app.get("/api/families/chart", summary="Vega-Lite spec: the families' shares of downloads in the last period")
        def families_chart(frame: Annotated[pd.DataFrame, Depends(families_result)]) -> JSONResponse:
            rows = single_period(frame)
            bars = rows.assign(label=rows["root_id"], key=rows["root_id"], share=rows["share_of_downloads"], downloads=rows["family_downloads"])
            return spec_response(charts.share_bars(bars, "Families' share of downloads (origin credit)"))

    # -- one model, one developer -------------------------------------------------------------------------------

    @app.get("/api/lineage", summary="A model's ancestors, descendants, origin credit and stored record (`hubecon lineage`)")
    def lineage(model_id: ModelId, fmt: FormatQuery = "json") -> Response:
        return respond(shared.call("lineage", model_id=model_id), fmt, "lineage")

    def history_result(
        model_id: ModelId,
        period: Annotated[Period, Query()] = "month",
        since: Annotated[Optional[date], Query()] = None,
        until: Annotated[Optional[date], Query()] = None,
    ) -> pd.DataFrame:
        return shared.call("history", model_id=model_id, period=period, since=since and since.isoformat(), until=until and until.isoformat())

    @app.get("/api/history", summary="A model's downloads per period (`hubecon history`); needs a history of snapshots")
    def history(frame: Annotated[pd.DataFrame, Depends(history_result)], fmt: FormatQuery = "json") -> Response:
        return respond(frame, fmt, "history")

    @app.get("/api/history/chart", summary="Vega-Lite spec: a model's downloads per period")
    def history_chart(frame: Annotated[pd.DataFrame, Depends(history_result)]) -> JSONResponse:
        return spec_response(charts.metric_points(frame, x="period", y="downloads", title="Downloads per period", y_title="downloads"))

    if hasattr(session, "adoption"):

        def adoption_result(
            model_id: Annotated[Optional[str], Query(min_length=1, max_length=300, description="One model; or give top.")] = None,
            top: Top = None,
            snapshot: Annotated[Optional[Snapshot], Query()] = None,
        ) -> pd.DataFrame:
            if (model_id is None) == (top is None):
                raise invalid("model_id" if model_id is None else "top", "give either model_id or top", model_id)
            return shared.call("adoption", model_id=model_id, top=top, snapshot=snapshot)

        @app.get("/api/adoption", summary="Normalised adoption (`hubecon adoption`) for one model or the top N")
        def adoption(frame: Annotated[pd.DataFrame, Depends(adoption_result)], fmt: FormatQuery = "json") -> Response:
            return respond(frame, fmt, "adoption")

        @app.get("/api/adoption/chart", summary="Vega-Lite spec: normalised adoption per model")
        def adoption_chart(frame: Annotated[pd.DataFrame, Depends(adoption_result)]) -> JSONResponse:
            x = "age" if "age" in frame.columns and frame["model_id"].nunique() == 1 else "model_id"
            return spec_response(charts.metric_points(frame, x=x, y="adoption", title="Normalised adoption (1 = the median of the top 10 of its size bucket)", y_title="adoption"))

    @app.get("/api/registry", summary="The registry's entry for a namespace (`hubecon registry show`)")
    def registry_show(namespace: Namespace, fmt: FormatQuery = "json") -> Response:
        return respond(shared.call("registry_show", namespace=namespace), fmt, "registry")

    def developer_models_result(
        namespace: Namespace,
        w: Annotated[Window, Depends(window)],
        u: Annotated[Universe, Depends(universe)],
    ) -> pd.DataFrame:
        """The share-by-model table cut to the developer's namespaces (shares stay shares of all downloads)."""
        try:
            entry = shared.call("registry_show", namespace=namespace)
            fields = dict(zip(entry["field"], entry["value"]))
            namespaces = sorted({namespace, *(name.strip() for name in fields.get("developer_namespaces", "").split(",") if name.strip())})
        except HubeconError:
            namespaces = [namespace]  # unattributed: the namespace alone
        frame = shared.call(
            "share", by="model", attribution="uploader", cohort=u.cohort, top=None, exclude=u.exclude, snapshot=w.snapshot, period=w.period, since=w.since, until=w.until,
            **{name: values for name, values in u.cut().items() if name in ("modality", "derivative_kind")},
        )
        mine = frame["key"].str.split("/").str[0].isin(namespaces)
        rows = frame[mine].sort_values(["period", "share"], ascending=[True, False], na_position="first")
        return with_envelope(rows, frame.attrs["envelope"], namespaces=namespaces, note="the developer's models' rows of the share-by-model table (uploader attribution): shares of all downloads")

    @app.get("/api/developer/models", summary="A developer's models' shares of downloads (rows of `hubecon share --by model`)")
    def developer_models(frame: Annotated[pd.DataFrame, Depends(developer_models_result)], fmt: FormatQuery = "json") -> Response:
        return respond(frame, fmt, "developer-models")

    @app.get("/api/developer/models/chart", summary="Vega-Lite spec: a developer's models' shares")
    def developer_models_chart(frame: Annotated[pd.DataFrame, Depends(developer_models_result)]) -> JSONResponse:
        return spec_response(charts.share_bars(single_period(frame).head(25), "The developer's models: share of all downloads"))

    return app


def serve(session: hubecon.Hubecon, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the dashboard with uvicorn until interrupted."""
    import uvicorn

    allowed = ["127.0.0.1", "localhost", "[::1]", "::1"] if host in LOOPBACK else None
    uvicorn.run(create_app(session, allowed_hosts=allowed), host=host, port=port, log_level="warning")
