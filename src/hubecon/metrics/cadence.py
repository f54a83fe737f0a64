"""Release cadence (DESIGN.md §3, Release cadence).

A developer's release day is a UTC day on which it created at least one repo
that is not derived from *another* developer's model: every root the repo's
origin credit reaches (lineage graph) belongs to the uploader's own developer
(registry). Its own finetunes and quantizations of its own base are therefore
part of a release; a repo derived, however indirectly, from someone else's
model is not. Cadence = the median number of days between consecutive
release days, for developers with at least 3 release days; release days per
quarter = release days ÷ calendar quarters from the first release day's
quarter to the last's, inclusive (same developers). By country or type: the
median of the developers' figures, with n; individuals and unattributed
namespaces are left out (they have no country or type to group by). Repos
with an unknown creation date are outside the analysis and counted apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hubecon.enrich.registry import INDIVIDUALS

MIN_RELEASE_DAYS = 3
BY = ("country", "type", "developer")
UNATTRIBUTED_PREFIX = "namespace:"


def developer_identity(namespaces: pd.Series, attribution: pd.DataFrame) -> pd.Series:
    """The developer behind each namespace; a namespace missing from the registry is its own developer (`namespace:NAME`)."""
    developer_of = attribution.drop_duplicates("namespace", keep="last").set_index("namespace")["developer"]
    named = namespaces.map(developer_of)
    return named.where(named.notna() & (named != ""), UNATTRIBUTED_PREFIX + namespaces)


def root_counts(facts: pd.DataFrame, credit: pd.DataFrame, attribution: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per model of `facts` (in its order): how many roots its origin credit reaches, and how many of them belong to its uploader's developer."""
    # Positions, not a merge and sets of ids: both run per model id string, which is slow at a million models.
    # A model listed twice in `facts` gets the same counts on both rows.
    rows, ids = pd.factorize(facts["model_id"])
    first_row = np.unique(rows, return_index=True)[1]
    position = pd.Index(ids).get_indexer(credit["model_id"])
    credited = position >= 0
    uploader = developer_identity(facts["namespace"], attribution).to_numpy(dtype=object)[first_row]
    origin = developer_identity(credit["root_namespace"], attribution).to_numpy(dtype=object)[credited]
    position = position[credited]
    roots = np.bincount(position, minlength=len(ids))
    own = np.bincount(position, weights=origin == uploader[position], minlength=len(ids))
    return roots[rows], own[rows]


def own_release_flags(facts: pd.DataFrame, credit: pd.DataFrame, attribution: pd.DataFrame) -> pd.Series:
    """Per model: True when every root its origin credit reaches belongs to its uploader's developer."""
    roots, own = root_counts(facts, credit, attribution)
    return pd.Series(roots == own, index=facts.index, dtype=bool)


def third_party_flags(facts: pd.DataFrame, credit: pd.DataFrame, attribution: pd.DataFrame) -> pd.Series:
    """Per model: True when its uploader's developer is none of its origin developers (DESIGN.md §3); a model without credit rows is its own origin."""
    roots, own = root_counts(facts, credit, attribution)
    return pd.Series((roots > 0) & (own == 0), index=facts.index, dtype=bool)


def release_days(facts: pd.DataFrame, credit: pd.DataFrame, attribution: pd.DataFrame) -> pd.DataFrame:
    """One row per (developer, release day): developer, day, repos (that day's own releases), model_ids.

    `facts` needs model_id, namespace, created_at, created_known; models with
    an unknown creation date are skipped (the caller reports them).
    """
    known = facts[facts["created_known"].fillna(False).astype(bool)].copy()
    known["own_release"] = own_release_flags(known, credit, attribution)
    known["developer"] = developer_identity(known["namespace"], attribution)
    releases = known[known["own_release"]].copy()
    releases["day"] = pd.to_datetime(releases["created_at"], utc=True).dt.floor("D")
    grouped = releases.sort_values("model_id").groupby(["developer", "day"], as_index=False).agg(repos=("model_id", "size"), model_ids=("model_id", list))
    return grouped.sort_values(["developer", "day"], ignore_index=True)


def quarter_index(day: pd.Timestamp) -> int:
    return day.year * 4 + (day.month - 1) // 3


