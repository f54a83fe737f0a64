"""The Python API: `hubecon.open()` and one method per CLI command, each returning a pandas DataFrame.

The CLI only parses arguments and renders what these methods return, so the
two can never disagree. Every result carries its JSON envelope (command,
params, data, n) in `DataFrame.attrs["envelope"]`.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import platformdirs
import pyarrow as pa

from hubecon import cache
from hubecon.enrich.facts import Enriched, enrich
from hubecon.enrich.suggest import compare_with_study, namespace_hints, write_override_template
from hubecon.enrich.registry import INDIVIDUALS, OTHER, TYPES, UNATTRIBUTED, VARIANTS, Registry, country_label, load_registry
from hubecon.errors import HubeconError, InputError
from hubecon.frames import among, first_rows
from hubecon.metrics.compare import Comparison, concentration_units, left_out_row, namespace_moves, property_rows, top_cut
from hubecon.metrics.compare import concentration_rows as compare_concentration_rows
from hubecon.metrics.compare import share_rows as compare_share_rows
from hubecon.metrics.panel import PANEL_LEVELS, panel_rows, write_panel
from hubecon.metrics.quality import HistoryChecks, quality_report
from hubecon.metrics.windows import PERIODS, History, day_bounds, period_downloads
from hubecon.metrics import adoption as ad
from hubecon.metrics import cadence as cd
from hubecon.metrics import distillation as ds
from hubecon.metrics import intermediaries as im
from hubecon.metrics import trends as tr
from hubecon.metrics.cadence import UNATTRIBUTED_PREFIX
from hubecon.metrics.families import family_rows
from hubecon.metrics.significance import BOOTSTRAP_RESAMPLES, DEFAULT_SEED
from hubecon.metrics.trends import OPENNESS_METRICS, TREND_METRICS
from hubecon.enrich.lineage import RELATION_PRIORITY
from hubecon.enrich.properties import MODALITY_BY_TASK
from hubecon.metrics.concentration import LEVELS, bootstrap_intervals, concentration_rows, entity_key
from hubecon.metrics.shares import (
    ATTRIBUTIONS,
    COHORTS,
    EXCLUSIONS,
    GROUPINGS,
    LABELS,
    Window,
    cell_shares,
    credited_downloads,
    credited_universe,
    first_year_downloads,
    group_key,
    method_cell_sums,
    share_rows,
    study_labelled_downloads,
)
from hubecon.present.output import plain, result
from hubecon.sources import embedded
from hubecon.sources.embedded import DEFAULT_SNAPSHOT, THEN_SNAPSHOT
from hubecon.sources.hub_stats import read_hub_stats
from hubecon.sources.models_table import read_models_table
from hubecon.sources.series import read_series
from hubecon.sources.study import read_study
from hubecon.store.schema import SCOPES, SNAPSHOTS
from hubecon.store.engine import check_engine, register_arrow, register_parquet, unique_name
from hubecon.store.store import CATALOGUE, DataDescription, Store, add_snapshots, snapshots_in_window

ROLLING_WINDOW = pd.Timedelta(days=30)
KEPT_HISTORY_TABLES = 4
SAMPLE_NOTE = "a curated sample, not the whole Hub: not comparable to whole-Hub figures such as the study's"
SINGLE_WINDOW = "(single window)"
DISTILLATION_COLUMNS = [
    "model_id", "uploader", "uploader_country", "evidence", "derivative_of_distilled", "teacher", "teacher_id", "teacher_source",
    "teacher_developer", "teacher_country", "base", "base_source", "base_developer", "base_country", "downloads",
]
COMPARE_TOP = 5000
COMPARE_DEVELOPERS = 20
# DESIGN.md §3, Sensitivity: each axis's first value is the default method.
SENSITIVITY_AXES = {
    "attribution": ("uploader", "origin"),
    "cohort": ("all", "new"),
    "individuals and unattributed": ((), ("individuals", "unattributed")),
    "test/CI repos": ((), ("test-repos",)),
    "GGUF repos": ((), ("gguf",)),
    "registry rows": ("primary", "alternative"),
}


def describe_axis_value(value) -> str:
    if isinstance(value, tuple):
        return "excluded" if value else "kept"
    return str(value)


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir("hubecon")) / "store"


def open(store: Path | str | None = None, *, registry: Path | str | None = None, embedded: bool = False, create: bool = False, engine: str = "duckdb") -> "Hubecon":  # noqa: A001
    """Open hubecon's data the way the CLI finds it.

    The store is the argument, else $HUBECON_STORE, else the user data dir if
    a store is there, else the embedded sample; `embedded=True` forces the
    embedded sample; `create=True` makes an empty store where none exists
    (for importing). The registry override is the argument, else
    $HUBECON_REGISTRY. `engine` runs the queries on duckdb (embedded) or
    spark (store/engine.py: master URL from $HUBECON_SPARK_MASTER).
    """
    check_engine(engine)
    registry = registry if registry is not None else os.environ.get("HUBECON_REGISTRY") or None
    loaded_registry = load_registry(registry)
    if embedded:
        return Hubecon.embedded(loaded_registry, engine=engine)
    location = store if store is not None else os.environ.get("HUBECON_STORE") or None
    if location is None and (default_store_path() / CATALOGUE).exists():
        location = default_store_path()
    if location is None:
        return Hubecon.embedded(loaded_registry, engine=engine)
    if create and not (Path(location) / CATALOGUE).exists():
        # Nothing is written until a snapshot is stored, so a failed first import leaves no store behind.
        return Hubecon(Store.in_memory([], DataDescription("store", str(location))), loaded_registry, store_path=Path(location))
    return Hubecon(Store.open(location, engine=engine), loaded_registry, store_path=Path(location))


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise HubeconError(f"--{name}: '{value}' is not one of {', '.join(choices)}")


@dataclass
class Measured:
    downloads: ibis.Table  # period, model_id, downloads, and window_start, window_end (one snapshot) or first_year_downloads (summed per period)
    data: dict  # the envelope's data block
    window: dict  # what the window or periods are
    snapshot_id: str | None  # the single snapshot, when there is one


class Hubecon:
    def __init__(self, store: Store | Callable[[], Store], registry: Registry, store_path: Path | None = None):
        self._store = store
        self.registry = registry
        self.store_path = store_path
        self._histories: OrderedDict[tuple, tuple[ibis.Table, Measured]] = OrderedDict()  # most recently used last

    @cached_property
    def store(self) -> Store:
        """The data; a factory given instead is called on first use, so bad arguments fail before any loading."""
        return self._store() if callable(self._store) else self._store

    @classmethod
    def embedded(cls, registry: Registry | None = None, engine: str = "duckdb") -> "Hubecon":
        def load() -> Store:
            return Store.in_memory(embedded.load_batches(), DataDescription("embedded", "the package's embedded sample"), embedded.manifests(), engine=engine)

        return cls(load, registry or load_registry())

    # -- shared plumbing ------------------------------------------------------------------------

    @cached_property
    def enriched(self) -> Enriched:
        if self._cache_key is None:
            return enrich(self.store)
        return cache.cached_enrichment(self._cache_key, lambda: enrich(self.store))

    @cached_property
    def _cache_key(self) -> list[str] | None:
        """Each snapshot's catalogue row: what the on-disk caches key the store's data by (None: not cached)."""
        if self.store.root is None and self.store.description.kind != "embedded":
            # Batches handed to Store.in_memory carry whatever content hash their maker gave: nothing to key a cache on.
            return None
        # The whole catalogue row: a history's snapshots are chosen by their scope and source too (History.of).
        return ["\t".join(str(row[column]) for column in SNAPSHOTS.names) for row in self._catalogue.to_dict("records")]

    @cached_property
    def _catalogue(self) -> pd.DataFrame:
        return self.store.snapshots().merge(self.store.snapshot_keys, on="snapshot_id", how="left")

    @cached_property
    def synthetic(self) -> bool:
        """Whether the data are synthetic (`hubecon synth`: params {"synthetic": true}); every data block then says so."""
        return bool(self._catalogue["params"].fillna("").str.contains('"synthetic": true', regex=False).any())

    def snapshot(self, selector: str | None = None) -> pd.Series:
        """The snapshot a single-snapshot analysis uses: an id, a date (latest taken by its end), or `latest`.

        Default: the embedded listing on embedded data; in a store the latest
        `full` snapshot, else the latest.
        """
        catalogue = self._catalogue
        if catalogue.empty:
            raise HubeconError(f"{self.store.description.location}: the store has no snapshots yet; add one with `hubecon import`")
        if selector is None:
            if self.store.description.kind == "embedded":
                selector = embedded.DEFAULT_SNAPSHOT
            else:
                full = catalogue[catalogue["scope"] == "full"]
                return (full if len(full) else catalogue).iloc[-1]
        if selector == "latest":
            return catalogue.iloc[-1]
        by_id = catalogue[catalogue["snapshot_id"] == selector]
        if len(by_id):
            return by_id.iloc[0]
        try:
            day_end = pd.Timestamp(selector, tz="UTC").normalize() + pd.Timedelta(days=1)
        except ValueError:
            day_end = None
        if day_end is not None:
            taken = catalogue[catalogue["taken_at"] < day_end]
            if len(taken):
                return taken.iloc[-1]
            raise HubeconError(f"--snapshot {selector}: no snapshot was taken on or before that date")
        raise HubeconError(f"--snapshot: no snapshot '{selector}'; known: {', '.join(catalogue['snapshot_id'])}, or a date, or 'latest'")

    def data_info(self, snapshot: pd.Series) -> dict:
        note = []
        if snapshot["scope"] == "sample":
            manifest = self.store.manifests.get(snapshot["snapshot_id"], {})
            note.append(f"{manifest.get('selection', 'a selection of models')}; {SAMPLE_NOTE}")
        if self.store.description.kind == "embedded":
            note.append("embedded data (no store found: see `hubecon import`)")
        return {
            "source": snapshot["source"],
            "scope": snapshot["scope"],
            "as_of": plain(snapshot["taken_at"]),
            "measure": "downloads_30d (the Hub's rolling 30-day count at the snapshot)",
            "synthetic": self.synthetic,
            "note": "; ".join(note),
            "snapshot_id": snapshot["snapshot_id"],
        }

    def _window(self, snapshot: pd.Series) -> Window:
        taken_at = pd.Timestamp(snapshot["taken_at"])
        return Window(taken_at - ROLLING_WINDOW, taken_at)

    def _downloads(self, snapshot: pd.Series) -> ibis.Table:
        """D(m, W) for a single snapshot: its 30-day counts, each standing for the 30 days before it (DESIGN.md §3)."""
        window = self._window(snapshot)
        observations = self.store.observations_for([snapshot["snapshot_id"]])  # reads that snapshot's files only
        observations = observations.filter(observations.snapshot_id == snapshot["snapshot_id"])
        return observations.select(
            "model_id",
            period=ibis.null("string"),
            downloads=observations.downloads_30d.cast("float64"),
            window_start=ibis.literal(window.start),
            window_end=ibis.literal(window.end),
        )

    def _engine_table(self, name: str, frame: pd.DataFrame) -> ibis.Table:
        """A frame held in the engine for the session's life: on DuckDB a table, whose size the planner knows
        (a memtable is an Arrow scan it cannot size: at 1M models × 52, families took 23 s against 16 s)."""
        return register_arrow(self.store.con, unique_name(name), pa.Table.from_pandas(frame, preserve_index=False))

    @cached_property
    def _fact_tables(self) -> tuple[ibis.Table, ibis.Table]:
        facts = self.enriched.facts[["model_id", "namespace", "created_at", "created_known", "test_repo", "gguf"]]
        credit = self.enriched.credit[["model_id", "root_id", "root_namespace", "fraction"]]
        return self._engine_table("facts", facts), self._engine_table("credit", credit)

    @cached_property
    def _keyed_facts(self) -> ibis.Table:
        """model_key, created_at, created_known: what a history's per-step rows need of the facts, on the store's model keys."""
        facts, _ = self._fact_tables
        return self.store.model_keys_of(facts.select("model_id", "created_at", "created_known")).cache()

    def _history_observations(self, scope: str | None, since: str | None = None, until: str | None = None) -> ibis.Table:
        """The keyed observations a history needs: its snapshots', or, for a time range, only those the range reads (DESIGN.md §2)."""
        snapshots = History.of(self._catalogue, scope).snapshots
        if since is not None or until is not None:
            return self.store.keyed_observations(snapshots_in_window(snapshots, *day_bounds(since, until)))
        return self.store.keyed_observations(snapshots["snapshot_id"])

    @functools.cache  # noqa: B019 (one table per registry variant for the session's life)
    def _attribution_table(self, registry_variant: str) -> ibis.Table:
        return self._engine_table("attribution", self.registry.attribution(registry_variant))

    @functools.cache  # noqa: B019 (one per registry variant for the session's life)
    def _third_party(self, registry_variant: str) -> pd.Series:
        """Per model, on the facts' index: whether its uploader's developer is none of its origin developers (DESIGN.md §3)."""
        return cd.third_party_flags(self.enriched.facts, self.enriched.credit, self.registry.attribution(registry_variant))

    def _credited(self, downloads: ibis.Table, *, attribution: str, cohort: str, exclude: tuple[str, ...], registry_variant: str, with_new_cohort: bool = False) -> ibis.Table:
        facts, credit = self._fact_tables
        attribution_table = self._attribution_table(registry_variant)
        return credited_downloads(
            downloads,
            facts,
            credit,
            attribution_table,
            attribution=attribution,
            cohort=cohort,
            exclude=exclude,
            with_new_cohort=with_new_cohort,
        )

    # -- commands ------------------------------------------------------------------------------

    def measured(self, snapshot: str | None = None, period: str | None = None, since: str | None = None, until: str | None = None, scope: str | None = None) -> "Measured":
        """D(m, W) as the parameters ask: one snapshot's 30-day window, or periods / a window of a history."""
        if period is None and since is None and until is None:
            chosen = self.snapshot(snapshot)
            window = self._window(chosen)
            return Measured(
                self._downloads(chosen),
                self.data_info(chosen),
                {"start": plain(window.start), "end": plain(window.end), "period": "single 30-day window"},
                chosen["snapshot_id"],
            )
        if period is not None:
            check_choice("period", period, PERIODS)
        key = (period, since, until, scope)
        if key in self._histories:
            self._histories.move_to_end(key)
        else:
            self._histories[key] = self._history_measured(period, since, until, scope)
            # A long-lived session (`hubecon serve`) asks for many windows: only the latest few stay in the engine.
            while len(self._histories) > KEPT_HISTORY_TABLES:
                cached, _ = self._histories.popitem(last=False)[1]
                cached.release()
        shared = self._histories[key][1]
        # Envelopes get their own copies of the blocks, so one result's edits never show in another's.
        return replace(shared, data=copy.deepcopy(shared.data), window=copy.deepcopy(shared.window))

    def _history_measured(self, period: str | None, since: str | None, until: str | None, scope: str | None) -> tuple[ibis.Table, "Measured"]:
        """D(m, W) per period of a history, and what it measures; every command over time reuses it.

        The whole history per period (no since/until) is read from the on-disk cache (cache.py), or built
        and written there for the next command's process; on DuckDB only, as Spark's executors may not see
        the cache folder. Either way the table is held in the engine for the session.
        """
        if self._cache_key is not None and since is None and until is None and self.store.engine == "duckdb":
            # A window is left out: a long-lived dashboard asks for many, each an entry as large as the history.
            con = self.store.con

            def build(file: Path) -> dict:
                built, summary = self._history_built(period, since, until, scope)
                try:
                    con.to_parquet(built, file)
                except duckdb.IOException as exc:  # a full disk: the cache cannot hold the entry
                    raise OSError(str(exc)) from exc
                return summary

            found = cache.cached_history(self._cache_key, (period, scope), build)
            if found is not None:
                file, summary = found
                name = unique_name("history")
                try:
                    downloads = register_parquet(con, name, [file]).cache()
                except duckdb.Error:
                    # Damaged inside, past the footer load_history reads: made again by the next session.
                    cache.discard_damaged(file.parent)
                else:
                    con.drop_view(name)  # the rows are in the cached table
                    return downloads, self._history_envelope(downloads, summary, period, since, until)
        built, summary = self._history_built(period, since, until, scope)
        downloads = built.cache()
        return downloads, self._history_envelope(downloads, summary, period, since, until)

    def _history_built(self, period: str | None, since: str | None, until: str | None, scope: str | None) -> tuple[ibis.Table, dict]:
        """The expression of D(m, W) per period of a history (period, model_id, downloads, first_year_downloads,
        estimated), and a summary of it for the envelope: scope, as_of, note, periods, shortened."""
        observations = self._history_observations(scope, since, until)
        # The facts' creation dates are the `models` table's (enrich/facts.py): one join gives the steps both.
        windows = period_downloads(observations, self._keyed_facts, self._catalogue, period=period, since=since, until=until, scope=scope)
        # Summed per (period, model), with each difference's new-cohort part taken from its own window first,
        # so every command over time reads one row per model and period.
        # A model without facts (no `models` row) has no created_known: it is left out, as a join with the facts would.
        steps = windows.steps.filter(windows.steps.created_known.notnull())
        steps = steps.mutate(first_year=first_year_downloads(steps))
        summed = steps.group_by("period_index", "model_key").agg(
            downloads=steps.downloads.sum(), first_year_downloads=steps.first_year.sum(), estimated=steps.estimated.any()
        )
        labels = windows.periods[["period_index", "period"]]
        if not period:
            labels = labels.assign(period=None)
        per_period = summed.join(ibis.memtable(labels.astype({"period": "string"})), "period_index")
        built = self.store.model_ids_of(per_period.select("period", "model_key", "downloads", "first_year_downloads", "estimated"))
        latest = self._catalogue.set_index("snapshot_id").loc[windows.periods["snapshots"].iloc[-1][-1]]
        summary = {
            "scope": windows.scope,
            "as_of": plain(latest["taken_at"]),
            "note": windows.describe()["note"] + ("; the window was shortened: no snapshot at or before its start" if windows.shortened else ""),
            "periods": plain(windows.periods[["period", "period_start", "period_end"]]),
            "shortened": windows.shortened,
        }
        return built, summary

    def _history_envelope(self, downloads: ibis.Table, summary: dict, period: str | None, since: str | None, until: str | None) -> "Measured":
        """The history's table (held in the engine) with its envelope blocks, from its summary (_history_built)."""
        estimated = bool(self.store.con.execute(downloads.estimated.any()))
        data = {
            "source": self.store.description.location,
            "scope": summary["scope"],
            "as_of": summary["as_of"],
            "measure": "downloads per observation window: differences of all-time counts" + (" (some estimated from 30-day counts)" if estimated else ""),
            "synthetic": self.synthetic,
            "note": summary["note"],
        }
        window = {
            "periods": summary["periods"],
            "period": period or "one window",
            "since": since,
            "until": until,
            "shortened": summary["shortened"],
            "estimated": estimated,
        }
        return Measured(downloads.drop("estimated"), data, window, None)

    def share(
        self,
        by: str = "country",
        attribution: str = "uploader",
        cohort: str = "all",
        top: int | None = None,
        exclude: tuple[str, ...] | list[str] = (),
        snapshot: str | None = None,
        registry_variant: str = "primary",
        period: str | None = None,
        since: str | None = None,
        until: str | None = None,
        scope: str | None = None,
        labels: str = "registry",
        ci: bool = False,
        seed: int = DEFAULT_SEED,
        country: tuple[str, ...] | list[str] = (),
        developer_type: tuple[str, ...] | list[str] = (),
        modality: tuple[str, ...] | list[str] = (),
        derivative_kind: tuple[str, ...] | list[str] = (),
    ) -> pd.DataFrame:
        """Download shares by country, developer type, developer or model (DESIGN.md §3, Share tables).

        On one snapshot the window is its 30 days; with `period` (or
        `since`/`until`) the store's history gives one table per calendar
        period (or one window). `labels="study"` keys rows by the study's own
        country groups and org types instead of the registry. `country`,
        `developer_type`, `modality` and `derivative_kind` cut the universe
        (see `_restricted`); empty means no cut.
        """
        check_choice("by", by, GROUPINGS)
        check_choice("attribution", attribution, ATTRIBUTIONS)
        check_choice("cohort", cohort, COHORTS)
        check_choice("registry-variant", registry_variant, VARIANTS)
        check_choice("labels", labels, LABELS)
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        if top is not None and top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        if labels == "study" and by not in ("country", "type", "model"):
            raise HubeconError("--labels study: the study labels countries and organisation types; use --by country, type or model")
        if labels == "study" and by == "type" and attribution == "origin":
            raise HubeconError("--labels study: the study gives no organisation type for base-model developers; use --attribution uploader")
        exclude = tuple(sorted(set(exclude)))
        measured = self.measured(snapshot, period, since, until, scope)
        if labels == "study":
            facts, _ = self._fact_tables
            rows = study_labelled_downloads(measured.downloads, facts, self.store.table("annotations"), attribution=attribution, cohort=cohort, exclude=exclude)
        else:
            rows = self._credited(measured.downloads, attribution=attribution, cohort=cohort, exclude=exclude, registry_variant=registry_variant)
        rows, cut = self._restricted(rows, country, developer_type, modality, derivative_kind)
        table, n = share_rows(self.store.con, rows, by=by, top=top)
        if ci:
            intervals = self._share_intervals(rows, table, by=by, seed=seed)
            table = table.merge(intervals, on=["period", "key"], how="left")
        params = {
            "by": by,
            "attribution": attribution,
            "cohort": cohort,
            "top": top,
            "exclude": list(exclude),
            "snapshot": measured.snapshot_id,
            "period": period,
            "since": since,
            "until": until,
            "scope": scope,
            "labels": labels,
            "registry_variant": registry_variant,
            "registry_sha256": self.registry.sha256,
            "ci": ci,
            **cut,
            "seed": seed if ci else None,
            "resamples": BOOTSTRAP_RESAMPLES if ci else None,
        }
        return result(table, command="share", params=params, data=measured.data, n=n, window=measured.window)

    def _restricted(self, rows: ibis.Table, country=(), developer_type=(), modality=(), derivative_kind=()) -> tuple[ibis.Table, dict]:
        """Credited rows cut to models of the given modalities and derivative kinds, credited to developers of the given
        countries and types (the dashboard's filters; empty = no cut; unattributed rows have no country or type)."""

        cut = {"country": sorted(set(country)), "developer_type": sorted(set(developer_type)), "modality": sorted(set(modality)), "derivative_kind": sorted(set(derivative_kind))}
        for name, values, choices in (("developer-type", cut["developer_type"], TYPES), ("modality", cut["modality"], (*sorted(set(MODALITY_BY_TASK.values())), "unknown")),
                                      ("derivative-kind", cut["derivative_kind"], ("original", *RELATION_PRIORITY))):
            for value in values:
                check_choice(name, value, tuple(choices))
        if cut["modality"] or cut["derivative_kind"]:
            facts = self.enriched.facts
            keep = facts["modality"].isin(cut["modality"] or facts["modality"]) & facts["derivative_kind"].isin(cut["derivative_kind"] or facts["derivative_kind"])
            rows = rows.semi_join(ibis.memtable(facts.loc[keep, ["model_id"]]), "model_id")
        if cut["country"]:
            rows = rows.filter(rows.country.isin(cut["country"]))
        if cut["developer_type"]:
            rows = rows.filter(rows.developer_type.isin(cut["developer_type"]))
        return rows, cut

    def _share_intervals(self, rows: ibis.Table, table: pd.DataFrame, *, by: str, seed: int) -> pd.DataFrame:
        """Bootstrap intervals for the rows of a share table, resampling developers (units) with the recorded seed."""
        keyed = rows.mutate(key=group_key(rows, by), unit=entity_key(rows, "developer"))
        units = self.store.con.execute(keyed.group_by(["period", "unit", "key"]).agg(downloads=keyed.downloads.sum()))
        # A single window has no period label; a placeholder keeps it a key for grouping and merging.
        units["period"] = units["period"].fillna(SINGLE_WINDOW)
        shown = {period: set(group["key"]) for period, group in table.assign(period=table["period"].fillna(SINGLE_WINDOW)).groupby("period")}
        units["key"] = [key if key in shown.get(period, set()) else OTHER for period, key in zip(units["period"], units["key"])]
        intervals = bootstrap_intervals(units, seed=seed)
        intervals["period"] = intervals["period"].where(intervals["period"] != SINGLE_WINDOW, None)
        return intervals

    def registry_coverage(self, snapshot: str | None = None, registry_variant: str = "primary") -> pd.DataFrame:
        """How much of each snapshot's downloads the registry attributes, under both attributions."""
        chosen = [self.snapshot(snapshot)] if snapshot else [row for _, row in self._catalogue.iterrows()]
        rows = []
        for snap in chosen:
            for attribution in ATTRIBUTIONS:
                credited = self._credited(self._downloads(snap), attribution=attribution, cohort="all", exclude=(), registry_variant=registry_variant)
                totals = self.store.con.execute(
                    credited.aggregate(
                        downloads=credited.downloads.sum(),
                        attributed_downloads=credited.downloads.sum(where=credited.developer_type.notnull()),
                        namespaces=credited.namespace.nunique(where=credited.downloads > 0),
                        namespaces_attributed=credited.namespace.nunique(where=(credited.downloads > 0) & credited.developer_type.notnull()),
                    )
                ).iloc[0]
                rows.append(
                    {
                        "snapshot_id": snap["snapshot_id"],
                        "attribution": attribution,
                        "downloads": float(totals["downloads"]),
                        "attributed_downloads": float(totals["attributed_downloads"] or 0.0),
                        "share_attributed": float((totals["attributed_downloads"] or 0.0) / totals["downloads"]) if totals["downloads"] else 0.0,
                        "namespaces": int(totals["namespaces"]),
                        "namespaces_attributed": int(totals["namespaces_attributed"]),
                    }
                )
        primary = chosen[-1] if snapshot else self.snapshot(None)
        return result(
            pd.DataFrame(rows),
            command="registry coverage",
            params={"snapshot": snapshot, "registry_variant": registry_variant, "registry_sha256": self.registry.sha256},
            data=self.data_info(primary),
            n={"registry_rows": len(self.registry.entries)},
            registry_files=[str(path) for path in self.registry.sources],
        )

    def registry_show(self, namespace: str) -> pd.DataFrame:
        """The registry's entry for one namespace, and the other namespaces of the same developer."""
        entries = self.registry.entries
        row = entries[entries["namespace"] == namespace]
        if row.empty:
            folded = entries[entries["namespace"].str.lower() == namespace.lower()]
            hint = f" (did you mean '{folded['namespace'].iloc[0]}'?)" if len(folded) else ""
            raise HubeconError(f"namespace '{namespace}' is not in the registry: it is unattributed{hint}")
        entry = row.iloc[0]
        siblings = entries[(entries["developer"] == entry["developer"]) & (entries["type"] != "individual")]["namespace"].tolist()
        fields = entry.drop(labels=["line"]).to_dict()
        fields["country_name"] = country_label(entry["country"]) if entry["country"] else ("" if entry["type"] != "individual" else country_label(INDIVIDUALS))
        fields["developer_namespaces"] = ", ".join(siblings)
        table = pd.DataFrame({"field": list(fields), "value": [str(value) for value in fields.values()]})
        return result(table, command="registry show", params={"namespace": namespace, "registry_sha256": self.registry.sha256}, data={}, n={})

    def registry_suggest(self, top: int = 30, snapshot: str | None = None, out: Path | str | None = None, registry_variant: str = "primary") -> pd.DataFrame:
        """Unattributed namespaces by downloads (uploader and origin), with hints; optionally an override file to fill in."""
        if top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        chosen = self.snapshot(snapshot)
        downloads = []
        for attribution in ATTRIBUTIONS:
            credited = self._credited(self._downloads(chosen), attribution=attribution, cohort="all", exclude=(), registry_variant=registry_variant)
            credited = credited.filter(credited.developer_type.isnull())
            grouped = self.store.con.execute(credited.group_by("namespace").agg(downloads=credited.downloads.sum()))
            downloads.append(grouped.set_index("namespace")["downloads"].rename(f"downloads_{attribution}"))
        total = float(self.store.con.execute(self._downloads(chosen).downloads.sum()))
        table = pd.concat(downloads, axis=1).fillna(0.0)
        table = table[table.max(axis=1) > 0]
        table["share_uploader"] = table["downloads_uploader"] / total
        table["share_origin"] = table["downloads_origin"] / total
        table = table.assign(rank=table[["downloads_uploader", "downloads_origin"]].max(axis=1)).sort_values(["rank"], ascending=False).head(top)
        models = self.store.con.execute(self.store.table("models").select("model_id", "namespace", "card_data"))
        hints = namespace_hints(models[models["namespace"].isin(table.index)], self.enriched.graph.parents)
        suggestions = table.drop(columns="rank").rename_axis("namespace").reset_index().merge(hints, on="namespace", how="left")
        suggestions["repos"] = suggestions["repos"].fillna(0).astype(int)
        suggestions = suggestions.fillna({"card_hints": "", "derives_from": "", "examples": ""})
        if out is not None:
            write_override_template(Path(out), suggestions)
        return result(
            suggestions,
            command="registry suggest",
            params={"top": top, "snapshot": chosen["snapshot_id"], "out": str(out) if out else None, "registry_sha256": self.registry.sha256},
            data=self.data_info(chosen),
            n={"namespaces": len(suggestions)},
        )

    def registry_compare(self, with_: str = "study", disagreements_only: bool = True) -> pd.DataFrame:
        """Where the study's labels (from `hubecon import study`) and our registry differ, namespace by namespace."""
        check_choice("with", with_, ("study",))
        annotations = self.store.con.execute(self.store.table("annotations"))
        if not (annotations["source"] == "study").any():
            raise HubeconError("no study labels in this data: import the study's file first with `hubecon import study FILE`")
        table = compare_with_study(annotations, self.registry.attribution())
        shown = table[~(table["agree_country"] & table["agree_type"])] if disagreements_only else table
        return result(
            shown,
            command="registry compare",
            params={"with": with_, "disagreements_only": disagreements_only, "registry_sha256": self.registry.sha256},
            data={"source": self.store.description.location, "note": "the study's labels per namespace (most of its models' label) beside ours"},
            n={
                "namespaces": int(len(table)),
                "agree_country": int(table["agree_country"].sum()),
                "agree_type": int(table["agree_type"].sum()),
                "ours_missing": int(table["our_type"].isna().sum()),
            },
        )

    def lineage(self, model_id: str) -> pd.DataFrame:
        """Ancestors to the roots, descendants in the data, and the origin credit per developer and country."""
        graph = self.enriched.graph
        facts = self.enriched.facts
        known = model_id in set(facts["model_id"]) or model_id in graph.children
        if not known:
            raise HubeconError(f"model '{model_id}' is not in the data (neither a model nor a named parent)")
        credit = graph.credit([model_id]).assign(namespace=lambda frame: frame["root_id"].str.split("/").str[0])
        attribution = self.registry.attribution()
        credit = credit.merge(attribution, on="namespace", how="left")
        credit["developer"] = credit["developer"].fillna("_unattributed")
        credit["country"] = credit["country"].fillna("_unattributed")
        credit["developer_type"] = credit["developer_type"].fillna("_unattributed")
        credit = credit.sort_values(["fraction", "root_id"], ascending=[False, True])[["root_id", "namespace", "developer", "country", "developer_type", "fraction"]]
        by_developer = credit.groupby("developer", as_index=False)["fraction"].sum().sort_values("fraction", ascending=False)
        by_country = credit.groupby("country", as_index=False)["fraction"].sum().sort_values("fraction", ascending=False)
        model_row = facts[facts["model_id"] == model_id]
        models = self.store.table("models")
        stored = self.store.con.execute(models.filter(models.model_id == model_id).drop("hub_object_id"))
        stored["tags"] = stored["tags"].map(lambda tags: [] if tags is None else list(tags))
        return result(
            credit,
            command="lineage",
            params={"model_id": model_id, "registry_sha256": self.registry.sha256},
            data={"source": self.store.description.location, "note": "lineage from every snapshot in the data"},
            n={"ancestors": int(graph.ancestors(model_id)["parent_id"].nunique()), "descendants": int(graph.descendants(model_id)["child_id"].nunique())},
            model=plain(model_row.drop(columns=["created_at"]).to_dict(orient="records")[0]) if len(model_row) else None,
            record=plain(stored.to_dict(orient="records")[0]) if len(stored) else None,  # the stored row: tags, card data (untrusted text)
            ancestors=plain(graph.ancestors(model_id)),
            descendants=plain(graph.descendants(model_id)),
            credit_by_developer=plain(by_developer),
            credit_by_country=plain(by_country),
            dropped_edges=plain(graph.dropped[(graph.dropped["child_id"] == model_id) | (graph.dropped["parent_id"] == model_id)]),
        )

    def history(self, model_id: str, period: str = "month", since: str | None = None, until: str | None = None, scope: str | None = None) -> pd.DataFrame:
        """A model's downloads per period from the store's snapshots (DESIGN.md §3, Downloads in a window)."""
        check_choice("period", period, PERIODS)
        if model_id not in set(self.enriched.facts["model_id"]):
            raise HubeconError(f"model '{model_id}' is not in the data")
        the_model = self.store.model_keys_of(ibis.memtable({"model_id": [model_id]}))
        windows = period_downloads(self._history_observations(scope, since, until).semi_join(the_model, "model_key"), self._keyed_facts, self._catalogue, period=period, since=since, until=until, scope=scope)
        rows = self.store.con.execute(windows.table.order_by("period_start").drop("model_key"))
        observations = self.store.table("observations")
        snapshots = self.store.table("snapshots").select("snapshot_id", "taken_at")
        seen = self.store.con.execute(
            observations.filter(observations.model_id == model_id).join(snapshots, "snapshot_id").select("snapshot_id", "taken_at", "downloads_30d", "downloads_all_time").order_by("taken_at")
        )
        return result(
            rows,
            command="history",
            params={"model_id": model_id, "period": period, "since": since, "until": until, "scope": windows.scope},
            data={"source": self.store.description.location, "scope": windows.scope, "measure": "downloads per period (all-time differences; estimated = from 30-day counts)", "note": windows.describe()["note"]},
            n={"periods": len(rows), "snapshots": len(seen)},
            window_shortened=windows.shortened,
            observations=plain(seen),
        )

    def quality(self, snapshot: str | None = None, scope: str | None = None) -> pd.DataFrame:
        """Data-quality checks: creation placeholders, test repos, lineage defects, and on a history rollbacks, frozen counters, gaps, missing models, spikes."""
        chosen = self.snapshot(snapshot)
        downloads = self.store.con.execute(self._downloads(chosen))
        graph = self.enriched.graph
        missing_parents = graph.edges[~among(graph.edges["parent_id"], self.enriched.facts["model_id"])][["child_id", "parent_id", "relation"]]
        history = History.of(self._catalogue, scope)
        checks = None
        if len(history.snapshots) >= 2:
            checks = HistoryChecks.of(self.store, self._history_observations(scope), self._keyed_facts, history.steps(), capped=history.capped_first_year)
        rows, details = quality_report(
            facts=self.enriched.facts, downloads=downloads, dropped_edges=graph.dropped, missing_parents=missing_parents, history=checks, capped=history.capped_first_year
        )
        return result(
            rows,
            command="quality",
            params={"snapshot": chosen["snapshot_id"], "scope": history.scope},
            data=self.data_info(chosen),
            n={"models": int(len(downloads)), "history_snapshots": int(len(history.snapshots))},
            details={name: plain(frame) for name, frame in details.items()},
        )

    def concentration(
        self,
        level: str = "developer",
        attribution: str = "uploader",
        cohort: str = "all",
        exclude: tuple[str, ...] | list[str] = (),
        snapshot: str | None = None,
        period: str | None = None,
        since: str | None = None,
        until: str | None = None,
        scope: str | None = None,
        registry_variant: str = "primary",
        country: tuple[str, ...] | list[str] = (),
        developer_type: tuple[str, ...] | list[str] = (),
        modality: tuple[str, ...] | list[str] = (),
        derivative_kind: tuple[str, ...] | list[str] = (),
    ) -> pd.DataFrame:
        """HHI, Gini (with n) and top-1/5/10/100 shares per period (DESIGN.md §3, Concentration)."""
        check_choice("level", level, LEVELS)
        check_choice("attribution", attribution, ATTRIBUTIONS)
        check_choice("cohort", cohort, COHORTS)
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        exclude = tuple(sorted(set(exclude)))
        measured = self.measured(snapshot, period, since, until, scope)
        rows = self._credited(measured.downloads, attribution=attribution, cohort=cohort, exclude=exclude, registry_variant=registry_variant)
        rows, cut = self._restricted(rows, country, developer_type, modality, derivative_kind)
        table = concentration_rows(self.store.con, rows, level=level)
        params = {
            "level": level,
            "attribution": attribution,
            "cohort": cohort,
            "exclude": list(exclude),
            "snapshot": measured.snapshot_id,
            "period": period,
            "since": since,
            "until": until,
            "scope": scope,
            "registry_variant": registry_variant,
            "registry_sha256": self.registry.sha256,
            **cut,
        }
        return result(table, command="concentration", params=params, data=measured.data, n={"periods": len(table)}, window=measured.window)

    def sensitivity(self, snapshot: str | None = None) -> pd.DataFrame:
        """The headline country shares over every combination of DESIGN.md §3's method axes, as a range per country.

        Six axes on a single snapshot (64 cells); when an earlier comparable
        snapshot lets a difference end at this one, a seventh — measure: the
        30-day count or the difference of all-time counts over the same 30
        days — makes 128.
        """
        chosen = self.snapshot(snapshot)
        axes = dict(SENSITIVITY_AXES)
        history = History.of(self._catalogue, containing=chosen["snapshot_id"])
        # A difference needs an earlier comparable snapshot to end at this one.
        if history.snapshots["snapshot_id"].iloc[0] != chosen["snapshot_id"]:
            axes["measure"] = ("30-day count", "window difference")
        until = pd.Timestamp(chosen["taken_at"]).strftime("%Y-%m-%d")
        since = (pd.Timestamp(chosen["taken_at"]) - ROLLING_WINDOW).strftime("%Y-%m-%d")
        measures = {"30-day count": self.measured(snapshot=chosen["snapshot_id"])}
        if "measure" in axes:
            measures["window difference"] = self.measured(since=since, until=until, scope=history.scope)
        facts, credit = self._fact_tables
        # One grouped query per (measure, attribution, registry rows); the cohort and exclusion axes are sums over its flags.
        sums = {
            (measure, attribution, variant): method_cell_sums(
                self.store.con,
                credited_universe(measured.downloads, facts, credit, self._attribution_table(variant), attribution=attribution),
                by="country",
            )
            for measure, measured in measures.items()
            for attribution in axes["attribution"]
            for variant in axes["registry rows"]
        }
        cells = []
        for combination in itertools.product(*axes.values()):
            cell = dict(zip(axes, combination))
            exclude = tuple(cell["individuals and unattributed"]) + tuple(cell["test/CI repos"]) + tuple(cell["GGUF repos"])
            table = cell_shares(sums[(cell.get("measure", "30-day count"), cell["attribution"], cell["registry rows"])], by="country", cohort=cell["cohort"], exclude=exclude)
            label = "; ".join(f"{axis}={describe_axis_value(value)}" for axis, value in cell.items())
            cells.append(table.assign(cell=label, default=all(value == axes[axis][0] for axis, value in cell.items()))[["cell", "default", "key", "label", "share"]])
        grid = pd.concat(cells, ignore_index=True)
        countries = grid[~grid["key"].isin([UNATTRIBUTED, OTHER])]
        cell_names = grid["cell"].unique()
        complete = countries.pivot_table(index=["key", "label"], columns="cell", values="share", fill_value=0.0).reindex(columns=cell_names, fill_value=0.0)
        default_cell = grid.loc[grid["default"], "cell"].iloc[0]
        ranges = pd.DataFrame(
            {
                "default_share": complete[default_cell],
                "min_share": complete.min(axis=1),
                "max_share": complete.max(axis=1),
                "min_cell": complete.idxmin(axis=1),
                "max_cell": complete.idxmax(axis=1),
            }
        ).reset_index().sort_values("default_share", ascending=False, ignore_index=True)
        return result(
            ranges,
            command="sensitivity",
            params={"snapshot": chosen["snapshot_id"], "axes": {axis: [describe_axis_value(value) for value in values] for axis, values in axes.items()}, "registry_sha256": self.registry.sha256},
            data=self.data_info(chosen),
            n={"cells": int(len(cell_names)), "countries": int(len(ranges))},
            default_cell=default_cell,
            cells=plain(grid),
        )

    # -- the ecosystem's structure (Analytics III) ---------------------------------------------------

    def _structure_data(self, note: str, measure: str) -> dict:
        """The data block for analyses of every model in the data (all snapshots), not of one snapshot's counts."""
        catalogue = self._catalogue
        sample = (catalogue["scope"] == "sample").any()
        return {
            "source": self.store.description.location,
            "scope": ", ".join(sorted(set(catalogue["scope"]))),
            "as_of": plain(catalogue["taken_at"].max()),
            "measure": measure,
            "synthetic": self.synthetic,
            "note": "; ".join(part for part in (note, SAMPLE_NOTE if sample else "") if part),
        }

    def _structure_downloads(self, snapshot, period, since, until, scope) -> tuple[ibis.Table, dict, dict]:
        """Downloads for analyses over time: the store's history by period; else one snapshot; else each snapshot as its own cross-section."""
        if period or since or until or snapshot is not None or len(History.of(self._catalogue, scope).snapshots) >= 2:
            measured = self.measured(snapshot, period or ("month" if snapshot is None and not (since or until) else None), since, until, scope)
            downloads = measured.downloads
            if measured.snapshot_id is not None:
                downloads = downloads.mutate(period=ibis.literal(measured.snapshot_id))
            return downloads, measured.data, measured.window
        parts = [self._downloads(row).mutate(period=ibis.literal(row["snapshot_id"])) for _, row in self._catalogue.iterrows()]
        downloads = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        data = self._structure_data("each snapshot is a cross-section (its own 30-day counts and selection); snapshots of different selections are not a time series", "downloads_30d per snapshot")
        return downloads, data, {"period": "snapshot (cross-sections)", "snapshots": list(self._catalogue["snapshot_id"])}

    def cadence(self, by: str = "country", snapshot: str | None = None, registry_variant: str = "primary") -> pd.DataFrame:
        """Release days, median days between them and release days per quarter, per developer or as medians by country or type (DESIGN.md §3, Release cadence).

        Repos are every model in the data (or, with `snapshot`, that
        snapshot's models). Cadence needs each developer's complete history:
        the result warns unless the data hold a full crawl or an author-scoped
        crawl (`ingest hub --author`) of every namespace of the developer.
        """

        check_choice("by", by, cd.BY)
        check_choice("registry-variant", registry_variant, VARIANTS)
        attribution = self.registry.attribution(registry_variant)
        facts = self.enriched.facts
        if snapshot is not None:
            chosen = self.snapshot(snapshot)
            observations = self.store.table("observations")
            present = self.store.con.execute(observations.filter(observations.snapshot_id == chosen["snapshot_id"]).select("model_id"))["model_id"]
            facts = facts[among(facts["model_id"], present)]
        days = cd.release_days(facts, self.enriched.credit, attribution)
        developers = cd.developer_cadence(days, attribution)
        developers["complete_history"] = developers["developer"].isin(self._complete_histories(attribution, set(developers["developer"])))
        unknown = facts[~facts["created_known"].fillna(False).astype(bool)]
        reference = self.snapshot(snapshot)
        counts = self.store.con.execute(self._downloads(reference).select("model_id", "downloads"))
        unknown_downloads = float(counts[among(counts["model_id"], unknown["model_id"])]["downloads"].sum())
        if by == "developer":
            rows = developers.sort_values(["release_days", "developer"], ascending=[False, True], ignore_index=True)
            measured = rows[rows["median_days_between"].notna()].sort_values(["median_days_between", "developer"])
            picks = [("all", "fastest", measured["developer"].iloc[0] if len(measured) else None), ("all", "slowest", measured["developer"].iloc[-1] if len(measured) else None)]
        else:
            rows = cd.group_cadence(developers, by)
            picks = [(key, role, developer) for key, fast, slow in zip(rows["key"], rows["fastest"], rows["slowest"]) for role, developer in (("fastest", fast), ("slowest", slow))]
        evidence = [{"key": key, "role": role, **cd.evidence(days, developer)} for key, role, developer in picks if isinstance(developer, str)]
        incomplete = int((~developers["complete_history"]).sum())
        warning = (
            f"cadence needs complete author histories: {incomplete} of {len(developers)} developers' repos come from samples or partial crawls, so release days are missing "
            "and gaps look longer than they are; crawl each developer's namespaces with `hubecon ingest hub --author NAMESPACE` for complete histories"
            if incomplete
            else None
        )
        data = self._structure_data(warning or "", "repo creation dates (UTC days)")
        eligible = developers[developers["attributed"] & (developers["type"] != "individual")]
        return result(
            rows,
            command="cadence",
            params={"by": by, "snapshot": snapshot, "registry_variant": registry_variant, "min_release_days": cd.MIN_RELEASE_DAYS, "registry_sha256": self.registry.sha256},
            data=data,
            n={
                "models": int(facts["created_known"].fillna(False).astype(bool).sum()),
                "developers": int(len(developers)),
                "developers_with_cadence": int(developers["median_days_between"].notna().sum()),
                "developers_grouped": int(eligible["median_days_between"].notna().sum()) if by != "developer" else None,
                "release_days": int(len(days)),
            },
            warning=warning,
            complete_histories=int(developers["complete_history"].sum()),
            unknown_creation={"models": int(len(unknown)), "downloads": unknown_downloads, "downloads_snapshot": reference["snapshot_id"]},
            evidence=evidence,
            quarterly=plain(cd.quarterly_release_days(days, developers, by)),
        )

    def _complete_histories(self, attribution: pd.DataFrame, developers: set[str]) -> set[str]:
        """Developers whose every namespace a full crawl or an author-scoped crawl (no filter, no limit) holds."""
        if (self._catalogue["scope"] == "full").any():
            return set(developers)
        crawled = set()
        for scope, params in zip(self._catalogue["scope"], self._catalogue["params"]):
            settings = json.loads(params) if isinstance(params, str) and params else {}
            if scope == "filtered" and settings.get("author") and not settings.get("filter") and not settings.get("limit"):
                crawled.add(settings["author"])
        namespaces = attribution.groupby("developer")["namespace"].agg(set).to_dict()
        complete = set()
        for developer in developers:
            own = {developer[len(UNATTRIBUTED_PREFIX):]} if developer.startswith(UNATTRIBUTED_PREFIX) else namespaces.get(developer, set())
            if own and own <= crawled:
                complete.add(developer)
        return complete

    def intermediaries(self, period: str | None = None, since: str | None = None, until: str | None = None, scope: str | None = None,
                       snapshot: str | None = None, top: int | None = None, registry_variant: str = "primary") -> pd.DataFrame:
        """Re-packagers and, beside them, fine-tuners: their download share over time, kinds, and the origins they carry (DESIGN.md §3, Intermediaries)."""

        check_choice("registry-variant", registry_variant, VARIANTS)
        if top is not None and top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        attribution = self.registry.attribution(registry_variant)
        tagged = self.store.con.execute(im.runtime_format_tagged(self.store.table("models")))
        kinds = im.repo_kinds(self.enriched.facts, tagged, self.enriched.graph.parents, self._third_party(registry_variant), attribution)
        roles = im.namespace_roles(kinds).merge(attribution, on="namespace", how="left")
        model_roles = kinds[["model_id", "namespace"]].merge(roles[["namespace", "role", "country"]], on="namespace", how="left")
        downloads, data, window = self._structure_downloads(snapshot, period, since, until, scope)
        with_role = ibis.memtable(model_roles[model_roles["role"].notna()][["model_id", "namespace", "role"]])
        every = ibis.memtable(model_roles[["model_id", "namespace", "role"]].astype({"role": "string"}))
        con = self.store.con
        shares = con.execute(im.role_downloads(downloads, with_role)).drop(columns=["total", "role"])
        rows = shares.merge(roles[roles["role"].notna()], on="namespace").sort_values(["period", "role", "downloads", "namespace"], ascending=[True, True, False, True])
        if top is not None:
            rows = rows.groupby(["period", "role"], sort=False).head(top)
        columns = ["period", "namespace", "role", "developer", "country", "developer_type", "downloads", "share", "repos", "repos_observed", "repackaged_of_others",
                   "repackaged_origin_unknown", "repackaged_fraction", "finetuned_of_others", "finetuned_fraction", "quantized", "format_conversion", "adapter", "finetune", "merge", "original", "formats"]
        rows = rows[columns].reset_index(drop=True)
        uploaders = ibis.memtable(model_roles[["model_id", "role", "country"]].rename(columns={"country": "uploader_country"}).astype({"role": "string", "uploader_country": "string"}))
        credited = self._credited(downloads, attribution="origin", cohort="all", exclude=(), registry_variant=registry_variant)
        origins = con.execute(im.origins_carried(credited, uploaders)).sort_values(["period", "origin_downloads"], ascending=[True, False])
        totals = con.execute(im.role_totals(downloads, every)).drop(columns=["total"]).sort_values(["period", "role"])
        named = roles[roles["role"].notna()]
        return result(
            rows,
            command="intermediaries",
            params={"period": period, "since": since, "until": until, "scope": scope, "snapshot": snapshot, "top": top, "registry_variant": registry_variant,
                    "min_repos": im.MIN_REPOS, "min_fraction": im.THRESHOLD[0] / im.THRESHOLD[1], "registry_sha256": self.registry.sha256},
            data=data,
            n={"models": int(len(kinds)), "namespaces": int(roles["namespace"].nunique()), "intermediaries": int((named["role"] == "intermediary").sum()),
               "fine_tuners": int((named["role"] == "fine-tuner").sum()), "periods": int(totals["period"].nunique())},
            window=window,
            totals=plain(totals),
            origins=plain(origins),
            note="repos and roles are counted over every model in the data; downloads per period (or per snapshot) under uploader attribution; "
                 "origins: origin-credited downloads by the root developer's country and how much of them reach users through intermediaries",
        )

    def families(self, top: int | None = 20, snapshot: str | None = None, period: str | None = None, since: str | None = None, until: str | None = None,
                 scope: str | None = None, exclude: tuple[str, ...] | list[str] = (), registry_variant: str = "primary") -> pd.DataFrame:
        """Downloads rolled up to root models with the origin credit's fractions, derivatives by kind and their share (DESIGN.md §3, Attribution)."""

        check_choice("registry-variant", registry_variant, VARIANTS)
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        if top is not None and top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        exclude = tuple(sorted(set(exclude)))
        measured = self.measured(snapshot, period, since, until, scope)
        credited = self._credited(measured.downloads, attribution="origin", cohort="all", exclude=exclude, registry_variant=registry_variant)
        kinds = ibis.memtable(self.enriched.facts[["model_id", "derivative_kind"]])
        # The families are built once in the engine and only each period's top N fetched: at 1M models × 52
        # snapshots a month holds about 400k families.
        with family_rows(credited, kinds).cache() as every_family:
            totals = self.store.con.execute(every_family.group_by("period").agg(period_downloads=every_family.family_downloads.sum(), families=every_family.count()))
            kept = every_family if top is None else first_rows(every_family, top, group_by=["period"], order_by=[ibis.desc("family_downloads"), ibis.asc("root_id")])
            table = self.store.con.execute(kept)
        table["period"] = table["period"].astype(object).where(table["period"].notna(), None)
        key = table["period"].fillna(SINGLE_WINDOW)
        period_downloads = totals.set_index(totals["period"].astype(object).fillna(SINGLE_WINDOW))["period_downloads"]
        table["share_of_downloads"] = table["family_downloads"] / key.map(period_downloads).astype(float)
        table = table.assign(_key=key).sort_values(["_key", "family_downloads", "root_id"], ascending=[True, False, True])
        families_n = int(totals["families"].sum())
        columns = ["period", "root_id", "developer", "country", "developer_type", "family_downloads", "share_of_downloads", "root_downloads", "derivative_downloads",
                   "derivative_share", "derivatives", "finetunes", "quantized", "adapters", "merges", "root_observed"]
        table["developer"] = table["developer"].fillna(UNATTRIBUTED)
        table["country"] = table["country"].fillna(UNATTRIBUTED)
        models = int(self.store.con.execute(credited.model_id.nunique()))
        return result(
            table[columns],
            command="families",
            params={"top": top, "snapshot": measured.snapshot_id, "period": period, "since": since, "until": until, "scope": scope, "exclude": list(exclude),
                    "registry_variant": registry_variant, "registry_sha256": self.registry.sha256},
            data=measured.data,
            n={"models": models, "families": families_n},
            window=measured.window,
            note="a model belongs to the family of each root its origin credit reaches, with the same fractions; derivative counts count a model once in each family it belongs to",
        )

    def adoption(self, model_id: str | None = None, top: int | None = None, snapshot: str | None = None, scope: str | None = None) -> pd.DataFrame:
        """Normalised adoption (ATOM's Relative Adoption Metric) with size bucket and age, for one model or the top N (DESIGN.md §3, Normalised adoption).

        With a history of all-time counts: at ages 7…365 days. With one
        snapshot: all-time downloads per day of age. A snapshot without
        all-time counts (a bare listing) cannot give either.
        """

        if (model_id is None) == (top is None):
            raise HubeconError("adoption: give either a MODEL_ID or --top N")
        if top is not None and top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        facts = self.enriched.facts[["model_id", "size_bucket", "params_total", "created_at", "created_known"]]
        if model_id is not None and model_id not in set(facts["model_id"]):
            raise HubeconError(f"model '{model_id}' is not in the data")
        history_ids, note = [], ""
        if snapshot is None:
            history = History.of(self._catalogue, scope)
            # The history's observations on keys, as every command over time holds them for the session.
            keyed = self._history_observations(scope)
            counted_keyed = keyed.filter(keyed.downloads_all_time.notnull())
            keys_with_counts = set(self.store.con.execute(counted_keyed.select("snapshot_key").distinct())["snapshot_key"])
            counted_snapshots = history.snapshots[history.snapshots["snapshot_key"].isin(keys_with_counts)]
            history_ids = list(counted_snapshots["snapshot_id"])
        con = self.store.con
        if len(history_ids) >= 2:
            mode, chosen = "history", None
            created = self.store.model_keys_of(ibis.memtable(facts.loc[ad.eligible(facts), ["model_id", "created_at", "size_bucket"]]))
            at_ages = ad.counts_at_ages(counted_keyed, ibis.memtable(counted_snapshots[["snapshot_key", "snapshot_id", "taken_at"]]), created)
            values = self.store.model_ids_of(at_ages)
            keys = ["age", "size_bucket"]
            data = self._structure_data(f"cumulative downloads at ages {', '.join(map(str, ad.AGES))} days from {len(history_ids)} {history.scope} snapshots", "downloads_all_time at ages")
        else:
            observations = self.store.table("observations")
            counted = observations.filter(observations.downloads_all_time.notnull())
            with_counts = set(con.execute(counted.select("snapshot_id").distinct())["snapshot_id"])
            chosen = self.snapshot(snapshot)
            if chosen["snapshot_id"] not in with_counts:
                candidates = self._catalogue[self._catalogue["snapshot_id"].isin(with_counts)]
                if snapshot is not None or candidates.empty:
                    raise HubeconError(f"snapshot {chosen['snapshot_id']} has no all-time download counts (a listing of 30-day counts only): normalised adoption needs them"
                                       + (f"; use --snapshot {candidates['snapshot_id'].iloc[-1]}" if len(candidates) else ""))
                note = f"the default snapshot {chosen['snapshot_id']} has no all-time download counts (a listing of 30-day counts only); using {candidates['snapshot_id'].iloc[-1]}, the latest that has them"
                chosen = candidates.iloc[-1]
            mode = "single snapshot"
            present = con.execute(counted.filter(counted.snapshot_id == chosen["snapshot_id"]).select("model_id", "downloads_all_time"))
            values = ibis.memtable(ad.single_snapshot_values(facts.merge(present, on="model_id"), chosen["taken_at"]))
            keys = ["size_bucket"]
            data = self.data_info(chosen)
            data["measure"] = "downloads_all_time per day of age"
            data["note"] = "; ".join(part for part in (note, data["note"]) if part)
        figure = "downloads_all_time" if mode == "history" else "per_day"
        if mode == "history":
            # Built once in the engine (a row per model and age: 2.6M at 1M models × 52 snapshots); only the
            # references and the rows asked for are fetched.
            with values.cache() as built:
                rows, reference, n_models = ad.adopted(con, built, keys, figure, model_id=model_id, top=top)
        else:  # already a table in the engine: the snapshot's models
            rows, reference, n_models = ad.adopted(con, values, keys, figure, model_id=model_id, top=top)
        if model_id is not None and rows.empty:
            row = facts[facts["model_id"] == model_id].iloc[0]
            reason = "unknown size" if pd.isna(row["size_bucket"]) else "unknown creation date" if not row["created_known"] else "no all-time count at any age (±3 days)" if mode == "history" else f"not in snapshot {chosen['snapshot_id']}"
            raise HubeconError(f"model '{model_id}' gets no normalised adoption: {reason}")
        rows = rows.drop(columns="size_bucket").merge(facts[["model_id", "size_bucket", "params_total", "created_at"]], on="model_id", how="left")
        rows["created_at"] = rows["created_at"].map(plain)
        if "taken_at" in rows:
            rows["taken_at"] = rows["taken_at"].map(plain)
        columns = (["age", "model_id", "size_bucket", "params_total", "created_at", "snapshot_id", "taken_at", "age_at", "downloads_all_time"] if mode == "history"
                   else ["model_id", "size_bucket", "params_total", "created_at", "age_days", "downloads_all_time", "per_day"]) + ["reference_median", "reference_n", "adoption"]
        if mode == "history":
            used = con.execute(self.store.model_ids_of(counted_keyed.select("model_key").distinct()))["model_id"]
        else:
            used = con.execute(counted.filter(counted.snapshot_id == chosen["snapshot_id"]).select("model_id").distinct())["model_id"]
        universe = facts[among(facts["model_id"], used)]
        no_value = universe[universe["size_bucket"].isna() | ~universe["created_known"].fillna(False).astype(bool)]
        return result(
            rows[columns],
            command="adoption",
            params={"model_id": model_id, "top": top, "snapshot": None if chosen is None else chosen["snapshot_id"], "scope": scope, "mode": mode, "ages": list(ad.AGES) if mode == "history" else None,
                    "tolerance_days": ad.TOLERANCE_DAYS, "reference_models": ad.REFERENCE_MODELS},
            data=data,
            n={"models": n_models, "no_value": int(len(no_value))},
            mode=mode,
            reference=plain(reference),
        )

    def distillation(self, snapshot: str | None = None, registry_variant: str = "primary") -> pd.DataFrame:
        """Distilled models with their teacher and base, and who distils from whom by origin country (DESIGN.md §3, Distillation)."""

        check_choice("registry-variant", registry_variant, VARIANTS)
        attribution = self.registry.attribution(registry_variant)
        graph = self.enriched.graph
        candidates = self.store.con.execute(ds.may_be_marked(self.store.table("models").select("model_id", "tags", "card_data")))
        placed = ds.place(ds.distilled_models(self.enriched.facts, candidates, graph.parents), graph, attribution)
        # Data with no distilled model still gives every column (an empty table, not a missing one).
        placed_columns = [column for column in DISTILLATION_COLUMNS if column not in ("downloads", "uploader", "uploader_country")]
        placed = placed.reindex(columns=list(dict.fromkeys([*placed.columns, *placed_columns, "namespace"])))
        placed["derivative_of_distilled"] = placed["derivative_of_distilled"].fillna(False).astype(bool)
        chosen = self.snapshot(snapshot)
        counts = self.store.con.execute(self._downloads(chosen).select("model_id", "downloads"))
        placed = placed.merge(counts, on="model_id", how="left")
        uploader = attribution.set_index("namespace")
        placed["uploader"] = placed["namespace"].map(uploader["developer"]).fillna(UNATTRIBUTED)
        placed["uploader_country"] = placed["namespace"].map(uploader["country"]).fillna(UNATTRIBUTED)
        own = placed[~placed["derivative_of_distilled"]].fillna({"teacher_country": "unknown", "base_country": "unknown", "teacher_developer": "unknown", "base_developer": "unknown"})
        derived = placed[placed["derivative_of_distilled"]]
        by_country = own.groupby(["teacher_country", "base_country"], as_index=False).agg(models=("model_id", "size"), downloads=("downloads", "sum"))
        by_country = by_country.sort_values(["models", "downloads"], ascending=False, ignore_index=True)
        pairs = own.groupby(["uploader", "teacher_developer", "base_developer"], as_index=False).agg(models=("model_id", "size"), downloads=("downloads", "sum"))
        pairs = pairs.sort_values(["models", "downloads"], ascending=False, ignore_index=True)
        rows = placed.sort_values(["downloads", "model_id"], ascending=[False, True], na_position="last")
        return result(
            rows[DISTILLATION_COLUMNS],
            command="distillation",
            params={"snapshot": chosen["snapshot_id"], "registry_variant": registry_variant, "registry_sha256": self.registry.sha256},
            data=self.data_info(chosen) | {"note": "; ".join(part for part in ("distilled models among every model in the data; downloads are the snapshot's 30-day counts (null where the snapshot lacks the model)", self.data_info(chosen)["note"]) if part)},
            n={"models": int(len(placed)), "distillations": int(len(own)), "derivatives": int(len(derived)), "observed_in_snapshot": int(placed["downloads"].notna().sum())},
            by_country=plain(by_country),
            pairs=plain(pairs),
        )

    def export_panel(
        self,
        level: str = "model",
        period: str | None = None,
        out: Path | str | None = None,
        attribution: str = "uploader",
        exclude: tuple[str, ...] | list[str] = (),
        since: str | None = None,
        until: str | None = None,
        scope: str | None = None,
        snapshot: str | None = None,
    ) -> pd.DataFrame:
        """One row per entity per period: downloads, share, country, type, new-cohort downloads, size and modality (models).

        With `out`, the panel is streamed from the engine into the file and what is returned is what
        was written: per period, its rows and downloads.
        """
        check_choice("level", level, PANEL_LEVELS)
        check_choice("attribution", attribution, ATTRIBUTIONS)
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        if out is not None and Path(out).suffix.lower() not in (".parquet", ".csv"):
            raise HubeconError(f"--out: '{out}' must end in .parquet or .csv")
        if out is not None and not Path(out).parent.is_dir():
            raise HubeconError(f"--out: folder '{Path(out).parent}' does not exist")
        if out is not None and Path(out).is_dir():
            raise HubeconError(f"--out: '{out}' is a folder, not a file")
        exclude = tuple(sorted(set(exclude)))
        measured = self.measured(snapshot, period, since, until, scope)
        credited = self._credited(measured.downloads, attribution=attribution, cohort="all", exclude=exclude, registry_variant="primary", with_new_cohort=True)
        if out is None:
            table = panel_rows(self.store.con, credited, level=level, facts=self.enriched.facts)
            n = {"rows": len(table)}
        else:
            table = write_panel(self.store.con, credited, level=level, facts=self.enriched.facts, out=Path(out))
            n = {"rows": int(table["rows"].sum())}
        params = {"level": level, "period": period, "out": str(out) if out else None, "attribution": attribution, "exclude": list(exclude), "since": since, "until": until, "scope": scope, "snapshot": measured.snapshot_id}
        return result(table, command="export panel", params=params, data=measured.data, n=n, window=measured.window)

    def compare(
        self,
        then: str = THEN_SNAPSHOT,
        now: str = DEFAULT_SNAPSHOT,
        top: int = COMPARE_TOP,
        exclude: tuple[str, ...] | list[str] = (),
        seed: int = DEFAULT_SEED,
    ) -> pd.DataFrame:
        """Two listings side by side, each cut to its top N models (DESIGN.md §3, Comparing two listings).

        Shares by country, developer type and top developers under both
        attributions; concentration at model, developer and country level;
        size, size buckets, modality, multimodal generation, quantized
        variants, MoE and openness; each change with its test. Namespaces that
        entered and left the top N, and each side's selection caveats, ride in
        the envelope.
        """
        if top < 1:
            raise HubeconError(f"--top: must be at least 1, not {top}")
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        exclude = tuple(sorted(set(exclude)))
        sides = {"then": self.snapshot(then), "now": self.snapshot(now)}
        if sides["then"]["snapshot_id"] == sides["now"]["snapshot_id"]:
            raise HubeconError("--then and --now name the same snapshot")
        observations = self.store.table("observations")
        cuts, frames = {}, []
        for side, snap in sides.items():
            rows = self.store.con.execute(observations.filter(observations.snapshot_id == snap["snapshot_id"]).select("model_id", "downloads_30d"))
            cuts[side] = top_cut(rows, top)
            window = self._window(snap)
            frames.append(cuts[side].assign(period=side, window_start=window.start, window_end=window.end))
        downloads = ibis.memtable(pd.concat(frames, ignore_index=True)[["model_id", "period", "downloads", "window_start", "window_end"]].astype({"downloads": "float64"}))
        out_rows = []
        for attribution in ATTRIBUTIONS:
            credited = self._credited(downloads, attribution=attribution, cohort="all", exclude=exclude, registry_variant="primary")
            units = self.store.con.execute(
                credited.mutate(unit=entity_key(credited, "developer"), country_key=group_key(credited, "country"), type_key=group_key(credited, "type"), developer_key=group_key(credited, "developer"))
            ).rename(columns={"period": "side"})
            comparison = Comparison(units, seed=seed)
            for by, column, shown in (("country", "country_key", None), ("type", "type_key", None), ("developer", "developer_key", COMPARE_DEVELOPERS)):
                table, _ = share_rows(self.store.con, credited, by=by, top=None)
                tables = {side: table[table["period"] == side] for side in ("then", "now")}
                out_rows += [dict(item, metric=f"{by} share ({attribution})") for item in compare_share_rows(f"shares ({attribution})", tables, comparison, column, top=shown)]
            if attribution == "uploader":
                for level in LEVELS:
                    out_rows += compare_concentration_rows(level, concentration_units(units, level), seed)
                out_rows.append(left_out_row(units))
                model_units = units.groupby(["side", "model_id"], as_index=False).agg(unit=("unit", "first"), downloads=("downloads", "sum"))
                facts = self.enriched.facts
                per_side = {side: model_units[model_units["side"] == side].merge(facts, on="model_id", how="left") for side in ("then", "now")}
                out_rows += property_rows(per_side["then"], per_side["now"], comparison)
        entered, left = namespace_moves(cuts)
        caveats = {side: self.data_info(snap)["note"] or "a store snapshot: see its source" for side, snap in sides.items()}
        params = {"then": sides["then"]["snapshot_id"], "now": sides["now"]["snapshot_id"], "top": top, "exclude": list(exclude), "seed": seed, "registry_sha256": self.registry.sha256}
        return result(
            pd.DataFrame(out_rows),
            command="compare",
            params=params,
            data={side: self.data_info(snap) for side, snap in sides.items()},
            n={side: int(len(cuts[side])) for side in ("then", "now")},
            caveats=caveats,
            entered=plain(entered),
            left=plain(left),
            note="cross-sections: each listing cut to its top N by 30-day downloads (ties by model id); no per-model differences are taken",
        )

    def comparable_listings(self) -> tuple[str, str] | None:
        """The "then" and "now" a report sets side by side: the embedded 2024 and 2026 listings, or the
        first and last snapshots comparable with the default one; None when there are not two."""
        catalogue = self._catalogue
        if self.store.description.kind == "embedded" and {THEN_SNAPSHOT, DEFAULT_SNAPSHOT} <= set(catalogue["snapshot_id"]):
            return THEN_SNAPSHOT, DEFAULT_SNAPSHOT
        group = History.of(catalogue, containing=self.snapshot()["snapshot_id"]).snapshots["snapshot_id"]
        return (group.iloc[0], group.iloc[-1]) if len(group) >= 2 else None

    def info(self) -> pd.DataFrame:
        """The store's snapshots with their total 30-day downloads, and the registry's coverage."""
        observations = self.store.table("observations")
        totals = self.store.con.execute(observations.group_by("snapshot_id").agg(total_downloads=observations.downloads_30d.sum()))
        table = self._catalogue.merge(totals, on="snapshot_id", how="left")[["snapshot_id", "taken_at", "source", "scope", "n_models", "total_downloads"]]
        coverage = self.registry_coverage()
        return result(
            table,
            command="info",
            params={},
            data={"source": self.store.description.location, "kind": self.store.description.kind},
            n={"snapshots": len(table), "registry_rows": len(self.registry.entries)},
            registry={"files": [str(path) for path in self.registry.sources], "sha256": self.registry.sha256, "coverage": plain(coverage)},
        )

    def report(self, out: Path | str = "hubecon-report", snapshot: str | None = None) -> dict[str, pd.DataFrame]:
        """Write report.html, figures/ (PNG + SVG), tables/ (CSV + JSON each) and manifest.json into `out`; return the tables by name."""
        # The report's chart stack (Altair, vl-convert) loads only when a report is made.
        from hubecon.present.report import build_report

        return build_report(self, Path(out), snapshot)

    def manifest(self, snapshot: str, tables: dict[str, pd.DataFrame]) -> dict:
        """What a report rests on: inputs with sha256, registry hash, parameters, seeds, version, time."""
        from hubecon.present.report import manifest_for

        return manifest_for(self, snapshot, tables)

    def ingest_hub(
        self,
        endpoint: str | None = None,
        author: str | None = None,
        filter: tuple[str, ...] | list[str] = (),  # noqa: A002 (the Hub's own parameter name)
        limit: int | None = None,
        resume: bool = False,
        progress=None,
    ) -> pd.DataFrame:
        """Crawl the Hub's model listing into one new snapshot: scope `full`, or `filtered` by author/filter/limit.

        The endpoint is the argument, else $HF_ENDPOINT, else the public Hub;
        the token comes from $HF_TOKEN. `resume=True` continues the store's
        unfinished crawl (or starts one); `progress` receives a CrawlProgress
        after every page and around every rate-limit wait.
        """
        # Imported here so that commands that never crawl do not load the HTTP client.
        from hubecon.sources.hub_crawler import crawl_hub

        crawl = crawl_hub(self._writable_store(), endpoint=endpoint, author=author, filters=tuple(filter), limit=limit, resume=resume, progress=progress)
        stored = Store.open(self._writable_store()).snapshots().set_index("snapshot_id").loc[[crawl.snapshot_id]].reset_index()
        stats = crawl.stats
        return result(
            stored,
            command="ingest hub",
            params={"endpoint": crawl.params["endpoint"], "author": author, "filter": list(filter), "limit": limit, "resume": resume},
            data={"source": str(self.store_path), "kind": "store"},
            n={"models": int(stored["n_models"].iloc[0])},
            crawl={
                "crawl_id": crawl.crawl_id,
                "scope": crawl.scope,
                "pages": stats.pages,
                "models": stats.models,
                "requests": stats.requests,
                "retries": stats.retries,
                "waits": stats.waits,
                "wait_seconds": round(stats.wait_seconds, 1),
                "resumes": stats.resumes,
                "duplicates_skipped": stats.duplicates_skipped,
                "rejected_expand": stats.rejected_expand,
                "malformed_pages": stats.malformed_pages,
                "rows_rejected": len(crawl.rejected),
            },
        )

    # -- model properties over time (Analytics II) -------------------------------------------------

    def trends(self, period: str | None = None, since: str | None = None, until: str | None = None, created_since: str | None = None, created_until: str | None = None,
               attribution: str = "uploader", exclude: tuple[str, ...] | list[str] = (), snapshot: str | None = None, seed: int | None = None) -> pd.DataFrame:
        """Sizes, modality, quantization, MoE, licences and architectures per period, with first→last tests (DESIGN.md §3, Model properties and Trends)."""

        return self._property_periods("trends", TREND_METRICS, True, period, since, until, created_since, created_until, attribution, exclude, snapshot, seed)

    def openness(self, period: str | None = None, since: str | None = None, until: str | None = None, created_since: str | None = None, created_until: str | None = None,
                 attribution: str = "uploader", exclude: tuple[str, ...] | list[str] = (), snapshot: str | None = None, seed: int | None = None) -> pd.DataFrame:
        """Open source vs open weights, training-data transparency and licence restrictions per period (DESIGN.md §3, Openness and Trends)."""

        return self._property_periods("openness", OPENNESS_METRICS, False, period, since, until, created_since, created_until, attribution, exclude, snapshot, seed)

    def _property_periods(self, command, metrics, sizes, period, since, until, created_since, created_until, attribution, exclude, snapshot, seed) -> pd.DataFrame:

        check_choice("attribution", attribution, ATTRIBUTIONS)
        for item in exclude:
            check_choice("exclude", item, EXCLUSIONS)
        exclude, seed = tuple(sorted(set(exclude))), DEFAULT_SEED if seed is None else int(seed)
        history = snapshot is None and len(History.of(self._catalogue).snapshots) >= 2
        facts = self.enriched.facts.copy()
        facts["third_party"] = self._third_party("primary")
        created_from, created_to = day_bounds(created_since, created_until)
        if created_from is not None or created_to is not None:
            created = pd.to_datetime(facts["created_at"], utc=True)
            keep = facts["created_known"] & (created >= (created_from or created.min())) & (created <= (created_to or created.max()))
            facts = facts[keep.fillna(False)]
        weights = tr.model_weights_from(self.store.con, facts["model_id"], *self._fact_tables, self._attribution_table("primary"), attribution=attribution, exclude=exclude)
        unknown = None
        if history:
            period = period or "month"
            check_choice("period", period, tr.WINDOW_PERIODS)
            measured = self.measured(None, period, since, until, None)
            # The history's table has one row per (period, model): a model counts once in a period, whatever the number of differences it spans.
            units = tr.window_units(measured.downloads, weights, pd.DataFrame(measured.window["periods"]))
            kind, snapshot_id = tr.OBSERVATION_WINDOW, None
            data, window = measured.data, measured.window
        else:
            period = period or "year"
            check_choice("period", period, tr.COHORT_PERIODS)
            if since or until:
                raise HubeconError("--since/--until: a single snapshot has one 30-day window; filter creation cohorts with --created-since/--created-until instead")
            chosen = self.snapshot(snapshot)
            downloads = self.store.con.execute(self._downloads(chosen).select("model_id", "downloads"))
            known, unknown = tr.cohort_units(facts, downloads, weights, period)
            units = ibis.memtable(known)
            kind, snapshot_id, data = tr.CREATION_COHORT, chosen["snapshot_id"], self.data_info(chosen)
            window = {"period": f"creation {period}", "note": "periods are creation cohorts; downloads are the snapshot's 30-day counts"}
        computed = tr.property_periods(self.store.con, facts, units, metrics, period_kind=kind, sizes=sizes, seed=seed, unknown=unknown)
        params = {"period": period, "period_kind": kind, "since": since, "until": until, "created_since": created_since, "created_until": created_until,
                  "attribution": attribution, "exclude": list(exclude), "snapshot": snapshot_id, "seed": seed, "bootstrap_resamples": BOOTSTRAP_RESAMPLES,
                  "alpha": 0.05, "registry_sha256": self.registry.sha256}
        return result(computed.rows, command=command, params=params, data=data, n=computed.n, window=window, periods=computed.periods,
                      multipliers=plain(computed.multipliers), seeds={"bootstrap": seed},
                      metrics={metric.name: metric.description for metric in metrics} | ({key: text for key, (_, text) in tr.SIZE_METRICS.items()} if sizes else {}))

    # -- writing a store ---------------------------------------------------------------------------

    def _writable_store(self) -> Path:
        if self.store_path is None:
            raise HubeconError("no store to write to: give --store DIR or set HUBECON_STORE")
        return self.store_path

    def import_listing(self, path: Path | str, taken_at: str, scope: str = "sample", skip_bad_rows: bool = False) -> pd.DataFrame:
        """Add a Hub listing (CSV or Parquet of `list_models` rows) as a snapshot taken at `taken_at`."""
        check_choice("scope", scope, SCOPES)
        batch = read_models_table(Path(path), taken_at=parse_when(taken_at), scope=scope, source=f"listing:{Path(path).name}")
        params = {"file": str(path), "taken_at": taken_at, "scope": scope, "skip_bad_rows": skip_bad_rows}
        return self._import([batch], "import listing", params, skip_bad_rows)

    def import_hub_stats(self, paths: list[Path | str] | Path | str, taken_at: str | None = None, scope: str = "full", skip_bad_rows: bool = False) -> pd.DataFrame:
        """Add hub-stats `models.parquet` files (each dated by `taken_at` or its file name)."""
        check_choice("scope", scope, SCOPES)
        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        if taken_at is not None and len(paths) > 1:
            raise HubeconError("--taken-at dates one file; several files take their dates from their names")
        batches = [read_hub_stats(Path(path), taken_at=parse_when(taken_at) if taken_at is not None else None, scope=scope) for path in paths]
        params = {"files": [str(path) for path in paths], "taken_at": taken_at, "scope": scope, "skip_bad_rows": skip_bad_rows}
        return self._import(batches, "import hub-stats", params, skip_bad_rows)

    def import_series(self, folder: Path | str, skip_bad_rows: bool = False) -> pd.DataFrame:
        """Add a download series: a folder of dated CSV files, one snapshot each (scope `series`)."""
        return self._import(read_series(folder), "import series", {"folder": str(folder), "skip_bad_rows": skip_bad_rows}, skip_bad_rows)

    def import_study(self, path: Path | str, skip_bad_rows: bool = False) -> pd.DataFrame:
        """Add the reference study's parquet: one snapshot per weekly `time`, its lineage and labels."""
        return self._import(read_study(path), "import study", {"file": str(path), "skip_bad_rows": skip_bad_rows}, skip_bad_rows)

    def _import(self, batches: list, command: str, params: dict, skip_bad_rows: bool = False) -> pd.DataFrame:
        """Store the batches; a rejected row stops the whole import (nothing stored) unless `skip_bad_rows`."""
        if not skip_bad_rows:
            for batch in batches:
                if len(batch.rejected):
                    first = batch.rejected.iloc[0]
                    raise InputError(
                        batch.origin,
                        f"{first['problem']} ('{first['value']}'); {len(batch.rejected)} bad row(s) in all, nothing stored "
                        "(--skip-bad-rows stores the others and lists the rejected)",
                        row=int(first["row"]),
                        field=first["field"],
                    )
        new = add_snapshots(self._writable_store(), batches)
        rows = pd.DataFrame(
            {
                "snapshot_id": [batch.snapshot_id for batch in batches],
                "taken_at": [batch.taken_at for batch in batches],
                "status": ["stored" if stored else "already stored (nothing changed)" for stored in new],
                "rows_read": [batch.rows_read for batch in batches],
                "rows_stored": [len(batch.observations) if stored else 0 for batch, stored in zip(batches, new)],
                "rows_rejected": [len(batch.rejected) for batch in batches],
            }
        )
        rejected = pd.concat(
            [batch.rejected.assign(snapshot_id=batch.snapshot_id) for batch in batches if len(batch.rejected)] or [pd.DataFrame()],
            ignore_index=True,
        )
        return result(
            rows,
            command=command,
            params=params,
            data={"source": str(self.store_path), "kind": "store"},
            n={"snapshots": len(rows), "new_snapshots": int(sum(new)), "rows_stored": int(rows["rows_stored"].sum())},
            first_rejected=plain(rejected.head(10)),
        )


def parse_when(text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        stamp = pd.NaT
    if pd.isna(stamp):
        raise HubeconError(f"--taken-at: '{text}' is not a date or date-time (e.g. 2026-04-27 or 2026-04-27T22:08:30Z)")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

