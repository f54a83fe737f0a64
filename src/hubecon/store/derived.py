"""The store's derived tables: what the canonical `models`, `lineage` and `annotations` need, per raw model id.

Each derived table is a summary that can be merged: summarising the union of
an old summary and a new snapshot's records gives the summary of all
snapshots. So adding a snapshot reads only the derived tables and the new
snapshot's files, never the older snapshots' files, and the result equals a
rebuild from scratch. The same Ibis functions build them from scratch (any
engine, or in memory for the embedded data) and update them on disk.

- `model_latest`: per raw model id and field of MODEL_FIELDS, the value from
  the latest snapshot that knows it, with that snapshot's time (`<field>__at`).
- `model_seen`: per raw model id, the first and last snapshot observing it.
- `object_names`: per (raw model id, Hub object id), the last time seen together
  (renames: DESIGN.md §2, `hub_object_id`).
- `lineage_latest`: per raw child id, the edges of the latest snapshot giving any.
- `annotations_distinct`: every distinct annotation.

On disk they live in STORE/derived/, listed by state.json with the snapshot
ids they cover; files are replaced by new ones with new names and state.json
is swapped last, so a crash leaves the old, consistent set.
"""

from __future__ import annotations

import ibis

MODEL_FIELDS = [
    "hub_object_id",
    "namespace",
    "created_at",
    "last_modified",
    "pipeline_tag",
    "library",
    "license",
    "tags",
    "params_total",
    "params_active",
    "gguf",
    "config_arch",
    "card_data",
]
DERIVED_TABLES = ("model_latest", "model_seen", "object_names", "lineage_latest", "annotations_distinct")
# Key columns: a derived file is written sorted by them, so equal contents give equal files.
DERIVED_KEYS = {
    "model_latest": ["model_id"],
    "model_seen": ["model_id"],
    "object_names": ["model_id", "hub_object_id"],
    "lineage_latest": ["child_id", "parent_id", "relation", "source", "taken_at"],
    "annotations_distinct": ["model_id", "source", "field", "value"],
}
AT = "__at"


def with_taken_at(table: ibis.Table, snapshots: ibis.Table) -> ibis.Table:
    return table.join(snapshots.select("snapshot_id", "taken_at"), "snapshot_id")


# -- summaries (each also merges: f(union(old summary, new rows)) = f(all rows)) ----------------------------


def model_latest(rows: ibis.Table) -> ibis.Table:
    """`rows`: model_id, each field and `<field>__at` (null where the field is)."""
    return rows.group_by("model_id").agg(
        **{field: rows[field].argmax(rows[field + AT], where=rows[field].notnull()) for field in MODEL_FIELDS},
        **{field + AT: rows[field + AT].max() for field in MODEL_FIELDS},
    )


def record_rows(records: ibis.Table) -> ibis.Table:
    """Raw model records (with taken_at) in the shape `model_latest` summarises."""
    stamp = records.taken_at
    return records.select(
        "model_id",
        *MODEL_FIELDS,
        **{field + AT: ibis.cases((records[field].notnull(), stamp), else_=ibis.null(stamp.type())) for field in MODEL_FIELDS},
    )


def model_seen(rows: ibis.Table) -> ibis.Table:
    """`rows`: model_id, first_seen, last_seen (an observation: both its snapshot's time)."""
    return rows.group_by("model_id").agg(first_seen=rows.first_seen.min(), last_seen=rows.last_seen.max())


def observation_rows(observations: ibis.Table) -> ibis.Table:
    return observations.select("model_id", first_seen="taken_at", last_seen="taken_at")


def object_names(rows: ibis.Table) -> ibis.Table:
    """`rows`: model_id, hub_object_id, last_at."""
    rows = rows.filter(rows.hub_object_id.notnull())
    return rows.group_by(["model_id", "hub_object_id"]).agg(last_at=rows.last_at.max())


def name_rows(records: ibis.Table) -> ibis.Table:
    return records.select("model_id", "hub_object_id", last_at="taken_at")


