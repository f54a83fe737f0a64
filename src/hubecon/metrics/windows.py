"""Downloads per model per period from a history of snapshots (DESIGN.md §3, Downloads in a window).

Between consecutive snapshots of one scope a model's downloads are
`all_time(later) − all_time(earlier)`, and that difference belongs to the
period of the later snapshot. A model created after the earlier snapshot
counts from 0; one that existed then but is absent from either snapshot is
*missing* for that step (no row, never 0). Negative differences (counter
rollbacks) are clipped to 0 and flagged. Where only 30-day counts exist, a
snapshot's count stands for the 30 days before it; a snapshot d < 30 days
after the previous one contributes count × d/30, and the days of a gap
beyond 30 are unobserved; such figures are estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from hubecon.errors import HubeconError

PERIODS = ("week", "month", "quarter", "year")
ROLLING_DAYS = 30


def period_label(moment: pd.Timestamp, period: str) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """The calendar period (ISO weeks, Monday start) holding a UTC moment: label, start, end (exclusive)."""
    moment = pd.Timestamp(moment).tz_convert("UTC")
    day = moment.normalize()
    if period == "week":
        start = day - pd.Timedelta(days=day.weekday())
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", start, start + pd.Timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        return f"{start:%Y-%m}", start, start + pd.DateOffset(months=1)
    if period == "quarter":
        quarter = (day.month - 1) // 3
        start = day.replace(month=3 * quarter + 1, day=1)
        return f"{start.year}-Q{quarter + 1}", start, start + pd.DateOffset(months=3)
    if period == "year":
        start = day.replace(month=1, day=1)
        return f"{start.year}", start, start + pd.DateOffset(years=1)
    raise HubeconError(f"--period: '{period}' is not one of {', '.join(PERIODS)}")


def day_bounds(since: str | None, until: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """`--since` and `--until` are dates, both inclusive: since 00:00:00 to until 23:59:59 UTC."""

    def parse(text: str, flag: str) -> pd.Timestamp:
        try:
            return pd.Timestamp(text, tz="UTC").normalize()
        except ValueError:
            raise HubeconError(f"--{flag}: '{text}' is not a date (YYYY-MM-DD)") from None

    start = parse(since, "since") if since else None
    end = parse(until, "until") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1) if until else None
    if start is not None and end is not None and start > end:
        raise HubeconError(f"--since {since} is after --until {until}")
    return start, end


@dataclass
class History:
    """The snapshots of one scope that a history analysis uses, oldest first."""

    scope: str
    snapshots: pd.DataFrame  # snapshot_id, taken_at, params

    @property
    def capped_first_year(self) -> bool:
        """Whether the counts stop at each model's first anniversary (the study's one-year-rolling file)."""
        return bool(self.snapshots["params"].str.contains('"capped_first_year": true', regex=False).any())

    @classmethod
    def of(cls, catalogue: pd.DataFrame, scope: str | None = None, containing: str | None = None) -> "History":
        """The largest group of comparable snapshots within `scope` if given, or the group `containing` a snapshot
        (`catalogue`: the store's, with its snapshot keys).

        Snapshots are comparable when they share scope and parameters (two
        crawls filtered by different authors are not); `sample` snapshots
        also need the same source, since two curated samples select differently.
        """
        if scope is not None and scope not in set(catalogue["scope"]):
            raise HubeconError(f"--scope: no snapshots of scope '{scope}'")
        candidates = catalogue if scope is None else catalogue[catalogue["scope"] == scope]
        key = candidates["scope"] + "|" + candidates["params"].fillna("") + "|" + candidates["source"].where(candidates["scope"] == "sample", "")
        sizes = key.map(key.value_counts())
        if containing is not None:
            chosen_key = key[candidates["snapshot_id"] == containing].iloc[0]
        else:
            # Largest group; ties go to the group holding the newest snapshot.
            chosen_key = key[sizes == sizes.max()].iloc[-1]
        chosen = candidates[key == chosen_key].sort_values("taken_at")
        return cls(chosen["scope"].iloc[0], chosen[["snapshot_id", "taken_at", "params", "snapshot_key"]].reset_index(drop=True))

    def steps(self) -> pd.DataFrame:
        """Consecutive snapshot pairs: the later one's id (cur_id), both snapshot keys (cur_key; prev_key, null for
        the first, Store.snapshot_keys), taken times and days apart."""
        frame = self.snapshots[["snapshot_id", "taken_at", "snapshot_key"]].rename(columns={"snapshot_id": "cur_id", "taken_at": "cur_taken_at", "snapshot_key": "cur_key"})
        frame["prev_key"] = frame["cur_key"].astype("Int32").shift(1)
        frame["prev_taken_at"] = frame["cur_taken_at"].shift(1)
        frame["days"] = (frame["cur_taken_at"] - frame["prev_taken_at"]).dt.total_seconds() / 86400
        return frame


def step_downloads(observations: ibis.Table, created: ibis.Table, steps: pd.DataFrame) -> ibis.Table:
    """One row per (step, model at either of its snapshots): the step's downloads, or null where missing.

    `observations` are keyed (Store.keyed_observations: snapshot_key, model_key,
    downloads_30d, downloads_all_time), `created` is model_key, created_at and
    any columns to carry along to each model's rows (one join, not two, over
    millions of rows), and `steps` are History.steps() with their snapshot keys.

    A model at the earlier snapshot but absent from the later one is missing
    for the step (DESIGN.md §3: excluded, counted in the quality report, never 0).

    Columns: cur_key, model_key, downloads, window_start, window_end (the
    interval the figure covers: the difference's two snapshots, or the 30
    days, at most the step, before the later one), estimated, rollback,
    missing, unobserved_days, and `created`'s columns (null for a model absent
    from the later snapshot).
    """
    days = steps["days"].fillna(float(ROLLING_DAYS))
    # A 30-day count covers at most the step before its snapshot; computed per step, not per row.
    step_table = ibis.memtable(
        steps[["cur_key", "prev_key", "cur_taken_at", "prev_taken_at"]].assign(
            days=days, estimate_start=steps["cur_taken_at"] - pd.to_timedelta(days.clip(upper=ROLLING_DAYS), unit="D")
        )
    )
    # Each step pairs its later snapshot's rows with its earlier one's in one full outer join: a row of the
    # earlier snapshot alone is a model absent from the later one.
    carried = [column for column in created.columns if column != "model_key"]
    created = created.rename(created_model="model_key")
    # The creation dates join the later snapshot's rows, before the pairing: there DuckDB hashes the dates and
    # probes them with the rows, where after the pairing it hashed the paired rows (37M at 1M × 52) instead.
    later = observations.filter(observations.snapshot_key.isin([int(key) for key in steps["cur_key"]]))
    later = later.left_join(created, later.model_key == created.created_model).drop("created_model")
    earlier_of = step_table.filter(step_table.prev_key.notnull()).select(step_of_earlier="cur_key", earlier_snapshot="prev_key")
    earlier = observations.join(earlier_of, observations.snapshot_key == earlier_of.earlier_snapshot).select(
        "step_of_earlier", prev_model="model_key", prev_all="downloads_all_time"
    )
    paired = later.outer_join(earlier, [later.snapshot_key == earlier.step_of_earlier, later.model_key == earlier.prev_model])
    paired = paired.select(
        cur_key=paired.snapshot_key.fill_null(paired.step_of_earlier),
        model_key=paired.model_key.fill_null(paired.prev_model),
        gone=paired.snapshot_key.isnull(),
        downloads_30d=paired.downloads_30d,
        downloads_all_time=paired.downloads_all_time,
        prev_model=paired.prev_model,
        prev_all=paired.prev_all,
        **{column: paired[column] for column in carried},
    )
    # A view: the step table is also a parent of `paired` itself, which Ibis would otherwise refuse to join again.
    rows = paired.view().join(step_table, "cur_key")
    gone = rows.gone
    present_before = rows.prev_model.notnull()
    created_after_prev = rows.created_at.notnull() & (rows.created_at > rows.prev_taken_at)
    # The first snapshot has nothing before it: no difference, and not missing either.
    first_step = rows.prev_key.isnull()
    exact = rows.downloads_all_time.notnull() & ~first_step & (
        (present_before & rows.prev_all.notnull()) | (~present_before & created_after_prev)
    )
    difference = rows.downloads_all_time - rows.prev_all.fill_null(0)
    estimate = rows.downloads_30d * ibis.least(rows.days, ROLLING_DAYS) / ROLLING_DAYS
    all_time_series = rows.downloads_all_time.notnull()
    downloads = ibis.cases(
        (gone, ibis.null("float64")),
        (exact, ibis.greatest(difference, 0).cast("float64")),
        (~all_time_series, estimate.cast("float64")),
        else_=ibis.null("float64"),
    )
    return rows.select(
        "cur_key",
        "model_key",
        downloads=downloads,
        window_start=ibis.cases((exact | gone, rows.prev_taken_at), else_=rows.estimate_start),
        window_end=rows.cur_taken_at,
        estimated=~gone & ~exact & ~all_time_series,
        rollback=exact & present_before & (difference < 0),
        missing=gone | (~exact & all_time_series & ~first_step),
        unobserved_days=ibis.cases((~gone & ~all_time_series, ibis.greatest(rows.days - ROLLING_DAYS, 0)), else_=0.0).cast("float64"),
        **{column: rows[column] for column in carried},
    )


@dataclass
class PeriodDownloads:
    """D(m, period) for every model and period, with what the figures rest on."""

    table: ibis.Table  # period, period_start, period_end, model_key, downloads, estimated
    steps: ibis.Table  # per difference, before summing: period_index, model_key, downloads, estimated, window_start, window_end, …
    scope: str
    periods: pd.DataFrame  # period_index (the steps' number for it), period, period_start, period_end, snapshots (ids whose steps it holds)
    shortened: bool  # no snapshot at or before the window's start: it begins at the first one inside

    def describe(self) -> dict:
        return {
            "scope": self.scope,
            "periods": len(self.periods),
            "window_shortened": self.shortened,
            "note": "observation windows: each difference between consecutive snapshots belongs to the period of the later one",
        }


def period_downloads(
    observations: ibis.Table,
    created: ibis.Table,
    catalogue: pd.DataFrame,
    *,
    period: str | None = None,
    since: str | None = None,
    until: str | None = None,
    scope: str | None = None,
) -> PeriodDownloads:
    """Downloads per model per calendar period (or in one [since, until] window when period is None).

    `observations`, `created`: as step_downloads takes them (on integer keys); `catalogue` with snapshot keys.
    Store.model_ids_of turns the results' model keys into model ids.
    """
    history = History.of(catalogue, scope)
    if len(history.snapshots) < 2:
        raise HubeconError(
            f"only one snapshot of scope '{history.scope}': its one window is the 30 days before it; "
            "another window needs a history (filter by creation date with --created-since/--created-until instead)"
        )
    start, end = day_bounds(since, until)
    snapshots = history.snapshots
    before_start = snapshots[snapshots["taken_at"] <= start] if start is not None else snapshots.iloc[:1]
    shortened = start is not None and before_start.empty
    first = (before_start.iloc[-1] if len(before_start) else snapshots.iloc[0])["taken_at"]
    last = end if end is not None else snapshots["taken_at"].iloc[-1]
    steps = history.steps()
    inside = steps[(steps["cur_taken_at"] > first) & (steps["cur_taken_at"] <= last)]
    if inside.empty:
        raise HubeconError(f"no snapshot of scope '{history.scope}' falls inside the window {since or '…'} to {until or '…'}")
    if period is None:
        label = f"{since or inside['prev_taken_at'].iloc[0].date()}..{until or inside['cur_taken_at'].iloc[-1].date()}"
        periods = pd.DataFrame({"cur_id": inside["cur_id"], "cur_key": inside["cur_key"], "period": label, "period_start": first, "period_end": inside["cur_taken_at"].iloc[-1]})
        # With cumulative counts the window is one difference, end minus start, so a model absent
        # from a snapshot in between is still counted; 30-day estimates add up step by step.
        whole = pd.DataFrame(
            {
                "cur_key": pd.array([inside["cur_key"].iloc[-1]], dtype="int32"),
                "cur_taken_at": [inside["cur_taken_at"].iloc[-1]],
                "prev_key": pd.array([inside["prev_key"].iloc[0]], dtype="Int32"),
                "prev_taken_at": [inside["prev_taken_at"].iloc[0]],
                "days": [(inside["cur_taken_at"].iloc[-1] - inside["prev_taken_at"].iloc[0]).total_seconds() / 86400],
            }
        )
        exact = step_downloads(observations, created, whole).filter(~ibis._.estimated)
        estimated = step_downloads(observations, created, inside).filter(ibis._.estimated)
        rows = exact.union(estimated)
    else:
        labelled = [period_label(moment, period) for moment in inside["cur_taken_at"]]
        periods = pd.DataFrame(
            {
                "cur_id": inside["cur_id"],
                "cur_key": inside["cur_key"],
                "period": [item[0] for item in labelled],
                "period_start": [item[1] for item in labelled],
                "period_end": [item[2] for item in labelled],
            }
        )
        rows = step_downloads(observations, created, inside)
    # Rows are summed per period's number, not its label: grouping on two integers, the labels joined after.
    periods["period_index"] = periods.groupby("period_start", sort=True).ngroup().astype("int32")
    rows = rows.filter(rows.downloads.notnull()).join(ibis.memtable(periods[["cur_key", "period_index"]]), "cur_key")
    summary = periods.groupby(["period_index", "period", "period_start", "period_end"], as_index=False).agg(snapshots=("cur_id", list))
    summed = rows.group_by(["period_index", "model_key"]).agg(downloads=rows.downloads.sum(), estimated=rows.estimated.any())
    labels = ibis.memtable(summary.drop(columns="snapshots"))
    table = summed.join(labels, "period_index").select("period", "period_start", "period_end", "model_key", "downloads", "estimated")
    return PeriodDownloads(table, rows, history.scope, summary, shortened)