def developer_cadence(days: pd.DataFrame, attribution: pd.DataFrame) -> pd.DataFrame:
    """Per developer: release days, first/last, median days between release days and release days per quarter (≥ 3 days), country, type."""
    rows = []
    for developer, group in days.groupby("developer", sort=True):
        ordered = group["day"].sort_values().tolist()
        gaps = pd.Series([(later - earlier).days for earlier, later in zip(ordered, ordered[1:])], dtype=float)
        enough = len(ordered) >= MIN_RELEASE_DAYS
        quarters = quarter_index(ordered[-1]) - quarter_index(ordered[0]) + 1
        rows.append(
            {
                "developer": developer,
                "release_days": len(ordered),
                "repos": int(group["repos"].sum()),
                "first_release": ordered[0].strftime("%Y-%m-%d"),
                "last_release": ordered[-1].strftime("%Y-%m-%d"),
                "median_days_between": float(gaps.median()) if enough else None,
                "quarters": quarters,
                "release_days_per_quarter": len(ordered) / quarters if enough else None,
            }
        )
    table = pd.DataFrame(
        rows, columns=["developer", "release_days", "repos", "first_release", "last_release", "median_days_between", "quarters", "release_days_per_quarter"]
    )
    labels = attribution.drop_duplicates("developer").set_index("developer")
    table["country"] = table["developer"].map(labels["country"])
    table["type"] = table["developer"].map(labels["developer_type"])
    table["attributed"] = ~table["developer"].str.startswith(UNATTRIBUTED_PREFIX)
    return table


def group_cadence(developers: pd.DataFrame, by: str) -> pd.DataFrame:
    """The median of developers' cadences per country or type, with n; individuals and unattributed developers excluded."""
    column = {"country": "country", "type": "type"}[by]
    eligible = developers[developers["attributed"] & (developers["type"] != "individual") & (developers["country"] != INDIVIDUALS)]
    rows = []
    for key, group in eligible.groupby(column, sort=True):
        measured = group[group["median_days_between"].notna()]
        fastest = measured.sort_values(["median_days_between", "developer"]).head(1)
        slowest = measured.sort_values(["median_days_between", "developer"], ascending=[False, True]).head(1)
        rows.append(
            {
                "key": key,
                "developers": len(group),
                "n": len(measured),
                "median_days_between": float(measured["median_days_between"].median()) if len(measured) else None,
                "median_release_days_per_quarter": float(measured["release_days_per_quarter"].median()) if len(measured) else None,
                "release_days": int(group["release_days"].sum()),
                "repos": int(group["repos"].sum()),
                "fastest": fastest["developer"].iloc[0] if len(fastest) else None,
                "fastest_days_between": float(fastest["median_days_between"].iloc[0]) if len(fastest) else None,
                "slowest": slowest["developer"].iloc[0] if len(slowest) else None,
                "slowest_days_between": float(slowest["median_days_between"].iloc[0]) if len(slowest) else None,
            }
        )
    columns = ["key", "developers", "n", "median_days_between", "median_release_days_per_quarter", "release_days", "repos", "fastest", "fastest_days_between", "slowest", "slowest_days_between"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["n", "key"], ascending=[False, True], ignore_index=True)


def quarterly_release_days(days: pd.DataFrame, developers: pd.DataFrame, by: str) -> pd.DataFrame:
    """Release days per calendar quarter, summed over the developers of each group (individuals and unattributed left out of country/type)."""
    frame = days.merge(developers[["developer", "country", "type", "attributed"]], on="developer")
    if by != "developer":
        frame = frame[frame["attributed"] & (frame["type"] != "individual")]
        frame = frame.assign(key=frame[by])
    else:
        frame = frame.assign(key=frame["developer"])
    frame = frame.assign(quarter=frame["day"].map(lambda day: f"{day.year}-Q{(day.month - 1) // 3 + 1}"))
    return frame.groupby(["key", "quarter"], as_index=False).agg(release_days=("day", "nunique")).sort_values(["key", "quarter"], ignore_index=True)


def evidence(days: pd.DataFrame, developer: str | None) -> dict | None:
    """The release days (and that day's repos) behind a developer's cadence."""
    if developer is None:
        return None
    own = days[days["developer"] == developer]
    return {"developer": developer, "dates": [day.strftime("%Y-%m-%d") for day in own["day"]], "repos": [list(ids) for ids in own["model_ids"]]}