def lineage_latest(rows: ibis.Table) -> ibis.Table:
    """`rows`: child_id, parent_id, relation, source, taken_at; keeps each child's newest snapshot's edges."""
    newest = rows.group_by("child_id").agg(newest=rows.taken_at.max())
    kept = rows.join(newest, [rows.child_id == newest.child_id, rows.taken_at == newest.newest])
    return kept.select("child_id", "parent_id", "relation", "source", "taken_at").distinct()


def edge_rows(edges: ibis.Table) -> ibis.Table:
    return edges.select("child_id", "parent_id", "relation", "source", "taken_at")


def annotations_distinct(rows: ibis.Table) -> ibis.Table:
    return rows.select("model_id", "source", "field", "value").distinct()


def summaries(observations: ibis.Table, records: ibis.Table, edges: ibis.Table, annotations: ibis.Table, snapshots: ibis.Table) -> dict[str, ibis.Table]:
    """The derived tables of some snapshots' raw tables (all of them: a rebuild; new ones: the rows to merge)."""
    records = with_taken_at(records, snapshots)
    return {
        "model_latest": model_latest(record_rows(records)),
        "model_seen": model_seen(observation_rows(with_taken_at(observations, snapshots))),
        "object_names": object_names(name_rows(records)),
        "lineage_latest": lineage_latest(edge_rows(with_taken_at(edges, snapshots))),
        "annotations_distinct": annotations_distinct(annotations),
    }


MERGES = {
    "model_latest": model_latest,
    "model_seen": model_seen,
    "object_names": object_names,
    "lineage_latest": lineage_latest,
    "annotations_distinct": annotations_distinct,
}


def merged(old: dict[str, ibis.Table], new: dict[str, ibis.Table]) -> dict[str, ibis.Table]:
    """The derived tables after adding snapshots: each old summary merged with the new snapshots' summary."""
    out = {}
    for name, merge in MERGES.items():
        fresh = new[name].select(*old[name].columns)
        out[name] = merge(old[name].union(fresh.cast(old[name].schema())))
    return out


# -- the canonical views (DESIGN.md §2) from the derived tables ---------------------------------------------


def model_aliases(names: ibis.Table) -> ibis.Table:
    """alias -> canonical_id: every name a Hub object id has carried, mapped to its latest name.

    A name that has belonged to more than one object (deleted and re-created)
    is left alone rather than guessed.
    """
    latest = names.group_by("hub_object_id").agg(canonical_id=names.model_id.argmax(names.last_at))
    pairs = names.select("model_id", "hub_object_id").distinct()
    unambiguous = pairs.group_by("model_id").agg(objects=pairs.hub_object_id.nunique()).filter(ibis._.objects == 1)
    mapped = pairs.join(unambiguous, "model_id").join(latest, "hub_object_id")
    return mapped.filter(mapped.model_id != mapped.canonical_id).select(alias="model_id", canonical_id="canonical_id")


def canonical(table: ibis.Table, aliases: ibis.Table, column: str = "model_id") -> ibis.Table:
    """`table` with renamed models' ids replaced by their latest name."""
    joined = table.left_join(aliases, table[column] == aliases["alias"])
    return joined.mutate(**{column: joined.canonical_id.fill_null(joined[column])}).drop("alias", "canonical_id")


def canonical_models(latest: ibis.Table, seen: ibis.Table, aliases: ibis.Table) -> ibis.Table:
    """One row per model: each field from the latest snapshot that knows it, and when the model was first and last seen."""
    latest = canonical(latest, aliases)
    fields = latest.group_by("model_id").agg(**{field: latest[field].argmax(latest[field + AT], where=latest[field].notnull()) for field in MODEL_FIELDS})
    seen = model_seen(canonical(seen, aliases))
    return fields.join(seen, "model_id", how="left").drop("model_id_right")


def canonical_lineage(latest: ibis.Table, aliases: ibis.Table) -> ibis.Table:
    """A child's parent edges from the latest snapshot that gives any, under the models' latest names."""
    edges = canonical(canonical(latest, aliases, "child_id"), aliases, "parent_id")
    return lineage_latest(edges).select("child_id", "parent_id", "relation", "source").distinct()


def canonical_annotations(annotations: ibis.Table, aliases: ibis.Table) -> ibis.Table:
    return canonical(annotations, aliases).select("model_id", "source", "field", "value").distinct()
