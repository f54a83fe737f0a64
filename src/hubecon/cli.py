"""The `hubecon` command: parses arguments, calls the Python API, renders what it returns. Nothing else."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape

import hubecon
from hubecon.api import DEFAULT_SEED, default_store_path
from hubecon.errors import HubeconError
from hubecon.metrics.shares import EXCLUSIONS
from hubecon.present.output import FORMATS, data_line, render
from hubecon.store.engine import MEMORY_LIMIT_ENV, default_memory_limit

app = typer.Typer(
    help="Who holds power in the open-model economy: download shares, lineage and registry coverage from Hugging Face Hub data. "
    "Environment: HUBECON_STORE, HUBECON_REGISTRY (as the options below), HUBECON_MEMORY_LIMIT (memory the DuckDB engine holds "
    "before spilling to disk, e.g. 2GB; default an eighth of the RAM or of a container's limit), HUBECON_CACHE (the folder of the cached enrichments and histories).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
registry_app = typer.Typer(help="The developer registry: who is behind each namespace.", no_args_is_help=True)
import_app = typer.Typer(help="Add snapshots to a store (create it if needed).", no_args_is_help=True)
ingest_app = typer.Typer(help="Crawl live sources into a store (create it if needed).", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(import_app, name="import")
export_app = typer.Typer(help="Tidy tables for your own analysis.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(ingest_app, name="ingest")

ENGINES = ("duckdb", "spark")


class Settings:
    store: Optional[Path] = None
    registry: Optional[Path] = None
    snapshot: Optional[str] = None
    engine: str = "duckdb"


settings = Settings()
FormatOption = Annotated[str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.")]
SkipBadRowsOption = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Store the acceptable rows and list the rejected ones (default: any bad row stops the import).")
]
PeriodOption = Annotated[Optional[str], typer.Option(help="week, month, quarter or year: calendar periods of the store's history (ISO weeks).")]
SinceOption = Annotated[Optional[str], typer.Option(help="First day of the window (YYYY-MM-DD, inclusive, UTC).")]
UntilOption = Annotated[Optional[str], typer.Option(help="Last day of the window (YYYY-MM-DD, inclusive, UTC).")]
ScopeOption = Annotated[Optional[str], typer.Option(help="Which snapshots form the history: full, filtered, sample or series (default: the largest comparable group).")]
WindowSinceOption = Annotated[Optional[str], typer.Option("--since", help="History only: first day of the observation windows (YYYY-MM-DD, inclusive).")]
WindowUntilOption = Annotated[Optional[str], typer.Option("--until", help="History only: last day of the observation windows (YYYY-MM-DD, inclusive).")]
CreatedSinceOption = Annotated[Optional[str], typer.Option("--created-since", help="Only models created on or after this day (YYYY-MM-DD).")]
CreatedUntilOption = Annotated[Optional[str], typer.Option("--created-until", help="Only models created on or before this day (YYYY-MM-DD).")]
PropertyAttributionOption = Annotated[str, typer.Option("--attribution", help="Whose downloads the exclusions and the bootstrap's developer units follow: uploader or origin.")]
ExcludeOption = Annotated[list[str], typer.Option("--exclude", help=f"Leave out of the universe (repeatable): {', '.join(EXCLUSIONS)}.")]
PropertySeedOption = Annotated[Optional[int], typer.Option("--seed", help="Seed of the bootstrap resamples (recorded in the output).")]
SnapshotOption = Annotated[
    Optional[str], typer.Option("--snapshot", help="Snapshot to analyse: an id, a date (YYYY-MM-DD: the latest taken by then) or 'latest'.")
]


def console() -> Console:
    # Piped output keeps whole rows on one line rather than wrapping at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 200, soft_wrap=False)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise HubeconError(f"--format: '{fmt}' is not one of {', '.join(FORMATS)}")
    return fmt


def session(embedded: bool = False) -> hubecon.Hubecon:
    return hubecon.open(settings.store, registry=settings.registry, embedded=embedded, engine=settings.engine)


@app.callback()
def global_options(
    store: Annotated[
        Optional[Path],
        typer.Option(envvar="HUBECON_STORE", help="Store folder (default: the user data dir; with no store, read-only commands use the embedded sample)."),
    ] = None,
    registry: Annotated[Optional[Path], typer.Option(envvar="HUBECON_REGISTRY", help="Registry override CSV: its rows add to or replace the package's.")] = None,
    engine: Annotated[
        str, typer.Option(help="Query engine for the metrics: duckdb (embedded) or spark (PySpark; master URL from $HUBECON_SPARK_MASTER, default local[2]).")
    ] = "duckdb",
    snapshot: SnapshotOption = None,
) -> None:
    if engine not in ENGINES:
        raise HubeconError(f"--engine: '{engine}' is not available in this version; choose one of {', '.join(ENGINES)}")
    settings.store, settings.registry, settings.snapshot, settings.engine = store, registry, snapshot, engine


@app.command()
def share(
    by: Annotated[str, typer.Option(help="Group by: country, type, developer or model.")] = "country",
    attribution: Annotated[str, typer.Option(help="uploader (a repo's namespace) or origin (the developers of its root models).")] = "uploader",
    cohort: Annotated[str, typer.Option(help="all downloads, or new: only downloads in a model's first 365 days.")] = "all",
    top: Annotated[Optional[int], typer.Option(help="Keep the top N rows; the rest form the _other row.")] = None,
    exclude: ExcludeOption = [],  # noqa: B006
    registry_variant: Annotated[str, typer.Option(help="primary, or alternative: contested registry rows take their alternative.")] = "primary",
    period: PeriodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    scope: ScopeOption = None,
    labels: Annotated[str, typer.Option(help="registry (ours), or study: the study's own country groups and org types from an imported study file.")] = "registry",
    ci: Annotated[bool, typer.Option("--ci", help="Add 95% bootstrap intervals (1,000 resamples of developers).")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resamples (recorded in params).")] = DEFAULT_SEED,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Download shares by developer country, type, developer or model; each period's rows sum to 1.

    On one snapshot the window is its 30 days. With --period (or --since/--until)
    the store's history gives one table per calendar period (or one window).
    """
    check_format(fmt)
    frame = session().share(
        by=by,
        attribution=attribution,
        cohort=cohort,
        top=top,
        exclude=tuple(exclude),
        snapshot=snapshot or settings.snapshot,
        registry_variant=registry_variant,
        period=period,
        since=since,
        until=until,
        scope=scope,
        labels=labels,
        ci=ci,
        seed=seed,
    )
    render(frame, fmt, console(), title=f"Share of downloads by {by} ({attribution} attribution, {cohort} cohort)")


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Folder for report.html, figures/, tables/*.csv|json and manifest.json.")] = Path("hubecon-report"),
    snapshot: SnapshotOption = None,
) -> None:
    """The whole report: report.html with every section and chart, figures, tables and a manifest; the headline tables printed."""
    out_console = console()
    err = Console(stderr=True)
    with err.status("Computing the report…"):
        tables = session().report(out, snapshot=snapshot or settings.snapshot)
    first = next(iter(tables.values()))
    out_console.print(escape(data_line(first.attrs["envelope"]["data"])), soft_wrap=True)
    for name, table in tables.items():
        params = table.attrs["envelope"]["params"]
        headline = table.attrs["envelope"]["command"] == "share" and params["by"] in ("country", "type", "developer", "model") and not params.get("period")
        if not (headline or name == "registry_coverage"):
            continue
        title = "How much the registry attributes" if name == "registry_coverage" else f"Share by {params['by']} — {params['attribution']} attribution, {params['cohort']} cohort"
        out_console.print(escape(title), style="bold")
        render_plain = table.copy()
        render_plain.attrs = {}
        render(render_plain, "table", out_console)
    err.print(f"Wrote {escape(str(out / 'report.html'))}, its figures, {len(tables)} tables (CSV + JSON) and manifest.json")


@app.command()
def lineage(model_id: Annotated[str, typer.Argument(help="A model id, e.g. Qwen/Qwen2.5-7B-Instruct.")], fmt: FormatOption = "table") -> None:
    """A model's ancestors to its root(s), its descendants in the data, and its origin credit."""
    check_format(fmt)
    frame = session().lineage(model_id)
    if fmt != "table":
        render(frame, fmt, console(), title=f"Origin credit of {model_id}")
        return
    out = console()
    envelope = frame.attrs["envelope"]
    for key, title in (("ancestors", "Ancestors (depth 1 = parents)"), ("descendants", "Descendants in the data")):
        edges = pd.DataFrame(envelope[key], columns=["depth", "child_id", "parent_id", "relation"])
        render(edges, "table", out, title=f"{title}: {len(edges)} edges")
    render(frame, "table", out, title="Origin credit per root model")
    for key, title in (("credit_by_developer", "Credit by developer"), ("credit_by_country", "Credit by country")):
        render(pd.DataFrame(envelope[key]), "table", out, title=title)


@app.command()
def info(fmt: FormatOption = "table") -> None:
    """The store's snapshots and the registry's coverage."""
    check_format(fmt)
    frame = session().info()
    render(frame, fmt, console(), title="Snapshots")
    if fmt in ("table", "md"):
        render(pd.DataFrame(frame.attrs["envelope"]["registry"]["coverage"]), fmt, console(), title="Registry coverage (share of downloads attributed)")


@app.command()
def history(
    model_id: Annotated[str, typer.Argument(help="A model id.")],
    period: Annotated[str, typer.Option(help="week, month, quarter or year (calendar periods, ISO weeks).")] = "month",
    since: Annotated[Optional[str], typer.Option(help="First day (YYYY-MM-DD, inclusive).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day (YYYY-MM-DD, inclusive).")] = None,
    scope: Annotated[Optional[str], typer.Option(help="Which snapshots form the history: full, filtered, sample or series (default: the largest comparable group).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """A model's downloads per period from the store's snapshots; estimates from 30-day counts are marked."""
    check_format(fmt)
    render(session().history(model_id, period=period, since=since, until=until, scope=scope), fmt, console(), title=f"Downloads of {model_id} per {period}")


@app.command()
def quality(
    snapshot: SnapshotOption = None,
    scope: Annotated[Optional[str], typer.Option(help="Which snapshots form the history for the history checks.")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Data-quality checks: placeholder dates, test repos, lineage defects, rollbacks, frozen counters, gaps, missing models, spikes."""
    check_format(fmt)
    frame = session().quality(snapshot=snapshot or settings.snapshot, scope=scope)
    render(frame, fmt, console(), title="Data quality")


PropertyPeriodOption = Annotated[
    Optional[str],
    typer.Option("--period", help="Creation cohorts on one snapshot: year (default) or quarter. Observation windows on a history: week, month (default), quarter or year."),
]
PROPERTY_SHOWN = ["period", "metric", "category", "weighting", "value", "unit", "models", "n", "downloads"]
SHIFT_SHOWN = ["metric", "category", "weighting", "first_period", "last_period", "first", "last", "multiplier", "test", "statistic", "p_value", "ci_low", "ci_high", "n_first", "n_last", "significant", "trend_p_value", "trend_periods", "note"]


def render_property_periods(frame: pd.DataFrame, fmt: str, title: str) -> None:
    """The period table, then (table and md) the first→last multipliers with their tests."""
    out = console()
    envelope = frame.attrs["envelope"]
    kind = envelope["params"]["period_kind"]
    if fmt in ("json", "csv"):
        render(frame, fmt, out)
        return
    shown = frame[PROPERTY_SHOWN].copy()
    shown.attrs = frame.attrs
    render(shown, fmt, out, title=f"{title} per {kind} ({envelope['params']['period']})")
    shifts = pd.DataFrame(envelope["multipliers"])
    if len(shifts):
        shifts = shifts[[column for column in SHIFT_SHOWN if column in shifts]]
    if fmt == "md":
        out.file.write("\n")
    render(shifts, fmt, out, title=f"First → last {kind}: multipliers and tests (α = 0.05, two-sided; bootstrap seed {envelope['seeds']['bootstrap']})")


@app.command()
def trends(
    period: PropertyPeriodOption = None,
    since: WindowSinceOption = None,
    until: WindowUntilOption = None,
    created_since: CreatedSinceOption = None,
    created_until: CreatedUntilOption = None,
    attribution: PropertyAttributionOption = "uploader",
    exclude: ExcludeOption = [],  # noqa: B006
    seed: PropertySeedOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """How the models change: size, modality, quantization, MoE, licences, architectures per period, with first→last tests."""
    check_format(fmt)
    frame = session().trends(
        period=period, since=since, until=until, created_since=created_since, created_until=created_until, attribution=attribution,
        exclude=tuple(exclude), snapshot=snapshot or settings.snapshot, seed=seed,
    )
    render_property_periods(frame, fmt, "Model properties")


@app.command()
def openness(
    period: PropertyPeriodOption = None,
    since: WindowSinceOption = None,
    until: WindowUntilOption = None,
    created_since: CreatedSinceOption = None,
    created_until: CreatedUntilOption = None,
    attribution: PropertyAttributionOption = "uploader",
    exclude: ExcludeOption = [],  # noqa: B006
    seed: PropertySeedOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Open source vs open weights, training-data transparency (own step and full stack) and licence restrictions per period."""
    check_format(fmt)
    frame = session().openness(
        period=period, since=since, until=until, created_since=created_since, created_until=created_until, attribution=attribution,
        exclude=tuple(exclude), snapshot=snapshot or settings.snapshot, seed=seed,
    )
    render_property_periods(frame, fmt, "Openness")


@app.command()
def concentration(
    level: Annotated[str, typer.Option(help="model, developer or country.")] = "developer",
    attribution: Annotated[str, typer.Option(help="uploader or origin.")] = "uploader",
    cohort: Annotated[str, typer.Option(help="all, or new (first-year downloads only).")] = "all",
    exclude: ExcludeOption = [],  # noqa: B006
    registry_variant: Annotated[str, typer.Option(help="primary or alternative registry rows for contested builders.")] = "primary",
    period: PeriodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    scope: ScopeOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """HHI, Gini (with n) and top-1/5/10/100 shares of downloads, per period."""
    check_format(fmt)
    frame = session().concentration(
        level=level,
        attribution=attribution,
        cohort=cohort,
        exclude=tuple(exclude),
        snapshot=snapshot or settings.snapshot,
        period=period,
        since=since,
        until=until,
        scope=scope,
        registry_variant=registry_variant,
    )
    render(frame, fmt, console(), title=f"Concentration at {level} level ({attribution} attribution, {cohort} cohort)")


@app.command()
def sensitivity(snapshot: SnapshotOption = None, fmt: FormatOption = "table") -> None:
    """The headline country shares under every combination of the method's axes: a range per country, default marked."""
    check_format(fmt)
    frame = session().sensitivity(snapshot=snapshot or settings.snapshot)
    envelope = frame.attrs["envelope"]
    render(frame, fmt, console(), title=f"Country shares across {envelope['n']['cells']} method cells (default: {envelope['default_cell']})")


@export_app.command("panel")
def export_panel(
    level: Annotated[str, typer.Option(help="model, developer or country.")] = "model",
    period: PeriodOption = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the panel to FILE.parquet or FILE.csv (streamed from the engine); --format then shows each period's rows and downloads written.")] = None,
    attribution: Annotated[str, typer.Option(help="uploader or origin.")] = "uploader",
    exclude: ExcludeOption = [],  # noqa: B006
    since: SinceOption = None,
    until: UntilOption = None,
    scope: ScopeOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """One row per entity per period: downloads, share, country, type, new-cohort downloads, size, modality."""
    check_format(fmt)
    frame = session().export_panel(
        level=level, period=period, out=out, attribution=attribution, exclude=tuple(exclude), since=since, until=until, scope=scope, snapshot=snapshot or settings.snapshot
    )
    if out is not None and fmt == "table":
        Console(stderr=True).print(f"Wrote {frame.attrs['envelope']['n']['rows']:,} rows to {escape(str(out))}")
        return
    render(frame, fmt, console(), title=f"Panel: {level} × period" if out is None else f"Written to {out}: rows and downloads per period")


def render_sections(frame: pd.DataFrame, fmt: str, title: str, sections: tuple[tuple[str, str], ...], shown: list[str] | None = None) -> None:
    """The main table (table and md: the `shown` columns), then side tables from the envelope; json and csv carry every column (json: everything)."""
    out = console()
    if fmt not in ("table", "md"):
        render(frame, fmt, out, title=title)
        return
    main = frame[shown].copy() if shown else frame
    main.attrs = frame.attrs
    render(main, fmt, out, title=title)
    envelope = frame.attrs["envelope"]
    for key, heading in sections:
        if envelope.get(key):
            if fmt == "md":
                out.file.write("\n")
            render(pd.DataFrame(envelope[key]), fmt, out, title=heading)


def warn(frame: pd.DataFrame) -> None:
    warning = frame.attrs["envelope"].get("warning")
    if warning:
        Console(stderr=True, soft_wrap=True).print(f"warning: {escape(warning)}", highlight=False)


@app.command()
def cadence(
    by: Annotated[str, typer.Option(help="country, type or developer (country and type: medians of developers' cadences; individuals excluded).")] = "country",
    registry_variant: Annotated[str, typer.Option(help="primary or alternative registry rows for contested builders.")] = "primary",
    snapshot: Annotated[Optional[str], typer.Option("--snapshot", help="Only this snapshot's models (default: every model in the data).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Release cadence: release days, median days between them, release days per quarter, with the fastest and slowest developers' dates."""
    check_format(fmt)
    frame = session().cadence(by=by, snapshot=snapshot, registry_variant=registry_variant)
    warn(frame)
    evidence = pd.DataFrame(frame.attrs["envelope"]["evidence"])
    if fmt in ("json", "csv"):
        render(frame, fmt, console())
        return
    if len(evidence):
        evidence = evidence.assign(release_days=evidence["dates"].map(len), dates=evidence["dates"].map(lambda dates: ", ".join(dates[:12]) + (" …" if len(dates) > 12 else "")))
        evidence = evidence[["key", "role", "developer", "release_days", "dates"]]
    frame.attrs["envelope"] = {**frame.attrs["envelope"], "evidence_table": None if evidence.empty else evidence.to_dict(orient="records")}
    render_sections(frame, fmt, f"Release cadence by {by} (median days between release days; n = developers with ≥ 3 release days)", (("evidence_table", "Evidence: release days of the fastest and slowest developers"),))


@app.command()
def intermediaries(
    period: PeriodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    scope: ScopeOption = None,
    top: Annotated[Optional[int], typer.Option(help="Keep the top N namespaces of each role per period (totals still count all).")] = None,
    registry_variant: Annotated[str, typer.Option(help="primary or alternative registry rows for contested builders.")] = "primary",
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Re-packagers (quantizers, converters, adapter makers) and fine-tuners: download share over time, kinds, origins carried."""
    check_format(fmt)
    frame = session().intermediaries(period=period, since=since, until=until, scope=scope, snapshot=snapshot, top=top, registry_variant=registry_variant)
    render_sections(frame, fmt, "Intermediaries and fine-tuners (≥ 5 repos, ≥ 80% of them re-packaged / fine-tuned from others' models)",
                    (("totals", "Share of downloads by role"), ("origins", "Origin-credited downloads and how much reaches users through intermediaries")),
                    shown=["period", "namespace", "role", "developer", "country", "downloads", "share", "repos", "repackaged_fraction", "finetuned_fraction", "formats"])


@app.command()
def families(
    top: Annotated[Optional[int], typer.Option(help="Keep the top N families per period.")] = 20,
    exclude: ExcludeOption = [],  # noqa: B006
    registry_variant: Annotated[str, typer.Option(help="primary or alternative registry rows for contested builders.")] = "primary",
    period: PeriodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    scope: ScopeOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Downloads rolled up to root models (origin credit's fractions): family downloads, derivatives by kind, derivatives' share."""
    check_format(fmt)
    frame = session().families(top=top, snapshot=snapshot or settings.snapshot, period=period, since=since, until=until, scope=scope, exclude=tuple(exclude), registry_variant=registry_variant)
    render(frame, fmt, console(), title="Model families (downloads rolled up to roots)")


@app.command()
def adoption(
    model_id: Annotated[Optional[str], typer.Argument(help="A model id (or use --top).")] = None,
    top: Annotated[Optional[int], typer.Option(help="The N models with the highest normalised adoption (per age, with a history).")] = None,
    scope: ScopeOption = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Normalised adoption (ATOM's Relative Adoption Metric) with size bucket and age."""
    check_format(fmt)
    frame = session().adoption(model_id=model_id, top=top, snapshot=snapshot or settings.snapshot, scope=scope)
    render_sections(frame, fmt, f"Normalised adoption ({frame.attrs['envelope']['mode']})", (("reference", "Reference: median of the 10 most-downloaded models per size bucket"),))


@app.command()
def distillation(
    registry_variant: Annotated[str, typer.Option(help="primary or alternative registry rows for contested builders.")] = "primary",
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Distilled models with their teacher and base, and who distils from whom by origin country."""
    check_format(fmt)
    frame = session().distillation(snapshot=snapshot or settings.snapshot, registry_variant=registry_variant)
    render_sections(frame, fmt, "Distilled models", (("by_country", "Distillations by teacher and base origin country"), ("pairs", "Who distils from whom (developers)")))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (default: this machine only). Anything but a loopback address exposes the data to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The dashboard: a filterable view of the data with a JSON API (OpenAPI schema at /api/openapi.json)."""
    from hubecon.present.dashboard import serve as run_dashboard

    opened = session()
    shown = f"[{host}]" if ":" in host else host
    print(f"hubecon dashboard: http://{shown}:{port}/  (Ctrl+C stops it)", flush=True)
    run_dashboard(opened, host=host, port=port)


@app.command()
def compare(
    then: Annotated[str, typer.Option(help="The earlier snapshot (id or date).")] = "hub-listing-2024-09",
    now: Annotated[str, typer.Option(help="The later snapshot (id or date).")] = "hub-listing-2026-04",
    top: Annotated[int, typer.Option(help="Cut each listing to its top N models by 30-day downloads (ties by model id).")] = 5000,
    exclude: ExcludeOption = [],  # noqa: B006
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap tests (recorded in params).")] = DEFAULT_SEED,
    fmt: FormatOption = "table",
) -> None:
    """Two listings side by side: shares, concentration and model properties, each change with its test."""
    check_format(fmt)
    frame = session().compare(then=then, now=now, top=top, exclude=tuple(exclude), seed=seed)
    if fmt not in ("table", "md"):
        render(frame, fmt, console())
        return
    out = console()
    envelope = frame.attrs["envelope"]
    for side in ("then", "now"):
        out.print(escape(f"{side.capitalize()}: " + data_line(envelope["data"][side])), soft_wrap=True)
    shown = frame[["section", "metric", "label", "then", "now", "change", "direction", "test", "p_value", "significant"]]
    for section, rows in shown.groupby("section", sort=False):
        render(rows.drop(columns="section"), fmt, out, title=f"{section} — {envelope['params']['then']} → {envelope['params']['now']}, top {envelope['params']['top']:,}")
    for key, title in (("entered", "Namespaces that entered the top N"), ("left", "Namespaces that left the top N")):
        render(pd.DataFrame(envelope[key]).head(20), fmt, out, title=f"{title} ({len(envelope[key])})")


@app.command()
def synth(
    models: Annotated[int, typer.Option("--models", help="Number of models (the whole synthetic Hub).")],
    snapshots: Annotated[int, typer.Option("--snapshots", help="Number of snapshots of it.")],
    out: Annotated[Path, typer.Option("--out", help="Store folder to write (created if needed); the registry override goes beside its catalogue.")],
    seed: Annotated[int, typer.Option(help="Seed of every random draw: the same seed gives the same store.")] = 0,
    start: Annotated[str, typer.Option(help="Date of the first snapshot (YYYY-MM-DD, UTC).")] = "2025-01-06",
    interval_days: Annotated[int, typer.Option(help="Days between snapshots.")] = 7,
    fmt: FormatOption = "table",
) -> None:
    """Write a SYNTHETIC Hub history (heavy-tailed downloads, lineage, renames, rollbacks) in the store's layout, for testing at scale."""
    from hubecon.sources.synth import synthesize

    check_format(fmt)
    render(synthesize(out, models=models, snapshots=snapshots, seed=seed, start=start, interval_days=interval_days), fmt, console(), title="Synthetic snapshots written")


@registry_app.command("coverage")
def registry_coverage(snapshot: SnapshotOption = None, fmt: FormatOption = "table") -> None:
    """How much of each snapshot's downloads the registry attributes, under both attributions."""
    check_format(fmt)
    render(session().registry_coverage(snapshot=snapshot or settings.snapshot), fmt, console(), title="Registry coverage")


@registry_app.command("show")
def registry_show(namespace: Annotated[str, typer.Argument(help="A Hub namespace, e.g. Qwen.")], fmt: FormatOption = "table") -> None:
    """One namespace's registry entry, with its evidence."""
    check_format(fmt)
    render(session().registry_show(namespace), fmt, console(), title=f"Registry: {namespace}")


@registry_app.command("compare")
def registry_compare(
    with_: Annotated[str, typer.Option("--with", help="What to compare with: study (labels from `hubecon import study`).")] = "study",
    all_rows: Annotated[bool, typer.Option("--all", help="List agreements too, not only disagreements.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Where the study's country and organisation-type labels differ from the registry's."""
    check_format(fmt)
    frame = session().registry_compare(with_=with_, disagreements_only=not all_rows)
    n = frame.attrs["envelope"]["n"]
    render(frame, fmt, console(), title=f"Registry vs study: {n['agree_country']} of {n['namespaces']} namespaces agree on country, {n['agree_type']} on type")


@registry_app.command("suggest")
def registry_suggest(
    top: Annotated[int, typer.Option(help="How many unattributed namespaces to list.")] = 30,
    out: Annotated[Optional[Path], typer.Option(help="Write a ready-to-edit registry override CSV here (never overwrites).")] = None,
    snapshot: SnapshotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Unattributed namespaces by downloads with the hints the data gives (card fields, what they derive from)."""
    check_format(fmt)
    frame = session().registry_suggest(top=top, snapshot=snapshot or settings.snapshot, out=out)
    render(frame, fmt, console(), title="Unattributed namespaces")
    if out is not None:
        Console(stderr=True).print(f"Wrote {len(frame)} rows to {escape(str(out))}: fill in developer, country, type and evidence, then pass it with --registry")


def render_import(frame: pd.DataFrame, fmt: str) -> None:
    out = console()
    render(frame, fmt, out, title="Imported snapshots")
    rejected = frame.attrs["envelope"]["first_rejected"]
    if rejected and fmt in ("table", "md"):
        render(pd.DataFrame(rejected), fmt, out, title="First rejected rows (not stored)")


@import_app.command("listing")
def import_listing(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet of Hub models (model_id, downloads, … columns found by name).")],
    taken_at: Annotated[str, typer.Option(help="When the listing was taken (UTC date or date-time).")],
    scope: Annotated[str, typer.Option(help="sample (a curated subset), full or filtered.")] = "sample",
    skip_bad_rows: SkipBadRowsOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Add a Hub listing to the store as one snapshot."""
    check_format(fmt)
    render_import(session_for_writing().import_listing(file, taken_at=taken_at, scope=scope, skip_bad_rows=skip_bad_rows), fmt)


@import_app.command("hub-stats")
def import_hub_stats(
    files: Annotated[list[Path], typer.Argument(help="hub-stats models.parquet files (dates from their names, e.g. models-20251023-<sha>.parquet).")],
    taken_at: Annotated[Optional[str], typer.Option(help="When the dump was taken (UTC), for one file whose name has no date.")] = None,
    scope: Annotated[str, typer.Option(help="full (the whole listing), filtered or sample.")] = "full",
    skip_bad_rows: SkipBadRowsOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Add hub-stats models.parquet files to the store, one snapshot each."""
    check_format(fmt)
    render_import(session_for_writing().import_hub_stats(files, taken_at=taken_at, scope=scope, skip_bad_rows=skip_bad_rows), fmt)


@import_app.command("series")
def import_series(
    folder: Annotated[Path, typer.Argument(help="A folder of dated CSV files (model_url, downloads[, downloadsAllTime], date).")],
    skip_bad_rows: SkipBadRowsOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Add a download series (one snapshot per dated file, scope series)."""
    check_format(fmt)
    render_import(session_for_writing().import_series(folder, skip_bad_rows=skip_bad_rows), fmt)


@import_app.command("study")
def import_study(
    file: Annotated[Path, typer.Argument(help="The study's all_downloads_with_annotations.parquet or one_year_rolling.parquet.")],
    skip_bad_rows: SkipBadRowsOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Add the reference study's data: weekly snapshots, its lineage edges and its labels."""
    check_format(fmt)
    render_import(session_for_writing().import_study(file, skip_bad_rows=skip_bad_rows), fmt)


@ingest_app.command("hub")
def ingest_hub(
    endpoint: Annotated[Optional[str], typer.Option(help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co).")] = None,
    author: Annotated[Optional[str], typer.Option(help="Only this namespace's models (scope filtered).")] = None,
    filter: Annotated[list[str], typer.Option("--filter", help="Only models with this tag (repeatable, all must match; scope filtered).")] = [],  # noqa: A002,B006
    limit: Annotated[Optional[int], typer.Option(help="Stop after N models, newest first (scope filtered).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the store's unfinished crawl (or start one).")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Snapshot the Hub's public model listing (GET /api/models) within its rate limits; token from $HF_TOKEN."""
    check_format(fmt)
    writer = session_for_writing()
    with crawl_progress_bar() as on_progress:
        frame = writer.ingest_hub(endpoint=endpoint, author=author, filter=tuple(filter), limit=limit, resume=resume, progress=on_progress)
    render(frame, fmt, console(), title="Stored snapshot")
    if fmt in ("table", "md"):
        crawl = frame.attrs["envelope"]["crawl"]
        summary = (
            f"Crawl {crawl['crawl_id']}: {crawl['pages']:,} pages, {crawl['models']:,} models, {crawl['requests']:,} requests, "
            f"{crawl['retries']:,} retries, {crawl['waits']:,} rate-limit waits ({crawl['wait_seconds']:,} s), {crawl['resumes']} resumes"
        )
        if crawl["rejected_expand"]:
            summary += f"; the server rejected expand={', '.join(crawl['rejected_expand'])} (left out)"
        if crawl["malformed_pages"]:
            summary += f"; {len(crawl['malformed_pages'])} malformed responses retried (first at {crawl['malformed_pages'][0]['at']})"
        Console(stderr=True, soft_wrap=True).print(escape(summary), highlight=False)


@contextmanager
def crawl_progress_bar():
    """A Rich progress bar on stderr fed by the crawler's CrawlProgress updates; yields the callback."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[pages]:,} pages · {task.completed:,.0f}{task.fields[of_total]} models · {task.fields[retries]:,} retries · {task.fields[waits]:,} waits"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=Console(stderr=True))
    task = bar.add_task("crawling", total=None, pages=0, of_total="", retries=0, waits=0)

    def on_progress(update) -> None:
        # Shown from the crawler's first update: a crawl refused at once (store locked) prints only its error.
        if not bar.live.is_started:
            bar.start()
        if update.phase == "storing":
            description = "storing the snapshot"
        elif update.waiting:
            description = f"rate limit: waiting {update.waiting:,.0f} s"
        else:
            description = "crawling"
        of_total = f" of {update.total:,}" if update.total else ""
        bar.update(task, description=description, total=update.total, completed=update.models, pages=update.pages, of_total=of_total, retries=update.retries, waits=update.waits)

    try:
        yield on_progress
    finally:
        if bar.live.is_started:
            bar.stop()


def session_for_writing() -> hubecon.Hubecon:
    """A session on the store to write to, created empty if it does not exist yet."""
    return hubecon.open(settings.store or default_store_path(), registry=settings.registry, create=True)


def main() -> None:
    try:
        app()
    except HubeconError as exc:
        Console(stderr=True, soft_wrap=True).print(f"error: {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except duckdb.OutOfMemoryException:
        limit = os.environ.get(MEMORY_LIMIT_ENV)
        held = f"${MEMORY_LIMIT_ENV}={limit}" if limit else f"its default: {default_memory_limit() or 'the one DuckDB chose'}"
        Console(stderr=True, soft_wrap=True).print(f"error: the DuckDB engine ran out of memory ({escape(held)}); give it more with ${MEMORY_LIMIT_ENV}, e.g. 4GB", highlight=False)
        sys.exit(2)
