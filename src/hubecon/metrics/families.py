"""Families: downloads rolled up to root models (DESIGN.md §3, Attribution/families).

A model belongs to the family of each root its origin credit reaches, with
the same fractions (a merge of k parents gives each 1/k; a diamond reunites;
a parent missing from the data is a root). Family downloads = Σ D(m)·fraction
over its members; the root's own downloads are its own D; the derivatives'
share = 1 − root's own ÷ family downloads. Derivative counts by kind count
each member once in every family it belongs to (a merge of two families is a
derivative of both), among the models observed in the window.
"""

from __future__ import annotations

import ibis

DERIVATIVE_KINDS = ("finetune", "quantized", "adapter", "merge")
COUNT_COLUMNS = {"finetune": "finetunes", "quantized": "quantized", "adapter": "adapters", "merge": "merges"}


def family_rows(credited: ibis.Table, kinds: ibis.Table) -> ibis.Table:
    """Per (period, root): family, root-own and derivative downloads, derivative counts by kind.

    `credited` is origin-attributed (entity_model = the root); `kinds` maps
    model_id to derivative_kind.
    """
    rows = credited.join(kinds, "model_id")
    derivative = rows.model_id != rows.entity_model
    counts = {COUNT_COLUMNS[kind]: rows.model_id.nunique(where=derivative & (rows.derivative_kind == kind)) for kind in DERIVATIVE_KINDS}
    grouped = rows.group_by(["period", "entity_model", "namespace", "developer", "country", "developer_type"]).agg(
        family_downloads=rows.downloads.sum(),
        root_downloads=rows.downloads.sum(where=~derivative),
        derivatives=rows.model_id.nunique(where=derivative),
        root_observed=(~derivative).any(),
        **counts,
    )
    grouped = grouped.mutate(root_downloads=grouped.root_downloads.fill_null(0.0))
    grouped = grouped.mutate(derivative_downloads=grouped.family_downloads - grouped.root_downloads)
    return grouped.mutate(
        derivative_share=ibis.cases((grouped.family_downloads > 0, grouped.derivative_downloads / grouped.family_downloads), else_=0.0)
    ).rename(root_id="entity_model", root_namespace="namespace")
